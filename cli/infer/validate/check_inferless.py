"""INF4xx: inferless.yaml, the model's name and deployment configuration."""

from __future__ import annotations

from pathlib import Path

from infer.repo.inferless_settings import DEFAULT_INFERENCE_TIME_S, inference_time_seconds
from infer.repo.sources import INFERLESS_FILE, MODEL_NAME_PATTERN, ParseFailure, parse_yaml, present
from infer.repo.suggest import did_you_mean
from infer.validate.findings import Finding
from infer.validate.rules import rule
from infer.validate.unreadable import failure_finding

PATH = INFERLESS_FILE
REQUIRED_KEYS = ("name", "configuration")
TOP_KEYS = (
    "version",
    "name",
    "import_source",
    "source_framework_type",
    "configuration",
    "env",
    "secrets",
    "optional",
    "io_schema",
    "model_url",
    "provider",
)
OPTIONAL_FILE_KEYS = ("input_file_name", "output_file_name")


def minimal_inferless_yaml(repo: Path) -> str:
    """The smallest inferless.yaml this validator accepts, named after the repo's folder."""
    name = repo.resolve().name
    if not MODEL_NAME_PATTERN.match(name):
        name = "my-model"
    return f'name: {name}\nconfiguration:\n  inference_time: "{DEFAULT_INFERENCE_TIME_S:g}"\n'


def check_inferless_yaml(repo: Path) -> list[Finding]:
    """Check inferless.yaml: present, parses, has its keys, and its numbers and files are real."""
    path = repo / INFERLESS_FILE
    if not present(path):
        return [
            rule("INF401").at(
                PATH,
                1,
                1,
                "inferless.yaml is missing: it is needed only to deploy with the platform's CLI "
                "(repos imported through the console or Git work without it)",
                "to deploy with the platform's CLI, create inferless.yaml holding:\n"
                + minimal_inferless_yaml(repo),
            )
        ]
    document = parse_yaml(path)
    if isinstance(document, ParseFailure):
        return [failure_finding(document, PATH, "INF400")]
    data = document.data if isinstance(document.data, dict) else {}
    findings = []
    for key in REQUIRED_KEYS:
        if key not in data:
            findings.append(
                rule("INF402").at(
                    PATH, 1, 1, f"inferless.yaml has no {key!r}", f"add a top-level {key}: entry"
                )
            )
    for key in data:
        if str(key) not in TOP_KEYS:
            findings.append(
                rule("INF405").at(
                    PATH,
                    *document.position(str(key)),
                    f"unknown key {key!r}{did_you_mean(str(key), TOP_KEYS)}",
                    f"known keys: {', '.join(TOP_KEYS)}",
                )
            )
    name = data.get("name")
    if "name" in data and not (isinstance(name, str) and MODEL_NAME_PATTERN.match(name)):
        findings.append(
            rule("INF406").at(
                PATH,
                *document.position("name"),
                f"name {name!r} is not a valid model name",
                "use 1-63 letters, digits, '.', '_' or '-'",
            )
        )
    configuration = data.get("configuration")
    if isinstance(configuration, dict):
        value = configuration.get("inference_time")
        if "inference_time" not in configuration:
            findings.append(
                rule("INF402").at(
                    PATH,
                    *document.position("configuration"),
                    "configuration has no 'inference_time'",
                    f'add inference_time: "{DEFAULT_INFERENCE_TIME_S:g}" '
                    "(seconds a request may take)",
                )
            )
        elif inference_time_seconds(value) is None:
            findings.append(
                rule("INF403").at(
                    PATH,
                    *document.position("configuration", "inference_time"),
                    f"configuration.inference_time is {value!r}, not a positive number of seconds",
                    f'e.g. inference_time: "{DEFAULT_INFERENCE_TIME_S:g}"',
                )
            )
    elif "configuration" in data:
        findings.append(
            rule("INF402").at(
                PATH,
                *document.position("configuration"),
                "configuration must be a mapping",
                "indent gpu_type:, inference_time: and the rest under configuration:",
            )
        )
    optional = data.get("optional")
    if isinstance(optional, dict):
        for key in OPTIONAL_FILE_KEYS:
            file_name = optional.get(key)
            if isinstance(file_name, str) and not present(repo / file_name):
                findings.append(
                    rule("INF404").at(
                        PATH,
                        *document.position("optional", key),
                        f"optional.{key} names {file_name!r}, which does not exist in the repo",
                        f"create {file_name} or remove the {key} line",
                    )
                )
    return findings
