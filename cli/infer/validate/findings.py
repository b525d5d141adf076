"""Diagnostics as data: one Finding per problem, rendered by text, JSON or GitHub renderers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is: errors break a deploy, warnings probably will."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem at one place, with the rule that found it and how to fix it."""

    code: str
    severity: Severity
    path: str
    line: int
    col: int
    message: str
    hint: str = ""

    def to_json(self) -> dict[str, object]:
        """The finding as the stable JSON schema documents it."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data
