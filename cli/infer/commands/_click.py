"""The Click classes behind every command: one error style and honest help.

Typer prints Click's usage errors in a rich panel and uncaught exceptions as a rich traceback.
Here both become the `error:` / `hint:` lines every command prints for an InferError; the
traceback panel appears only under `--log-level debug` (or ``INFER_LOG_LEVEL=debug``), as ruff
and uv print tracebacks only when asked. Flags lose the ``<bool>`` metavar Typer gives them:
``--gpu`` takes no value, so the help must not suggest one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from infer.commands._edge import report_error, stderr
from infer.errors import InferError, UsageError

# Recent Typer vendors its own Click; its BadParameter derives from that Click's ClickException
# (and from click's own in older Typer), so this finds the right class either way.
ClickException: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)

BUG_HINT = (
    "this is a bug in infer: rerun with --log-level debug (or INFER_LOG_LEVEL=debug) for the "
    "traceback, and paste it with the output of `infer doctor` into the bug report"
)


def debug_requested(args: Sequence[str]) -> bool:
    """True when the command line or the environment asks for debug logging."""
    if os.environ.get("INFER_LOG_LEVEL", "").lower() == "debug":
        return True
    for index, arg in enumerate(args):
        if arg.lower() == "--log-level=debug":
            return True
        if arg == "--log-level" and index + 1 < len(args) and args[index + 1].lower() == "debug":
            return True
    return False


def _hide_flag_metavars(params: list[Any]) -> None:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""


def _sentence_case(message: str) -> str:
    # Click says "No such option"; our messages start lower-case like ruff's and uv's.
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return message[0].lower() + message[1:]
    return message


def usage_error_from_click(error: Any) -> InferError:
    """Click's complaint about the command line, as an InferError with a hint."""
    message = _sentence_case(error.format_message())
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "infer"
    return UsageError(message, hint=f"see `{command} --help`")


class InferCommand(TyperCommand):
    """A subcommand whose flags show no metavar."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The declared parameters plus --help (added here by Click), flags without a metavar."""
        params: list[Any] = super().get_params(ctx)
        _hide_flag_metavars(params)
        return params


class InferGroup(TyperGroup):
    """The root group: renders every error of every command in one style."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The declared parameters plus --help (added here by Click), flags without a metavar."""
        params: list[Any] = super().get_params(ctx)
        _hide_flag_metavars(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A subcommand (of a nested group too), its flags without a metavar."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _hide_flag_metavars([*command.params, command.get_help_option(ctx)])
        return command

    def main(self, args: Sequence[str] | None = None, *pargs: Any, **kwargs: Any) -> Any:
        """Run the command line; errors become `error:` / `hint:` lines and an exit code."""
        argv = list(sys.argv[1:] if args is None else args)
        standalone = kwargs.pop("standalone_mode", True)
        try:
            kwargs["standalone_mode"] = False
            outcome = super().main(argv, *pargs, **kwargs)
            # Without standalone mode Click returns the code of a typer.Exit, else our None.
            code = outcome if isinstance(outcome, int) else 0
        except ClickException as error:
            # `infer` alone has already printed the help; there is nothing wrong to report.
            if type(error).__name__ != "NoArgsIsHelpError":
                report_error(usage_error_from_click(error))
            code = int(getattr(error, "exit_code", 2))
        except typer.Abort:
            stderr.print("[bold red]error:[/] aborted")
            code = 130
        except Exception as error:
            if debug_requested(argv):
                stderr.print_exception(show_locals=False)
            report_error(InferError(f"unexpected {type(error).__name__}: {error}", hint=BUG_HINT))
            code = 1
        if standalone:
            sys.exit(code)
        return code
