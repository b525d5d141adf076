"""`infer env build|path`: the isolated environment `infer serve --isolated` runs a repo in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from infer.commands._edge import stderr, user_errors

if TYPE_CHECKING:
    from infer.environment.isolated import EnvironmentPlan

app = typer.Typer(
    help="Build or locate the isolated environment of a repo's python_packages (uv).",
    no_args_is_help=True,
)

RepoPath = Annotated[Path, typer.Argument(help="The model repo.")]


def _plan(path: Path) -> EnvironmentPlan:
    from infer.environment.build_config import read_build_config
    from infer.environment.isolated import plan_environment
    from infer.runtime.server.repo_settings import read_repo_settings

    read_repo_settings(path)  # a clear error for a folder that is not a model repo
    repo = path.resolve()
    return plan_environment(repo, read_build_config(repo))


@app.command("build")
def build(path: RepoPath = Path(".")) -> None:
    """Build (or reuse) the environment; prints its folder on stdout.

    [bold]Example:[/] infer env build my-model
    """
    from infer.commands._environment_view import build_progress
    from infer.environment.isolated import ensure_environment

    with user_errors():
        plan = _plan(path)
        with build_progress() as progress:
            outcome = ensure_environment(plan, progress.line)
    verb = "reused" if outcome.reused else "built"
    count = len(plan.requirements)
    stderr.print(
        f"isolated environment {verb} in {outcome.seconds:.1f} s "
        f"({count} requirement{'s' if count != 1 else ''}); its Python: {plan.python}",
        soft_wrap=True,
    )
    typer.echo(str(plan.path))


@app.command("path")
def path_(path: RepoPath = Path(".")) -> None:
    """Print the environment's folder (exit 1 if it is not built yet).

    [bold]Example:[/] $(infer env path my-model)/bin/python -m pip list
    """
    from infer.errors import InferError

    with user_errors():
        plan = _plan(path)
        if not plan.is_built():
            raise InferError(
                f"the isolated environment for {path} is not built yet (it would be {plan.path})",
                hint=f"run `infer env build {path}` or `infer serve {path} --isolated`",
            )
    typer.echo(str(plan.path))
