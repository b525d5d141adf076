INPUT_SCHEMA = {
    "TEXT": {
        "datatype": "STRING",
        "required": True,
        "shape": [1],
        "example": ["How to make an omelette"],
    },
    "MAX_WORDS": {
        "datatype": "FP32",
        "required": False,
        "shape": [1],
        "example": [0.5],
    },
}

IS_STREAMING_OUTPUT = True
