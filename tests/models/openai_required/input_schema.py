INPUT_SCHEMA = {
    "TEXT": {"datatype": "STRING", "required": True, "shape": [1], "example": ["Hi"]},
    "beams": {"datatype": "INT", "required": True, "shape": [1], "example": [2]},
}
IS_STREAMING_OUTPUT = False
