"""scripts/mutants: prove that the tests catch a list of plausible bugs (a developer check, not CI).

Each mutant is one textual edit of one source file. The tree (tracked files and untracked ones
git does not ignore) is copied to a temporary folder, so the working tree is never touched; the
unmutated copy must pass the targeted tests first. Then each mutant is applied to the copy in
turn, only the test files named for it run (``PYTHONPATH`` puts the copy's ``cli`` first, for
subprocesses too), and the edit is undone. A mutant is killed when its tests fail.

One line per mutant, then a summary. Exit 0 when every mutant is killed, 1 when any survived or
no longer applies (its text is gone from the source), 2 when the unmutated copy fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PER_TEST_TIMEOUT_S = 120  # a mutant that makes a test hang fails it (pytest-timeout) after this


@dataclass(frozen=True)
class Mutant:
    """Replace ``before`` (which must occur exactly once in ``path``) by ``after``."""

    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


STATS = "cli/infer/client/stats.py"
STREAMS = "cli/infer/runtime/server/sse/streams.py"
SLOTS = "cli/infer/runtime/server/slots.py"
REPLAY_TESTS = ("tests/runtime/test_replay_buffer.py",)

MUTANTS = [
    # The four the issue found surviving.
    Mutant(
        "stream command unregistered",
        "cli/infer/app.py",
        'app.command("stream", cls=InferCommand)(stream_command.stream)\n',
        "",
        ("tests/commands/test_command_registry.py",),
    ),
    Mutant(
        "percentile one rank high",
        STATS,
        "math.ceil(fraction * len(ordered) - 1e-9) - 1))",
        "math.ceil(fraction * len(ordered) - 1e-9)))",
        ("tests/client/test_stats.py",),
    ),
    Mutant(
        "percentile of unsorted values",
        STATS,
        "return nearest_rank(sorted(values), fraction)",
        "return nearest_rank(values, fraction)",
        ("tests/client/test_stats.py",),
    ),
    Mutant(
        "boolean --input swapped",
        "cli/infer/repo/text_values.py",
        "in TRUE_WORDS:\n            return True\n        if text.lower() in FALSE_WORDS:\n"
        "            return False",
        "in TRUE_WORDS:\n            return False\n        if text.lower() in FALSE_WORDS:\n"
        "            return True",
        ("tests/client/test_boolean_inputs.py",),
    ),
    Mutant(
        "finalize_streamed_output alias removed",
        "cli/infer/runtime/worker/handler.py",
        "    finalize_streamed_output = finalise_streamed_output\n",
        "",
        ("tests/runtime/test_finalize_alias.py",),
    ),
    # The replay buffer, event ids and admission slots.
    Mutant(
        "replay starts one event early",
        STREAMS,
        "start = after + 1 - self._base",
        "start = after - self._base",
        REPLAY_TESTS,
    ),
    Mutant(
        "replay skips the first event after the id",
        STREAMS,
        "start = after + 1 - self._base",
        "start = after + 2 - self._base",
        REPLAY_TESTS,
    ),
    Mutant(
        "trimming miscounts the first kept id",
        STREAMS,
        "self._base += self.capacity",
        "self._base += self.capacity - 1",
        REPLAY_TESTS,
    ),
    Mutant(
        "buffer grows one event past its bound",
        STREAMS,
        "if len(frames) >= 2 * self.capacity:",
        "if len(frames) > 2 * self.capacity:",
        REPLAY_TESTS,
    ),
    Mutant(
        "terminal event reuses the last id",
        STREAMS,
        "self.id_prefix, self._next_id, event, json.dumps(data).encode()",
        "self.id_prefix, self._next_id - 1, event, json.dumps(data).encode()",
        REPLAY_TESTS,
    ),
    Mutant(
        "trimmed notice names the wrong first id",
        "cli/infer/runtime/server/sse/response.py",
        '"first_id": missing + 1,',
        '"first_id": missing,',
        REPLAY_TESTS,
    ),
    Mutant(
        "admission queue one longer than its bound",
        SLOTS,
        "if len(self._waiters) >= self._queue_size:",
        "if len(self._waiters) > self._queue_size:",
        ("tests/runtime/test_slots.py",),
    ),
    Mutant(
        "a Slot given back twice frees two places",
        SLOTS,
        "        if self._held:\n            self._held = False\n",
        "        if True:\n            self._held = False\n",
        ("tests/runtime/test_slots.py",),
    ),
    # The layering: the import-weight tests must be able to fail.
    Mutant(
        "validate imports Jinja2",
        "cli/infer/validate/rules.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport jinja2  # noqa: F401\n",
        (
            "tests/validate/test_validate_command.py"
            "::test_validate_imports_neither_the_server_nor_the_model_stack",
        ),
    ),
    Mutant(
        "server imports Jinja2",
        "cli/infer/runtime/server/app.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport jinja2  # noqa: F401\n",
        ("tests/runtime/test_import_weight.py",),
    ),
    Mutant(
        "worker imports Starlette",
        "cli/infer/runtime/worker/process.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport starlette.requests  # noqa: F401\n",
        ("tests/runtime/test_import_weight.py",),
    ),
    Mutant(
        "server imports Jinja2 lazily, per request",
        "cli/infer/runtime/server/app.py",
        'GET with inputs in the query (EventSource)."""\n',  # the end of infer()'s docstring
        'GET with inputs in the query (EventSource)."""\n    import jinja2  # noqa: F401\n',
        ("tests/runtime/test_import_weight.py",),
    ),
    Mutant(
        "worker imports Starlette lazily, per request",
        "cli/infer/runtime/worker/process.py",
        "            argument: Any = inputs\n",
        "            import starlette.requests  # noqa: F401\n            argument: Any = inputs\n",
        ("tests/runtime/test_import_weight.py",),
    ),
]


