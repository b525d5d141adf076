"""One small hierarchy of errors, rendered once at the CLI edge."""

from __future__ import annotations


class InferError(Exception):
    """Base of every error a user may see; the message says what happened and what to do."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(InferError):
    """The command line asked for something impossible (exit code 2)."""

    exit_code = 2


class ScaffoldError(UsageError):
    """`infer init` cannot write the requested repo."""


class NotAModelRepoError(InferError):
    """The path given is not a model repo at all (exit code 2)."""

    exit_code = 2


class ClientError(InferError):
    """`infer stream` could not talk to the server."""


class EnvironmentBuildError(InferError):
    """An isolated environment could not be built from python_packages."""


class EnvironmentMismatchError(InferError):
    """--strict-env: the worker's environment differs from the runtime config."""
