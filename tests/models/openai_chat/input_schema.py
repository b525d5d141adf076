INPUT_SCHEMA = {
    "message": {
        "datatype": "STRING",
        "required": True,
        "shape": [1],
        "example": ['[{"role":"user","content":"Hello!"}]'],
    },
    "max_completion_tokens": {
        "datatype": "INT32",
        "required": False,
        "shape": [1],
        "example": [250],
    },
    "seed": {"datatype": "INT32", "required": False, "shape": [1], "example": [1234]},
    "delay_ms": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
    "marker": {"datatype": "STRING", "required": False, "shape": [1], "example": [""]},
}
IS_STREAMING_OUTPUT = True
OPENAI_CLIENT_COMPATIBLITY = True
