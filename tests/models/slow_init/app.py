import os
import time


class InferlessPythonModel:
    def initialize(self):
        time.sleep(float(os.environ.get("SLOW_INIT_SECONDS", "1.5")))
        if os.environ.get("SLOW_INIT_FAIL"):
            raise RuntimeError("weights not found at /models/missing")

    def infer(self, inputs):
        return {"OUT": inputs["TEXT"]}

    def finalize(self, *args):
        pass
