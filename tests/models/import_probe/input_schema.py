INPUT_SCHEMA = {
    "prompt": {"datatype": "STRING", "required": True, "shape": [1], "example": ["hi"]},
}
IS_STREAMING_OUTPUT = False
