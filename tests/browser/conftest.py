"""Real-browser fixtures: a real ``jupyter lab`` server and Debian's Chromium driven by Playwright.

``lab_server`` (one per test module) starts JupyterLab on 127.0.0.1 with a random port and
token in a fresh project folder holding an empty ``.mlops/`` store. ``page`` is a new browser
context per test, logged in; a failing test leaves a screenshot in ``tests/browser/screenshots/``.
The helpers below drive a notebook the way a person would: open it, wait for the kernel's
"Idle" in the status bar, run a cell, read its output.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Two shared cores: a kernel start or a first lab load can take many seconds.
SERVER_START_S = 90.0
KERNEL_IDLE_MS = 90_000
UI_MS = 30_000
expect.set_options(timeout=UI_MS)

_SETTINGS = {
    # The news/update notification would cover the panels the tests click.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Render every cell at once: windowed notebooks show placeholders for cells set by code.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # Saving an untitled notebook would otherwise wait on a rename dialog.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {
        "renameUntitledFileOnSave": False
    },
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its base ``url`` (ending in ``/``), ``token`` and project ``root``."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def lab_url(self, path: str = "lab") -> str:
        """The address of ``path`` (e.g. ``lab``, ``lab/tree/x.ipynb``) with the token; the
        workspace is reset so no layout leaks from an earlier test."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}reset&token={self.token}"

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API with the token (``path`` relative to the base url)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _write_settings(settings_dir: Path) -> None:
    for name, values in _SETTINGS.items():
        plugin, file = name.rsplit("/", 1)
        target = settings_dir / plugin / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


def _wait_ready(url: str, token: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{log.read_text()}")
        try:
            request = urllib.request.Request(
                f"{url}api/status", headers={"Authorization": f"token {token}"}
            )
            with urllib.request.urlopen(request, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer in {SERVER_START_S:.0f} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server and its kernels: the whole process group we started."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # Kernels may outlive the server by a moment; they share its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _this_trees_extension(base: Path) -> dict[str, str]:
    """``JUPYTER_PATH`` that makes the lab load the extension built in this source tree (the
    ``jupyter_mlops/labextension`` that ``jlpm build`` writes next to the package under test)
    ahead of the one installed in the environment, which may be another checkout's build."""
    import jupyter_mlops

    built = Path(jupyter_mlops.__file__).resolve().parent / "labextension"
    if not (built / "package.json").exists():
        return {}
    data = base / "jupyter-data"
    (data / "labextensions").mkdir(parents=True)
    (data / "labextensions" / "jupyter-mlops-labextension").symlink_to(built)
    paths = [str(data), os.environ.get("JUPYTER_PATH", "")]
    return {"JUPYTER_PATH": os.pathsep.join(p for p in paths if p)}


def start_lab(base: Path) -> LabServer:
    """Start ``jupyter lab`` with its project root, settings and runtime files under ``base``."""
    root = base / "project"
    (root / ".mlops").mkdir(parents=True)
    settings = base / "settings"
    _write_settings(settings)
    for folder in ("workspaces", "config", "runtime"):
        (base / folder).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        # The user's own Jupyter config must not change what the tests see; the extension's
        # config in <sys.prefix>/etc/jupyter still loads.
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        MPLBACKEND="Agg",
        **_this_trees_extension(base),
    )
    port = _free_port()
    token = secrets.token_hex(16)
    log = base / "jupyter-lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
        # window.jupyterapp lets helpers set a cell's text without fighting editor auto-indent.
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_ready(url, token, process, log)
    except BaseException:
        _stop(process)
        raise
    return LabServer(url=url, token=token, root=root, process=process, log=log)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A real JupyterLab for this test module, in a fresh project with an empty store."""
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        _stop(server.process)


# Module scope, not session: Playwright's sync API keeps an asyncio loop marked as running on
# the main thread while it is alive, which breaks every later test that drives a kernel through
# jupyter_client's blocking API ("Cannot close a running event loop").
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (Playwright's own browser download cannot work here)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: apt-get install chromium (.ci/run does this)")
    browser = playwright_instance.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page; a screenshot is saved if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(UI_MS)
    page = context.new_page()
    # Uncaught exceptions from the extension's code fail the test (JupyterLab's own are listed).
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack or ''}"))
    yield page
    ours = [e for e in errors if "mlops" in e]
    if errors:
        print("page errors:", *errors, sep="\n")
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as error:  # the page may be gone; the test's own error matters more
            print(f"no failure screenshot: {error}")
    context.close()
    assert not ours, f"the MLOps extension raised in the page: {ours}"


# ---- helpers -------------------------------------------------------------------------------


def open_lab(page: Page, server: LabServer, path: str = "lab") -> None:
    """Load JupyterLab (``path`` may be ``lab/tree/<file>``) and wait until the shell is up."""
    page.goto(server.lab_url(path))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=UI_MS)
    page.evaluate("() => window.jupyterapp.restored")
    expect(page.locator("#jp-main-statusbar")).to_be_visible()


def command(page: Page, name: str, args: dict[str, Any] | None = None) -> Any:
    """Run a JupyterLab command (what a menu item or shortcut does) and return its result."""
    # A command waiting on a dialog would hang the test: fail after UI_MS instead.
    return page.evaluate(
        """async ([name, args, ms]) => {
            const late = new Promise((_, reject) => setTimeout(
                () => reject(new Error(`command ${name} did not finish in ${ms} ms`)), ms));
            const r = await Promise.race([window.jupyterapp.commands.execute(name, args), late]);
            return (r && r.id) ? r.id : null;
        }""",
        [name, args or {}, UI_MS],
    )


def new_notebook(page: Page) -> None:
    """Create an untitled notebook on the Python 3 kernel and wait for it to be Idle."""
    command(page, "notebook:create-new", {"kernelName": "python3"})
    wait_kernel_idle(page)


def open_notebook(page: Page, path: str) -> None:
    """Open a notebook of the project by path and wait for its kernel to be Idle."""
    command(page, "docmanager:open", {"path": path})
    wait_kernel_idle(page)


def wait_kernel_idle(page: Page, timeout_ms: int = KERNEL_IDLE_MS) -> None:
    """Wait for the status bar to read "… | Idle" (running a cell earlier is lost)."""
    expect(page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle"))).to_be_visible(
        timeout=timeout_ms
    )


def _notebook_cells(page: Page) -> Any:
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def set_cell(page: Page, index: int, source: str) -> None:
    """Put ``source`` into cell ``index`` of the active notebook, adding cells as needed."""
    page.evaluate(
        """([index, source]) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const model = panel.content.model;
            while (model.cells.length <= index) {
                model.sharedModel.insertCell(model.cells.length, {cell_type: 'code', source: ''});
            }
            model.cells.get(index).sharedModel.setSource(source);
            panel.content.activeCellIndex = index;
        }""",
        [index, source],
    )


def run_cell(
    page: Page, index: int, source: str | None = None, timeout_ms: int = KERNEL_IDLE_MS
) -> str:
    """Run cell ``index`` (after setting its text, if given) and return its output text.

    Waits for the cell's execution count to appear (``[n]:``), i.e. for the run to finish.
    """
    if source is not None:
        set_cell(page, index, source)
    cell = _notebook_cells(page).nth(index)
    prompt = cell.locator(".jp-InputArea-prompt").first
    before = prompt.inner_text()
    page.evaluate(
        "([i]) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", [index]
    )
    command(page, "notebook:run-cell")
    expect(prompt).not_to_have_text(before, timeout=timeout_ms)
    expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=timeout_ms)
    return cell_output(page, index)


def cell_output(page: Page, index: int) -> str:
    """The visible text of cell ``index``'s outputs (empty if none)."""
    outputs = _notebook_cells(page).nth(index).locator(".jp-OutputArea-output")
    return "\n".join(outputs.all_inner_texts())


DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Screenshots go to the README's folder only when asked (they show relative times, so every
#: run would change them); otherwise next to the failure screenshots, which git ignores.
SCREENSHOTS_TO_DOCS = os.environ.get("MLOPS_UPDATE_SCREENSHOTS") == "1"


def open_mlops(page: Page, tab: str = "Runs") -> Any:
    """Open the MLOps sidebar on ``tab`` (clicking its icon and the tab) and return the panel."""
    panel = page.locator("#jupyter-mlops-sidebar")
    if not panel.is_visible():
        page.locator('.jp-SideBar [data-id="jupyter-mlops-sidebar"]').click()
    expect(panel).to_be_visible()
    if panel.bounding_box()["width"] < 400:  # type: ignore[index]
        widen_sidebar(page)
    panel.get_by_role("tab", name=tab).click()
    expect(panel.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
    return panel


def save_screenshot(page: Page, name: str) -> Path:
    """Save the page as ``<name>.png``: in ``docs/screenshots/`` (the README shows them) with
    ``MLOPS_UPDATE_SCREENSHOTS=1``, else in ``tests/browser/screenshots/``."""
    folder = DOCS_SCREENSHOTS if SCREENSHOTS_TO_DOCS else Path(__file__).parent / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def widen_sidebar(page: Page, width: int = 420) -> None:
    """Drag the left sidebar's edge to ``width`` px, as a person would for a wide table."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    assert box is not None, "the left sidebar's resize handle is not on screen"
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(width, y, steps=5)
    page.mouse.up()


def project_python(server: LabServer, code: str) -> str:
    """Run ``code`` with this interpreter in the lab's project folder (its store); return stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=server.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write_notebook(path: Path, *cells: str, parameters: str = "") -> None:
    """A notebook of code cells (the first tagged ``parameters`` for papermill)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
