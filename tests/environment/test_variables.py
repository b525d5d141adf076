"""--env, --env-file and inferless.yaml `env`: merged in order, values never in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from infer.environment.env_reads import find_variable_reads
from infer.environment.variables import collect_variables, parse_env_argument, read_env_file
from infer.errors import UsageError

MARKER = "marker-7f3a9c-secret"


def test_sources_merge_yaml_then_files_then_flags(tmp_path: Path) -> None:
    (tmp_path / "inferless.yaml").write_text(
        "name: x\nenv:\n  A: from-yaml\n  B: from-yaml\n  C: from-yaml\n  FLAG: true\n  N: 3\n"
    )
    env_file = tmp_path / "local.env"
    env_file.write_text('# comment\nexport B="from file"\nC=from-file\n')
    found = collect_variables(tmp_path, ["C=from-flag", "D"], [env_file], {"D": "from-shell"})
    assert found.values == {
        "A": "from-yaml",
        "B": "from file",
        "C": "from-flag",
        "D": "from-shell",
        "FLAG": "true",
        "N": "3",
    }
    assert found.origins["A"] == "inferless.yaml"
    assert found.origins["B"] == "--env-file local.env"
    assert found.origins["C"] == found.origins["D"] == "--env"
    assert "from-yaml" not in repr(found) and "from-flag" not in repr(found)


def test_bad_env_flags_name_the_problem_never_the_value() -> None:
    with pytest.raises(UsageError) as bad_name:
        parse_env_argument(f"1TOKEN={MARKER}", 1, {})
    assert bad_name.value.message == "--env '1TOKEN' is not a valid environment variable name"
    with pytest.raises(UsageError) as bare_value:
        parse_env_argument(MARKER.replace("-", "."), 2, {})
    assert bare_value.value.message == "--env number 2 is not a valid environment variable name"
    with pytest.raises(UsageError) as unset:
        parse_env_argument("HF_TOKEN", 1, {})
    assert unset.value.message == (
        "--env HF_TOKEN takes its value from your shell, where HF_TOKEN is not set"
    )
    for error in (bad_name, bare_value, unset):
        assert MARKER not in f"{error.value.message} {error.value.hint}"
    assert parse_env_argument(f"HF_TOKEN={MARKER}=x", 1, {}) == ("HF_TOKEN", f"{MARKER}=x")


def test_env_file_errors_name_the_line_or_variable(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"GOOD={MARKER}\nNOVALUE\n")
    with pytest.raises(UsageError) as error:
        read_env_file(path)
    assert error.value.message == f"--env-file {path}: NOVALUE has no value"
    with pytest.raises(UsageError, match="cannot read it"):
        read_env_file(tmp_path / "missing.env")


def test_yaml_env_that_is_not_a_mapping_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "inferless.yaml").write_text("name: x\nenv: [A, B]\n")
    found = collect_variables(tmp_path, [], [], {})
    assert found.values == {}
    assert found.notes == ("inferless.yaml: `env` is not a mapping of NAME: value; ignored",)


def test_variable_reads_are_found_statically(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ['A']\nb = os.environ.get('B')\nc = os.getenv('C', 'x')\n"
        "d = environ['D']\ne = getenv('E')\nos.environ['SET_HERE'] = '1'\n"
        "f = os.environ['SET_HERE']\nname = 'DYNAMIC'\ng = os.environ[name]\n"
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("import os\nk = os.environ.get('K', default=None)\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "skip.py").write_text("import os\nos.environ['HIDDEN']\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    reads = find_variable_reads(tmp_path)
    assert [(read.name, read.where, read.has_default) for read in reads] == [
        ("A", "app.py:3", False),
        ("B", "app.py:4", False),
        ("C", "app.py:5", True),
        ("D", "app.py:6", False),
        ("E", "app.py:7", False),
        ("K", "lib/util.py:2", True),
    ]
