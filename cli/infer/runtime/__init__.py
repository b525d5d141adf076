"""`infer serve`'s local runtime: two processes and the one protocol between them.

- ``server/`` runs in the server process (uvicorn + Starlette): HTTP, admission, SSE framing,
  replay buffers, and supervising the worker.
- ``worker/`` runs in the worker process: imports the user's app.py and runs the model.
- ``wire.py`` is the framing over the socketpair between them, the only runtime module both
  sides import. ``server/`` and ``worker/`` never import each other (a test checks it).

The request's whole path is told in docs/architecture.md.
"""
