"""Answers with the modules the worker process has imported, for the import-weight tests."""

import sys

WATCHED = ("jinja2", "starlette", "uvicorn", "infer.runtime.worker.process")


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs):
        loaded = [name for name in WATCHED if name in sys.modules]
        return {"loaded": " ".join(loaded)}

    def finalize(self):
        pass
