"""The echo test model, plus the node that served each event (INFER_TEST_NODE of its Ray node).

Streams COUNT numbered events (or the words of TEXT) with DELAY ms between them. MARKER names a
file written when the runtime cancels the stream.
"""

import os
import pathlib
import time


class InferlessPythonModel:
    def initialize(self):
        self.node = os.environ.get("INFER_TEST_NODE", "unknown")

    def infer(self, inputs, stream_output_handler):
        delay = float(inputs.get("DELAY") or 0) / 1000
        count = int(inputs.get("COUNT") or 0)
        words = (
            [f"w{i} " for i in range(count)] if count else [w + " " for w in inputs["TEXT"].split()]
        )
        try:
            for word in words:
                stream_output_handler.send_streamed_output({"OUT": word, "NODE": self.node})
                if delay:
                    time.sleep(delay)
        except stream_output_handler.Cancelled:
            if inputs.get("MARKER"):
                pathlib.Path(inputs["MARKER"]).write_text("cancelled")
            raise
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        pass
