"""Capture work done after a tracked cell's output: the models it fitted, a statsmodels summary.

The first scikit-learn model of a kernel needs skops (seconds to import): the user sees the
cell's output and its receipt first, then the model is saved, in the cell's thread, before the
next cell; the receipt already counts what is saved after it, and the run ends once it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from tests.tracking._kernel import kernel

DATA = (
    "import numpy as np\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "X = np.arange(80.0).reshape(40, 2) % 7\n"
    "y = (X[:, 0] > X[:, 1]).astype(int)\n"
)
#: What a user might have in a notebook: a note of each import as it starts.
IMPORT_LOGGER = (
    "import sys\n"
    "class Logger:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'skops.io':\n"
    "            print('importing skops.io', flush=True)\n"
    "sys.meta_path.insert(0, Logger())\n"
)
TRACKED_FIT = (
    "%%mlops track first-fit\n"
    "model = LogisticRegression().fit(X, y)\n"
    "print('fitted', flush=True)\n"
    "'skops.io' in sys.modules"
)


def _outputs(client: Any, code: str) -> list[tuple[str, str]]:
    """The cell's outputs in the order the notebook receives them: (kind, text)."""
    got: list[tuple[str, str]] = []

    def hook(msg: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            got.extend(("stream", line) for line in content["text"].splitlines())
        elif kind in ("display_data", "execute_result"):
            got.append((kind, content["data"].get("text/plain", "")))
        elif kind == "error":
            got.append(("error", f"{content['ename']}: {content['evalue']}"))

    reply = client.execute_interactive(code, timeout=240, output_hook=hook)
    assert reply["content"]["status"] == "ok", got
    return got


def test_first_tracked_fit_shows_its_output_before_skops_loads_and_saves_the_model(
    store_dir: Path,
) -> None:
    with kernel(store_dir) as k:
        k.run("%load_ext jupyter_mlops")
        k.run(DATA + IMPORT_LOGGER)
        outputs = _outputs(k.client, TRACKED_FIT)
        after = k.run("import sys\nprint('torch' in sys.modules, 'skops.io' in sys.modules)")

    kinds = [kind for kind, _ in outputs]
    texts = [text for _, text in outputs]
    # The cell ran without skops, and its value, print and receipt came before skops loaded.
    assert ("execute_result", "False") in outputs
    receipt = next(t for k, t in outputs if k == "display_data" and t.startswith("✓ run"))
    assert "1 model" in receipt
    loading = texts.index("importing skops.io")
    assert kinds[loading] == "stream"
    assert texts.index("fitted") < loading
    assert texts.index(receipt) < loading
    assert outputs.index(("execute_result", "False")) < loading
    # skops came without torch (scikit-learn's torch adapter is not walked into).
    assert after.stdout.split() == ["False", "True"]

    # The run ended once its model was saved, and the model loads and predicts the same.
    short = re.search(r"\((\w{8})\)", receipt)
    assert short is not None
    run = mlops.get_run(short.group(1))
    assert run.status == "finished"
    assert [m.name for m in run.models] == ["model"]
    mlops.models.register(run.id, "first-fit")
    loaded = mlops.models.load("models:/first-fit/1")
    X = np.arange(80.0).reshape(40, 2) % 7
    y = (X[:, 0] > X[:, 1]).astype(int)
    expected = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(loaded.predict_proba(X), expected.predict_proba(X))


def test_a_line_form_run_stopped_in_the_cell_that_fits_keeps_the_model(ip: Any) -> None:
    ip.run_cell(DATA)
    ip.run_cell("%mlops track stopped-here")
    ip.run_cell("model = LogisticRegression().fit(X, y)\n%mlops stop")
    run = mlops.get_run("stopped-here")
    assert run.status == "finished"
    assert [m.name for m in run.models] == ["model"]


def test_a_failing_tracked_cell_still_saves_what_it_fitted_and_ends_failed(ip: Any) -> None:
    ip.run_cell(DATA)
    with pytest.raises(ZeroDivisionError):
        ip.run_cell("%%mlops track fails\nmodel = LogisticRegression().fit(X, y)\n1 / 0")
    run = mlops.get_run("fails")
    assert run.status == "failed"
    assert [m.name for m in run.models] == ["model"]
