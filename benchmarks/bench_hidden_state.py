"""Cost of the session's cell log and of hidden-state detection, in a real IPython shell.

    python benchmarks/bench_hidden_state.py [--cells 200] [--rounds 5]

A 200-cell session of distinct cells (imports, functions, comprehensions, a line magic every
tenth cell) runs in rounds, alternately with ``%load_ext jupyter_mlops`` (the cell-log hooks
on) and without it (the anchor: no hook), in the same process. Printed:

* the median ``run_cell`` time per cell with and without the hooks, and their difference;
* the hooks' own work per cell (digest, names read with ``ast``, the bounded log), timed
  directly, for a cell run the first time and for a re-executed one;
* the detection a tracked cell adds at the end of the session (200 earlier cells, a saved
  200-cell notebook): the file read once, then cached.

Target (issue 20): capture-time detection adds < 2 ms per cell.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from jupyter_mlops.tracking import cell_names, hidden_state
from jupyter_mlops.tracking.session_log import CellLog, SessionCell

TARGET_MS = 2.0


def session_cells(n: int, tag: str) -> list[str]:
    """``n`` distinct notebook-like cells (``tag`` keeps rounds apart, so none is cached)."""
    cells = []
    for i in range(n):
        cell = (
            f"import math  # {tag}\n"
            f"x{i} = math.sqrt({i}) + {i % 7}\n"
            f"def f{i}(a, b=x{i}):\n    return a * b + len(str(a))\n"
            f"y{i} = [f{i}(v) for v in range(3) if v != {i % 3}]\n"
            f"total = sum(y{i})"
        )
        if i % 10 == 0:
            cell = "%pwd\n" + cell  # IPython syntax: the transformed path
        cells.append(cell)
    return cells


def run_session(shell: InteractiveShell, cells: list[str]) -> list[float]:
    times = []
    for cell in cells:
        start = time.perf_counter()
        result = shell.run_cell(cell, store_history=True)
        times.append(time.perf_counter() - start)
        result.raise_error()
    return times


def hook_work(cells: list[str]) -> tuple[list[float], list[float]]:
    """The log's own work per cell: first run (names read) and re-run (names cached)."""
    log = CellLog()
    first, again = [], []
    for source in cells:
        start = time.perf_counter()
        log.append(SessionCell.executed(source, execution_count=1, started=time.time()))
        first.append(time.perf_counter() - start)
    for source in cells:
        start = time.perf_counter()
        log.append(SessionCell.executed(source, execution_count=2, started=time.time()))
        again.append(time.perf_counter() - start)
    return first, again


def detection(cells: list[str], folder: Path, reps: int = 50) -> tuple[float, float]:
    """A tracked cell's detection after ``cells``: (first, with the file read), median cached."""
    earlier = [
        SessionCell.executed(s, execution_count=i, started=time.time())
        for i, s in enumerate(cells, start=1)
    ]
    tracked = SessionCell.executed(
        "%%mlops track\nmodel = fit(x3, y7, total)", execution_count=len(cells) + 1, started=0
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s, execution_count=i) for i, s in enumerate(cells, 1)]
    nb.cells.append(nbformat.v4.new_code_cell(tracked.source))
    path = folder / "session.ipynb"
    nbformat.write(nb, path)

    def once() -> float:
        start = time.perf_counter()
        hidden_state.detect(earlier, tracked, hidden_state.read_notebook(path))
        return time.perf_counter() - start

    first = once()
    return first, statistics.median(once() for _ in range(reps))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    home = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.chdir(folder)
        (folder / ".mlops").mkdir()
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        shell = InteractiveShell.instance(config=config)
        hooked: list[float] = []
        plain: list[float] = []
        with capture_output():
            run_session(shell, session_cells(20, "warm-up"))
            for r in range(args.rounds):
                shell.run_cell("%load_ext jupyter_mlops").raise_error()
                hooked += run_session(shell, session_cells(args.cells, f"on {r}"))
                shell.run_cell("%unload_ext jupyter_mlops").raise_error()
                plain += run_session(shell, session_cells(args.cells, f"off {r}"))
        InteractiveShell.clear_instance()
        cell_names._analyze.cache_clear()
        first, again = hook_work(session_cells(args.cells, "direct"))
        detect_first, detect_cached = detection(session_cells(args.cells, "detect"), folder)
        os.chdir(home)

    on, off = statistics.median(hooked), statistics.median(plain)
    print(f"{args.cells}-cell session x {args.rounds} rounds, run_cell per cell (median):")
    print(f"  no hook (anchor)    {ms(off)}")
    print(f"  with the cell log   {ms(on)}   difference {ms(on - off)}")
    print("the hooks' own work per cell (digest + names + bounded log):")
    for label, values in (("first run", first), ("re-run   ", again)):
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"  {label}  median {ms(statistics.median(values))}  p95 {ms(p95)}")
    print(f"a tracked cell's detection over {args.cells} earlier cells and a saved notebook:")
    print(f"  notebook read once {ms(detect_first)}   cached {ms(detect_cached)}")
    worst = max(on - off, statistics.median(first)) + detect_cached
    verdict = "OK" if worst < TARGET_MS / 1000 else "OVER"
    print(
        f"per-cell cost (hook + detection, notebook cached): {ms(worst)}  target < 2 ms: {verdict}"
    )


if __name__ == "__main__":
    main()
