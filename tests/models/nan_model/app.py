"""A non-streaming model whose answer holds NaN and infinities (strict JSON has neither).

NAN_MODEL_SLEEP (seconds) makes every answer slow.
"""

import os
import time


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs):
        time.sleep(float(os.environ.get("NAN_MODEL_SLEEP", "0")))
        return {"score": float("nan"), "bounds": [float("-inf"), 0.5, float("inf")]}

    def finalize(self):
        pass
