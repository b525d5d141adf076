"""`finalize_streamed_output()` (American spelling) finalises a stream like the platform's
`finalise_streamed_output()`: in the handler, through the worker, and over one real stream."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from infer.runtime.wire import FrameDecoder, Kind
from infer.runtime.worker.handler import StreamOutputHandler, StreamProtocolError
from infer.runtime.worker.loader import LoadedModel
from infer.runtime.worker.process import Outbox, Worker
from tests.conftest import StartServer
from tests.servers import parse_sse, v2_body


@pytest.mark.parametrize("spelling", ["finalise_streamed_output", "finalize_streamed_output"])
def test_either_spelling_finalises_the_handler(spelling: str) -> None:
    sent: list[bytes] = []
    handler = StreamOutputHandler(sent.append)
    handler.send_streamed_output({"OUT": "one"})
    getattr(handler, spelling)()
    assert handler.finalised, f"{spelling}() did not mark the stream finalised"
    with pytest.raises(StreamProtocolError) as late:
        handler.send_streamed_output({"OUT": "late"})
    assert late.value.code == "send_after_finalise"
    assert sent == [b'{"OUT":"one"}']


class AmericanSpelling:
    """A model as a user writes it, calling the alias in its finally block."""

    def infer(self, inputs: dict[str, Any], handler: Any) -> None:
        try:
            for word in str(inputs["TEXT"]).split():
                handler.send_streamed_output({"OUT": word})
        finally:
            handler.finalize_streamed_output()


def _frames(sock: socket.socket) -> list[tuple[Kind, bytes]]:
    """Frames from the worker until the request's DONE or ERROR."""
    decoder = FrameDecoder()
    frames: list[tuple[Kind, bytes]] = []
    while not frames or frames[-1][0] not in (Kind.DONE, Kind.ERROR):
        data = sock.recv(65536)
        assert data, f"the worker closed the socket after {frames}"
        frames.extend((Kind(kind), payload) for kind, _, payload in decoder.feed(data))
    return frames


def test_the_worker_ends_a_stream_finalised_with_the_alias_as_done() -> None:
    model = LoadedModel(AmericanSpelling(), streaming=True, inputs=[], request_class=None)
    ours, theirs = socket.socketpair()
    ours.settimeout(10)
    outbox = Outbox(theirs)
    worker = Worker(model, outbox)
    try:
        worker.start(1, json.dumps({"inputs": {"TEXT": "a b"}}).encode())
        frames = _frames(ours)
    finally:
        worker.pool.shutdown(wait=True)
        outbox.close()
        ours.close()
        theirs.close()
    assert frames == [
        (Kind.EVENT, b'{"OUT":"a"}'),
        (Kind.EVENT, b'{"OUT":"b"}'),
        (Kind.DONE, b'{"auto_finalised": false}'),
    ]


def test_a_real_stream_from_a_model_using_the_alias_ends_done_without_a_warning(
    start_server: StartServer,
) -> None:
    server = start_server("finalize_spelling")
    response = httpx.post(
        f"{server.url}/v2/models/finalize-spelling/infer",
        json=v2_body(TEXT="one two"),
        timeout=30,
    )
    events, _ = parse_sse(response.content)
    assert [(e.event, json.loads(e.data).get("OUT")) for e in events] == [
        ("message", "one "),
        ("message", "two "),
        ("done", None),
    ], response.text
    done = json.loads(events[-1].data)
    assert "warning" not in done, done
