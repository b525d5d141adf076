"""Which tests must share one pytest-xdist worker, and the scheduler that keeps them together.

The Ray tests share one two-node cluster (a session fixture: a second worker would start a
second cluster), and the SmolLM2 tests share the model cache the first of them fills (two
workers would convert the GGUF twice at once). Each group runs on one worker, in order, and
starts first (the scheduler hands out the biggest units first); every other test is balanced
on its own.

xdist's own `--dist loadgroup` would read `xdist_group` marks, but it passes them by rewriting
node ids, which pytest 9.2 no longer allows (pytest-dev/pytest-xdist#1386): the groups are
named by node id here, and collection checks them against the `ray` and `model` markers.
"""

from __future__ import annotations

from typing import Any

# Node id prefixes (a file, or a file::test) and the group each belongs to.
GROUPS = {
    "tests/engines/test_ray_serve.py::": "ray-cluster",
    "tests/engines/test_ray_deploy.py::": "ray-cluster",
    "tests/playground/test_real_model_page.py::": "smollm2",
    "tests/runtime/openai/test_openai_smollm2.py::": "smollm2",
    "tests/templates/test_streaming_cpu_template.py::test_real_smollm2_": "smollm2",
}
# A test with one of these markers must be in that group.
MARKER_GROUPS = {"ray": "ray-cluster", "model": "smollm2"}


def group_of(nodeid: str) -> str | None:
    """The group a test belongs to, or None for a test that can run anywhere."""
    for prefix, group in GROUPS.items():
        if nodeid.startswith(prefix):
            return group
    return None


def misplaced(nodeid: str, markers: set[str]) -> str | None:
    """Why a test's markers and its group disagree (None when they agree)."""
    for marker, group in MARKER_GROUPS.items():
        if marker in markers and group_of(nodeid) != group:
            return f"{nodeid} is marked {marker!r}: add it to GROUPS in {__name__} ({group!r})"
    return None


def make_scheduler(config: Any, log: Any) -> Any:
    """A load-balancing scheduler that sends each group to one worker as one unit."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedSetupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or nodeid

    return SharedSetupScheduling(config, log)
