"""A run's markdown note: read it, rendered, and change it.

The note is the run's ``mlflow.note.content`` tag, the tag MLflow's UI shows as a run's
description: an export to MLflow carries it over, and an import brings MLflow notes in.
"""

from __future__ import annotations

import mistune

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services.schema import RunNote, RunNoteRequest
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store.run_groups import set_tags_of_runs
from jupyter_mlops.store.runs import load_run

#: The tag that holds the note (MLflow's name for a run's description).
NOTE_TAG = "mlflow.note.content"
#: The longest note kept, in characters: a page of notes, not a data file.
MAX_NOTE = 20_000

# Raw HTML in a note is shown as text, and links other than http(s)/mailto are neutralised
# (mistune's safe_url): a note is shown inside JupyterLab, on the server's origin.
_render = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def render_markdown(text: str) -> str:
    """``text`` (markdown) as HTML, raw HTML in it escaped."""
    return str(_render(text)) if text.strip() else ""


def _note(run_id: str, text: str) -> RunNote:
    return RunNote(run_id=run_id, note=text, html=render_markdown(text))


def get_note(store: Store, ref: str) -> RunNote:
    """The note of run ``ref`` (empty when it has none), rendered.

    Raises:
        NotFoundError: no run has that id.
    """
    run = load_run(store, ref)
    return _note(run.id, run.tags.get(NOTE_TAG, ""))


def set_note(store: Store, ref: str, request: RunNoteRequest) -> RunNote:
    """Keep ``request.note`` as run ``ref``'s note (an empty note clears it).

    Raises:
        MlopsUsageError: a note longer than :data:`MAX_NOTE` characters or with a NUL.
        NotFoundError: no run has that id (nothing is written).
    """
    text = request.note
    if "\x00" in text:
        raise MlopsUsageError("A note cannot contain a NUL character; remove it and save again.")
    if len(text) > MAX_NOTE:
        raise MlopsUsageError(
            f"The note has {len(text):,} characters; keep it to {MAX_NOTE:,} "
            "(log longer text as an artifact)."
        )
    (run_id,) = set_tags_of_runs(store, [ref], {NOTE_TAG: text})
    return _note(run_id, text)


# -- the Python API (``mlops.get_run_note``, ``mlops.set_run_note``) --------------------------


def get_run_note(ref: str, *, store: Store | None = None) -> str:
    """The markdown note of run ``ref`` (id, short id or name); ``""`` when it has none.

    The note is what the lab's run page and MLflow show as the run's description.
    """
    return get_note(store or current_store(), ref).note


def set_run_note(ref: str, text: str, *, store: Store | None = None) -> str:
    """Keep ``text`` (markdown, up to 20,000 characters) as run ``ref``'s note; ``""`` removes
    it. Returns the run's id.
    """
    return set_note(store or current_store(), ref, RunNoteRequest(note=text)).run_id
