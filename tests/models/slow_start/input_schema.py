INPUT_SCHEMA = {
    "TEXT": {"datatype": "STRING", "required": False, "shape": [1], "example": ["a b"]},
    "FIRST_DELAY": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "COUNT": {"datatype": "INT", "required": False, "shape": [1], "example": [3]},
    "DELAY": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "NAN": {"datatype": "BOOLEAN", "required": False, "shape": [1], "example": [False]},
    "MARKER": {"datatype": "STRING", "required": False, "shape": [1], "example": [""]},
}
IS_STREAMING_OUTPUT = True