def copy_tree(target: Path) -> None:
    """The working tree's files (tracked, and untracked but not ignored) into ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = ROOT / os.fsdecode(raw)
        if source.is_file():  # a file deleted but not yet staged is listed too
            destination = target / os.fsdecode(raw)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def run_tests(
    tree: Path, tests: tuple[str, ...], every: bool = False
) -> tuple[int, list[str], float]:
    """pytest on ``tests`` in ``tree`` (to the first failure unless ``every``): exit code, the
    failed tests' ids, seconds."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "cli"), str(tree)])}
    command = [
        sys.executable,
        *("-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"),
        *(() if every else ("-x",)),
        *("-o", f"timeout={PER_TEST_TIMEOUT_S}"),
        *tests,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    failed = re.findall(r"^FAILED (\S+)", done.stdout, flags=re.MULTILINE)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
    return done.returncode, failed, time.perf_counter() - started


def imports_from(tree: Path) -> bool:
    """Whether a Python started like the tests' subprocesses imports ``infer`` from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "cli")}
    where = subprocess.run(
        [sys.executable, "-c", "import infer; print(infer.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(where).resolve().is_relative_to(tree.resolve())


def apply(tree: Path, mutant: Mutant) -> str | None:
    """Apply ``mutant`` in ``tree``; returns the original text, None if it no longer applies."""
    path = tree / mutant.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.before) != 1:
        return None
    path.write_text(original.replace(mutant.before, mutant.after), encoding="utf-8")
    return original


def main() -> int:
    """Run the selected mutants (all by default) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only mutants whose name contains these")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--every", action="store_true", help="run every targeted test, not up to the first failure"
    )
    options = parser.parse_args()
    chosen = [m for m in MUTANTS if not options.names or any(n in m.name for n in options.names)]
    if options.list or not chosen:
        for mutant in MUTANTS:
            print(f"{mutant.name:45}  {mutant.path}")
        return 0 if options.list else 1
    with tempfile.TemporaryDirectory(prefix="infer-mutants-") as folder:
        tree = Path(folder)
        copy_tree(tree)
        if not imports_from(tree):
            print("mutants: the copy's `infer` is not the one Python imports; fix PYTHONPATH")
            return 2
        every_test = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        code, failed, seconds = run_tests(tree, every_test)
        verdict = "passed" if code == 0 else "FAILED"
        print(f"{'baseline (no mutation)':45}  {verdict:8}  {seconds:5.1f}s")
        if code != 0:
            print(f"mutants: the unmutated tree fails {failed or every_test}; fix that first")
            return 2
        survivors = 0
        for mutant in chosen:
            original = apply(tree, mutant)
            if original is None:
                survivors += 1
                print(f"{mutant.name:45}  {'STALE':8}  its text is not once in {mutant.path}")
                continue
            try:
                code, failed, seconds = run_tests(tree, mutant.tests, options.every)
            finally:
                (tree / mutant.path).write_text(original, encoding="utf-8")
            killed = code == 1
            survivors += not killed
            result = "killed" if killed else ("SURVIVED" if code == 0 else f"ERROR {code}")
            by = ", ".join(failed) if options.every else (failed or [""])[0]
            print(f"{mutant.name:45}  {result:8}  {seconds:5.1f}s  {by}")
    print(f"mutants: {len(chosen)} run, {len(chosen) - survivors} killed, {survivors} not killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
