"""Version numbering under concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from jupyter_mlops.data.service import Datasets
from jupyter_mlops.store import Store

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from jupyter_mlops.data.service import Datasets
    from jupyter_mlops.store import open_store

    db, objects, go, *files = sys.argv[1:]
    store = open_store(f"sqlite:///{db}", objects)
    while not Path(go).exists():
        time.sleep(0.001)
    for file in files:
        print(Datasets(store).add(file, "shared").version, flush=True)
    """
)


def test_two_processes_adding_to_one_name(store: Store, tmp_path: Path, work: Path) -> None:
    go = tmp_path / "go"
    db = store.engine.url.database
    objects = store.objects.root
    procs = []
    for who in ("a", "b"):
        files = []
        for i in range(5):
            path = work / f"{who}{i}.csv"
            path.write_text(f"who,i\n{who},{i}\n")
            files.append(str(path))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(db), objects, str(go), *files],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    time.sleep(0.5)  # let both start and wait at the barrier
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    numbers = sorted(int(n) for out, _ in outputs for n in out.split())
    assert numbers == list(range(1, 11))
    versions = [Datasets(store).get(f"shared@{n}") for n in numbers]
    assert len({v.digest for v in versions}) == 10
