"""The worker process: imports the user's app.py, runs initialize(), infer() per request in
threads, and finalize() at shutdown. It talks to the server over one socket (see wire.py).

Started as ``python -m infer.runtime.worker --fd N --repo PATH [--gpu]``; never by users.

Runs in the worker process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from infer.environment.device import model_device
from infer.environment.redaction import install_redaction, redact
from infer.protocol.error_codes import ErrorCode, error_payload
from infer.protocol.message_caps import cap_log_lines
from infer.runtime.wire import FrameDecoder, Kind, encode
from infer.runtime.worker.code_swap import swap_reply
from infer.runtime.worker.handler import (
    StreamCancelledError,
    StreamOutputHandler,
    StreamProtocolError,
)
from infer.runtime.worker.loader import LoadedModel, load_model
from infer.runtime.worker.outputs import finite_json, to_v2_outputs

log = logging.getLogger("infer.worker")
SHUTDOWN_GRACE_S = 5.0
# The longest a streamed event waits for others to share its write (only under a fast burst).
BATCH_WINDOW_S = 0.0005


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _result_json(outputs: list[dict[str, Any]]) -> bytes:
    # Strict JSON has no NaN or Infinity: such floats travel as the strings "NaN", "Infinity"
    # and "-Infinity", as the protobuf JSON mapping writes them; the server never sees NaN.
    return json.dumps(
        {"outputs": finite_json(outputs)}, ensure_ascii=False, allow_nan=False
    ).encode()


class Outbox:
    """Frames from any thread to the server: at once when the stream is calm, batched in bursts.

    An event that arrives after a quiet spell (a first event, a model producing a token every
    few milliseconds) is written by the thread that sent it: no thread wake-up on the way. Events
    arriving faster than one per BATCH_WINDOW_S are handed to a writer thread that waits out the
    window and writes them together, so a burst costs one system call and one wake-up on the
    server, not one each. Exactly one party (an inline sender or the writer) drains at a time.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._busy = False  # an inline sender or the writer thread is responsible for _pending
        self._last_send = 0.0
        self._closed = False
        # A bare lock used as a binary semaphore (threading.Event costs several times more):
        # released once each time the writer thread becomes responsible, acquired once by it.
        self._signal = threading.Lock()
        self._signal.acquire()
        self._thread = threading.Thread(target=self._run, name="infer-outbox", daemon=True)
        self._thread.start()

    def put(self, kind: Kind, request: int, payload: bytes = b"") -> None:
        """Send one frame, now or with the next batch."""
        frame = encode(kind, request, payload)
        with self._lock:
            self._pending.append(frame)
            if self._busy:
                return  # whoever is draining takes this frame too
            self._busy = True
            if time.perf_counter() - self._last_send < BATCH_WINDOW_S:
                self._signal.release()  # a burst: let the writer batch it
                return
            batch, self._pending = self._pending, []
        self._send(batch)
        with self._lock:
            self._last_send = time.perf_counter()
            if self._pending:
                self._signal.release()  # more came while we wrote: the writer takes over
            else:
                self._busy = False

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        while True:
            with self._lock:
                if not self._busy:
                    self._busy = True
                    self._closed = True
                    self._signal.release()
                    break
            time.sleep(0.001)
        self._thread.join(timeout=10)

    def _send(self, batch: list[bytes]) -> None:
        # If the server is gone, the command reader sees EOF and shuts the worker down.
        with contextlib.suppress(OSError):
            self._sock.sendall(b"".join(batch))

    def _run(self) -> None:
        while True:
            self._signal.acquire()
            since = time.perf_counter() - self._last_send
            if since < BATCH_WINDOW_S:
                time.sleep(BATCH_WINDOW_S - since)  # let the burst gather, for one window at most
            with self._lock:
                batch, self._pending = self._pending, []
                closed = self._closed
            if batch:
                self._send(batch)
            with self._lock:
                self._last_send = time.perf_counter()
                if self._pending and not closed:
                    self._signal.release()
                else:
                    self._busy = False
            if closed:
                return


