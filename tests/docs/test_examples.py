"""The example notebooks run end to end in a real kernel, each in a copy with its own store.

04_monitoring.ipynb is executed by tests/scheduler/test_example.py.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import papermill
import pytest
from _postgres import PostgresServer

from tests.team._s3 import BUCKET, CREDENTIALS, MotoServer, moto_server

EXAMPLES = Path(__file__).parents[2] / "example_notebooks"


def execute(project: Path, name: str, **parameters: object) -> str:
    """Run example ``name`` in a copy of the examples inside ``project``; its text outputs."""
    folder = project / "example_notebooks"
    if not folder.exists():
        shutil.copytree(
            EXAMPLES,
            folder,
            ignore=shutil.ignore_patterns("output", "data", "models", "mlops-runs", ".ipynb_*"),
        )
    out = project / f"executed-{name}"
    papermill.execute_notebook(
        str(folder / name),
        str(out),
        parameters=parameters,
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    # Stream outputs may arrive in pieces ("promoted", " production"): join them as printed.
    return "".join(
        str(o.get("text", ""))
        + str(o.get("data", {}).get("text/plain", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for cell in nbformat.read(out, as_version=4).cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )


@pytest.fixture
def project(store_dir: Path) -> Path:
    return store_dir


@pytest.fixture(scope="module")
def s3_server() -> Iterator[MotoServer]:
    """moto's S3 server, a separate process, with the test bucket."""
    with moto_server() as server:
        yield server


def test_01_track_experiments(project: Path) -> None:
    text = execute(project, "01_track_experiments.ipynb")
    for name in ("baseline", "random-forest", "gradient-boosting"):
        assert f"✓ run {name} (" in text
    assert "metrics.roc_auc_score" in text
    assert "<table" in text and "random-forest" in text  # the comparison panel's static HTML


def test_02_version_data_and_models(project: Path) -> None:
    text = execute(project, "02_version_data_and_models.ipynb")
    assert "breast-cancer-data@1: 400 rows" in text and "breast-cancer-data@2: 569 rows" in text
    assert "area ratio" in text  # the diff names the added column
    assert "refused: Promotion of breast-cancer-nb v1 to production refused" in text
    assert "promoted production -> version 1" in text
    assert "accuracy on the held-out split" in text
    assert "('dataset_version', 'dataset:breast-cancer-data@2" in text  # lineage reaches the data
    assert 'class="badge mlops-refused"' in text  # the registry panel shows the refused attempt


def test_03_pipeline(project: Path) -> None:
    text = execute(project, "03_pipeline.ipynb")
    assert "{'prepare': 'ok', 'train': 'ok', 'evaluate': 'ok', 'register': 'ok'}" in text
    assert "'register': ('cached', 'up to date')" in text  # the rerun skipped every step
    assert "nothing was promoted to 'production'" in text
    assert 'class="mlops-panel mlops-pipeline"' in text  # the pipeline panel's static HTML
    assert "promoted production -> version" in text
    assert "jupyter-mlops run example_notebooks/pipeline/pipeline.yaml" in text  # the CI file


def test_06_serving(project: Path) -> None:
    text = execute(project, "06_serving.ipynb")
    assert "mlops: serving models:/wine/1, following models:/wine@production" in text
    assert "from version 1" in text and "model_version 1" in text  # MLflow's protocol and V2
    assert "the server now answers with version 2" in text  # it followed the promotion
    assert "labels logged: 72" in text
    assert "before the shift, drifted columns: []" in text
    assert "after the shift, drifted columns: ['proline']" in text
    # The loop closes: the scheduled monitor alerts and retrains; the server swaps.
    assert "scheduled monitor: finished" in text
    assert "alert: wine-traffic-drift drifted ['proline']" in text
    assert "retrain pipeline: ok" in text and "production is now version 3" in text
    assert "the server now answers with version 3, without a restart" in text
    assert "mlops: stopped http://127.0.0.1:" in text


def test_05_team_setup_reads_without_servers(project: Path) -> None:
    text = execute(project, "05_team_setup.ipynb")
    assert "reading mode" in text
    assert "promoted" not in text


def test_05_team_setup_runs_on_postgresql_and_s3(
    project: Path,
    postgres: PostgresServer,
    s3_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The reading example, run for real: a fresh PostgreSQL database (no schema yet) and a
    # fresh prefix on an S3 server; the project's own store must stay untouched.
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)  # the kernel inherits them, as from the AWS chain
    uri = postgres.new_database(migrated=False)
    artifacts = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    try:
        text = execute(
            project,
            "05_team_setup.ipynb",
            TEAM_STORE_URI=uri,
            TEAM_ARTIFACTS_URI=artifacts,
            S3_ENDPOINT_URL=s3_server.endpoint,
        )
        with postgres.connect(uri.rsplit("/", 1)[1]) as conn:
            names = [row[0] for row in conn.execute("SELECT name FROM runs").fetchall()]
    finally:
        postgres.drop_database(uri)
    assert f"store_uri        {uri}  [env MLOPS_STORE_URI]" in text
    assert "promoted staging 1" in text and "team-baseline" in text
    assert names == ["team-baseline"]
    assert s3_server.filesystem().find(artifacts)  # the model and the data went to the bucket
    assert not list((project / ".mlops").glob("*.db"))
