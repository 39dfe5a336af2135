"""A tracked notebook per framework, executed in a real kernel: train in ``%%mlops track``,
then register, promote, load by stage and compare predictions with the in-memory model.

Needs the ``[frameworks]`` extra, installed by ``make install`` and CI (where these tests
run); ``pytest.importorskip`` only guards a machine without it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import jupyter_mlops as mlops

SETUP = """%load_ext jupyter_mlops
import os
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, pandas as pd
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
y = pd.Series((X.a - X.b > 0).astype(int), name="y")
X_train, y_train, X_test, y_test = X[:200], y[:200], X[200:].reset_index(drop=True), y[200:]
"""

#: framework -> (module to import, the tracked training cell, the in-memory predictions).
CASES = {
    "xgboost": (
        "xgboost",
        "import xgboost as xgb\n"
        "model = xgb.XGBClassifier(n_estimators=40, early_stopping_rounds=3)\n"
        "model.fit(X_train, y_train, eval_set=[(X_test, y_test)], verbose=False)",
        "model.predict(X_test)",
    ),
    "lightgbm": (
        "lightgbm",
        "import lightgbm as lgb\n"
        "model = lgb.LGBMRegressor(n_estimators=20, verbose=-1)\n"
        "model.fit(X_train, y_train, eval_X=X_test, eval_y=y_test)",
        "model.predict(X_test)",
    ),
    "catboost": (
        "catboost",
        "from catboost import CatBoostClassifier\n"
        "model = CatBoostClassifier(iterations=20, verbose=False, allow_writing_files=False)\n"
        "model.fit(X_train, y_train, eval_set=(X_test, y_test))",
        "model.predict(X_test)",
    ),
    "statsmodels": (
        "statsmodels",
        "import statsmodels.formula.api as smf\n"
        "model = smf.ols('y ~ a + b', data=X_train.assign(y=y_train)).fit()",
        "model.predict(X_test)",
    ),
    "keras": (
        "keras",
        "import keras\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
        "model.compile(optimizer='sgd', loss='mse')\n"
        "model.fit(X_train.to_numpy('float32'), y_train.to_numpy('float32'), epochs=3,\n"
        "          verbose=0)",
        "model.predict(X_test.to_numpy('float32'), verbose=0)",
    ),
    "lightning": (
        "lightning",
        "import torch, lightning.pytorch as pl\n"
        "class Reg(pl.LightningModule):\n"
        "    def __init__(self, width=4):\n"
        "        super().__init__(); self.save_hyperparameters()\n"
        "        self.lin = torch.nn.Linear(width, 1)\n"
        "    def forward(self, x): return self.lin(x)\n"
        "    def training_step(self, batch, i):\n"
        "        x, t = batch; loss = ((self(x).squeeze(1) - t) ** 2).mean()\n"
        "        self.log('loss', loss); return loss\n"
        "    def configure_optimizers(self): return torch.optim.SGD(self.parameters(), lr=0.1)\n"
        "as_tensor = lambda v: torch.tensor(v.to_numpy(), dtype=torch.float32)\n"
        "data = torch.utils.data.TensorDataset(as_tensor(X_train), as_tensor(y_train))\n"
        "model = Reg()\n"
        "pl.Trainer(max_epochs=2, logger=False, enable_progress_bar=False, log_every_n_steps=1,\n"
        "           enable_checkpointing=False, enable_model_summary=False).fit(\n"
        "    model, torch.utils.data.DataLoader(data, batch_size=50))",
        "model.eval()(torch.tensor(X_test.to_numpy(), dtype=torch.float32)).detach().numpy()",
    ),
}


def notebook(framework: str) -> nbformat.NotebookNode:
    _, train, predict = CASES[framework]
    cells = [
        SETUP,
        f"%%mlops track nb-{framework}\n{train}",
        f"expected = {predict}\n"
        f"import jupyter_mlops as mlops\n"
        f"mlops.models.register('nb-{framework}', '{framework}-model')\n"
        f"mlops.models.promote('{framework}-model', 1, to='production', checks='version >= 1')\n"
        f"served = mlops.models.load_predictor('models:/{framework}-model@production',\n"
        f"                                     trusted={framework == 'statsmodels'})\n"
        f"np.testing.assert_allclose(np.asarray(served.predict(X_test)).ravel(),\n"
        f"                           np.asarray(expected).ravel(), rtol=1e-5)\n"
        f"print('ROUNDTRIP OK', type(served.model).__name__)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


@pytest.mark.parametrize("framework", sorted(CASES))
def test_tracked_notebook_trains_registers_and_serves(framework: str, store_dir: Path) -> None:
    pytest.importorskip(CASES[framework][0])
    nb = notebook(framework)
    NotebookClient(
        nb, kernel_name="python3", timeout=240, resources={"metadata": {"path": str(store_dir)}}
    ).execute()  # raises CellExecutionError naming the cell that failed
    printed = "".join(str(o.get("text", "")) for o in nb.cells[-1].outputs)
    assert "ROUNDTRIP OK" in printed
    run = mlops.get_run(f"nb-{framework}")
    assert run.status == "finished"
    assert run.params, "the framework's params were captured"
    assert len(run.models) == 1
    distribution = "lightning" if framework == "lightning" else framework
    assert distribution in run.environment["packages"]
