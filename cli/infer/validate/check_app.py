"""INF3xx: app.py and its InferlessPythonModel, read as a syntax tree and never run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from infer.repo.sources import MODEL_CLASS, all_nodes
from infer.repo.suggest import did_you_mean
from infer.validate.findings import Finding
from infer.validate.rules import rule

PATH = "app.py"
SEND = "send_streamed_output"
FINALISE = "finalise_streamed_output"
# (positional arguments the platform passes, including self) per method and mode.
CALL_ARITY = {"initialize": (1,), "finalize": (1, 2)}


@dataclass(frozen=True)
class HandlerCall:
    """A call of a stream-handler method somewhere in app.py."""

    node: ast.Call
    method: str
    in_finally: bool


def app_streams(tree: ast.Module) -> bool:
    """Whether app.py looks streaming: infer() takes a stream handler, or events are sent."""
    model = _model_class(tree)
    if model is not None:
        for node in model.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "infer":
                positional = [*node.args.posonlyargs, *node.args.args]
                if len(positional) >= 3:
                    return True
    return any(call.method == SEND for call in _handler_calls(tree))


def check_app(tree: ast.Module, streaming: bool | None) -> list[Finding]:
    """Every INF3xx rule on a parsed app.py."""
    model = _model_class(tree)
    if model is None:
        classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
        return [
            rule("INF302").at(
                PATH,
                1,
                1,
                f"app.py defines no class {MODEL_CLASS}{did_you_mean(MODEL_CLASS, classes)}",
                f"the platform instantiates {MODEL_CLASS} from app.py: define it at module level",
            )
        ]
    methods = {
        node.name: node
        for node in model.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    findings = _check_methods(model, methods, streaming)
    calls = list(_handler_calls(tree))
    infer = methods.get("infer")
    if streaming and infer is not None:
        findings += _check_streaming(infer, calls)
    elif streaming is False and infer is not None and any(call.method == SEND for call in calls):
        first = next(call for call in calls if call.method == SEND)
        findings.append(
            _at(
                "INF311",
                first.node,
                f"app.py calls {SEND} but IS_STREAMING_OUTPUT is not True",
                "set IS_STREAMING_OUTPUT = True, or return a dict from infer() instead",
            )
        )
    findings += _check_event_shapes(calls)
    findings += _check_self_state(model, methods)
    findings += _check_hard_cuda(tree)
    return findings


def _at(code: str, node: ast.AST, message: str, hint: str = "") -> Finding:
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0) + 1
    return rule(code).at(PATH, line, col, message, hint)


def _model_class(tree: ast.Module) -> ast.ClassDef | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == MODEL_CLASS:
            return node
    return None


def _check_methods(
    model: ast.ClassDef,
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    streaming: bool | None,
) -> list[Finding]:
    findings = []
    for name in ("initialize", "infer", "finalize"):
        method = methods.get(name)
        if method is None:
            suggestion = did_you_mean(name, methods)
            findings.append(
                _at(
                    "INF303",
                    model,
                    f"{MODEL_CLASS} has no {name}() method{suggestion}",
                    _signature_hint(name, streaming),
                )
            )
            continue
        default_arity = {True: (3,), False: (2,), None: (2, 3)}[streaming]
        arities = CALL_ARITY.get(name, default_arity)
        if not any(_accepts(method.args, count) for count in arities):
            findings.append(
                _at(
                    "INF304",
                    method,
                    f"{name}{_signature_text(method)} cannot be called as the platform calls it",
                    _signature_hint(name, streaming),
                )
            )
    return findings


def _signature_hint(name: str, streaming: bool | None) -> str:
    if name == "infer":
        return (
            "def infer(self, inputs, stream_output_handler):"
            if streaming
            else "def infer(self, inputs): ... return {...}"
        )
    return "def initialize(self):" if name == "initialize" else "def finalize(self, *args):"


def _signature_text(method: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return f"({ast.unparse(method.args)})"


def _accepts(args: ast.arguments, count: int) -> bool:
    """Whether a call with ``count`` positional arguments (self included) binds."""
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    required_kwonly = [
        arg
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None
    ]
    if required_kwonly or count < required:
        return False
    return count <= len(positional) or args.vararg is not None


def _handler_calls(tree: ast.Module) -> Iterator[HandlerCall]:
    finally_nodes: set[int] = set()
    for node in all_nodes(tree):
        if isinstance(node, ast.Try):
            for statement in node.finalbody:
                finally_nodes.update(id(inner) for inner in ast.walk(statement))
    calls = [
        node
        for node in all_nodes(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {SEND, FINALISE, "finalize_streamed_output"}
    ]
    # Source order, so "an earlier event" really is earlier in the file.
    for node in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
        assert isinstance(node.func, ast.Attribute)
        yield HandlerCall(node, node.func.attr, id(node) in finally_nodes)


def _check_streaming(
    infer: ast.FunctionDef | ast.AsyncFunctionDef, calls: list[HandlerCall]
) -> list[Finding]:
    findings = []
    if not any(call.method == SEND for call in calls):
        findings.append(
            _at(
                "INF305",
                infer,
                f"streaming is on but app.py never calls {SEND}",
                f"send each event with stream_output_handler.{SEND}({{'OUT': text}})",
            )
        )
    misspelt = [call for call in calls if call.method == "finalize_streamed_output"]
    finalises = [call for call in calls if call.method == FINALISE]
    if not finalises:
        where: ast.AST = misspelt[0].node if misspelt else infer
        extra = (
            f" (it calls finalize_streamed_output: did you mean {FINALISE!r}?)" if misspelt else ""
        )
        findings.append(
            _at(
                "INF306",
                where,
                f"streaming is on but app.py never calls {FINALISE}(){extra}",
                f"call stream_output_handler.{FINALISE}() in a finally: block, "
                "or the request is never released",
            )
        )
    elif not any(call.in_finally for call in finalises):
        findings.append(
            _at(
                "INF307",
                finalises[0].node,
                f"{FINALISE}() is not in a finally: block, so an exception skips it "
                "and the request hangs",
                f"wrap the streaming loop in try: ... finally: stream_output_handler.{FINALISE}()",
            )
        )
    return findings


def _check_event_shapes(calls: list[HandlerCall]) -> list[Finding]:
    findings = []
    first_keys: tuple[str, ...] | None = None
    for call in calls:
        if call.method != SEND or not call.node.args:
            continue
        event = call.node.args[0]
        if isinstance(event, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Set)):
            findings.append(
                _at(
                    "INF312",
                    event,
                    f"{SEND} is given `{ast.unparse(event)}`, not a dict",
                    'send a dict with the same keys every time, e.g. {"OUT": text}',
                )
            )
            continue
        if not isinstance(event, ast.Dict) or not all(
            isinstance(key, ast.Constant) and isinstance(key.value, str) for key in event.keys
        ):
            continue
        keys = tuple(sorted(str(key.value) for key in event.keys if isinstance(key, ast.Constant)))
        if first_keys is None:
            first_keys = keys
        elif keys != first_keys:
            findings.append(
                _at(
                    "INF310",
                    event,
                    f"this event has keys {list(keys)} but an earlier one has {list(first_keys)}",
                    "every streamed event must have the same keys and value types",
                )
            )
    return findings


def _check_self_state(
    model: ast.ClassDef, methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
) -> list[Finding]:
    findings = []
    for node in ast.walk(model):
        for target, value in _self_assignments(node):
            if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("Streamer"):
                findings.append(
                    _at(
                        "INF308",
                        target,
                        f"{ast.unparse(target)} holds a {ast.unparse(value.func)} shared by every "
                        "request: concurrent requests read each other's tokens",
                        "create the streamer inside infer() as a local variable",
                    )
                )
    infer = methods.get("infer")
    if infer is not None:
        for node in ast.walk(infer):
            for target, value in _self_assignments(node):
                if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("Streamer"):
                    continue  # already reported above
                findings.append(
                    _at(
                        "INF308",
                        target,
                        f"infer() stores per-request state on {ast.unparse(target)}, shared by "
                        "concurrent requests",
                        "keep per-request values in local variables",
                    )
                )
    return findings


def _self_assignments(node: ast.AST) -> Iterator[tuple[ast.Attribute, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if _is_self_attribute(target):
                assert isinstance(target, ast.Attribute)
                yield target, node.value
    elif (
        isinstance(node, ast.AnnAssign)
        and node.value is not None
        and _is_self_attribute(node.target)
    ):
        assert isinstance(node.target, ast.Attribute)
        yield node.target, node.value


def _is_self_attribute(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _check_hard_cuda(tree: ast.Module) -> list[Finding]:
    source_mentions_check = any(
        isinstance(node, ast.Attribute) and node.attr in {"is_available", "device_count"}
        for node in all_nodes(tree)
    )
    if source_mentions_check:
        return []
    return [
        _at(
            "INF309",
            node,
            "a hard .cuda() call with no torch.cuda.is_available() check anywhere in app.py",
            'choose the device once: device = "cuda" if torch.cuda.is_available() else "cpu", '
            "then .to(device)",
        )
        for node in all_nodes(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "cuda"
        and not node.args
    ]
