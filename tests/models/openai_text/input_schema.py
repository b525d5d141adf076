INPUT_SCHEMA = {
    "prompt": {"datatype": "STRING", "required": True, "shape": [1], "example": ["Hi"]},
    "max_new_tokens": {"datatype": "INT", "required": False, "shape": [1], "example": [64]},
    "temperature": {"datatype": "FP32", "required": False, "shape": [1], "example": [0.7]},
    "top_p": {"datatype": "FLOAT", "required": False, "shape": [1], "example": [0.9]},
    "stop": {"datatype": "STRING", "required": False, "shape": [1], "example": ["###"]},
}
IS_STREAMING_OUTPUT = False
