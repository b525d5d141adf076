"""A TCP proxy in front of `infer serve` whose connections a test can cut mid-stream."""

from __future__ import annotations

import socket
import struct
import threading


class CuttingProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; ``cut()`` resets every open connection.

    The browser talks to the proxy, so cutting drops its connection for real (the page sees a
    network error mid-body, the server sees the client go away), and the next connection the
    page opens goes through as before.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.cuts = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)  # a clean end passes through as a clean end
        except OSError:
            pass

    def cut(self) -> int:
        """Reset every open connection, both sides; returns how many pairs were cut."""
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            # Linger 0: close() sends RST, as a dropped network path or a killed proxy would.
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pump thread blocked in recv()
            except OSError:
                pass  # the other side had already closed it
            sock.close()
        self.cuts += 1
        return len(sockets) // 2

    def close(self) -> None:
        """Stop accepting and drop everything."""
        self._listener.close()
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)
