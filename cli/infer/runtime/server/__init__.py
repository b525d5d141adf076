"""The server process: the HTTP API, admission, SSE streams and the worker's supervisor.

It never imports ``runtime.worker``: the worker is another process, reached only through
``infer.runtime.wire``. See docs/architecture.md for the request's path through these modules.

Runs in the server process.
"""
