"""The worker process: runs the user's app.py (initialize, infer, finalize) and speaks the wire
protocol (``infer.runtime.wire``) back to the server. Nothing here imports ``runtime.server``;
docs/architecture.md follows a request through both processes.

Runs in the worker process.
"""
