"""The benchmark's synthetic streaming model, served by `infer serve`."""

from synthetic import tokens


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs, stream_output_handler):
        try:
            for event in tokens(int(inputs["COUNT"]), float(inputs.get("INTERVAL_MS") or 0) / 1000):
                stream_output_handler.send_streamed_output(event)
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        pass
