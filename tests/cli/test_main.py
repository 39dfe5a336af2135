"""The command router: usage errors, exit codes, the command registry, the installed script."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import jupyter_mlops.cli as cli_package
from jupyter_mlops import __version__
from jupyter_mlops.cli import COMMANDS, build_parser, main
from jupyter_mlops.config import CONFIG_KEYS
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    FilterSyntaxError,
    MlopsError,
    MlopsUsageError,
    NotFoundError,
    StoreError,
)

E = "jupyter-mlops: error: "
VERBS = ", ".join(sorted(COMMANDS))

USAGE_ERRORS = [
    ([], f"give a command: {VERBS} (see `jupyter-mlops --help`)."),
    (
        ["bogus"],
        f"unknown command 'bogus'; choose from {VERBS} (see `jupyter-mlops --help`).",
    ),
    (["--bogus"], "unrecognized arguments: --bogus; see `jupyter-mlops --help`."),
    (["runs", "--bogus"], "unrecognized arguments: --bogus; see `jupyter-mlops runs --help`."),
    (
        ["runs", "extra"],
        "argument ACTION: invalid choice: 'extra' (choose from 'delete', 'restore', 'note'); "
        "see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--limit", "ten"],
        "argument -n/--limit: expected a whole number, not 'ten'; see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--limit", "-1"],
        "argument -n/--limit: expected zero or more, not -1; see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--format", "xml"],
        "argument --format: expected table, json or csv, not 'xml'; "
        "see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--filter", "metrics.auc >"],
        "Invalid filter at position 13: expected a number after 'metrics.auc >', found the end "
        "of the filter; see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--filter", "colour = 'red'"],
        "Invalid filter at position 0: unknown attribute 'colour'; expected one of duration, "
        "end_time, experiment, name, parent_id, run_id, start_time, status, user or "
        "metrics.KEY, params.KEY, tags.KEY; see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--order-by", "metrics.auc sideways"],
        "Invalid order_by at position 12: expected ASC, DESC or the end of the order_by item, "
        "found 'sideways'; see `jupyter-mlops runs --help`.",
    ),
    (
        ["runs", "--experiment", "nope"],
        "No experiment named 'nope'; the store has no experiments yet.",
    ),
    (["show"], "the following arguments are required: RUN; see `jupyter-mlops show --help`."),
    (
        ["show", "nope"],
        "No run 'nope': use a run id, a short id of 4+ characters or a run name "
        "(`jupyter-mlops runs` lists them).",
    ),
    (
        ["show", "nope", "--format", "yaml"],
        "argument --format: expected text or json, not 'yaml'; see `jupyter-mlops show --help`.",
    ),
    (
        ["verify", "--remove"],
        "unrecognized arguments: --remove; see `jupyter-mlops verify --help`.",
    ),
    (["doctor", "now"], "unrecognized arguments: now; see `jupyter-mlops doctor --help`."),
]


@pytest.mark.parametrize(
    ("argv", "message"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_bad_usage_is_one_line_on_stderr_and_exit_code_2(project, cli, argv, message) -> None:
    result = cli(*argv)

    assert (result.code, result.out) == (2, "")
    assert result.err == E + message + "\n"


def test_bad_configuration_is_bad_usage(project, cli) -> None:
    (project / "pyproject.toml").write_text("[tool.jupyter-mlops]\ncolour = 'red'\n")

    result = cli("runs")

    assert result.code == 2
    assert result.err == (
        f"{E}Unknown key 'colour' in [tool.jupyter-mlops] of {project / 'pyproject.toml'}; "
        f"valid keys: {', '.join(sorted(CONFIG_KEYS))}.\n"
    )


def test_unparsable_pyproject_is_bad_usage(project, cli) -> None:
    (project / "pyproject.toml").write_text("[tool.jupyter-mlops\n")

    result = cli("doctor")

    assert result.code == 2
    assert result.err.startswith(f"{E}Cannot read {project / 'pyproject.toml'}: ")
    assert result.err.endswith("Fix the TOML syntax.\n")
    assert result.err.count("\n") == 1


def test_a_broken_database_is_one_line_and_exit_code_1(project, cli) -> None:
    (project / ".mlops" / "mlops.db").write_bytes(b"this is not an SQLite database" * 100)

    result = cli("runs")

    assert result.code == 1
    # One line naming the store, from the StoreError the store raises as it opens.
    database = project / ".mlops" / "mlops.db"
    assert result.err == f"{E}Cannot open the store sqlite:///{database}: file is not a database\n"


def test_version(cli) -> None:
    result = cli("--version")

    assert (result.code, result.out, result.err) == (0, f"jupyter-mlops {__version__}\n", "")


def test_help_lists_every_command_and_the_exit_codes(cli) -> None:
    result = cli("--help")

    assert result.code == 0
    assert result.out.startswith("usage: jupyter-mlops [-h] [--version] COMMAND ...")
    for name in COMMANDS:
        assert f"\n    {name} " in result.out
    assert "exit codes: 0 success, 1 a failed check or error, 2 bad usage." in result.out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_help(cli, name) -> None:
    result = cli(name, "--help")

    assert result.code == 0
    assert result.out.startswith(f"usage: jupyter-mlops {name} [-h]")
    assert result.err == ""


# -- the one boundary where errors become exit codes --------------------------------


@pytest.fixture
def command_raising(monkeypatch):
    """Register a command ``boom`` whose run() raises the given exception."""

    def register(exc: BaseException) -> None:
        module = types.ModuleType("jupyter_mlops_test_boom")

        def add_parser(subparsers):
            return subparsers.add_parser("boom")

        def run(args):
            raise exc

        module.add_parser = add_parser  # type: ignore[attr-defined]
        module.run = run  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, module.__name__, module)
        monkeypatch.setitem(COMMANDS, "boom", module.__name__)

    return register


BOUNDARY = [
    (MlopsUsageError("Give a positive number."), 2, "Give a positive number."),
    (NotFoundError("No model 'x'."), 2, "No model 'x'."),
    (
        FilterSyntaxError("Invalid filter at position 0: oops"),
        2,
        "Invalid filter at position 0: oops; see `jupyter-mlops boom --help`.",
    ),
    (
        StoreError("The store could not be written: locked"),
        1,
        "The store could not be written: locked",
    ),
    (ArtifactIntegrityError("Object x is corrupt.", digest="x"), 1, "Object x is corrupt."),
    (MlopsError("first line\nsecond line"), 1, "first line second line"),
    (
        PermissionError(13, "Permission denied", "/srv/store"),
        1,
        "[Errno 13] Permission denied: '/srv/store'; check the path and its permissions.",
    ),
    (KeyboardInterrupt(), 130, "interrupted"),
]


@pytest.mark.parametrize(
    ("exc", "code", "message"), BOUNDARY, ids=[type(b[0]).__name__ for b in BOUNDARY]
)
def test_errors_become_one_line_and_an_exit_code(cli, command_raising, exc, code, message) -> None:
    command_raising(exc)

    result = cli("boom")

    assert (result.code, result.out) == (code, "")
    assert result.err == E + message + "\n"


def test_a_bug_is_not_hidden(cli, command_raising) -> None:
    command_raising(ZeroDivisionError("a bug"))

    with pytest.raises(ZeroDivisionError):
        main(["boom"])


# -- the registry ---------------------------------------------------------------------


def test_every_command_module_is_registered() -> None:
    modules = {
        info.name
        for info in pkgutil.iter_modules(cli_package.__path__)
        if not info.name.startswith("_")
    }

    assert set(COMMANDS) == modules
    assert {name: f"jupyter_mlops.cli.{name}" for name in modules} == COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_registered_module_is_a_command(name) -> None:
    module = importlib.import_module(COMMANDS[name])

    assert callable(module.add_parser)
    assert callable(module.run)
    assert module.__doc__, "the module docstring is the command's --help"


def test_the_parser_offers_exactly_the_registered_commands() -> None:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]

    assert sorted(subparsers.choices) == sorted(COMMANDS)


# -- the installed script -------------------------------------------------------------


def _script() -> str:
    found = Path(sys.executable).with_name("jupyter-mlops")
    path = str(found) if found.exists() else shutil.which("jupyter-mlops")
    assert path, "the jupyter-mlops console script is not installed: pip install -e ."
    return path


def _run_script(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [_script(), *args], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_installed_script_lists_runs(project, make_run) -> None:
    run_id = make_run("scripted", metrics={"auc": 0.9})

    table = _run_script(project, "runs")
    listing = _run_script(project, "runs", "--format", "json")

    assert (table.returncode, table.stderr) == (0, "")
    assert table.stdout.splitlines()[1].split()[:4] == [run_id[:8], "scripted", "churn", "finished"]
    assert listing.returncode == 0
    assert [(r["run_id"], r["metrics"]) for r in json.loads(listing.stdout)["items"]] == [
        (run_id, {"auc": 0.9})
    ]


def test_the_installed_script_reports_bad_usage_without_a_traceback(project) -> None:
    result = _run_script(project, "show", "nope")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"{E}No run 'nope': use a run id, a short id of 4+ characters or a run name "
        "(`jupyter-mlops runs` lists them).\n"
    )
