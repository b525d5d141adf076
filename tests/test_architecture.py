"""The layering docs/architecture.md promises, checked on the source's imports (never run).

- ``runtime/server`` and ``runtime/worker`` are two processes: neither imports the other; what
  they share inside ``runtime`` is ``runtime/wire.py``.
- ``validate`` and ``runtime`` never import ``scaffold`` (which renders with Jinja2), nor each
  other: what both need about a repo lives in ``infer.repo``.
- ``protocol`` (error codes, message caps) imports no other layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import infer

PACKAGE = Path(infer.__file__).resolve().parent


def _imports(path: Path, package_root: Path = PACKAGE) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, lazy ones included."""
    module = ".".join(path.relative_to(package_root.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _offenders(folder: str, forbidden: tuple[str, ...], package_root: Path = PACKAGE) -> list[str]:
    offenders = []
    for path in sorted((package_root / folder).rglob("*.py")):
        for name in sorted(_imports(path, package_root)):
            if name.startswith(forbidden):
                offenders.append(f"{path.relative_to(package_root)} imports {name}")
    return offenders


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("runtime/worker", ("infer.runtime.server",)),
        ("runtime/server", ("infer.runtime.worker",)),
        ("runtime", ("infer.scaffold", "infer.validate", "infer.commands", "infer.app")),
        ("engines", ("infer.scaffold", "infer.validate", "infer.commands", "infer.app")),
        ("validate", ("infer.scaffold", "infer.runtime", "infer.commands", "infer.app")),
        ("protocol", ("infer.runtime", "infer.client", "infer.validate", "infer.scaffold")),
        ("client", ("infer.runtime", "infer.scaffold", "infer.validate")),
    ],
)
def test_layers_import_only_what_they_may(folder: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(folder, forbidden) == []


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    # Guards the guard: an import inside a function, or a relative one, still counts.
    worker = tmp_path / "infer" / "runtime" / "worker"
    worker.mkdir(parents=True)
    (worker / "lazy.py").write_text("def f():\n    from infer.runtime.server import app\n")
    (worker / "relative.py").write_text("from ..server.sse import framing\n")
    found = _offenders("runtime/worker", ("infer.runtime.server",), tmp_path / "infer")
    assert found == [
        "runtime/worker/lazy.py imports infer.runtime.server",
        "runtime/worker/lazy.py imports infer.runtime.server.app",
        "runtime/worker/relative.py imports infer.runtime.server.sse",
        "runtime/worker/relative.py imports infer.runtime.server.sse.framing",
    ]


def test_only_the_wire_module_is_shared_inside_the_runtime() -> None:
    shared = sorted(p.name for p in (PACKAGE / "runtime").glob("*.py") if p.name != "__init__.py")
    assert shared == ["wire.py"]
    for side in ("server", "worker"):
        assert "infer.runtime.wire" in set().union(
            *(_imports(p) for p in (PACKAGE / "runtime" / side).rglob("*.py"))
        )


@pytest.mark.parametrize("side", ["server", "worker"])
def test_every_runtime_module_says_which_process_it_runs_in(side: str) -> None:
    unsaid = []
    for path in sorted((PACKAGE / "runtime" / side).rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if f"Runs in the {side} process." not in docstring:
            unsaid.append(str(path.relative_to(PACKAGE)))
    assert unsaid == [], f'add "Runs in the {side} process." to these docstrings'
