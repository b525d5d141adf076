"""The parity rules, over facts made up for each case (no processes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infer.environment.build_config import PackagePin, read_build_config
from infer.environment.env_reads import VariableRead
from infer.environment.interpreter import InterpreterFacts, inspect_interpreter
from infer.environment.parity import (
    build_report,
    compare_cuda,
    compare_python_packages,
    compare_system_packages,
    compare_variables,
)
from infer.environment.system_packages import installed_system_packages
from infer.environment.variables import ModelVariables


def facts(torch_cuda: str | None = None, **distributions: str) -> InterpreterFacts:
    return InterpreterFacts(
        executable="/x/python",
        version="3.11.7",
        implementation="cpython",
        platform="linux-x86_64",
        purelib="/x/site-packages",
        distributions=distributions,
        torch_cuda=torch_cuda,
    )


def pins(*texts: str) -> list[PackagePin]:
    return [PackagePin(text, line) for line, text in enumerate(texts, start=4)]


def test_each_pin_is_match_different_missing_or_skipped() -> None:
    rows = compare_python_packages(
        pins(
            "six==1.15.0",
            "Packaging==21.3",
            "autoawq==0.1.8",
            "rich>=13",
            'pywin32==306; sys_platform == "win32"',
            "not a requirement ===",
        ),
        facts(six="1.15.0", packaging="24.1", rich="13.7.1"),
    )
    assert [(row.name, row.found, row.status) for row in rows] == [
        ("six", "1.15.0", "match"),
        ("Packaging", "24.1", "different"),
        ("autoawq", "-", "missing"),
        ("rich", "13.7.1", "match"),
        ("pywin32", "-", "skipped"),
        ("not a requirement ===", "-", "unknown"),
    ]
    assert [row.mismatch for row in rows] == [False, True, True, False, False, False]


def test_cuda_compares_major_minor_and_a_cpu_build_matters_only_for_gpu() -> None:
    assert compare_cuda("12.4.1", facts("12.4", torch="2.4.0"), "auto").status == "match"
    row = compare_cuda("12.4.1", facts("12.1", torch="2.1.2"), "auto")
    assert (row.found, row.status) == ("torch 2.1.2, CUDA 12.1", "different")
    assert compare_cuda("12.4.1", facts("cpu", torch="2.13.0"), "auto").status == "note"
    assert compare_cuda("12.4.1", facts("cpu", torch="2.13.0"), "gpu").status == "different"
    assert compare_cuda("12.4.1", facts(), "auto").found == "torch not installed"


def test_system_packages_against_dpkg_answers() -> None:
    installed = {"libssl-dev": "3.0.13-1", "git": None, "curl": "7.88.1-10"}
    rows = compare_system_packages(["libssl-dev", "git", "curl=8.0"], installed)
    assert [(row.name, row.status) for row in rows] == [
        ("libssl-dev", "match"),
        ("git", "missing"),
        ("curl", "different"),
    ]
    unknown = compare_system_packages(["git"], None)
    assert (unknown[0].found, unknown[0].status) == ("no dpkg-query", "unknown")


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg")
def test_dpkg_is_asked_for_real() -> None:
    found = installed_system_packages(["dpkg", "no-such-package-infer-13:amd64"])
    assert found is not None
    assert found["dpkg"] and found["no-such-package-infer-13"] is None


def test_variables_given_read_from_the_shell_defaulted_or_missing() -> None:
    given = ModelVariables({"HF_TOKEN": "secret-value"}, {"HF_TOKEN": "--env"})
    reads = [
        VariableRead("HF_TOKEN", "app.py", 3, False),
        VariableRead("HOME", "app.py", 4, False),
        VariableRead("FROM_SHELL", "app.py", 5, False),
        VariableRead("WITH_DEFAULT", "app.py", 6, True),
        VariableRead("API_KEY", "lib/util.py", 7, False),
        VariableRead("API_KEY", "app.py", 9, False),
    ]
    rows = compare_variables(reads, given, {"FROM_SHELL": "1"})
    assert [(row.name, row.wanted, row.status) for row in rows] == [
        ("HF_TOKEN", "--env", "set"),
        ("FROM_SHELL", "app.py:5", "shell"),
        ("WITH_DEFAULT", "app.py:6", "default"),
        ("API_KEY", "lib/util.py:7", "missing"),
    ]
    assert "secret-value" not in repr(rows) + repr(given)


def test_report_warns_once_per_kind_and_points_at_isolated(tmp_path: Path) -> None:
    (tmp_path / "inferless-runtime-config.yaml").write_text(
        'build:\n  cuda_version: "12.4.1"\n  system_packages: ["no-such-package-infer-13"]\n'
        '  python_packages:\n    - "six==1.15.0"\n    - "packaging==21.3"\n'
    )
    build = read_build_config(tmp_path)
    assert [(pin.text, pin.line) for pin in build.python_packages] == [
        ("six==1.15.0", 5),
        ("packaging==21.3", 6),
    ]
    report = build_report(
        interpreter="/x/python (Python 3.11.7)",
        build=build,
        facts=facts(six="1.16.0", packaging="21.3"),
        system={"no-such-package-infer-13": None},
        device="auto",
        variables=ModelVariables(),
        reads=[VariableRead("API_KEY", "app.py", 2, False)],
        shell={},
        isolated=False,
    )
    assert report.warnings == (
        "1 of 2 python_packages differ from the worker's Python (six==1.15.0); "
        "`infer serve --isolated` runs the model with exactly these pins",
        "system_packages not installed here as pinned: no-such-package-infer-13 (the platform "
        "installs them into its image; here: sudo apt-get install no-such-package-infer-13)",
        "app.py:2 reads API_KEY, which is not set: pass --env API_KEY=VALUE or --env-file FILE "
        "(the platform needs it as an environment variable or secret)",
    )


def test_this_interpreter_is_probed_in_process_and_another_by_subprocess() -> None:
    here = inspect_interpreter(__import__("sys").executable)
    assert here.distributions["infer-cli"] == "0.1.0"
    python3 = shutil.which("python3")
    assert python3 is not None
    other = inspect_interpreter(python3)
    assert other.version.count(".") == 2 and other.purelib
