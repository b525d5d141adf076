INPUT_SCHEMA = {
    "TEXT": {"datatype": "STRING", "required": True, "shape": [1], "example": ["hello world"]},
    "DELAY": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "COUNT": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "MARKER": {"datatype": "STRING", "required": False, "shape": [1], "example": [""]},
}
IS_STREAMING_OUTPUT = True
