INPUT_SCHEMA = {
    "TEXT": {"datatype": "STRING", "required": True, "shape": [1], "example": ["hello world"]},
}
IS_STREAMING_OUTPUT = True
