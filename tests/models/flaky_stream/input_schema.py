INPUT_SCHEMA = {
    "TEXT": {"datatype": "STRING", "required": True, "shape": [1], "example": ["hello"]},
    "DELAY": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "COUNT": {"datatype": "INT", "required": False, "shape": [1], "example": [3]},
}
IS_STREAMING_OUTPUT = True
