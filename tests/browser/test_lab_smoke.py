"""JupyterLab works under the browser fixtures: a notebook runs a cell and shows its result."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import LabServer, new_notebook, open_lab, wait_kernel_idle


def test_new_notebook_runs_one_plus_one(lab_server: LabServer, page: Page) -> None:
    open_lab(page, lab_server)
    new_notebook(page)

    editor = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
    editor.click()
    page.keyboard.type("1+1")
    page.keyboard.press("Shift+Enter")

    first_cell = page.locator(".jp-NotebookPanel .jp-Cell").first
    expect(first_cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[1\]"))
    expect(first_cell.locator(".jp-OutputArea-output")).to_have_text("2")
    wait_kernel_idle(page)
