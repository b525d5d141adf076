import threading


class InferlessPythonModel:
    def initialize(self):
        self.prefix = "echo: "
        self.lock = threading.Lock()

    def infer(self, inputs, stream_output_handler):
        try:
            for word in str(inputs.get("MAX_WORDS", 20)).split():
                stream_output_handler.send_streamed_output({"OUT": self.prefix + word})
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        self.prefix = ""
