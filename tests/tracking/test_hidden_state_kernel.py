"""Hidden state caught at capture time, and the session's cell log, in real kernels.

Each test runs cells in a real kernel in the order a user would (out of order, too), with the
notebook the user sees saved to disk where the case needs one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import blake3
import nbclient
import nbformat
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import current_store
from jupyter_mlops.tracking.hidden_state import TAG, HiddenStateWarning
from jupyter_mlops.tracking.session_log import ARTIFACT, SessionLog, parse
from tests.tracking._kernel import Executed, kernel, save_notebook

LOAD_EXT = "%load_ext jupyter_mlops"
SHRINK = "X = X[:10]\ny = y[:10]"
# A model to register (the register tests) ...
SK_IMPORTS = "import numpy as np\nfrom sklearn.linear_model import LinearRegression"
SK_DATA = "X = np.arange(40.0).reshape(20, 2)\ny = X @ [1.0, 2.0]"
SK_TRAIN = "%%mlops track --experiment hs\nmodel = LinearRegression().fit(X, y)\nn = len(X)"
# ... or plain Python, quicker, where only the flags matter.
IMPORTS = "import statistics"
DATA = "X = [float(v) for v in range(20)]\ny = [2 * v for v in X]"
TRAIN = "%%mlops track --experiment hs\nslope = statistics.fmean(y) / statistics.fmean(X)"


def receipt(cell: Executed) -> tuple[str, Any]:
    """The tracked cell's receipt and the run it names."""
    [text] = [t for t in cell.texts if t.startswith(("✓ run", "✗ run"))]
    short = re.search(r"\((\w{8})\)", text)
    assert short is not None, text
    return text, mlops.get_run(short.group(1))


def session_log(run: Any) -> SessionLog:
    [artifact] = [a for a in run.artifacts if a.path == ARTIFACT]
    return parse(current_store().objects.read_bytes(artifact.digest))


def test_out_of_order_session_is_flagged_naming_the_cells(store_dir: Path) -> None:
    # Cell 3 shrinks X after cell 4 trained on it; cell 4 is run again, tracked.
    with kernel(store_dir) as k:
        for code in (LOAD_EXT, SK_IMPORTS, SK_DATA):
            k.run(code)
        first_text, first = receipt(k.run(SK_TRAIN))
        k.run(SHRINK)
        text, run = receipt(k.run(SK_TRAIN))
    why = (
        "X comes from cell [5], which ran after this cell's earlier run [4] used X; "
        "y comes from cell [5], which ran after this cell's earlier run [4] used y"
    )
    assert text.splitlines()[1] == f"⚠ hidden state: {why}"
    assert run.tags[TAG] == why
    # The first, in-order run of the same cell relied on nothing hidden.
    assert "hidden state" not in first_text
    assert TAG not in first.tags

    with pytest.warns(HiddenStateWarning, match=re.escape(f"({why})")):
        version = mlops.models.register(run.id, "hs-model")
    assert version.version == 1


