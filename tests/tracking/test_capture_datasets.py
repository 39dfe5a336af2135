"""A tracked cell that reads a versioned file links the run to that dataset version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t
from jupyter_mlops.tracking.capture import capturing


def _links(store: Store, run_id: str) -> set[tuple[str, int, str]]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.datasets.c.name, t.dataset_versions.c.version, t.run_dataset_links.c.role)
            .join(t.dataset_versions, t.dataset_versions.c.id == t.run_dataset_links.c.version_id)
            .join(t.datasets, t.datasets.c.id == t.dataset_versions.c.dataset_id)
            .where(t.run_dataset_links.c.run_id == run_id)
        ).all()
    return {(name, int(version), role) for name, version, role in rows}


def _cell(store: Store, code: str, ns: dict[str, Any]) -> str:
    run = mlops.start_run(store=store, experiment="t")
    with capturing(run, user_ns=ns):
        exec(code, ns)
    run.end()
    return run.id


def test_read_then_fit_and_score_links_roles(store: Store, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"a": range(40), "b": [i % 7 for i in range(40)], "y": [i % 2 for i in range(40)]}
    )
    csv = tmp_path / "train.csv"
    frame.to_csv(csv, index=False)
    mlops.data.add(csv, name="train", store=store)
    other = tmp_path / "other.csv"
    frame.head(3).to_csv(other, index=False)

    ns: dict[str, Any] = {"path": str(csv), "other": str(other)}
    run_id = _cell(
        store,
        "import pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import accuracy_score\n"
        "from sklearn.model_selection import train_test_split\n"
        "df = pd.read_csv(path)\n"
        "pd.read_csv(other)\n"
        "X_tr, X_te, y_tr, y_te = train_test_split(df[['a', 'b']], df['y'], random_state=0)\n"
        "m = LogisticRegression().fit(X_tr, y_tr)\n"
        "accuracy_score(y_te, m.predict(X_te))\n",
        ns,
    )
    assert _links(store, run_id) == {
        ("train", 1, "input"),
        ("train", 1, "training"),
        ("train", 1, "evaluation"),
    }


def test_unversioned_file_links_nothing(store: Store, tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(csv, index=False)
    run_id = _cell(store, "import pandas as pd\ndf = pd.read_csv(path)\n", {"path": str(csv)})
    assert _links(store, run_id) == set()
    assert [i.role for i in mlops.get_run(run_id, store=store).inputs] == ["input"]


def test_run_log_dataset_links_explicitly(store: Store, tmp_path: Path) -> None:
    with mlops.start_run(store=store, experiment="t") as run:
        version = run.log_dataset(pd.DataFrame({"a": [1, 2]}), "frame", role="training")
    assert version.ref == "frame@1"
    assert _links(store, run.id) == {("frame", 1, "training")}
