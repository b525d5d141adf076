import threading


class InferlessPythonModel:
    def initialize(self):
        self.prefix = "echo: "
        self.lock = threading.Lock()

    def infer(self, inputs):
        try:
            for word in inputs["TEXT"].split():
                self.handler.send_streamed_output({"OUT": self.prefix + word})
        finally:
            self.handler.finalise_streamed_output()

    def finalize(self, *args):
        self.prefix = ""