class Worker:
    """Runs requests against the loaded model."""

    def __init__(self, model: LoadedModel, outbox: Outbox) -> None:
        self.model = model
        self.outbox = outbox
        self.handlers: dict[int, StreamOutputHandler] = {}
        # Idle threads are reused: starting a thread per request costs more than a request's
        # whole hand-off. The server enforces --concurrency; this only bounds runaway growth.
        self.pool = ThreadPoolExecutor(max_workers=4096, thread_name_prefix="infer-request")
        self.running: set[Future[None]] = set()

    def start(self, request: int, payload: bytes) -> None:
        """Run one request on a pool thread."""
        inputs = json.loads(payload)["inputs"]
        # The model as of now: a request keeps the code it started with across a code swap.
        future = self.pool.submit(self._run, request, inputs, self.model)
        self.running.add(future)
        # Runs at once if the request already finished, so nothing stale is ever kept.
        future.add_done_callback(self.running.discard)

    def cancel(self, request: int) -> None:
        """Make the request's next send_streamed_output raise StreamCancelledError."""
        handler = self.handlers.get(request)
        if handler is not None:
            handler.cancelled.set()

    def _run(self, request: int, inputs: dict[str, Any], model: LoadedModel) -> None:
        try:
            argument: Any = inputs
            if model.request_class is not None:
                argument = model.request_class(**inputs)
            if model.streaming:
                self._run_streaming(request, argument, model)
            else:
                result = model.instance.infer(argument)
                self.outbox.put(Kind.RESULT, request, _result_json(to_v2_outputs(result)))
        except StreamCancelledError:
            # Retryable here, unlike the server's own `cancelled`: the worker cannot tell a
            # client that left from a timeout or a shutdown (the server has usually answered).
            payload = error_payload(ErrorCode.CANCELLED, "the request was cancelled", True)
            self._error(request, payload)
        except StreamProtocolError as error:
            self._error(request, error_payload(error.code, error.message))
        except BaseException as error:  # the model's own failure, reported in-band
            log.error("infer() raised:\n%s", traceback.format_exc())
            message = redact(f"{type(error).__name__}: {error}")
            self._error(request, error_payload(ErrorCode.MODEL_ERROR, message))
        finally:
            self.handlers.pop(request, None)

    def _run_streaming(self, request: int, argument: Any, model: LoadedModel) -> None:
        outbox = self.outbox

        def emit(payload: bytes) -> None:
            outbox.put(Kind.EVENT, request, payload)

        handler = StreamOutputHandler(emit)
        self.handlers[request] = handler
        model.instance.infer(argument, handler)
        if handler.failure is not None:
            raise handler.failure
        if handler.cancelled.is_set():
            raise StreamCancelledError()
        if not handler.finalised:
            log.warning(
                "infer() returned without calling finalise_streamed_output(); "
                "the runtime finalised the stream (the platform would hold the request open)"
            )
        outbox.put(Kind.DONE, request, _json({"auto_finalised": not handler.finalised}))

    def _error(self, request: int, payload: dict[str, Any]) -> None:
        self.outbox.put(Kind.ERROR, request, _json(payload))

    def shutdown(self) -> None:
        """Cancel what runs, give it a moment, then finalize()."""
        for request in list(self.handlers):
            self.cancel(request)
        wait(list(self.running), timeout=SHUTDOWN_GRACE_S)
        self.model.call_finalize()


def _check_gpu() -> str | None:
    try:
        import torch
    except ImportError:
        return (
            "--gpu needs PyTorch with CUDA in the model's environment, and torch is not installed"
        )
    if not torch.cuda.is_available():
        return (
            "--gpu was given but no CUDA device is visible to PyTorch "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'})"
        )
    return None


def _fail(
    outbox: Outbox, code: ErrorCode, message: str, fatal: bool = False, detail: str = ""
) -> None:
    failure = {"code": code.value, "message": message, "fatal": fatal, "traceback": detail}
    outbox.put(Kind.INIT_FAILED, 0, _json(failure))
    outbox.close()


def serve_forever(sock: socket.socket, repo: Path, gpu: bool) -> int:
    """The worker's life: load, initialize, serve requests until told to stop."""
    outbox = Outbox(sock)
    if gpu and (problem := _check_gpu()):
        _fail(outbox, ErrorCode.NO_GPU, problem, fatal=True)
        return 1
    os.chdir(repo)
    try:
        model = load_model(repo)
    except BaseException as error:
        _fail(
            outbox, ErrorCode.IMPORT_FAILED, _describe(error, "importing the model"), False, _tb()
        )
        return 1
    hello = {
        "streaming": model.streaming,
        "inputs": [spec.to_metadata() for spec in model.inputs],
        "pid": os.getpid(),
    }
    outbox.put(Kind.HELLO, 0, _json(hello))
    try:
        model.instance.initialize()
    except BaseException as error:
        _fail(outbox, ErrorCode.INITIALIZE_FAILED, _describe(error, "initialize()"), False, _tb())
        return 1
    outbox.put(Kind.READY, 0, _json({"device": model_device()}))
    worker = Worker(model, outbox)
    if not _read_commands(sock, worker, repo):
        # The server is gone without a word: nobody waits for finalize(); don't hang on it.
        _exit_after(SHUTDOWN_GRACE_S, "the server went away")
    worker.shutdown()
    outbox.close()
    return 0


def _read_commands(sock: socket.socket, worker: Worker, repo: Path) -> bool:
    """Run commands until SHUTDOWN (returns True) or until the server goes away (False)."""
    decoder = FrameDecoder()
    while True:
        try:
            data = sock.recv(1 << 16)
        except OSError:
            return False
        if not data:
            return False
        for kind, request, payload in decoder.feed(data):
            if kind == Kind.INFER:
                worker.start(request, payload)
            elif kind == Kind.CANCEL:
                worker.cancel(request)
            elif kind == Kind.SWAP:  # before any later INFER: those run the new code
                worker.model, reply, body = swap_reply(repo, worker.model)
                worker.outbox.put(reply, 0, body)
            elif kind == Kind.SHUTDOWN:
                return True


def _exit_after(seconds: float, reason: str) -> None:
    """Exit the process in ``seconds`` whatever the model's threads are doing."""

    def expire() -> None:
        log.warning("%s and shutdown took over %.0f s; exiting", reason, seconds)
        os._exit(0)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def die_with_parent(parent_pid: int) -> None:
    """Make sure this process ends when the server does, even if the server is SIGKILLed.

    On Linux the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG); everywhere the
    command socket's EOF ends the worker too (see _read_commands). If the parent is already
    gone by the time the request is made, exit now.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def _describe(error: BaseException, during: str) -> str:
    return redact(f"{during} raised {type(error).__name__}: {error}")


def _tb() -> str:
    return redact(traceback.format_exc())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the worker process."""
    parser = argparse.ArgumentParser(prog="infer-worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args(argv)
    if args.parent_pid:
        die_with_parent(args.parent_pid)
    # Ctrl-C reaches the whole process group; the server decides when the worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)-7s worker  %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    cap_log_lines()
    install_redaction()  # values of the variables `infer serve` passed never reach its output
    sock = socket.socket(fileno=args.fd)
    return serve_forever(sock, args.repo.resolve(), args.gpu)
