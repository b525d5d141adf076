"""The worker's half of a code-only reload: re-import app.py into a fresh module and move the
running model instance's state (its loaded weights) onto an instance of the new class, without
calling ``initialize()``. The server decides beforehand, from the source, that ``initialize()``
is unchanged (see hot_swap.py).

Runs in the worker process.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from infer.environment.redaction import redact
from infer.repo.sources import APP_FILE, MODEL_CLASS
from infer.runtime.wire import Kind
from infer.runtime.worker.loader import LoadedModel, model_interface


class SwapRefusedError(Exception):
    """The new code imported but cannot take over in place: the server restarts the worker."""


def _import_fresh(app_path: Path) -> ModuleType:
    """Execute app.py as a new ``app`` module; the old one stays in place if this fails."""
    spec = importlib.util.spec_from_file_location("app", app_path)
    if spec is None:
        raise ImportError(f"cannot import {app_path}")
    module = importlib.util.module_from_spec(spec)
    # Compiled from the text, not through the loader: a bytecode cache written in the same
    # second as the edit could otherwise be taken for the new source.
    code = compile(app_path.read_text(encoding="utf-8"), str(app_path), "exec")
    previous = sys.modules.get("app")
    sys.modules["app"] = module  # dataclasses and pydantic look their module up while it runs
    try:
        exec(code, module.__dict__)
    except BaseException:
        if previous is not None:
            sys.modules["app"] = previous
        else:
            sys.modules.pop("app", None)
        raise
    return module


def swap_model(repo: Path, current: LoadedModel) -> LoadedModel:
    """The model with app.py's new code and ``current``'s instance attributes (no initialize())."""
    app_path = repo / APP_FILE
    previous = sys.modules.get("app")
    module = _import_fresh(app_path)
    try:
        found = getattr(module, MODEL_CLASS, None)
        if not isinstance(found, type):
            raise SwapRefusedError(f"the new app.py defines no class {MODEL_CLASS}")
        model_class: Any = found  # any class: its own __new__ is called, not type's
        schema = sys.modules.get("input_schema")
        streaming, inputs, request_class = model_interface(module, schema, app_path)
        if streaming != current.streaming:
            raise SwapRefusedError("IS_STREAMING_OUTPUT changed")
        if not hasattr(current.instance, "__dict__"):
            raise SwapRefusedError(f"the {MODEL_CLASS} instance has no __dict__ to carry over")
        instance = model_class.__new__(model_class)
        instance.__dict__.update(vars(current.instance))  # the weights, shared, not copied
    except BaseException:
        if previous is not None:
            sys.modules["app"] = previous
        raise
    return LoadedModel(instance, streaming, inputs, request_class)


def swap_reply(repo: Path, current: LoadedModel) -> tuple[LoadedModel, Kind, bytes]:
    """Try the swap; the model to serve from now on, and the frame that tells the server."""
    started = time.perf_counter()
    try:
        model = swap_model(repo, current)
    except SwapRefusedError as error:
        body = {"message": str(error), "restart": True}
        return current, Kind.SWAP_FAILED, json.dumps(body).encode()
    except BaseException as error:  # the user's new module failed: keep the old code
        message = redact(f"importing the new app.py raised {type(error).__name__}: {error}")
        body = {"message": message, "restart": False}
        return current, Kind.SWAP_FAILED, json.dumps(body).encode()
    body = {
        "ms": (time.perf_counter() - started) * 1000,
        "inputs": [spec.to_metadata() for spec in model.inputs],
    }
    return model, Kind.SWAPPED, json.dumps(body).encode()
