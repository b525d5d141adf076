"""A streaming model for fault tests, chosen by the MODE input.

healthy: COUNT events, DELAY ms apart. ignore_cancel: one event, then sleeps HOLD s without
ever sending again (so it never sees a cancellation). crash: one event, then the process dies.
STUBBORN_FINALIZE_HANG=1 makes finalize() hang; STUBBORN_FINALIZE_MARKER names a file it
writes first.
"""

import os
import pathlib
import time


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs, stream_output_handler):
        mode = inputs["MODE"]
        send = stream_output_handler.send_streamed_output
        # Bounded, so that a fuzzer's random numbers never make an endless stream.
        count = max(0, min(int(inputs.get("COUNT") or 3), 5000))
        delay = max(0.0, min(float(inputs.get("DELAY") or 0), 200)) / 1000
        try:
            if mode == "ignore_cancel":
                send({"OUT": "stuck"})
                time.sleep(max(0.0, min(float(inputs.get("HOLD") or 60), 120)))
                return
            if mode == "crash":
                send({"OUT": "one"})
                time.sleep(0.2)
                os._exit(3)
            for i in range(count):
                send({"OUT": f"e{i}"})
                if delay:
                    time.sleep(delay)
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        marker = os.environ.get("STUBBORN_FINALIZE_MARKER")
        if marker:
            pathlib.Path(marker).write_text("finalize started")
        if os.environ.get("STUBBORN_FINALIZE_HANG"):
            time.sleep(600)
