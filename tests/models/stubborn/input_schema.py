INPUT_SCHEMA = {
    "MODE": {"datatype": "STRING", "required": True, "shape": [1], "example": ["healthy"]},
    "COUNT": {"datatype": "INT", "required": False, "shape": [1], "example": [3]},
    "DELAY": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "HOLD": {"datatype": "INT", "required": False, "shape": [1], "example": [60]},
}
IS_STREAMING_OUTPUT = True
