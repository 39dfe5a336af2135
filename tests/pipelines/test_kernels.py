"""KernelPool: kernels started ahead of need, one per step, shut down after it."""

from __future__ import annotations

import threading
import time

import pytest

from jupyter_mlops.errors import KernelStartError
from jupyter_mlops.pipelines.kernel_env import STEP_ENV_KEYS, neutral_env
from jupyter_mlops.pipelines.kernels import KernelPool, PooledKernel, start_kernel


class FakeKM:
    """Enough of a KernelManager for the pool's bookkeeping (no process)."""

    kernel_name = "fake"
    kernel_spec = None
    has_kernel = False

    def __init__(self) -> None:
        self.alive = True

    def is_alive(self) -> bool:
        return self.alive

    def cleanup_resources(self) -> None:
        self.alive = False


def fake_starter(delay: float = 0.05, fail: bool = False):  # type: ignore[no-untyped-def]
    started: list[PooledKernel] = []

    def start(name: str) -> PooledKernel:
        time.sleep(delay)
        if fail:
            raise KernelStartError("no such kernel", kernel_name=name)
        now = time.monotonic()
        kernel = PooledKernel(FakeKM(), requested_at=now - delay, ready_at=now)  # type: ignore[arg-type]
        started.append(kernel)
        return kernel

    return start, started


def test_neutral_env_drops_step_variables() -> None:
    env = neutral_env({"PATH": "/bin", **{key: "x" for key in STEP_ENV_KEYS}})
    assert env == {"PATH": "/bin"}


def test_prepare_starts_kernels_before_acquire_and_tops_up() -> None:
    start, started = fake_starter()
    with KernelPool("fake", size=2, starter=start) as pool:
        assert pool.started == 0  # nothing announced, nothing started
        pool.prepare(3)
        assert pool.started == 2  # min(3, size)
        first = pool.acquire()
        assert pool.started == 3  # topped up for the 2 steps still announced
        second = pool.acquire()
        third = pool.acquire()
        assert len({id(first), id(second), id(third)}) == 3  # never the same kernel twice
        assert pool.started == 3  # nothing announced any more
        for kernel in (first, second, third):
            kernel.retire()
    assert len(started) == 3


def test_acquire_without_prepare_starts_one_on_demand() -> None:
    start, _ = fake_starter()
    with KernelPool("fake", size=3, starter=start) as pool:
        kernel = pool.acquire()
        assert pool.started == 1
        kernel.retire()


def test_failed_start_raises_in_acquire() -> None:
    start, _ = fake_starter(fail=True)
    with KernelPool("fake", starter=start) as pool, pytest.raises(KernelStartError):
        pool.acquire(timeout=10)


def test_close_shuts_down_idle_kernels() -> None:
    start, started = fake_starter()
    pool = KernelPool("fake", size=2, starter=start)
    pool.prepare(2)
    pool.close()
    assert len(started) == 2
    assert not any(kernel.is_alive() for kernel in started)


def test_real_kernels_start_concurrently_and_are_shut_down_after_use() -> None:
    with KernelPool("python3", size=2) as pool:
        pool.prepare(2)
        a = pool.acquire(timeout=60)
        b = pool.acquire(timeout=60)
        assert a.pid != b.pid
        assert a.km.connection_file != b.km.connection_file
        assert a.is_alive() and b.is_alive()
        # Both were requested at prepare(), before either was asked for.
        assert max(a.requested_at, b.requested_at) < min(a.ready_at, b.ready_at)
        done = threading.Event()
        a.retire()
        b.retire()
        deadline = time.monotonic() + 10
        while (a.is_alive() or b.is_alive()) and time.monotonic() < deadline:
            time.sleep(0.05)
        done.set()
        assert not a.is_alive() and not b.is_alive()


def test_start_kernel_reports_an_unknown_kernelspec() -> None:
    with pytest.raises(KernelStartError, match="no-such-kernel"):
        start_kernel("no-such-kernel")


