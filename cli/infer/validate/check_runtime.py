"""INF2xx: inferless-runtime-config.yaml, the build the platform makes for the model."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from infer.repo.sources import (
    RUNTIME_CONFIG_FILE,
    ParseFailure,
    YamlDocument,
    parse_yaml,
    present,
)
from infer.repo.suggest import did_you_mean
from infer.validate.findings import Finding
from infer.validate.rules import rule
from infer.validate.unreadable import failure_finding

STREAMING_CUDA = "12.4.1"
TOP_KEYS = ("build",)
BUILD_KEYS = ("cuda_version", "system_packages", "python_packages", "run")
PATH = RUNTIME_CONFIG_FILE


def check_runtime_config(repo: Path, streaming: bool | None) -> list[Finding]:
    """Check the runtime config; ``streaming`` tightens the CUDA rule."""
    path = repo / RUNTIME_CONFIG_FILE
    if not present(path):
        if not streaming:
            return []
        return [
            rule("INF201").at(
                PATH,
                1,
                1,
                f"streaming is on but there is no {RUNTIME_CONFIG_FILE}",
                f'create it with build: cuda_version: "{STREAMING_CUDA}" (streaming needs it)',
            )
        ]
    document = parse_yaml(path)
    if isinstance(document, ParseFailure):
        return [failure_finding(document, PATH, "INF200")]
    findings: list[Finding] = []
    data = document.data
    build = data.get("build") if isinstance(data, dict) else None
    if not isinstance(build, dict):
        findings.append(
            rule("INF202").at(
                PATH,
                *document.position("build"),
                "there is no `build` mapping at the top of the runtime config",
                f'start with build: and indent cuda_version: "{STREAMING_CUDA}" under it',
            )
        )
        return findings
    findings += _unknown_keys(document, data, TOP_KEYS, ())
    findings += _unknown_keys(document, build, BUILD_KEYS, ("build",))
    findings += _check_cuda(document, build, streaming)
    for key in ("system_packages", "python_packages"):
        findings += _check_package_list(document, build, key)
    return findings


def _unknown_keys(
    document: YamlDocument,
    mapping: dict[object, object],
    known: tuple[str, ...],
    at: tuple[str, ...],
) -> list[Finding]:
    findings = []
    for key in mapping:
        if str(key) not in known:
            where = ".".join((*at, str(key)))
            findings.append(
                rule("INF209").at(
                    PATH,
                    *document.position(*at, str(key)),
                    f"unknown key {where!r}{did_you_mean(str(key), known)}",
                    f"known keys here: {', '.join(known)}",
                )
            )
    return findings


def _check_cuda(
    document: YamlDocument, build: dict[str, object], streaming: bool | None
) -> list[Finding]:
    at = document.position("build", "cuda_version")
    if "cuda_version" not in build:
        return [
            rule("INF203").at(
                PATH,
                *document.position("build"),
                "build.cuda_version is missing",
                f'add cuda_version: "{STREAMING_CUDA}" under build',
            )
        ]
    version = build["cuda_version"]
    if not isinstance(version, str):
        kind = "a float" if isinstance(version, float) else type(version).__name__
        return [
            rule("INF204").at(
                PATH,
                *at,
                f"build.cuda_version is {version!r}, which YAML reads as {kind}, not a string",
                f'quote it: cuda_version: "{STREAMING_CUDA}"',
            )
        ]
    if streaming and version != STREAMING_CUDA:
        return [
            rule("INF205").at(
                PATH,
                *at,
                f'streaming requires cuda_version "{STREAMING_CUDA}", this says {version!r}',
                f'set cuda_version: "{STREAMING_CUDA}" (the platform rejects streaming otherwise)',
            )
        ]
    return []


def _check_package_list(
    document: YamlDocument, build: dict[str, object], key: str
) -> list[Finding]:
    if key not in build or build[key] is None:
        return []
    packages = build[key]
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        return [
            rule("INF206").at(
                PATH,
                *document.position("build", key),
                f"build.{key} must be a list of strings",
                f'write each package on its own line: {key}:\\n    - "name==1.2.3"',
            )
        ]
    if key != "python_packages":
        return []
    findings = []
    for index, text in enumerate(packages):
        at = document.item_position(index, "build", key)
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            findings.append(
                rule("INF207").at(
                    PATH,
                    *at,
                    f"python package {text!r} is not a valid requirement: {error}",
                    'use pip syntax, e.g. "transformers==4.41.1"',
                )
            )
            continue
        pinned = requirement.url or any(s.operator in {"==", "==="} for s in requirement.specifier)
        if not pinned:
            findings.append(
                rule("INF208").at(
                    PATH,
                    *at,
                    f"python package {text!r} is not pinned",
                    f'pin it ("{requirement.name}==X.Y.Z") so every build gets the same version',
                )
            )
    return findings
