"""Streams the words of TEXT (or COUNT numbered events) with DELAY ms between them.

MARKER names a file written when the runtime cancels the stream; the env var
ECHO_FINALIZE_MARKER names a file written by finalize().
"""

import os
import pathlib
import time


class InferlessPythonModel:
    def initialize(self):
        self.calls = 0

    def infer(self, inputs, stream_output_handler):
        delay = float(inputs.get("DELAY") or 0) / 1000
        count = int(inputs.get("COUNT") or 0)
        words = (
            [f"w{i} " for i in range(count)] if count else [w + " " for w in inputs["TEXT"].split()]
        )
        try:
            for word in words:
                stream_output_handler.send_streamed_output({"OUT": word})
                if delay:
                    time.sleep(delay)
        except stream_output_handler.Cancelled:
            if inputs.get("MARKER"):
                pathlib.Path(inputs["MARKER"]).write_text("cancelled")
            raise
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        marker = os.environ.get("ECHO_FINALIZE_MARKER")
        if marker:
            pathlib.Path(marker).write_text("finalized")
