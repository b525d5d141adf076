"""What `infer serve` reads from a repo before starting: the model name and inference_time.

Runs in the server process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infer.errors import NotAModelRepoError
from infer.repo.inferless_settings import DEFAULT_INFERENCE_TIME_S, inference_time_seconds
from infer.repo.sources import (
    APP_FILE,
    INFERLESS_FILE,
    MODEL_NAME_PATTERN,
    YamlDocument,
    parse_yaml,
)


@dataclass(frozen=True)
class RepoSettings:
    """The served model's name and request time limit, and why they are what they are."""

    name: str
    inference_time_s: float
    warnings: tuple[str, ...] = ()


def read_repo_settings(repo: Path) -> RepoSettings:
    """Read inferless.yaml if present; fall back to the folder name and 180 s."""
    if not (repo / APP_FILE).is_file():
        raise NotAModelRepoError(
            f"{repo} has no app.py, so there is no model to serve",
            hint="point at the model repo folder, or create one with `infer init NAME`",
        )
    name = repo.resolve().name
    seconds = DEFAULT_INFERENCE_TIME_S
    warnings: list[str] = []
    path = repo / INFERLESS_FILE
    document = parse_yaml(path) if path.is_file() else None
    if isinstance(document, YamlDocument) and isinstance(document.data, dict):
        data = document.data
        if isinstance(data.get("name"), str) and MODEL_NAME_PATTERN.match(data["name"]):
            name = data["name"]
        configuration = data.get("configuration")
        if isinstance(configuration, dict) and "inference_time" in configuration:
            parsed = inference_time_seconds(configuration["inference_time"])
            if parsed is None:
                warnings.append(
                    f"inference_time {configuration['inference_time']!r} is not a positive "
                    f"number; using {DEFAULT_INFERENCE_TIME_S:g} s"
                )
            else:
                seconds = parsed
    elif document is not None:
        warnings.append(
            f"{INFERLESS_FILE} could not be read (run `infer validate`); using defaults"
        )
    return RepoSettings(name, seconds, tuple(warnings))
