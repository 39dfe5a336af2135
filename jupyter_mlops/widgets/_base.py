"""What every panel shares: an ipywidgets box plus a static HTML face.

A panel's ``widget`` is the live view. Its mime bundle carries the widget view *and* the
static HTML, so a notebook saved by papermill (or converted by nbconvert) still shows the
table or report where no widget JavaScript runs, instead of "Loading widget...".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._html import STYLE


class Panel:
    """Base class: subclasses build ``self.widget`` and implement :meth:`to_html`."""

    kind = "panel"

    def __init__(self) -> None:
        self.message = w.HTML()
        self.widget: Any = w.VBox(layout=w.Layout(width="100%"))
        self.widget.add_class("mlops-panel")
        # The badges', highlights' and errors' styles, once per panel (HTML widgets share them).
        self.style = w.HTML(STYLE, layout=w.Layout(display="none"))
        self._lock = threading.RLock()

    def to_html(self) -> str:
        """The panel's content as static HTML (what a saved notebook shows)."""
        raise NotImplementedError

    def to_text(self) -> str:
        """The panel's content as plain text (terminals, logs)."""
        return repr(self)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        if self.style not in self.widget.children:
            self.widget.children = (self.style, *self.widget.children)
        data: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/html"] = self.to_html()
        data["text/plain"] = self.to_text()
        return data

    def __repr__(self) -> str:
        return f"<{type(self).__name__} panel>"

    def say(self, html: str) -> None:
        """Show a message line (an error or a note) at the top of the panel."""
        self.message.value = html

    def close(self) -> None:
        """Close the widget and stop any background refresh."""
        self.widget.close()


Listing = TypeVar("Listing")


class Directory(Panel, Generic[Listing]):
    """A service's list of named things as a table, with an "Open" picker: the picked one
    opens below as its own panel. Subclasses say how to read, name, draw and open."""

    title = "Directory"

    def __init__(self, store: Any) -> None:
        super().__init__()
        self.store = store
        self.listing: Listing = self.read()
        self.table = w.HTML()
        self.pick = w.Dropdown(options=[], description="Open")
        self.detail = w.VBox()
        self.opened: Panel | None = None
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.pick.observe(lambda _c: self._open(), names="value")
        self.widget.children = [
            w.HBox([self.pick, self.refresh_button]),
            self.message,
            self.table,
            self.detail,
        ]
        self._render()

    def read(self) -> Listing:
        """The listing, read from the service."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """The names the picker offers."""
        raise NotImplementedError

    def listing_html(self) -> str:
        """The listing as an HTML table."""
        raise NotImplementedError

    def open_one(self, name: str) -> Panel:
        """The panel of one named thing."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Read the listing again."""
        with self._lock:
            self.listing = self.read()
            self._render()

    def _render(self) -> None:
        self.table.value = self.listing_html()
        self.pick.options = [None, *self.names()]

    def _open(self) -> None:
        name = self.pick.value
        self.opened = self.open_one(name) if name else None
        self.detail.children = [self.opened.widget] if self.opened else []

    def to_html(self) -> str:
        return h.panel(self.title, self.listing_html(), kind=self.kind)


def button(label: str, on_click: Callable[[], object], *, icon: str = "", tip: str = "") -> Any:
    """A button calling ``on_click()`` (the widget argument is dropped)."""
    b = w.Button(description=label, icon=icon, tooltip=tip or label)
    b.on_click(lambda _b: on_click())
    return b


class AutoRefresh:
    """Call ``tick()`` every ``interval`` seconds in a daemon thread while ``wanted()`` is true.

    The kernel stays free: the thread only sleeps and updates widget state, which ipykernel
    sends to the front end from any thread. It stops by itself when ``wanted()`` turns false
    (nothing is running any more), and :meth:`stop` ends it at once.
    """

    def __init__(
        self, tick: Callable[[], None], wanted: Callable[[], bool], *, interval: float = 2.0
    ) -> None:
        self._tick, self._wanted, self.interval = tick, wanted, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        """Whether the refresh thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def ensure(self) -> None:
        """Start the thread when refreshing is wanted and it is not running yet."""
        if self.active or not self._wanted():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="mlops-panel-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop refreshing."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - a failed refresh must not kill the thread's owner
                return
            if not self._wanted():
                return
