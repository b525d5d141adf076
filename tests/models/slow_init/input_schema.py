INPUT_SCHEMA = {"TEXT": {"datatype": "STRING", "required": True, "shape": [1], "example": ["x"]}}
IS_STREAMING_OUTPUT = False
