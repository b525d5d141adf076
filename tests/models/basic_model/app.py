class InferlessPythonModel:
    def initialize(self):
        self.suffix = "!"

    def infer(self, inputs):
        text = inputs["prompt"]
        return {"generated_text": text.upper() + self.suffix, "length": len(text)}

    def finalize(self):
        pass
