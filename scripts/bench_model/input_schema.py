INPUT_SCHEMA = {
    "COUNT": {"datatype": "INT", "required": True, "shape": [1], "example": [100]},
    "INTERVAL_MS": {"datatype": "INT", "required": False, "shape": [1], "example": [0]},
}
IS_STREAMING_OUTPUT = True
