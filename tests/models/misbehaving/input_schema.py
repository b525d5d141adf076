INPUT_SCHEMA = {
    "MODE": {"datatype": "STRING", "required": True, "shape": [1], "example": ["raise"]},
}
IS_STREAMING_OUTPUT = True
