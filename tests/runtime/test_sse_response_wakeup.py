"""SSEResponse in process: events that arrive while a send is in progress go out at once."""

from __future__ import annotations

import asyncio

from starlette.types import Message

from infer.protocol.error_codes import ErrorCode
from infer.runtime.server.sse.response import SSEResponse
from infer.runtime.server.sse.streams import Stream
from tests.servers import parse_sse


def test_a_stream_that_ends_during_a_send_is_sent_without_waiting_for_a_heartbeat() -> None:
    async def scenario() -> list[Message]:
        stream = Stream("s1", capacity=16)
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)
            if len(sent) == 2:  # the opening is out: the model answers and ends meanwhile
                stream.push_event(b'{"OUT":"a"}')
                stream.fail(ErrorCode.WORKER_CRASHED, "lost")
            await asyncio.sleep(0)

        async def receive() -> Message:
            await asyncio.Event().wait()  # the client never leaves
            raise AssertionError("unreachable")

        response = SSEResponse(
            stream,
            None,
            heartbeat_s=3600,  # a missed wake-up would hang until the timeout below
            retry_ms=3000,
            headers={},
            on_detach=lambda stream: None,
        )
        await asyncio.wait_for(response({"type": "http"}, receive, send), timeout=10)
        return sent

    sent = asyncio.run(scenario())
    body = b"".join(message.get("body", b"") for message in sent)
    events, _ = parse_sse(body)
    assert [(e.event, e.seq) for e in events] == [("message", 1), ("error", 2)]
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
