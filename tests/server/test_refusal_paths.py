"""A refusal over REST names a path as the client gave it (relative to the server's root) and
says what to do; it never shows where the server's files are (its root or any folder in it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_mlops.pipelines import run_pipeline
from jupyter_mlops.pipelines.progress import NullProgress
from tests.server.conftest import Server, notebook


def _refusal(server: Server, answer: Any, status: int = 400) -> str:
    """The answer's one-line error, checked to name nothing of the server's layout."""
    assert answer.status_code == status, answer.text
    message = str(answer.json()["error"])
    for folder in {str(server.root), str(server.root.resolve()), str(server.root.parent)}:
        assert folder not in answer.text, message
    return message


@pytest.fixture
def refusals(server: Server) -> Path:
    """Specs in the root that load but are refused, and one that does not load."""
    folder = server.root / "refusals"
    if not folder.is_dir():
        folder.mkdir()
        notebook(folder / "fit.ipynb", "c = 1.0", "print(c)")
        notebook(folder / "broken.ipynb", "x = 1", "raise ValueError('refused by the check')")
        (folder / "ok.yaml").write_text(
            "name: refusals-ok\nsteps:\n  fit: {notebook: fit.ipynb}\nenvironments:\n  dev: {}\n"
        )
        (folder / "bad.yaml").write_text(
            "name: refusals-bad\nsteps:\n  fit: {notebook: nope.ipynb}\n"
        )
        (folder / "notes.txt").write_text("not a pipeline\n")
    return folder


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            {"spec": "refusals/notes.txt"},
            "'refusals/notes.txt': give a notebook (.ipynb) or a pipeline (.yaml).",
        ),
        (
            {"spec": "refusals/bad.yaml"},
            "refusals/bad.yaml: step 'fit': key 'notebook': no such notebook 'nope.ipynb'",
        ),
        (
            {"spec": "refusals/ok.yaml", "env": "prod"},
            "refusals/ok.yaml: unknown environment 'prod'; known environments: dev.",
        ),
        (
            {"spec": "refusals/ok.yaml", "params": ["fit.C=2"]},
            "refusals/ok.yaml: step 'fit': unknown parameter 'C' (-p); "
            "known parameters of fit.ipynb: c",
        ),
        (
            {"spec": "refusals/ok.yaml", "params": ["fit.c=x"]},
            "refusals/ok.yaml: step 'fit': parameter 'c' (-p): 'x' is not a float",
        ),
        (
            {"spec": "refusals/ok.yaml", "only": "train"},
            "refusals/ok.yaml: --only: no step named 'train' (steps: fit)",
        ),
    ],
)
def test_a_refused_pipeline_names_its_spec_as_given(
    server: Server, refusals: Path, body: dict[str, Any], said: str
) -> None:
    assert _refusal(server, server.post("pipelines/runs", {**body, "wait": True})) == said
    query = {k: v for k, v in body.items() if k != "params"}
    status = server.get("pipelines/status", params={**query, "params": body.get("params", [])})
    assert _refusal(server, status) == said


def test_a_spec_that_does_not_load_is_listed_with_its_error_as_given(
    server: Server, refusals: Path
) -> None:
    answer = server.get("pipelines/specs")
    assert answer.status_code == 200, answer.text
    for folder in (str(server.root), str(server.root.resolve())):
        assert folder not in answer.text
    found = {s["path"]: s for s in answer.json()["items"]}
    assert found["refusals/bad.yaml"]["error"] == (
        "refusals/bad.yaml: step 'fit': key 'notebook': no such notebook 'nope.ipynb'"
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            {"notebook": "../outside.txt"},
            "The notebook '../outside.txt' is outside the project; a schedule runs files of "
            "its project (give a path inside it).",
        ),
        (
            {"pipeline": "refusals/bad.yaml"},
            "refusals/bad.yaml: step 'fit': key 'notebook': no such notebook 'nope.ipynb'",
        ),
        (
            {"pipeline": "refusals/ok.yaml", "params": {"fit.C": "2"}},
            "refusals/ok.yaml: step 'fit': unknown parameter 'C' (-p); "
            "known parameters of fit.ipynb: c",
        ),
    ],
)
def test_a_refused_schedule_names_its_target_as_given(
    server: Server, refusals: Path, body: dict[str, Any], said: str
) -> None:
    answer = server.post("schedules", {"name": "refused", "cron": "0 6 * * *", **body})
    assert _refusal(server, answer) == said
    assert server.get("schedules/refused").status_code == 404  # nothing was written


def test_a_rerun_of_a_spec_outside_the_root_names_only_its_file(
    server: Server, tmp_path: Path
) -> None:
    # A run started from a terminal in a folder the server does not serve, into its store.
    notebook(tmp_path / "step.ipynb", "x = 1", "print(x)")
    (tmp_path / "elsewhere.yaml").write_text(
        "name: elsewhere\nsteps:\n  s: {notebook: step.ipynb}\n"
    )
    store = server.open_store()
    try:
        result = run_pipeline(tmp_path / "elsewhere.yaml", progress=NullProgress(), store=store)
    finally:
        store.close()
    answer = server.post(f"pipelines/runs/{result.pipeline_run_id}/rerun", {"wait": True})
    assert _refusal(server, answer) == (
        f"The spec 'elsewhere.yaml' of pipeline run {result.pipeline_run_id} is outside the "
        "server's root; run it from the command line."
    )
    assert str(tmp_path) not in answer.text


def test_a_refused_validation_names_its_notebook_as_given(server: Server, refusals: Path) -> None:
    body = {"version": 1, "stage": "staging", "validate_notebook": "refusals/notes.txt"}
    answer = server.post("models/churn/promote", body)
    assert _refusal(server, answer) == (
        "No validation notebook 'refusals/notes.txt' (an .ipynb file)."
    )

    body["validate_notebook"] = "refusals/broken.ipynb"
    refused = server.post("models/churn/promote", body)
    message = _refusal(server, refused, 422)
    assert message.startswith(
        "Promotion of churn v1 to staging refused: validate refusals/broken.ipynb: "
    )
    assert "ValueError: refused by the check" in message
    (check,) = refused.json()["checks"]
    assert check["expression"] == "validate refusals/broken.ipynb"
    assert check["status"] == "error"
    assert "staging" not in server.get("models/churn/stages").json()["held"]
