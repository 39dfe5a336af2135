"""Keras 3 (torch backend), PyTorch Lightning and plain PyTorch in ``%%mlops track`` cells.

Needs the ``[frameworks]`` extra, installed by ``make install`` and CI (where these tests
run); ``pytest.importorskip`` only guards a machine without it.
"""

from __future__ import annotations

import numpy as np
import pytest

import jupyter_mlops as mlops

LIT = """
import torch, lightning.pytorch as pl
class Lit(pl.LightningModule):
    def __init__(self, hidden=8, lr=0.05):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(5, hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, 1))
    def forward(self, x):
        return self.net(x)
    def step(self, batch):
        x, t = batch
        return torch.nn.functional.binary_cross_entropy_with_logits(self(x).squeeze(1), t)
    def training_step(self, batch, i):
        loss = self.step(batch)
        self.log('train_loss', loss)
        return loss
    def validation_step(self, batch, i):
        self.log('val_loss', self.step(batch))
    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
def loader(X, y):
    ds = torch.utils.data.TensorDataset(torch.tensor(X.to_numpy(), dtype=torch.float32),
                                        torch.tensor(y.to_numpy(), dtype=torch.float32))
    return torch.utils.data.DataLoader(ds, batch_size=50)
"""


# Keras' own predict on the torch backend warns under numpy 2 (not ours to fix).
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_keras_fit_epochs_early_stopping_and_roundtrip(data, steps) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    data.run_cell(
        "%%mlops track keras\n"
        "import keras\n"
        "model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation='relu'),\n"
        "                          keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile(optimizer=keras.optimizers.Adam(0.01), loss='binary_crossentropy',\n"
        "              metrics=['accuracy'])\n"
        "stop = keras.callbacks.EarlyStopping(patience=2)\n"
        "history = model.fit(X_train, y_train, epochs=8, batch_size=32, verbose=0,\n"
        "                    validation_data=(X_valid, y_valid), callbacks=[stop])"
    )
    run = mlops.get_run("keras")
    history = data.user_ns["history"].history
    assert (run.params["epochs"], run.params["optimizer"]) == ("8", "Adam")
    assert run.params["trainable_params"] == str(5 * 8 + 8 + 8 + 1)
    assert steps(run, "val_loss") == list(range(len(history["val_loss"])))
    assert run.metrics["val_accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert run.metrics["best_score"] == pytest.approx(min(history["val_loss"]))
    [saved] = run.models
    assert (saved.flavor, saved.format) == ("keras", "keras")
    mlops.models.register(run.id, "keras-net")
    mlops.models.promote("keras-net", 1, to="production", checks=["version >= 1"])
    X_valid = data.user_ns["X_valid"]
    loaded = mlops.models.load("models:/keras-net@production")
    model = data.user_ns["model"]
    expected = model.predict(X_valid.to_numpy("float32"), verbose=0)
    np.testing.assert_allclose(loaded.predict(X_valid.to_numpy("float32"), verbose=0), expected)
    served = mlops.models.load_predictor("models:/keras-net@production")
    np.testing.assert_allclose(served.predict(X_valid), expected)


# Lightning's own warnings (torch's pytree deprecation, its dataloader-workers advice).
@pytest.mark.filterwarnings("ignore:`isinstance.treespec, LeafSpec.` is deprecated")
@pytest.mark.filterwarnings("ignore::UserWarning:lightning")
@pytest.mark.filterwarnings("ignore:.*does not have many workers")
def test_lightning_logged_values_with_steps_checkpoint_score_and_roundtrip(data, steps) -> None:
    pytest.importorskip("lightning")
    data.run_cell(LIT)
    data.run_cell(
        "%%mlops track lit\n"
        "lit = Lit(hidden=8)\n"
        "trainer = pl.Trainer(max_epochs=3, logger=False, enable_progress_bar=False,\n"
        "                     enable_model_summary=False, log_every_n_steps=2,\n"
        "                     callbacks=[pl.callbacks.ModelCheckpoint(monitor='val_loss')])\n"
        "trainer.fit(lit, loader(X_train, y_train), loader(X_valid, y_valid))"
    )
    run = mlops.get_run("lit")
    trainer = data.user_ns["trainer"]
    assert (run.params["hidden"], run.params["lr"], run.params["max_epochs"]) == ("8", "0.05", "3")
    assert run.params["optimizer"] == "Adam"
    val_steps = steps(run, "val_loss")
    assert len(val_steps) == 3 and val_steps == sorted(val_steps) and val_steps[-1] > 0
    assert len(steps(run, "train_loss")) >= 3
    assert run.metrics["best_score"] == pytest.approx(
        trainer.checkpoint_callback.best_model_score.item()
    )
    assert run.params["checkpoint.monitor"] == "val_loss"
    assert trainer.loggers == []  # the run's logger was attached for the call only
    assert trainer.checkpoint_callback.best_model_path.startswith(trainer.default_root_dir)
    [saved] = run.models
    assert (saved.flavor, saved.format) == ("pytorch", "safetensors:module")

    mlops.models.register(run.id, "lit")
    loaded = mlops.models.load("models:/lit/1")
    assert type(loaded).__name__ == "Lit" and loaded.hparams["hidden"] == 8
    torch = __import__("torch")
    X = torch.tensor(data.user_ns["X_valid"].to_numpy(), dtype=torch.float32)
    lit = data.user_ns["lit"].eval()
    with torch.no_grad():
        np.testing.assert_allclose(loaded(X).numpy(), lit(X).numpy())
        served = mlops.models.load_predictor("models:/lit/1").predict(data.user_ns["X_valid"])
        np.testing.assert_allclose(served, lit(X).numpy(), rtol=1e-6)

    data.run_cell("%%mlops track lit-validate\ntrainer.validate(lit, loader(X_valid, y_valid))")
    checked = mlops.get_run("lit-validate")
    assert checked.metrics["val_loss"] == pytest.approx(run.metrics["val_loss"], rel=1e-5)
    assert checked.models == []  # validating saves no model
    assert trainer.loggers == []


def test_plain_torch_optimizer_hyperparameters_and_saved_state_dict(data) -> None:
    pytest.importorskip("torch")
    data.run_cell(
        "%%mlops track torch\n"
        "import torch\n"
        "net = torch.nn.Linear(5, 1)\n"
        "opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)\n"
        "X = torch.tensor(X_train.to_numpy(), dtype=torch.float32)\n"
        "t = torch.tensor(y_train.to_numpy(), dtype=torch.float32)\n"
        "for _ in range(5):\n"
        "    opt.zero_grad()\n"
        "    loss = ((net(X).squeeze(1) - t) ** 2).mean()\n"
        "    loss.backward()\n"
        "    opt.step()\n"
        "torch.save(net.state_dict(), 'weights.pt')"
    )
    run = mlops.get_run("torch")
    assert run.params["optimizer"] == "SGD"
    assert (run.params["optimizer.lr"], run.params["optimizer.momentum"]) == ("0.1", "0.9")
    assert run.params["trainable_params"] == "6"
    [saved] = run.models
    assert (saved.name, saved.flavor) == ("weights", "pytorch")
    assert saved.class_name == "torch.nn.modules.linear.Linear"
    mlops.models.register(run.id, "linear")
    loaded = mlops.models.load("models:/linear/1")  # nn.Linear needs arguments: the weights
    torch = __import__("torch")
    expected = torch.load("weights.pt", weights_only=True)
    assert loaded.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(loaded[key], value)