def test_registering_refuses_a_flagged_run_with_the_setting(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with kernel(store_dir) as k:
        for code in (LOAD_EXT, SK_IMPORTS, SK_DATA, SK_TRAIN, SHRINK):
            k.run(code)
        _, run = receipt(k.run(SK_TRAIN))
        (store_dir / "pyproject.toml").write_text('[tool.jupyter-mlops]\nhidden_state = "refuse"\n')
        # The magic refuses in one line, in the kernel too.
        refused = k.run(f"%mlops model register hs-model --run {run.id}", check=False)
    assert refused.status == "error"
    assert 'hidden_state = "refuse"' in (refused.error or "") + refused.stderr
    with pytest.raises(MlopsUsageError, match=r"relied on hidden notebook state \(X comes"):
        mlops.models.register(run.id, "hs-model")
    assert mlops.models.list_models().empty
    monkeypatch.setenv("MLOPS_HIDDEN_STATE", "ignore")
    assert mlops.models.register(run.id, "hs-model").version == 1


def test_a_defining_cell_below_in_the_saved_notebook(store_dir: Path) -> None:
    path = store_dir / "below.ipynb"
    with kernel(store_dir, MLOPS_NOTEBOOK=str(path)) as k:
        for code in (LOAD_EXT, IMPORTS, DATA, TRAIN, SHRINK):
            k.run(code)
        save_notebook(path, [(LOAD_EXT, 1), (IMPORTS, 2), (DATA, 3), (TRAIN, 4), (SHRINK, 5)])
        text, run = receipt(k.run(TRAIN))
    assert run.tags[TAG] == (
        "X comes from cell [5], which is below this cell in the notebook; "
        "y comes from cell [5], which is below this cell in the notebook"
    )
    assert "⚠ hidden state: X comes from cell [5], which is below this cell" in text


def test_a_defining_cell_deleted_from_the_saved_notebook(store_dir: Path) -> None:
    path = store_dir / "deleted.ipynb"
    with kernel(store_dir, MLOPS_NOTEBOOK=str(path)) as k:
        for code in (LOAD_EXT, IMPORTS, DATA):
            k.run(code)
        # The user deletes the data cell and saves; the kernel still holds X and y.
        save_notebook(path, [(LOAD_EXT, 1), (IMPORTS, 2), (TRAIN, None)])
        _, run = receipt(k.run(TRAIN))
    assert run.tags[TAG] == (
        "X comes from cell [3], which is not in the notebook; "
        "y comes from cell [3], which is not in the notebook"
    )


def test_a_defining_cell_edited_since_it_ran(store_dir: Path) -> None:
    path = store_dir / "edited.ipynb"
    with kernel(store_dir, MLOPS_NOTEBOOK=str(path)) as k:
        for code in (LOAD_EXT, IMPORTS, DATA):
            k.run(code)
        edited = DATA.replace("20", "40")  # edited and saved, not run again
        save_notebook(path, [(LOAD_EXT, 1), (IMPORTS, 2), (edited, 3), (TRAIN, None)])
        _, run = receipt(k.run(TRAIN))
    assert run.tags[TAG].startswith("X comes from cell [3], which was edited since it ran")


def test_a_notebook_run_top_to_bottom_is_not_flagged(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_notebook(
        store_dir / "clean.ipynb",
        [(LOAD_EXT, None), (SK_IMPORTS, None), (SK_DATA, None), (SHRINK, None), (SK_TRAIN, None)],
    )
    monkeypatch.setenv("MLOPS_NOTEBOOK", str(path))
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, kernel_name="python3", resources={"metadata": {"path": str(store_dir)}}
    ).execute()
    [summary] = [o for o in nb.cells[-1].outputs if o.output_type == "display_data"]
    text = summary.data["text/plain"]
    assert "hidden state" not in text
    _, record = receipt(Executed("ok", texts=[text]))
    assert TAG not in record.tags
    log = session_log(record)
    assert [c.source for c in log.cells] == [LOAD_EXT, SK_IMPORTS, SK_DATA, SHRINK, SK_TRAIN]
    mlops.models.register(record.id, "clean-model")  # no warning (warnings fail the tests)


def test_the_session_log_records_every_executed_cell_in_order(store_dir: Path) -> None:
    with kernel(store_dir) as k:
        k.run(LOAD_EXT + "\nimport math")
        k.run("!echo shell\n%time half = math.pi / 2")
        k.run("broken = 1 / 0", check=False)
        k.run("%%mlops track --experiment hs\nr = math.sin(half)")
        k.run("after = 1")
        _, run = receipt(k.run("%%mlops track --experiment hs\nr2 = r * 2"))
    log = session_log(run)
    assert (log.version, log.truncated) == (1, False)
    sources = [c.source for c in log.cells]
    assert sources[0] == LOAD_EXT + "\nimport math"
    assert sources[-1] == "%%mlops track --experiment hs\nr2 = r * 2"
    assert [c.execution_count for c in log.cells] == [1, 2, 3, 4, 5, 6]
    assert [c.status for c in log.cells] == ["ok", "ok", "failed", "ok", "ok", "ok"]
    # Only this run's own cell is tracked; the earlier tracked cell belongs to another run.
    assert [c.tracked for c in log.cells] == [False] * 5 + [True]
    for cell in log.cells:
        assert cell.digest == blake3.blake3(cell.source.encode()).hexdigest()
    assert [c.started for c in log.cells] == sorted(c.started for c in log.cells)
    assert log.cells[0].defines == {"math"}
    assert log.cells[1].defines == {"half"}  # %time runs its statement in the namespace
    assert log.cells[3].defines == {"r"} and log.cells[3].uses == {"math", "half"}
    assert log.cells[5].uses == {"r"}
    data = json.loads(current_store().objects.read_bytes(run.artifacts[0].digest))
    assert set(data["cells"][0]) == {
        "execution_count",
        "source",
        "digest",
        "started",
        "status",
        "defines",
        "uses",
        "tracked",
    }


def test_a_line_form_run_logs_its_cells_and_names_the_cell_using_hidden_state(
    store_dir: Path,
) -> None:
    with kernel(store_dir) as k:
        for code in (LOAD_EXT, "a = 1", "b = a + 1", "a = 5"):
            k.run(code)
        k.run("%mlops track line-run --experiment hs")
        k.run("b = a + 1")
        text, run = receipt(k.run("%mlops stop"))
    assert text.splitlines()[1] == (
        "⚠ hidden state: cell [6]: a comes from cell [4], "
        "which ran after its earlier run [3] used a"
    )
    log = session_log(run)
    assert [c.tracked for c in log.cells] == [False] * 4 + [True] * 3


def test_a_600_cell_session_keeps_the_last_500(store_dir: Path) -> None:
    with kernel(store_dir) as k:
        k.run(LOAD_EXT)
        k.run_many([f"v{i} = {i}" for i in range(600)])
        _, run = receipt(k.run("%%mlops track --experiment hs\ntotal = v599 + 1"))
    log = session_log(run)
    assert (len(log.cells), log.truncated, log.dropped) == (500, True, 102)
    assert log.cells[0].source == "v101 = 101"
    assert [c.source for c in log.tracked] == ["%%mlops track --experiment hs\ntotal = v599 + 1"]
