"""Serving benchmark: single-row latency, throughput with 8 clients, inference-log cost,
batch scoring memory.

Targets (issue 17, Performance): for a single-row LogisticRegression request on this machine,
p99 < 10 ms and >= 3x the throughput of `mlflow models serve`; inference logging costs < 10%
of throughput; scoring 1M rows peaks below 2x one chunk.

**The anchor.** With ``--mlflow-python PATH`` (an interpreter that has MLflow, such as the
``.venv-bench`` that ``benchmarks/_anchor_env.sh`` builds), the same model saved by
``mlflow.sklearn`` is served by ``mlflow models serve --env-manager local`` and measured the
same way. Without it, the anchor is a minimal server measured in the same run: the standard
library's ``ThreadingHTTPServer`` parsing MLflow's ``dataframe_split`` JSON into a DataFrame
and calling ``model.predict`` (what a hand-written Flask scoring endpoint does), with no
signature check and no logging.

Every server runs in a process of its own; the load comes from another process of
asyncio clients on keep-alive connections (cheap enough not to be the bottleneck).

    python benchmarks/bench_serving.py [--seconds 10] [--mlflow-python .venv-bench/bin/python]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = [f"f{i}" for i in range(8)]
ROW = [0.1 * i for i in range(8)]
BODY = json.dumps({"dataframe_split": {"columns": FEATURES, "data": [ROW]}}).encode()

ANCHOR_SERVER = textwrap.dedent(
    """
    import io, json, pickle, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import pandas as pd
    model = pickle.load(open(sys.argv[1], "rb"))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)
        def log_message(self, *args): pass
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            split = body["dataframe_split"]
            frame = pd.DataFrame(split["data"], columns=split["columns"])
            out = json.dumps({"predictions": model.predict(frame).tolist()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"at http://127.0.0.1:{server.server_address[1]} ", flush=True)
    server.serve_forever()
    """
)


# -- load generation ----------------------------------------------------------------------


async def _client(host: str, port: int, path: str, deadline: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    errors = 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            errors += 1
        latencies.append(time.perf_counter() - start)
    writer.close()
    return errors


async def _load(url: str, clients: int, seconds: float) -> dict[str, float]:
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    # Warm up: the first requests pay for imports and caches.
    await _client(host, int(port), "/invocations", time.perf_counter() + 1.0, [])
    deadline = time.perf_counter() + seconds
    errors = await asyncio.gather(
        *(_client(host, int(port), "/invocations", deadline, latencies) for _ in range(clients))
    )
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
        "errors": float(sum(errors)),
    }


def measure(url: str, clients: int, seconds: float) -> dict[str, float]:
    """Load ``url`` from a process of its own; its figures."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); import bench_serving as b; "
        "print(json.dumps(asyncio.run(b._load(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), url, str(clients), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, float] = json.loads(out)
    return figures


# -- servers ------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[str], str]:
    """Start a server writing its output to ``log``; its URL, read from that output.

    A file, not a pipe: a server that logs every request (uvicorn's access log, as
    ``mlflow models serve`` runs it) would block on a full pipe nobody reads. MLflow 3 prints
    its address on stderr, so both streams go there.
    """
    out = open(log, "w")  # noqa: SIM115 - the server holds it until stop()
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    out.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    tail = log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"server did not start: {' '.join(command)}\n{tail}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its children (worker processes)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(c) for c in children)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def setup(tmp: Path) -> tuple[dict[str, str], Path]:
    """A store with the model in production (our side) and its pickle (the anchor's)."""
    import pickle

    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store

    X, y = make_classification(n_samples=2000, n_features=8, random_state=0)
    frame = pd.DataFrame(X, columns=FEATURES)
    model = LogisticRegression().fit(frame, y)
    env = {
        **os.environ,
        "MLOPS_STORE_URI": f"sqlite:///{tmp / 'mlops.db'}",
        "MLOPS_ARTIFACTS_URI": str(tmp / "objects"),
        "PYTHONPATH": str(ROOT),
    }
    store = open_store(env["MLOPS_STORE_URI"], env["MLOPS_ARTIFACTS_URI"])
    with mlops.start_run(store=store) as run:
        run.log_model(model, "model", input_example=frame[:5])
    mlops.models.register(run.id, "bench", store=store)
    mlops.models.promote("bench", 1, to="production", store=store, checks=["version >= 1"])
    store.close()
    with open(tmp / "model.pkl", "wb") as f:
        pickle.dump(model, f)
    return env, tmp / "model.pkl"


def mlflow_server(python: str, pickled: Path, tmp: Path, env: dict[str, str]) -> list[str]:
    """Save the model with mlflow.sklearn; the command serving it."""
    saved = tmp / "mlflow-model"
    code = (
        "import pickle, sys, mlflow.sklearn; "
        "mlflow.sklearn.save_model(pickle.load(open(sys.argv[1], 'rb')), sys.argv[2])"
    )
    subprocess.run([python, "-c", code, str(pickled), str(saved)], check=True, env=env)
    port = 5791
    mlflow = str(Path(python).parent / "mlflow")
    return [mlflow, "models", "serve", "-m", str(saved), "--env-manager", "local", "-p", str(port),
            "-h", "127.0.0.1"]  # fmt: skip


# -- batch scoring memory -----------------------------------------------------------------

BATCH = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    import pyarrow.parquet as pq
    from jupyter_mlops.models import load_predictor
    from jupyter_mlops.serving.batch import score_file
    from jupyter_mlops.store import current_store

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()

    predictor = load_predictor("models:/bench@production", store=current_store())
    chunk = int(sys.argv[3])
    first = next(pq.ParquetFile(sys.argv[1]).iter_batches(batch_size=chunk)).to_pandas()
    one_chunk = int(first.memory_usage(deep=True).sum()) + 8 * len(first)  # + predictions
    del first
    # Warm up on a small file: code loaded on first use is not what a chunk costs.
    score_file(predictor, Path(sys.argv[4]), Path(sys.argv[2]), chunk_rows=chunk)
    import time, tracemalloc
    import pyarrow as pa
    # A pool of its own: its peak counts only what scoring allocates.
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    pa.set_memory_pool(pool)
    arrow_before = 0
    before = rss()
    tracemalloc.start()  # NumPy's buffers are traced; Arrow's pool keeps its own peak
    start = time.perf_counter()
    scored = score_file(predictor, Path(sys.argv[1]), Path(sys.argv[2]), chunk_rows=chunk)
    seconds = time.perf_counter() - start
    live = tracemalloc.get_traced_memory()[1] + pool.max_memory() - arrow_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": scored.rows, "seconds": seconds, "one_chunk": one_chunk,
                      "extra": max(peak - before, 0), "live": live}))
    """
)


def batch_memory(tmp: Path, env: dict[str, str], rows: int, chunk: int) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    source = tmp / "batch.parquet"
    frame = pd.DataFrame(rng.normal(size=(rows, len(FEATURES))), columns=FEATURES)
    frame.to_parquet(source, row_group_size=chunk)
    frame[:1000].to_parquet(tmp / "warm.parquet")
    del frame
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            BATCH,
            str(source),
            str(tmp / "scored.parquet"),
            str(chunk),
            str(tmp / "warm.parquet"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp,
    ).stdout
    figures: dict[str, float] = json.loads(out)
    return figures


# -- main ---------------------------------------------------------------------------------


def logging_cost(
    serve: list[str], env: dict[str, str], tmp: Path, clients: int, rounds: int, seconds: float
) -> list[float]:
    """Server CPU per request with logging on over the same with it off, round by round.

    Both servers run at once and are loaded in turn (on, off, off, on, ...), so a load that
    comes and goes on a shared machine falls on both alike; one ratio per round.
    """
    on, url_on = start(serve, env, tmp / "cost-on.log")
    off, url_off = start([*serve, "--no-log"], env, tmp / "cost-off.log")
    ratios = []
    try:
        for url in (url_on, url_off):
            measure(url, 1, 1)  # warm up
        for i in range(rounds):
            per_request = {}
            sides = [(on, url_on), (off, url_off)]
            # Each goes first every other round: the first of a pair was measured cheaper.
            for process, url in sides if i % 2 == 0 else sides[::-1]:
                used = cpu_seconds(process.pid)
                figures = measure(url, clients, seconds)
                used = cpu_seconds(process.pid) - used
                per_request[url] = used / max(figures["rps"] * seconds, 1)
            ratios.append(per_request[url_on] / per_request[url_off])
    finally:
        stop(on)
        stop(off)
    return ratios


def line(label: str, f: dict[str, float]) -> str:
    cpu = f"   server CPU {f['cpu_ms']:5.2f} ms/request" if "cpu_ms" in f else ""
    return (
        f"{label:<36} {f['rps']:6.0f} req/s   p50 {f['p50_ms']:6.2f} ms   "
        f"p99 {f['p99_ms']:6.2f} ms   errors {f['errors']:.0f}{cpu}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per measurement")
    parser.add_argument("--clients", type=int, default=8, help="clients for the targets")
    parser.add_argument(
        "--also-clients", default="4,16", help="other concurrencies to measure (comma-separated)"
    )
    parser.add_argument("--no-batch", action="store_true", help="skip batch scoring")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for batch scoring")
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--mlflow-python", help="an interpreter with MLflow (the anchor)")
    parser.add_argument(
        "--cost-rounds", type=int, default=5, help="interleaved rounds for logging's cost"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env, pickled = setup(tmp)
        serve = [sys.executable, "-m", "jupyter_mlops.cli", "serve", "models:/bench@production",
                 "--port", "0"]  # fmt: skip
        if args.mlflow_python:
            anchor_label = "mlflow models serve"
            anchor_cmd = mlflow_server(args.mlflow_python, pickled, tmp, env)
        else:
            anchor_label = "anchor: stdlib server + predict"
            anchor_cmd = [sys.executable, "-c", ANCHOR_SERVER, str(pickled)]
        sides = {
            "jupyter-mlops serve (logging on)": serve,
            "jupyter-mlops serve (logging off)": [*serve, "--no-log"],
            "jupyter-mlops serve --workers 2": [*serve, "--workers", "2"],
            anchor_label: anchor_cmd,
        }
        results: dict[str, dict[str, float]] = {}
        others = [int(c) for c in args.also_clients.split(",") if c.strip()]
        more: dict[int, dict[str, dict[str, float]]] = {c: {} for c in others}
        single: dict[str, dict[str, float]] = {}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"single-row LogisticRegression (8 features), {args.seconds:.0f} s per figure; "
            f"{os.cpu_count()} CPUs, load average {load}\n"
        )
        for label, command in sides.items():
            # `mlflow models serve` starts the `uvicorn` it finds on PATH: its interpreter's.
            bin_dir = Path(command[0]).parent
            path = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
            log = tmp / f"server-{len(single)}.log"
            process, url = start(command, {**env, "PATH": path}, log)
            try:
                single[label] = measure(url, 1, args.seconds / 2)
                used = cpu_seconds(process.pid)
                results[label] = measure(url, args.clients, args.seconds)
                used = cpu_seconds(process.pid) - used
                answered = results[label]["rps"] * args.seconds
                results[label]["cpu_ms"] = 1000 * used / max(answered, 1)
                for clients in others:
                    more[clients][label] = measure(url, clients, args.seconds / 2)
            finally:
                stop(process)
        print("one client (latency)")
        for label, f in single.items():
            print("  " + line(label, f))
        print(f"{args.clients} concurrent clients (throughput)")
        for label, f in results.items():
            print("  " + line(label, f))
        for clients in others:
            print(f"{clients} concurrent clients")
            for label, f in more[clients].items():
                print("  " + line(label, f))
        ours = results["jupyter-mlops serve (logging on)"]
        off = results["jupyter-mlops serve (logging off)"]
        anchor = results[anchor_label]
        print()
        print(f"throughput, logging on / {anchor_label}: {ours['rps'] / anchor['rps']:.2f}x "
              "(target >= 3x MLflow)")  # fmt: skip
        two = results["jupyter-mlops serve --workers 2"]
        print(f"throughput, --workers 2 / {anchor_label}: {two['rps'] / anchor['rps']:.2f}x")
        alone = single["jupyter-mlops serve (logging on)"]
        print(f"single-row p99 with one client (logging on): {alone['p99_ms']:.2f} ms "
              "(target < 10 ms)")  # fmt: skip
        print(f"p99 with {args.clients} clients (logging on): {ours['p99_ms']:.2f} ms")
        # What logging costs is the work it adds to each request. Measured once each, one
        # side after the other, the two servers' figures differed by -2% to +14% from run to
        # run on a quiet machine: the median of interleaved rounds is the figure.
        ratios = logging_cost(serve, env, tmp, args.clients, args.cost_rounds, args.seconds / 2)
        cost = statistics.median(ratios) - 1
        print(
            f"inference logging costs {cost:.1%} more server CPU per request (target < 10%); "
            f"median of {len(ratios)} interleaved rounds: "
            + ", ".join(f"{r - 1:+.1%}" for r in ratios)
        )
        # On a shared machine the CPU each request costs the server is steadier than
        # requests per second, which depend on what else runs.
        print(
            f"server CPU per request, logging on / {anchor_label}: "
            f"{ours['cpu_ms'] / anchor['cpu_ms']:.2f}x; logging on / off: "
            f"{ours['cpu_ms'] / off['cpu_ms']:.2f}x"
        )

        if args.no_batch:
            return
        batch = batch_memory(tmp, env, args.rows, args.chunk)
        mib = 2**20
        print(
            f"\nbatch scoring {batch['rows']:,.0f} rows in chunks of {args.chunk:,} "
            f"(one chunk: {batch['one_chunk'] / mib:.1f} MiB): {batch['seconds']:.1f} s\n"
            f"  peak of live allocations (NumPy traced + Arrow pool): {batch['live'] / mib:.1f} "
            f"MiB = {batch['live'] / batch['one_chunk']:.2f}x one chunk (target < 2x)\n"
            f"  peak RSS above start (allocators keep freed memory): {batch['extra'] / mib:.1f} "
            f"MiB = {batch['extra'] / batch['one_chunk']:.2f}x one chunk"
        )


if __name__ == "__main__":
    main()
