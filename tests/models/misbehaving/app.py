"""One streaming model, many ways to break the contract, chosen by the MODE input."""

import os
import time


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs, stream_output_handler):
        mode = inputs["MODE"]
        send = stream_output_handler.send_streamed_output
        if mode == "raise":
            send({"OUT": "one"})
            send({"OUT": "two"})
            raise ValueError("boom at token 3")
        if mode == "no_finalise":
            send({"OUT": "one"})
            return
        if mode == "schema":
            send({"OUT": "one"})
            send({"OUT": 2})
        if mode == "new_key":
            send({"OUT": "one"})
            send({"OUT": "two", "EXTRA": True})
        if mode == "after_finalise":
            send({"OUT": "one"})
            stream_output_handler.finalise_streamed_output()
            send({"OUT": "late"})
        if mode == "hang":
            time.sleep(120)
        if mode == "hang_after_first":
            send({"OUT": "one"})
            time.sleep(120)
        if mode == "crash":
            send({"OUT": "one"})
            time.sleep(0.2)
            os._exit(3)
        if mode == "not_dict":
            send("just a string")
        stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        pass
