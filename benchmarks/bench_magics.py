"""Overhead of ``%%mlops track`` on a trivial cell, in a real IPython shell.

    python benchmarks/bench_magics.py [--reps 200] [--git] [--profile]

Runs ``x = 1`` untracked and under ``%%mlops track`` (autolog on, the default) in a temporary
project, and prints the medians and their difference. Target: median overhead under 5 ms.
``--git`` makes the project a git repository with one commit, as most projects are (the run's
environment snapshot then runs git). ``--profile`` prints where the tracked cells spend their
time (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

TARGET_MS = 5.0


def timings(shell: InteractiveShell, cell: str, reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        result = shell.run_cell(cell, store_history=True)
        times.append(time.perf_counter() - start)
        result.raise_error()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--git", action="store_true", help="run inside a git repository")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    home = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        Path(".mlops").mkdir()
        if args.git:
            Path("notes.txt").write_text("x\n")
            for cmd in (["init", "-q"], ["add", "notes.txt"], ["commit", "-qm", "init"]):
                git = ["git", "-c", "user.name=bench", "-c", "user.email=b@example.com", *cmd]
                subprocess.run(git, check=True)
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        shell = InteractiveShell.instance(config=config)
        shell.run_cell("%load_ext jupyter_mlops").raise_error()
        from IPython.utils.capture import capture_output

        with capture_output():  # keep the summary lines off the terminal
            timings(shell, "%%mlops track\nx = 1", 10)  # warm up: store, imports, patchers
            timings(shell, "x = 1", 10)
            plain = timings(shell, "x = 1", args.reps)
            tracked = timings(shell, "%%mlops track\nx = 1", args.reps)
            shell.run_cell("%mlops track line-form").raise_error()
            line_cells = timings(shell, "x = 1", args.reps)
            shell.run_cell("%mlops stop").raise_error()
            profile = None
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                timings(shell, "%%mlops track\nx = 1", 50)
                profile.disable()
            shell.run_cell("%unload_ext jupyter_mlops")
        InteractiveShell.clear_instance()
        os.chdir(home)

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    overhead = ms(tracked) - ms(plain)
    line_overhead = ms(line_cells) - ms(plain)
    where = " (in a git repository)" if args.git else ""
    print(f"reps                          {args.reps}{where}")
    print(f"untracked cell (median)       {ms(plain):8.3f} ms")
    print(f"%%mlops track cell (median)   {ms(tracked):8.3f} ms")
    print(f"  overhead                    {overhead:8.3f} ms   (target < {TARGET_MS} ms)")
    print(f"  p90 tracked                 {statistics.quantiles(tracked, n=10)[-1] * 1000:8.3f} ms")
    print(f"line-form cell (median)       {ms(line_cells):8.3f} ms")
    print(f"  overhead                    {line_overhead:8.3f} ms")
    print(f"ratio tracked/untracked       {ms(tracked) / ms(plain):8.1f}x")
    print("verdict                       " + ("OK" if overhead < TARGET_MS else "OVER TARGET"))
    if profile is not None:
        print("\nWhere 50 tracked cells spend their time (cumulative):")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
