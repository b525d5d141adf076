INPUT_SCHEMA = {
    "prompt": {"datatype": "STRING", "required": True, "shape": [1], "example": ["hi"]},
    "temperature": {"datatype": "FLOAT", "required": False, "shape": [1], "example": [0.5]},
    "flags": {"datatype": "BOOLEAN", "required": False, "shape": [-1], "example": [True, False]},
}
IS_STREAMING_OUTPUT = False
