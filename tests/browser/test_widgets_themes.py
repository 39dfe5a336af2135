"""The notebook panels are readable in JupyterLab Light and Dark: table headers, highlighted
differences and text follow the lab's theme (issue 19, bug 3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import (
    LabServer,
    _notebook_cells,
    command,
    new_notebook,
    open_lab,
    run_cell,
    save_screenshot,
)

SETUP = """\
import jupyter_mlops as mlops
for name, c in (("alpha", 0.5), ("beta", 2.0)):
    with mlops.start_run(name, experiment="themes", params={"C": c, "solver": "lbfgs"}) as run:
        run.log_metric("auc", 0.8 + c / 10)
print("ready")
"""

_LUMINANCE = """el => {
    const parse = c => {
        const n = (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
        return c.startsWith('color(') ? n.map(v => v * 255) : n;  // color-mix() results
    };
    const lum = ([r, g, b]) => {
        const f = v => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    // The drawn background: the nearest element (or the page) whose background is not clear.
    let node = el, back = 'rgb(255, 255, 255)';
    while (node) {
        const b = getComputedStyle(node).backgroundColor;
        const alpha = b.startsWith('rgba') ? Number(b.split(',')[3].replace(')', '')) : 1;
        if (alpha > 0.5) { back = b; break; }
        node = node.parentElement;
    }
    return [lum(parse(back)), lum(parse(getComputedStyle(el).color))];
}"""


def _contrast(cell: Locator) -> tuple[float, float, float]:
    """(background luminance, text luminance, contrast ratio) of a cell as drawn."""
    back, text = cell.evaluate(_LUMINANCE)
    hi, lo = max(back, text), min(back, text)
    return back, text, (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_panels_follow_the_lab_theme(lab_server: LabServer, page: Page, theme: str) -> None:
    open_lab(page, lab_server)
    command(page, "apputils:change-theme", {"theme": theme})
    dark = theme.endswith("Dark")
    expect(page.locator("body")).to_have_attribute(
        "data-jp-theme-light", "false" if dark else "true"
    )
    new_notebook(page)
    assert "ready" in run_cell(page, 0, SETUP)
    run_cell(page, 1, 'mlops.widgets.compare("alpha", "beta")')
    out = _notebook_cells(page).nth(1).locator(".jp-OutputArea-output")
    header = out.locator(".mlops-panel th").first
    differing = out.locator(".mlops-panel tr.diff td").first
    expect(header).to_be_visible()
    expect(differing).to_be_visible()
    for cell in (header, differing):
        back, _text, ratio = _contrast(cell)
        # Dark theme: dark cells; light theme: light cells; text readable on them (WCAG AA).
        assert (back < 0.2) if dark else (back > 0.5), (theme, back)
        assert ratio >= 4.5, (theme, ratio)
    save_screenshot(page, f"widget-compare-{'dark' if dark else 'light'}")
