"""A stand-in for the platform's `inferless` SDK, used only when it is not installed.

Pydantic-style apps do `import inferless` and decorate their schema classes; locally those
decorators only need to mark the classes so the runtime can find them.

Runs in the worker process.
"""

from __future__ import annotations

import contextlib
import sys
import types
from typing import Any, TypeVar

T = TypeVar("T")


def install() -> None:
    """Make `import inferless` work, unless the real SDK is importable."""
    try:
        import inferless  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        # Without pydantic (an isolated env) `import inferless` then fails by name, clearly.
        with contextlib.suppress(ImportError):
            sys.modules["inferless"] = _build_module()


def _build_module() -> types.ModuleType:
    from pydantic import Field as PydanticField

    module = types.ModuleType("inferless", "Local stand-in for the inferless SDK (infer-cli).")

    def request(cls: T) -> T:
        cls.__inferless_role__ = "request"  # type: ignore[attr-defined]
        return cls

    def response(cls: T) -> T:
        cls.__inferless_role__ = "response"  # type: ignore[attr-defined]
        return cls

    def field(*args: Any, **kwargs: Any) -> Any:
        # The SDK's Field also takes `required` and `example`; pydantic keeps them as extras.
        extra = {key: kwargs.pop(key) for key in ("required", "example") if key in kwargs}
        if extra:
            kwargs["json_schema_extra"] = extra
        return PydanticField(*args, **kwargs)

    module.request = request  # type: ignore[attr-defined]
    module.response = response  # type: ignore[attr-defined]
    module.Field = field  # type: ignore[attr-defined]
    return module
