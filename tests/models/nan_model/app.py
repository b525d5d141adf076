"""A non-streaming model whose answer holds NaN and infinities (strict JSON has neither)."""


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs):
        return {"score": float("nan"), "bounds": [float("-inf"), 0.5, float("inf")]}

    def finalize(self):
        pass
