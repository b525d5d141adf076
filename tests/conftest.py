"""Shared fixtures: a CLI runner and generated model repos."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.scaffold.catalog import list_templates

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_NAMES = [info.name for info in list_templates()]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def infer_command(*args: str) -> list[str]:
    """The argv that runs the installed `infer` in a subprocess."""
    return [sys.executable, "-m", "infer", *args]
