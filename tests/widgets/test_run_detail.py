"""The run detail panel: every section, figures inline, bad refs said plainly."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
from matplotlib.figure import Figure

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.widgets.run_detail import SECTIONS


def _png() -> bytes:
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([1, 2, 3])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_sections_with_curves_figures_and_lineage(project: Store) -> None:
    with mlops.start_run("fit", experiment="churn", params={"C": 0.5}, store=project) as run:
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            run.log_metric("loss", loss, step=step)
        run.log_metric("auc", 0.91)
        run.set_tag("owner", "ana")
        run.log_artifact(_png(), "plots/roc.png", media_type="image/png")
    panel = mlops.widgets.run(run.id[:8])
    titles = [panel.tabs.get_title(i) for i in range(len(panel.tabs.children))]
    assert titles == list(SECTIONS)
    assert "Not in a git repository" in panel.tabs.children[SECTIONS.index("Git")].value
    static = panel._repr_mimebundle_()["text/html"]
    assert "fit" in static and "owner" in static and "0.91" in static
    assert 'alt="loss by step"' in static  # the step curve, as an inline PNG
    assert 'alt="plots/roc.png" style="max-width:600px" src="data:image/png;base64,' in static
    assert "mlops-finished" in static
    assert "No models logged." in static and "No cells recorded" in static


def test_unknown_run_says_so_and_refresh_still_works(project: Store) -> None:
    panel = mlops.widgets.run("nosuchrun")
    assert "No run 'nosuchrun'" in panel.message.value
    assert "No run 'nosuchrun'" in panel.to_html()
    panel.refresh_button.click()
    assert panel.tabs.children == ()


def test_run_without_metrics_or_params(make_run: Callable[..., str]) -> None:
    panel = mlops.widgets.run(make_run("bare"))
    html = panel.to_html()
    assert "No metrics logged." in html and "No params logged." in html


def test_thousands_of_params_are_capped(make_run: Callable[..., str]) -> None:
    panel = mlops.widgets.run(make_run("wide", params={f"p{i:04d}": i for i in range(1200)}))
    assert "700 more params not shown" in panel.to_html()


def test_data_lists_the_dataset_versions_a_run_used(project: Store) -> None:
    with mlops.start_run("fit", experiment="churn", store=project) as run:
        run.log_dataset(pd.DataFrame({"x": [1, 2, 3]}), "churn-train", role="training")
    data = mlops.widgets.run(run.id).tabs.children[SECTIONS.index("Data")].value
    assert "<td>input</td><td>training</td><td>dataset:churn-train@1</td><td>3</td>" in data
