import threading

from awq import AutoAWQForCausalLM

MODEL_NAME = "mistralai/Mistral-7B-Instruct-v0.2"


class InferlessPythonModel:
    def initialize(self):
        self.model = AutoAWQForCausalLM.from_quantized(MODEL_NAME, fuse_layers=False)
        self.lock = threading.Lock()

    def infer(self, inputs, stream_output_handler):
        try:
            for word in inputs["TEXT"].split():
                stream_output_handler.send_streamed_output({"OUT": word})
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        self.model = None
