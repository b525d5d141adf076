"""Variables for the model: inferless.yaml `env`, then `--env-file`, then `--env` (last wins).

The platform injects secrets and settings as environment variables; these are the local
equivalents. Values are kept out of every message: errors name the variable or the line,
never what it holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from infer.errors import UsageError
from infer.repo.sources import INFERLESS_FILE, YamlDocument, parse_yaml

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MAX_ENV_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class ModelVariables:
    """The variables given for the model: where each came from, and (hidden) what it is."""

    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    origins: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The variable names, sorted."""
        return sorted(self.values)


def collect_variables(
    repo: Path, env_args: Sequence[str], env_files: Sequence[Path], shell: Mapping[str, str]
) -> ModelVariables:
    """Merge the three sources; ``shell`` supplies values for bare ``--env NAME``."""
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    notes = _read_inferless_env(repo, values, origins)
    for path in env_files:
        for name, value in read_env_file(path).items():
            values[name], origins[name] = value, f"--env-file {path.name}"
    for position, argument in enumerate(env_args, start=1):
        name, value = parse_env_argument(argument, position, shell)
        values[name], origins[name] = value, "--env"
    return ModelVariables(values, origins, tuple(notes))


def parse_env_argument(argument: str, position: int, shell: Mapping[str, str]) -> tuple[str, str]:
    """``KEY=VALUE``, or ``KEY`` alone to pass the shell's value (as `docker run -e` does)."""
    name, has_value, value = argument.partition("=")
    if not NAME.match(name):
        shown = repr(name) if has_value else f"number {position}"
        raise UsageError(
            f"--env {shown} is not a valid environment variable name",
            hint="write --env NAME=VALUE (letters, digits and _, not starting with a digit)",
        )
    if has_value:
        return name, value
    if name not in shell:
        raise UsageError(
            f"--env {name} takes its value from your shell, where {name} is not set",
            hint=f"pass --env {name}=VALUE, export {name} first, or use --env-file",
        )
    return name, shell[name]


def read_env_file(path: Path) -> dict[str, str]:
    """A dotenv file's variables (``KEY=VALUE`` lines, quotes, ``export``, ``${VAR}``)."""
    from dotenv import dotenv_values

    try:
        size = path.stat().st_size
    except OSError as error:
        raise UsageError(f"--env-file {path}: cannot read it ({error.strerror})") from None
    if size > MAX_ENV_FILE_BYTES:
        raise UsageError(f"--env-file {path} is {size} bytes; the limit is 1 MiB")
    parsed = dotenv_values(path, encoding="utf-8")
    values: dict[str, str] = {}
    for name, value in parsed.items():
        if not NAME.match(name):
            raise UsageError(f"--env-file {path}: {name!r} is not a valid variable name")
        if value is None:
            raise UsageError(f"--env-file {path}: {name} has no value", hint=f"write {name}=VALUE")
        values[name] = value
    return values


def _read_inferless_env(repo: Path, values: dict[str, str], origins: dict[str, str]) -> list[str]:
    path = repo / INFERLESS_FILE
    document = parse_yaml(path) if path.is_file() else None
    if not isinstance(document, YamlDocument) or not isinstance(document.data, dict):
        return []
    env = document.data.get("env")
    if env is None or env == {}:
        return []
    if not isinstance(env, dict):
        return [f"{INFERLESS_FILE}: `env` is not a mapping of NAME: value; ignored"]
    notes = []
    for name, value in env.items():
        line = document.position("env", str(name))[0]
        if not isinstance(name, str) or not NAME.match(name):
            notes.append(f"{INFERLESS_FILE}:{line}: {name!r} is not a valid variable name")
        elif isinstance(value, (dict, list)) or value is None:
            notes.append(f"{INFERLESS_FILE}:{line}: env {name} needs a plain value; ignored")
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            values[name], origins[name] = text, INFERLESS_FILE
    return notes
