"""Reads variables given to `infer serve` and streams their SHA-256, never their values.

It is careless on purpose: initialize() prints the token and TEXT="leak" raises an error that
contains it, so tests can check that the runtime masks the value everywhere.
"""

import hashlib
import os

NAMES = ("HF_TOKEN", "FILE_SECRET", "YAML_SETTING", "SHELL_VALUE")


class InferlessPythonModel:
    def initialize(self):
        self.token = os.environ["HF_TOKEN"]  # must be there before initialize()
        print(f"initialize() got the token {self.token}", flush=True)
        self.optional = os.getenv("INFER_TEST_NEVER_SET_VARIABLE")

    def infer(self, inputs, stream_output_handler):
        try:
            if inputs["TEXT"] == "leak":
                raise ValueError(f"token rejected: {self.token}")
            for name in NAMES:
                digest = hashlib.sha256(os.environ.get(name, "").encode()).hexdigest()
                stream_output_handler.send_streamed_output({"OUT": f"{name}={digest} "})
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self):
        pass