def test_forked_kernels_interrupt_and_die_like_started_ones(tmp_path, capfd) -> None:  # type: ignore[no-untyped-def]
    import nbformat

    from jupyter_mlops.pipelines.execute import StepRequest, execute_step
    from jupyter_mlops.pipelines.forkserver import ForkServer

    def step(name: str, cells: list[str], **kw: object) -> StepRequest:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        return StepRequest(
            name, tmp_path / f"{name}.ipynb", tmp_path / f"{name}.out.ipynb", {}, tmp_path, **kw
        )  # type: ignore[arg-type]

    server = ForkServer()
    try:
        plain = start_kernel("python3", fork_server=server)
        looping = start_kernel("python3", fork_server=server)
        dying = start_kernel("python3", fork_server=server)
        assert "-S" in looping.km.kernel_spec.argv  # launched through the relay
        # A step kernel has no debugger (debugpy is not loaded for it, and nothing of the
        # pipeline runner or numpy either), yet the step's own code can import debugpy.
        check = (
            "import sys, ipykernel.debugger\n"
            "assert not ipykernel.debugger._is_debugpy_available\n"
            "unused = ('debugpy', 'numpy', 'jupyter_mlops.pipelines.runner')\n"
            "assert not [m for m in unused if m in sys.modules], sys.modules.keys() & unused\n"
            "import debugpy"
        )
        result = execute_step(step("plain", [check]), kernel=plain)
        assert result.ok, result.error
        assert "Debugger warning" not in capfd.readouterr().err
        result = execute_step(step("loop", ["while True:\n    pass"], timeout=1.0), kernel=looping)
        assert result.error is not None
        assert (result.error.ename, result.error.cell_index) == ("TimeoutError", 0)
        assert "interrupted" in result.error.evalue  # SIGINT reached the forked kernel
        result = execute_step(step("die", ["import os\nos.kill(os.getpid(), 9)"]), kernel=dying)
        assert result.error is not None
        assert (result.error.ename, result.exit_code) == ("DeadKernelError", -9)
    finally:
        server.close()


def test_pools_of_one_process_share_its_fork_server_and_kernels_stay_fresh() -> None:
    from jupyter_mlops.pipelines import forkserver

    forkserver.close_shared()
    server = forkserver.shared()
    try:
        pids = []
        for _ in range(2):  # two pipeline runs, one after the other
            with KernelPool("python3", size=1) as pool:
                assert pool.fork_server is server
                pool.prepare(1)
                kernel = pool.acquire(timeout=60)
                pids.append(kernel.pid)
                client = kernel.km.blocking_client()
                client.start_channels()
                try:
                    # Each kernel is a new process: nothing of the previous one is left.
                    reply = client.execute_interactive(
                        "assert 'leftover' not in globals(); leftover = 1", timeout=30
                    )
                    assert reply["content"]["status"] == "ok", reply["content"]
                finally:
                    client.stop_channels()
                kernel.retire()
        assert pids[0] != pids[1]
        assert server.launches == 1  # the second run did not pay the imports again
    finally:
        forkserver.close_shared()


def test_an_idle_fork_server_exits_and_is_started_again_on_the_next_request() -> None:
    from jupyter_mlops.pipelines.forkserver import ForkServer

    server = ForkServer(idle_exit=0.5)
    try:
        first = start_kernel("python3", fork_server=server)
        shutdown_and_wait(first)
        proc = server._proc
        assert proc is not None
        proc.wait(timeout=20)  # nothing to serve: it went away by itself
        second = start_kernel("python3", fork_server=server)
        assert second.is_alive() and server.launches == 2
        assert "-S" in second.km.kernel_spec.argv  # forked again, not started plainly
        shutdown_and_wait(second)
    finally:
        server.close()


def shutdown_and_wait(kernel: PooledKernel) -> None:
    from jupyter_mlops.pipelines.kernels import shutdown

    shutdown(kernel)
    deadline = time.monotonic() + 10
    while kernel.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kernel.is_alive()
