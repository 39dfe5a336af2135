""" "Why did it move?" in the comparison panel: the diff of exactly two runs, as HTML."""

from __future__ import annotations

import time
from collections.abc import Callable

import jupyter_mlops as mlops
from jupyter_mlops.services.schema import RunDiff
from jupyter_mlops.store import Store
from jupyter_mlops.widgets.rundiff import panel_html


def _with_cells(store: Store, name: str, c: float, auc: float) -> str:
    with mlops.start_run(name, params={"C": c}, store=store) as run:
        run.log_metric("auc", auc)
        for i, source in enumerate(["x = load()", f"C = {c}", "fit(x, C)"], start=1):
            run.log_cell(source, execution_count=i, started=time.time(), duration=0.1, status="ok")
    return run.id


def test_two_runs_get_a_why_did_it_move_tab(project: Store) -> None:
    a = _with_cells(project, "alpha", 0.5, 0.91)
    b = _with_cells(project, "beta", 1.0, 0.87)
    panel = mlops.widgets.compare(a, b)
    why = panel.why.value
    assert (
        "<strong>auc 0.91→0.87 (-4.4%): 1 param changed (C 0.5→1.0), 1 cell edited</strong>" in why
    )
    assert (
        '<tr class="diff"><td>auc</td><td>0.91</td><td>0.87</td><td>-0.04</td><td>-4.4%</td></tr>'
        in why
    )
    assert (
        '<span class="bad">-C = 0.5</span>' in why and '<span class="good">+C = 1.0</span>' in why
    )
    assert "cell 1 (a) = cell 1 (b): unchanged" in why
    assert "The same environment (Python, packages, git)." in why
    assert "<h4>Why did it move?</h4>" in panel.to_html()


def test_more_than_two_runs_say_the_diff_needs_two(make_run: Callable[..., str]) -> None:
    panel = mlops.widgets.compare(make_run("a"), make_run("b"), make_run("c"))
    assert "Compare exactly two runs" in panel.why.value
    assert "Why did it move?" not in panel.to_html()


def test_the_magic_view_escapes_code_and_names(project: Store) -> None:
    with mlops.start_run("<a>", store=project) as run:
        run.log_cell("if x < 1: pass", execution_count=1, started=0.0, duration=0.1, status="ok")
    with mlops.start_run("<b>", store=project) as other:
        run_b = other.id
    found: RunDiff = mlops.diff(run.id, run_b, store=project)
    page = panel_html(found)
    assert "<a>" not in page and "&lt;a&gt;" in page
    assert '<span class="bad">-if x &lt; 1: pass</span>' in page
    assert "1 cell removed" in found.headline
