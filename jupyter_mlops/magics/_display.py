"""Showing results: rich (HTML) in notebooks, plain text in terminals and logs."""

from __future__ import annotations

from IPython.display import display


def show(obj: object) -> None:
    """Display ``obj`` with its rich and text reprs."""
    display(obj)  # type: ignore[no-untyped-call]


def show_text(text: str, html: str | None = None) -> None:
    """Display ``text``, with ``html`` as its rich form when given."""
    bundle = {"text/plain": text}
    if html is not None:
        bundle["text/html"] = html
    display(bundle, raw=True)  # type: ignore[no-untyped-call]
