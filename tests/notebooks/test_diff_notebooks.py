"""Diffing two runs tracked in real kernels: their cells aligned, ``%mlops diff`` in a notebook."""

from __future__ import annotations

import jupyter_mlops as mlops
from tests.notebooks.conftest import outputs

PREP = (
    "from sklearn.datasets import load_breast_cancer\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import roc_auc_score\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.preprocessing import scale\n"
    "X, y = load_breast_cancer(return_X_y=True)\n"
    "X_train, X_test, y_train, y_test = train_test_split(scale(X), y, random_state=0)"
)
FIT = (
    "model = LogisticRegression(C=C, max_iter=500).fit(X_train, y_train)\n"
    "auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])\n"
    "mlops.log_metric('auc', auc)"
)


def _cells(name: str, c: float, extra: list[str]) -> list[str]:
    return [
        "%load_ext jupyter_mlops\nimport jupyter_mlops as mlops",
        f"%mlops track {name} --experiment cancer",
        PREP,
        f"C = {c}\nmlops.log_param('C', C)",
        *extra,
        FIT,
        "%mlops stop",
    ]


def test_two_notebook_runs_diff_cell_by_cell_and_in_the_notebook(run_notebook) -> None:
    # The same notebook run twice under one name, edited in between.
    run_notebook("first", _cells("cancer-lr", 1.0, []))
    first = mlops.get_run("cancer-lr").id
    second = _cells("cancer-lr", 0.01, ["X_train = X_train[:, :5]\nX_test = X_test[:, :5]"])
    nb = run_notebook("second", [*second, f"%mlops diff {first[:8]} cancer-lr"])

    found = mlops.diff(first, "cancer-lr")
    assert found.a.run_id == first and found.b.run_id != first
    assert [(b.change, len(b.a), len(b.b)) for b in found.code.blocks] == [
        ("same", 3, 3),  # %load_ext (the session log starts there), %mlops track, the data
        ("changed", 1, 1),  # C
        ("added", 0, 1),  # the columns dropped
        ("same", 2, 2),  # the fit, %mlops stop
    ]
    assert found.code.blocks[0].a[0].status == "ok"
    assert "-C = 1.0" in found.code.blocks[1].diff and "+C = 0.01" in found.code.blocks[1].diff
    assert found.code.blocks[2].diff == ["+X_train = X_train[:, :5]", "+X_test = X_test[:, :5]"]
    # Logged by the cell and captured from roc_auc_score: the same move, largest first.
    assert {m.key for m in found.metrics} == {"auc", "roc_auc_score"}
    assert all(m.delta is not None and m.delta < 0 for m in found.metrics)
    [param] = found.params
    assert (param.key, param.a, param.b) == ("C", "1.0", "0.01")
    [fitted] = [i for i in found.inputs if i.role == "training"]
    assert (fitted.source, fitted.change) == ("X_train", "changed")  # five columns now
    move = found.metrics[0]
    assert found.headline == (
        f"{move.key} {move.a:.4g}→{move.b:.4g} ({move.relative:+.1%}): "
        f"1 param changed (C 1.0→0.01), {len(found.inputs)} input"
        f"{'s' if len(found.inputs) > 1 else ''} changed, 1 cell edited, 1 added"
    )

    [shown] = outputs(nb, len(nb.cells) - 1)
    assert shown.data["text/plain"] == found.headline
    page = shown.data["text/html"]
    assert f"Why did it move? cancer-lr ({first[:8]}) → cancer-lr (" in page
    assert '<span class="good">+C = 0.01</span>' in page
