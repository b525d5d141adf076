"""A streaming model written with the American spelling, `finalize_streamed_output()`.

The platform spells it `finalise_streamed_output`; the runtime accepts both rather than hang
or fail a stream over one letter.
"""


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs, stream_output_handler):
        try:
            for word in inputs["TEXT"].split():
                stream_output_handler.send_streamed_output({"OUT": word + " "})
        finally:
            stream_output_handler.finalize_streamed_output()

    def finalize(self, *args):
        pass
