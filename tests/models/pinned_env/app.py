"""Reports what it imported and where from, to prove which environment it runs in."""

import os
import sys

import packaging
import six


class InferlessPythonModel:
    def initialize(self):
        self.server_stack = sorted(
            name
            for name in (
                "uvicorn",
                "starlette",
                "typer",
                "rich",
                "httpx",
                "infer.runtime.server",
            )
            if name in sys.modules
        )

    def infer(self, inputs):
        return {
            "six": six.__version__,
            "packaging": packaging.__version__,
            "prefix": sys.prefix,
            "server_stack": ",".join(self.server_stack) or "none",
            "pythonpath": os.environ.get("PYTHONPATH", ""),
        }

    def finalize(self):
        pass
