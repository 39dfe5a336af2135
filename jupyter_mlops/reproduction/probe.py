"""Kernel side of a reproduction: keep the recorded data the re-executed slice holds in memory.

The original run recorded fingerprints (not bytes) of the arrays and frames it fitted on and
evaluated with. After the slice ran, the values in the kernel's namespace whose fingerprint
matches one of those are the same data: :func:`save_recorded_data` pickles them into the
reproduction's folder, so the original and the reproduced model can both predict on them
(evaluation data first, else training data). The pickles are this reproduction's own files,
read back only by it.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The index of the data files written, in the reproduction's folder.
INDEX = ".mlops-recorded-data.json"


def _candidate(value: Any) -> bool:
    shape = getattr(value, "shape", None)
    is_data = hasattr(value, "columns") or hasattr(value, "dtype")
    return is_data and isinstance(shape, tuple) and len(shape) == 2


def save_recorded_data(
    namespace: Mapping[str, Any], digests: Mapping[str, str], folder: str
) -> list[dict[str, str]]:
    """Pickle each 2-D array or frame of ``namespace`` whose fingerprint is in ``digests``.

    Args:
        namespace: The kernel's user namespace.
        digests: fingerprint digest -> the role it was recorded with (evaluation, training).
        folder: Where to write ``<digest>.pkl`` files and the index.

    Returns:
        One entry per value written: its digest, role, variable name and file.
    """
    # start-up: capture's fingerprinting (numpy, pandas are loaded by the slice by now).
    from jupyter_mlops.tracking.capture.fingerprint import fingerprint

    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for name, value in list(namespace.items()):
        if name.startswith("_") or not _candidate(value):
            continue
        fp = fingerprint(value)
        if fp is None or fp.digest not in digests or fp.digest in seen:
            continue
        seen.add(fp.digest)
        path = Path(folder) / f".mlops-data-{fp.digest[:16]}.pkl"
        with open(path, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        out.append(
            {"digest": fp.digest, "role": digests[fp.digest], "name": name, "file": str(path)}
        )
    (Path(folder) / INDEX).write_text(json.dumps(out))
    return out


def probe_code(digests: Mapping[str, str], folder: Path) -> str:
    """The cell appended to the slice that calls :func:`save_recorded_data`."""
    return (
        "__import__('jupyter_mlops.reproduction.probe', fromlist=['_']).save_recorded_data("
        f"globals(), {dict(digests)!r}, {str(folder)!r})"
    )
