"""A run's markdown note: kept on any face (the Python API, ``%mlops runs note``, the
``%%mlops runs note`` cell, the CLI, REST), it reads the same on every face; a bad run or a
refused note is refused alike."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from tests.parity.conftest import Faces


def _run(faces: Faces, name: str) -> str:
    with mlops.start_run(name, experiment="parity-note", store=faces.store) as run:
        pass
    return run.id


def _everywhere(faces: Faces, run_id: str) -> str:
    """The note as every face reads it, after checking that they agree."""
    rest = faces.rest(f"runs/{run_id}/note")
    assert faces.cli_json("runs", "note", run_id[:8]) == rest
    assert mlops.get_run_note(run_id[:8]) == rest["note"]
    text = faces.cli("runs", "note", run_id)
    magic = faces.magic(f"runs note {run_id}")
    if rest["note"]:
        # printed as kept: a newline is added only when the note lacks one
        printed = rest["note"] if rest["note"].endswith("\n") else rest["note"] + "\n"
        assert (text.code, text.out, text.err) == (0, printed, "")
        # rendered in the notebook as the lab's run page renders it
        assert magic.displays == [{"text/plain": rest["note"], "text/html": rest["html"]}]
    else:
        assert rest["html"] == ""
        assert (text.code, text.out) == (0, "")
        assert text.err == magic.stdout == f"run {run_id[:8]} has no note\n"
    return str(rest["note"])


def test_a_note_kept_on_any_face_reads_the_same_everywhere(faces: Faces) -> None:
    run_id = _run(faces, "noted")
    short = run_id[:8]
    assert _everywhere(faces, run_id) == ""

    text = "Baseline: **C=0.5**, no scaling."
    kept = faces.cli("runs", "note", "noted", "--set", text)
    assert (kept.code, kept.out) == (0, f"kept the note of run {short} (32 characters)\n")
    assert _everywhere(faces, run_id) == text
    assert "<strong>C=0.5</strong>" in faces.rest(f"runs/{run_id}/note")["html"]

    # the cell's body is the note, markdown as written under the magic line
    cell = faces.magic(f"%%mlops runs note {short}\n# Revised\n\n- C=1.0 is better\n")
    assert cell.stdout == f"kept the note of run {short} (28 characters)\n"
    assert _everywhere(faces, run_id) == "# Revised\n\n- C=1.0 is better"

    (faces.project.root / "note.md").write_text("From a *file*\n", encoding="utf-8")
    assert faces.magic(f"runs note {short} --file note.md").stdout.startswith("kept the note")
    assert _everywhere(faces, run_id) == "From a *file*\n"

    assert mlops.set_run_note(short, "from the API") == run_id
    assert _everywhere(faces, run_id) == "from the API"

    posted = faces.send("POST", f"runs/{run_id}/note", {"note": "from REST"})
    assert posted.status_code == 200, posted.text
    assert _everywhere(faces, run_id) == "from REST"

    cleared = faces.cli("runs", "note", short, "--clear")
    assert (cleared.code, cleared.out) == (0, f"removed the note of run {short}\n")
    assert _everywhere(faces, run_id) == ""


def test_a_deleted_runs_note_can_still_be_read_and_kept(faces: Faces) -> None:
    run_id = _run(faces, "noted-deleted")
    mlops.set_run_note(run_id, "kept before delete")
    mlops.delete_run(run_id)
    # a deleted run keeps all its records until gc purges it: its note too
    assert _everywhere(faces, run_id) == "kept before delete"
    assert faces.magic(f"runs note {run_id} --set 'while deleted'").stdout.startswith("kept")
    assert _everywhere(faces, run_id) == "while deleted"


def test_an_unknown_run_or_a_refused_note_is_refused_alike(faces: Faces) -> None:
    rest = faces.project.jupyter.get("runs/nope-nope/note")
    assert rest.status_code == 404
    message = rest.json()["error"]
    assert "nope-nope" in message
    for argv in (("nope-nope",), ("nope-nope", "--set", "x")):
        cli = faces.cli("runs", "note", *argv)
        assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    with pytest.raises(UsageError) as magic:
        faces.magic("runs note nope-nope")
    assert str(magic.value) == message
    with pytest.raises(NotFoundError):
        mlops.get_run_note("nope-nope")

    run_id = _run(faces, "noted-refused")
    refused = faces.send("POST", f"runs/{run_id}/note", {"note": "x" * 20_001})
    assert refused.status_code == 400
    message = refused.json()["error"]
    cli = faces.cli("runs", "note", run_id, "--set", "x" * 20_001)
    assert (cli.code, cli.err) == (2, f"jupyter-mlops: error: {message}\n")
    with pytest.raises(UsageError) as magic:
        faces.magic(f"runs note {run_id} --set {'x' * 20_001}")
    assert str(magic.value) == message
    with pytest.raises(MlopsUsageError, match="20,000"):
        mlops.set_run_note(run_id, "x" * 20_001)
    assert _everywhere(faces, run_id) == ""  # nothing was written
