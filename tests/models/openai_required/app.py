"""A model with a required input that no OpenAI parameter fills (`beams`)."""


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs):
        return {"OUT": f"{inputs['TEXT']} x{inputs['beams']}"}

    def finalize(self, *args):
        pass
