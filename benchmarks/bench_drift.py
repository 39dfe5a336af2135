"""Drift benchmark: 1,000,000 + 1,000,000 rows x (20 numerical + 5 categorical) columns.

Anchor: Evidently's ``DataDriftPreset`` on the same data, measured in the same run, in its own
environment ``.venv-evidently`` (Evidently needs pandas < 3)::

    python3 -m venv .venv-evidently && .venv-evidently/bin/pip install evidently "pandas<3"

Without it (or with ``--no-evidently``) the anchor is a plain per-column scipy/pandas
implementation of the same tests (``baseline``), and the script says so. Targets: under 6 s,
at least 30x faster than Evidently, peak extra memory under half the two DataFrames (peak
under 1.5x the frames); scoring against a stored profile faster still.

Also printed: agreement with Evidently's per-column scores at 800 and 5,000 rows, and the
false-positive rate of both policies on identical distributions.

Every measurement runs in a fresh subprocess that builds the frames from fixed seeds, resets
the peak-RSS mark (``/proc/self/clear_refs``) and reports the peak RSS above the frames.

    python benchmarks/bench_drift.py [--rows 1000000] [--no-evidently] [--trials 200] [--json F]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
EVIDENTLY_PY = ROOT / ".venv-evidently" / "bin" / "python"
NUM, CAT = [f"num{i}" for i in range(20)], [f"cat{i}" for i in range(5)]


def make(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """20 normal columns (the first 5 shifted by ``shift``) and 5 string columns of 8 values."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        name: rng.normal(shift if i < 5 else 0.0, 1.0, n) for i, name in enumerate(NUM)
    }
    labels = np.array([f"cat_{j}" for j in range(8)], dtype=object)
    weights = np.linspace(1, 2, 8)
    for i, name in enumerate(CAT):
        p = weights if (shift and i == 0) else np.ones(8)
        cols[name] = labels[rng.choice(8, n, p=p / p.sum())]
    return pd.DataFrame(cols)


