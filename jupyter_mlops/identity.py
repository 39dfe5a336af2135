"""Who is recording: the user name stored with runs, dataset versions and promotions."""

from __future__ import annotations

import getpass
import os


def user_name() -> str:
    """The login name of this process's user (``$USER`` when the system has none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")
