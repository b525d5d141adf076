"""Streams COUNT events DELAY ms apart; every 5th request (counted across threads) fails with
ValueError after its first event, which the runtime reports in-band as `model_error`."""

import threading
import time


class InferlessPythonModel:
    def initialize(self):
        self.lock = threading.Lock()
        self.calls = 0

    def infer(self, inputs, stream_output_handler):
        with self.lock:
            self.calls += 1
            number = self.calls
        delay = float(inputs.get("DELAY") or 0) / 1000
        try:
            for index in range(int(inputs.get("COUNT") or 3)):
                stream_output_handler.send_streamed_output({"OUT": f"w{index} "})
                if number % 5 == 0:
                    raise ValueError(f"request {number} fails, as every 5th does")
                if delay:
                    time.sleep(delay)
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        pass