def _rss(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _measure(fn):  # type: ignore[no-untyped-def]
    gc.collect()
    _reset_peak()
    base = _rss("VmRSS")
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return result, seconds, _rss("VmHWM") - base


# -- the contenders (each runs in a child process) -------------------------------------------


def _evidently_scores(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, float]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=NUM, categorical_columns=CAT)
    snap = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    out = {}
    for metric in snap.dict()["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            out[config["column"]] = float(metric["value"])
    return out


def _baseline_scores(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, float]:
    """The same default tests, one scipy/pandas call per column (what a notebook would do)."""
    from scipy import stats
    from scipy.spatial import distance

    out = {}
    for name in ref.columns:
        r, c = ref[name].dropna(), cur[name].dropna()
        if name in NUM:
            if len(r) <= 1000:
                out[name] = float(stats.ks_2samp(r, c).pvalue)
            else:
                out[name] = float(stats.wasserstein_distance(r, c) / max(np.std(r), 0.001))
        else:
            keys = sorted(set(r.unique()) | set(c.unique()))
            rp = r.value_counts().reindex(keys, fill_value=0).to_numpy() / len(r)
            cp = c.value_counts().reindex(keys, fill_value=0).to_numpy() / len(c)
            if len(r) <= 1000:
                out[name] = float(stats.chisquare(cp * len(c), rp * len(c)).pvalue)
            else:
                out[name] = float(distance.jensenshannon(rp, cp))
    return out


def _ours_scores(ref: object, cur: pd.DataFrame) -> dict[str, float]:
    from jupyter_mlops.monitor import drift

    report = drift(ref, cur, log=False)  # type: ignore[arg-type]
    return {r.column: float(r.score) for r in report.results if r.score is not None}


def child(mode: str, rows: int) -> dict[str, object]:
    """Build the frames and measure one contender; returns figures as a dict."""
    ref = make(rows, 1)
    cur = make(rows, 2, shift=0.2)
    frames_mb = (ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum()) / 2**20
    extra: dict[str, object] = {}
    # Import before measuring: module loading is not the check's memory or time.
    if mode == "evidently":
        import evidently.presets  # noqa: F401
    else:
        import scipy.spatial.distance
        import scipy.stats  # noqa: F401
    if mode.startswith("ours"):
        import jupyter_mlops.monitor  # noqa: F401
    if mode == "ours-profile":
        from jupyter_mlops.monitor import profile

        prof, extra["profile_seconds"], _ = _measure(lambda: profile(ref))
        extra["profile_bytes"] = len(prof.to_bytes())
        del ref
        frames_mb = cur.memory_usage(deep=True).sum() / 2**20
        scores, seconds, peak = _measure(lambda: _ours_scores(prof, cur))
    else:
        fn = {"ours": _ours_scores, "evidently": _evidently_scores, "baseline": _baseline_scores}
        scores, seconds, peak = _measure(lambda: fn[mode](ref, cur))
    return {
        "mode": mode,
        "rows": rows,
        "seconds": seconds,
        "peak_extra_mb": peak,
        "frames_mb": frames_mb,
        "scores": scores,
        **extra,
    }


def run_child(mode: str, rows: int, python: str = sys.executable) -> dict[str, object] | None:
    proc = subprocess.run(
        [python, __file__, "--child", mode, "--rows", str(rows)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        print(f"  {mode} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- false positives on identical distributions ----------------------------------------------


def false_positive_rates(trials: int, rows: int) -> dict[str, dict[str, float]]:
    """Share of column tests flagged when reference and current share one distribution."""
    from jupyter_mlops.monitor import drift

    flagged: dict[str, dict[str, list[int]]] = {"standard": {}, "strict": {}}
    cats = [f"c{j}" for j in range(10)]
    p_cats = np.linspace(1, 3, 10) / np.linspace(1, 3, 10).sum()
    for trial in range(trials):
        rng = np.random.default_rng(10_000 + trial)

        def sample(rng: np.random.Generator = rng) -> pd.DataFrame:
            x = rng.normal(0, 1, rows)
            x[rng.random(rows) < 0.05] = np.nan
            return pd.DataFrame(
                {
                    "normal": x,
                    "skewed": rng.lognormal(0, 1, rows),
                    "four_values": rng.integers(0, 4, rows).astype(float),
                    "cat10": rng.choice(cats, rows, p=p_cats),
                    "cat4": rng.choice(cats[:4], rows),
                    "binary": rng.random(rows) < 0.3,
                }
            )

        ref, cur = sample(), sample()
        for policy, tally in flagged.items():
            for r in drift(ref, cur, policy=policy, log=False).results:
                if r.drifted is not None:
                    tally.setdefault(f"{r.column}:{r.test}", []).append(int(r.drifted))
    return {
        policy: {key: float(np.mean(v)) for key, v in tally.items()}
        | {"ALL columns (any test)": _any_rate(tally)}
        for policy, tally in flagged.items()
    }


def _any_rate(tally: dict[str, list[int]]) -> float:
    by_column: dict[str, np.ndarray] = {}
    for key, values in tally.items():
        column = key.split(":")[0]
        by_column[column] = np.maximum(by_column.get(column, 0), np.array(values))
    return float(np.mean([v.mean() for v in by_column.values()]))


# -- main ------------------------------------------------------------------------------------


def agreement(rows: int, anchor: str, python: str) -> None:
    ours = run_child("ours", rows)
    theirs = run_child(anchor, rows, python)
    if not ours or not theirs:
        return
    a, b = ours["scores"], theirs["scores"]
    assert isinstance(a, dict) and isinstance(b, dict)
    diffs = [abs(a[k] - b[k]) / max(abs(b[k]), 1e-12) for k in b if k in a]
    print(
        f"  {rows:>7,} rows: {len(diffs)} columns compared with {anchor}, "
        f"max relative score difference {max(diffs):.2e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--fpr-rows", type=int, default=200)
    parser.add_argument("--no-evidently", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows)))
        return

    use_evidently = not args.no_evidently and EVIDENTLY_PY.exists()
    anchor, anchor_py = (
        ("evidently", str(EVIDENTLY_PY)) if use_evidently else ("baseline", sys.executable)
    )
    if not use_evidently:
        print("Evidently not available (.venv-evidently missing or --no-evidently): the anchor is")
        print("a per-column scipy/pandas implementation of the same default tests.")
    print(f"Drift check, {args.rows:,} + {args.rows:,} rows x (20 numerical + 5 categorical):")
    results: dict[str, object] = {}
    for mode, python in (
        ("ours", sys.executable),
        ("ours-profile", sys.executable),
        (anchor, anchor_py),
    ):
        res = run_child(mode, args.rows, python)
        if res is None:
            continue
        results[mode] = {k: v for k, v in res.items() if k != "scores"}
        peak, frames = res["peak_extra_mb"], res["frames_mb"]
        line = (
            f"  {mode:<13} {res['seconds']:8.2f} s   peak +{peak:7.0f} MB over "
            f"frames of {frames:.0f} MB (peak {1 + peak / frames:.2f}x frames)"
        )
        if mode == "ours-profile":
            size = res["profile_bytes"] / 2**20
            line += f"   [profile built in {res['profile_seconds']:.2f} s, {size:.1f} MB]"
        print(line)
    if "ours" in results and anchor in results:
        ratio = results[anchor]["seconds"] / results["ours"]["seconds"]  # type: ignore[index]
        print(f"  speed-up vs {anchor}: {ratio:.0f}x (target >= 30x, and under 6 s)")
        results["speedup"] = ratio
    print(f"Agreement with {anchor}'s per-column scores:")
    for rows in (800, 5000):
        agreement(rows, anchor, anchor_py)
    print(
        f"False positives on identical distributions ({args.trials} trials, "
        f"{args.fpr_rows} rows each):"
    )
    fpr = false_positive_rates(args.trials, args.fpr_rows)
    results["false_positive_rates"] = fpr
    keys = sorted(set(fpr["standard"]) | set(fpr["strict"]))
    print(f"  {'column:test':<28} {'standard':>9} {'strict':>9}")
    for key in keys:
        s, t = fpr["standard"].get(key), fpr["strict"].get(key)
        cells = ["" if v is None else f"{v:9.3f}" for v in (s, t)]
        print(f"  {key:<28} {cells[0]:>9} {cells[1]:>9}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
