"""Thinks FIRST_DELAY ms (sending its first event only then, checking for cancellation meanwhile),
then streams COUNT numbered events (or the words of TEXT) DELAY ms apart. NAN sends a NaN value.
MARKER names a file written when the runtime cancels the stream."""

import math
import pathlib
import time


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs, stream_output_handler):
        first_delay = float(inputs.get("FIRST_DELAY") or 0) / 1000
        delay = float(inputs.get("DELAY") or 0) / 1000
        count = int(inputs.get("COUNT") or 0)
        text = inputs.get("TEXT") or ""
        words = [f"w{i} " for i in range(count)] if count else [w + " " for w in text.split()]
        try:
            if inputs.get("NAN"):
                stream_output_handler.send_streamed_output({"OUT": "ok ", "score": 1.0})
                stream_output_handler.send_streamed_output({"OUT": "x", "score": math.nan})
            deadline = time.monotonic() + first_delay
            while time.monotonic() < deadline:
                if stream_output_handler.cancelled.is_set():
                    raise stream_output_handler.Cancelled("cancelled while thinking")
                time.sleep(0.02)
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
        pass
