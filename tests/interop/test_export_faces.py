"""``jupyter-mlops export mlflow`` and ``%mlops export mlflow``: bad targets and unknown
experiments refused in one line with nothing written; an existing experiment merged into;
every face reports an export alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from tests.interop.conftest import Source

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


def _one_run(experiment: str = "churn", name: str = "ours") -> str:
    with mlops.start_run(experiment=experiment, name=name) as run:
        mlops.log_metric("auc", 0.9, step=1)
    return run.id


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("nonsense://somewhere", "not an MLflow tracking URI"),
        ("sqlite:///{tmp}/no/such/folder/mlflow.db", "no folder"),
        ("sqlite:///{tmp}/plain.db", "is not an MLflow database"),
        ("file:{tmp}/notes.txt", "is a file, not an mlruns folder"),
        ("file:{tmp}/no/such/mlruns", "no folder"),
        ("http://127.0.0.1:9", "Cannot write to the MLflow store"),
    ],
)
def test_a_bad_target_is_refused_in_one_line_with_exit_2_and_nothing_written(
    store_dir: Path, cli: Callable[..., Any], uri: str, says: str
) -> None:
    import sqlite3

    _one_run()
    sqlite3.connect(store_dir / "plain.db").execute("CREATE TABLE t (x)").connection.commit()
    (store_dir / "notes.txt").write_text("not an mlruns folder")
    result = cli("export", "mlflow", "--to", uri.format(tmp=store_dir))
    assert result.code == 2
    err = result.err.strip()
    assert len(err.splitlines()) == 1 and says in err, err
    assert "sqlite:///" in err  # says what to give
    assert (store_dir / "plain.db").stat().st_size < 10_000  # not turned into an MLflow db
    assert not (store_dir / "no").exists()


def test_an_unknown_experiment_is_refused_before_the_target_is_touched(
    store_dir: Path, cli: Callable[..., Any]
) -> None:
    _one_run()
    target = store_dir / "out.db"
    result = cli(
        "export", "mlflow", "--to", f"sqlite:///{target}", "--experiments", "churn", "nope"
    )
    assert result.code == 2
    err = result.err.strip()
    assert len(err.splitlines()) == 1
    assert "No experiment named 'nope'" in err and "churn" in err
    assert not target.exists()


def test_an_experiment_mlflow_has_already_is_merged_into_and_the_report_says_so(
    store_dir: Path, cli: Callable[..., Any], mlflow_client: Callable[[str], Any]
) -> None:
    ours = _one_run()
    _one_run("other", "elsewhere")
    uri = f"sqlite:///{store_dir / 'target.db'}"
    c = mlflow_client(uri)
    exp = c.create_experiment("churn")
    c.set_terminated(c.create_run(exp, run_name="theirs").info.run_id)

    result = cli("export", "mlflow", "--to", uri, "--experiment", "churn")

    assert result.code == 0, result.err
    assert "Exported 1 run to" in result.out
    assert "Merged into existing MLflow experiments (same name): churn" in result.out
    runs = c.search_runs([exp])
    assert sorted(r.info.run_name for r in runs) == ["ours", "theirs"]
    (mine,) = [r for r in runs if r.info.run_name == "ours"]
    assert mine.data.tags["jupyter_mlops.run_id"] == ours
    assert c.get_experiment_by_name("other") is None  # only what was asked
    again = cli("export", "mlflow", "--to", uri, "--experiment", "churn", "--format", "json")
    record = json.loads(again.out)
    assert (record["runs_exported"], record["runs_present"]) == (0, 1)


def test_every_face_reports_a_repeated_export_alike_and_refuses_a_bad_target_alike(
    ip: Any, cli: Callable[..., Any], tmp_path: Path
) -> None:
    _one_run()
    uri = f"file:{tmp_path / 'mlruns'}"
    first = mlops.interop.export_mlflow(uri).to_dict()
    assert first["runs_exported"] == 1 and first["experiments_created"] == ["churn"]

    def same(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "seconds"}

    api = same(mlops.interop.export_mlflow(uri).to_dict())
    assert api["runs_present"] == 1
    result = cli("export", "mlflow", "--to", uri, "--format", "json")
    assert result.code == 0, result.err
    assert same(json.loads(result.out)) == api
    shown = ip.run(f"%mlops export mlflow --to {uri}").stdout
    assert "mlops: Exported 0 runs" in shown and "1 already there" in shown

    bad = "nonsense://x"
    with pytest.raises(mlops.MlopsUsageError) as raised:
        mlops.interop.export_mlflow(bad)
    refused = cli("export", "mlflow", "--to", bad)
    assert refused.code == 2 and str(raised.value) in refused.err
    with pytest.raises(UsageError) as magic:
        ip.run(f"%mlops export mlflow --to {bad}")
    assert str(magic.value) == str(raised.value)


def test_cli_draws_a_progress_bar_only_when_asked_or_on_a_terminal(
    store_dir: Path, cli: Callable[..., Any], make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    plain = cli("import", "mlflow", "--from", src.uri, "--experiment", "extra")
    assert plain.code == 0 and "[" not in plain.err  # captured stderr is not a terminal
    shown = cli("import", "mlflow", "--from", src.uri, "--progress")
    assert shown.code == 0, shown.err
    assert "] 4/4 runs" in shown.err and "#" * 30 in shown.err
    out = store_dir / "out"
    out.mkdir()
    exported = cli("export", "mlflow", "--to", f"sqlite:///{out / 'm.db'}", "--progress")
    assert exported.code == 0, exported.err
    assert "] 4/4 runs" in exported.err
