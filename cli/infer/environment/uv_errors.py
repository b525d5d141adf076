"""Reading uv's failure output: which python_packages entry it could not install."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from infer.environment.build_config import PackagePin
from infer.errors import EnvironmentBuildError

# Phrases after which uv names the requirement at fault.
NAMED = re.compile(r"(?:you require|failed to build|failed to download) `?([\w.\-]+)")
HINT_LINES = 6


def build_failure(
    output: Sequence[str], pins: Sequence[PackagePin], requirements: Sequence[str]
) -> EnvironmentBuildError:
    """The error for a failed build, naming the requirement uv complained about."""
    details = "\n".join([line.strip() for line in output if line.strip()][-HINT_LINES:])
    culprit = offending_requirement("\n".join(output), pins, requirements)
    if culprit is None:
        return EnvironmentBuildError("uv could not build the isolated environment", hint=details)
    where = f" ({culprit.where})" if culprit.line else ""
    return EnvironmentBuildError(
        f"python_packages entry {culprit.text!r}{where} cannot be installed", hint=details
    )


def offending_requirement(
    text: str, pins: Sequence[PackagePin], requirements: Sequence[str] = ()
) -> PackagePin | None:
    """The entry uv's error names after "you require"/"failed to build", else any it mentions.

    ``requirements`` are entries infer added itself (no line in the config).
    """
    by_name: dict[str, PackagePin] = {}
    for pin in [*pins, *(PackagePin(text, 0) for text in requirements)]:
        with contextlib.suppress(InvalidRequirement):
            by_name.setdefault(canonicalize_name(Requirement(pin.text).name), pin)
    lowered = text.lower()
    for match in NAMED.finditer(lowered):
        named = by_name.get(canonicalize_name(match.group(1)))
        if named is not None:
            return named
    dashed = lowered.replace("_", "-")
    for name, pin in by_name.items():
        if re.search(rf"(?<![\w.\-]){re.escape(name)}(?![\w\-])", dashed):
            return pin
    return None
