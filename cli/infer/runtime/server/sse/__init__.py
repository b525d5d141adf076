"""Server-Sent Events on the server: framing, event ids, replay buffers and the ASGI response.

Runs in the server process.
"""
