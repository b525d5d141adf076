"""Importing the user's model in the worker, and learning its schema and streaming flag.

Runs in the worker process.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import typing
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from infer.repo.datatypes import InputSpec
from infer.repo.sources import APP_FILE, SCHEMA_FILE, inferless_class
from infer.runtime.worker import inferless_shim

PYDANTIC_TYPES: dict[type, str] = {str: "STRING", int: "INT", float: "FLOAT", bool: "BOOLEAN"}


@dataclass
class LoadedModel:
    """The user's model class instance and what the runtime needs to call it."""

    instance: Any
    streaming: bool
    inputs: list[InputSpec]
    request_class: type | None

    def call_finalize(self) -> None:
        """finalize(self, args) or finalize(self), whichever the model defined."""
        finalize = getattr(self.instance, "finalize", None)
        if finalize is None:
            return
        try:
            inspect.signature(finalize).bind({})
        except TypeError:
            finalize()
        else:
            finalize({})


def load_model(repo: Path) -> LoadedModel:
    """Import app.py (and input_schema.py) from ``repo`` and instantiate the model."""
    sys.path.insert(0, str(repo))
    inferless_shim.install()
    schema_module = _import("input_schema") if (repo / SCHEMA_FILE).is_file() else None
    app_module = _import("app")
    model_class = getattr(app_module, "InferlessPythonModel", None)
    if model_class is None:
        raise LookupError(f"{repo / APP_FILE} defines no class InferlessPythonModel")
    streaming, inputs, request_class = model_interface(app_module, schema_module, repo / APP_FILE)
    return LoadedModel(model_class(), streaming, inputs, request_class)


def model_interface(
    app_module: ModuleType, schema_module: ModuleType | None, app_path: Path
) -> tuple[bool, list[InputSpec], type | None]:
    """The streaming flag, the inputs and the pydantic request class (if any) of a model."""
    flag_source = schema_module if hasattr(schema_module, "IS_STREAMING_OUTPUT") else app_module
    streaming = bool(getattr(flag_source, "IS_STREAMING_OUTPUT", False))
    request_class = None
    if schema_module is not None and hasattr(schema_module, "INPUT_SCHEMA"):
        inputs = schema_inputs(schema_module.INPUT_SCHEMA)
    else:
        request_class = _request_class(app_module, app_path)
        inputs = pydantic_inputs(request_class) if request_class else []
    return streaming, inputs, request_class


def _import(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def schema_inputs(schema: dict[str, dict[str, Any]]) -> list[InputSpec]:
    """InputSpecs from an INPUT_SCHEMA dict."""
    return [
        InputSpec(
            name=str(name),
            datatype=str(entry.get("datatype", "STRING")),
            required=bool(entry.get("required", True)),
            shape=tuple(int(dim) for dim in entry.get("shape", [1])),
            example=tuple(entry.get("example") or ()),
        )
        for name, entry in schema.items()
    ]


def _request_class(module: ModuleType, app_path: Path) -> type | None:
    for value in vars(module).values():
        if inspect.isclass(value) and getattr(value, "__inferless_role__", None) == "request":
            return value
    # The real SDK may mark classes differently: find the decorated class in the source.
    node = inferless_class(ast.parse(app_path.read_text(encoding="utf-8")), "request")
    found = getattr(module, node.name, None) if node else None
    return found if inspect.isclass(found) else None


def pydantic_inputs(request_class: type) -> list[InputSpec]:
    """InputSpecs from a pydantic request class, the way the platform's SDK maps types."""
    specs = []
    fields: dict[str, Any] = getattr(request_class, "model_fields", {})
    for name, info in fields.items():
        annotation = info.annotation
        required = True
        shape: tuple[int, ...] = (1,)
        args = typing.get_args(annotation)
        if type(None) in args:
            required = False
            annotation = next(arg for arg in args if arg is not type(None))
        if typing.get_origin(annotation) in (list, typing.List):  # noqa: UP006
            shape = (-1,)
            annotation = (typing.get_args(annotation) or (str,))[0]
        datatype = PYDANTIC_TYPES.get(annotation, "STRING")
        default = info.default
        example = () if default is None or repr(default) == "PydanticUndefined" else (default,)
        specs.append(InputSpec(name, datatype, required, shape, example))
    return specs
