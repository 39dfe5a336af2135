"""The run page's reads and writes, without a server: a note, artifact previews, links."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.services import previews, run_links, run_notes
from jupyter_mlops.services.schema import PreviewQuery, RunNoteRequest
from jupyter_mlops.store import current_store


@pytest.fixture
def run_id(store_dir: Path) -> str:
    folder = store_dir / "files"
    folder.mkdir()
    frame = pd.DataFrame({"x": range(5000), "label": ["a", "b"] * 2500})
    frame.to_csv(folder / "rows.csv", index=False)
    frame.to_parquet(folder / "rows.parquet")
    (folder / "report.html").write_text("<h1>Report</h1><script>alert(1)</script>")
    (folder / "scores.json").write_text(json.dumps({"auc": 0.91, "folds": [1, 2]}))
    (folder / "big.txt").write_bytes(b"line\n" * 300_000)
    (folder / "model.bin").write_bytes(b"\x00\x01")
    with mlops.start_run("page-demo") as run:
        for name in ("rows.csv", "rows.parquet", "report.html", "scores.json", "big.txt"):
            run.log_artifact(folder / name)
        run.log_artifact(folder / "model.bin")
    return run.id


def test_a_note_is_kept_rendered_and_cleared(run_id: str) -> None:
    store = current_store()
    assert run_notes.get_note(store, run_id).note == ""
    saved = run_notes.set_note(store, run_id, RunNoteRequest(note="# Why\n*seed* <b>x</b>"))
    assert saved.html.startswith("<h1>Why</h1>")
    assert "<em>seed</em>" in saved.html
    assert "&lt;b&gt;" in saved.html  # raw HTML shown as text, never run
    again = run_notes.get_note(store, run_id[:8])
    assert again.note == "# Why\n*seed* <b>x</b>"
    assert mlops.get_run(run_id).tags["mlflow.note.content"] == again.note
    assert run_notes.set_note(store, run_id, RunNoteRequest(note="")).html == ""


def test_bad_notes_are_refused_and_nothing_is_written(run_id: str) -> None:
    store = current_store()
    run_notes.set_note(store, run_id, RunNoteRequest(note="kept"))
    with pytest.raises(MlopsUsageError, match="NUL"):
        run_notes.set_note(store, run_id, RunNoteRequest(note="a\x00b"))
    with pytest.raises(MlopsUsageError, match="20,000"):
        run_notes.set_note(store, run_id, RunNoteRequest(note="x" * 20_001))
    with pytest.raises(NotFoundError):
        run_notes.set_note(store, "no-such-run", RunNoteRequest(note="x"))
    assert run_notes.get_note(store, run_id).note == "kept"


def test_tables_show_their_first_rows_only(run_id: str) -> None:
    store = current_store()
    csv = previews.preview(store, run_id, PreviewQuery(path="rows.csv", rows=10))
    assert csv.kind == "table" and csv.table is not None
    assert csv.table.columns == ["x", "label"]
    assert csv.table.rows[:2] == [["0", "a"], ["1", "b"]]
    assert len(csv.table.rows) == 10
    parquet = previews.preview(store, run_id, PreviewQuery(path="rows.parquet", rows=3))
    assert parquet.table is not None
    assert parquet.table.rows == [["0", "a"], ["1", "b"], ["2", "a"]]
    assert parquet.table.total_rows == 5000


def test_text_json_html_and_other_files(run_id: str) -> None:
    store = current_store()
    scores = previews.preview(store, run_id, PreviewQuery(path="scores.json"))
    assert scores.kind == "json" and scores.text is not None
    assert json.loads(scores.text) == {"auc": 0.91, "folds": [1, 2]}
    assert '\n  "auc"' in scores.text  # indented for reading
    report = previews.preview(store, run_id, PreviewQuery(path="report.html"))
    assert report.kind == "html" and report.text is not None and "<h1>Report" in report.text
    big = previews.preview(store, run_id, PreviewQuery(path="big.txt"))
    assert big.truncated and big.text is not None and len(big.text) == previews.MAX_TEXT
    assert big.message == "Showing the first 1.0 MB of 1.4 MB."
    other = previews.preview(store, run_id, PreviewQuery(path="model.bin"))
    assert (other.kind, other.message) == ("none", "No preview for .bin files: download it.")
    with pytest.raises(NotFoundError, match=r"no artifact 'nope\.csv'"):
        previews.preview(store, run_id, PreviewQuery(path="nope.csv"))


def test_an_image_too_big_to_preview_says_so(
    run_id: str, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (store_dir / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096)
    with mlops.start_run("with-plot") as run:
        run.log_artifact(store_dir / "plot.png")
    monkeypatch.setattr(previews, "MAX_IMAGE", 1024)
    shown = previews.preview(current_store(), run.id, PreviewQuery(path="plot.png"))
    assert shown.kind == "none"
    assert shown.message == (
        "Too big to preview (4 KB; previews show files up to 1 KB): download it."
    )


def test_a_notebook_renders_cell_by_cell() -> None:
    document = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title"], "metadata": {}},
            {
                "cell_type": "code",
                "source": "print(1)",
                "execution_count": 3,
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    cells = previews.notebook_cells(json.dumps(document).encode())
    assert [c.cell_type for c in cells] == ["markdown", "code"]
    assert cells[0].html == "<h1>Title</h1>\n"
    assert cells[1].execution_count == 3
    assert [(o.kind, o.text) for o in cells[1].outputs] == [("text", "1\n")]


def test_links_of_a_run_that_registered_a_model(store_dir: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    with mlops.start_run("trainer") as run:
        run.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), "model")
    mlops.models.register(run.id, "churn")
    found = run_links.links(current_store(), run.id, root=store_dir)
    assert [m.uri for m in found.models] == ["models:/churn/1"]
    assert found.pipeline is None and found.reproductions == []
    with pytest.raises(NotFoundError):
        run_links.links(current_store(), "no-such-run", root=store_dir)


def test_the_executed_notebook_falls_back_to_the_file_in_the_root(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat

    path = store_dir / "train.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Train"), nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, path)
    monkeypatch.setenv("MLOPS_NOTEBOOK", str(path))
    with mlops.start_run("from-a-notebook") as run:
        pass
    shown = previews.recorded_notebook(current_store(), run.id, root=store_dir)
    assert (shown.kind, shown.path, shown.message) == ("notebook", "train.ipynb", None)
    assert shown.cells is not None and [c.source for c in shown.cells] == ["# Train", "x = 1"]

    nb.cells.append(nbformat.v4.new_code_cell("y = 2"))
    nbformat.write(nb, path)
    changed = previews.recorded_notebook(current_store(), run.id, root=store_dir)
    assert changed.message == "The notebook file as it is now: it changed since the run started."
    outside = previews.recorded_notebook(current_store(), run.id, root=store_dir / "data")
    assert (outside.kind, outside.message) == ("none", "This run kept no copy of its notebook.")


def test_a_step_run_and_its_parent_link_to_their_pipeline_run(store_dir: Path) -> None:
    from jupyter_mlops.store import pipelines as stored

    store = current_store()
    with mlops.start_run("nightly") as parent:
        pass
    with mlops.start_run("train", parent=parent) as step:
        pass
    (store_dir / "mlops-runs").mkdir()
    report = store_dir / "mlops-runs" / "train.ipynb"
    report.write_text("{}")
    pipeline_run = stored.create_pipeline_run(
        store,
        name="nightly",
        spec_path="pipeline.yaml",
        spec_digest="0" * 64,
        pipeline_version="1",
        env=None,
        run_id=parent.id,
        params={},
        options={},
    )
    stored.add_step_run(
        store, pipeline_run, "train", run_id=step.id, status="ok", output_notebook=str(report)
    )
    stored.end_pipeline_run(store, pipeline_run, "ok", None)

    of_step = run_links.links(store, step.id, root=store_dir).pipeline
    assert of_step is not None
    assert (of_step.pipeline_run_id, of_step.pipeline, of_step.step, of_step.status) == (
        pipeline_run,
        "nightly",
        "train",
        "ok",
    )
    assert of_step.output_notebook == "mlops-runs/train.ipynb"
    of_parent = run_links.links(store, parent.id, root=store_dir).pipeline
    assert of_parent is not None and (of_parent.step, of_parent.output_notebook) == (None, None)
