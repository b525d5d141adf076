INPUT_SCHEMA = {
    "TEXT": {
        "datatype": "STRNG",
        "required": True,
        "shape": [1],
        "example": ["How to make an omelette"],
    },
    "MAX_WORDS": {
        "datatype": "INT",
        "required": False,
        "shape": [1],
        "example": [20],
    },
}

IS_STREAMING_OUTPUT = True
