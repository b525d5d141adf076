"""The worker process's entry point: ``python -m infer.runtime.worker --fd N --repo PATH``.

Started by the server's supervisor (``runtime/server/supervisor.py``), never by users.

Runs in the worker process.
"""

import os
import sys

from infer.runtime.worker.process import main

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: a model thread that ignores cancellation must not keep the worker alive.
    os._exit(code)
