"""Capture of matplotlib figures made in a tracked cell, as PNG artifacts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.tracking.capture import capturing

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run(store):
    with mlops.start_run(store=store, experiment="t") as run:
        yield run


@pytest.fixture(autouse=True)
def no_figures():
    plt.close("all")
    yield
    plt.close("all")


def cell(run, code, ns):
    with capturing(run, user_ns=ns):
        exec(code, ns)


def figures(run, store):
    run.end()
    return [a for a in mlops.get_run(run.id, store=store).artifacts if a.kind == "figure"]


def test_figures_created_in_the_cell_are_saved_and_left_open(run, store) -> None:
    ns = {"plt": plt, "In": ["", "x = 1", "plots"]}  # IPython's history: this is cell 2
    cell(run, "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\nplt.figure()", ns)
    assert len(plt.get_fignums()) == 2  # capture never closes the notebook's figures
    saved = figures(run, store)
    assert [a.path for a in saved] == ["figures/cell2_fig1.png", "figures/cell2_fig2.png"]
    assert saved[0].media_type == "image/png"
    assert store.objects.read_bytes(saved[0].digest).startswith(PNG)
    assert run.captured.figures == 2


def test_figures_from_earlier_cells_are_not_saved_again(run, store) -> None:
    plt.plot([1, 2])  # made before the tracked cell
    cell(run, "x = 1", {"plt": plt})
    assert figures(run, store) == []


def test_a_figure_closed_in_the_cell_is_saved_before_it_closes(run, store) -> None:
    # The inline backend closes every figure after showing it; so does a loop of plots.
    ns = {"plt": plt}
    cell(
        run, "for i in range(2):\n    fig = plt.figure()\n    plt.plot([i])\n    plt.close(fig)", ns
    )
    assert plt.get_fignums() == []
    assert len(figures(run, store)) == 2


def test_a_figure_changed_after_being_drawn_is_saved(run, store) -> None:
    fig, ax = plt.subplots()
    fig.canvas.draw()  # shown in an earlier cell
    cell(run, "ax.set_title('changed')", {"ax": ax})
    assert [a.path for a in figures(run, store)] == ["figures/cell1_fig1.png"]


def test_close_all_in_the_cell_saves_every_new_figure(run, store) -> None:
    cell(run, "plt.figure()\nplt.figure()\nplt.close('all')", {"plt": plt})
    assert len(figures(run, store)) == 2
