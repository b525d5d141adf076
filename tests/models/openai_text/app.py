"""A non-streaming model with one prompt input and sampling inputs under other names: it answers
with the JSON of the inputs it received, so tests see exactly what the OpenAI routes sent."""

import json


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs):
        return {"generated_text": json.dumps(inputs, sort_keys=True), "finish_reason": "stop"}

    def finalize(self, *args):
        pass
