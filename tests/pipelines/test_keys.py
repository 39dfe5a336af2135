"""Step keys: code cells only, normalised; parts explain what changed."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from jupyter_mlops.pipelines.keys import KeyParts, code_digest, digests, normalise


def write(path: Path, cells: list, **meta) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata.update(meta)
    nbformat.write(nb, path)
    return path


def test_only_code_counts(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a.ipynb",
        [nbformat.v4.new_code_cell("x = 1\n"), nbformat.v4.new_markdown_cell("hi")],
    )
    code = nbformat.v4.new_code_cell("x = 1   \r\n\n")
    code.execution_count = 7
    code.outputs = [nbformat.v4.new_output("stream", text="1")]
    b = write(
        tmp_path / "b.ipynb",
        [nbformat.v4.new_markdown_cell("other"), code, nbformat.v4.new_code_cell("")],
    )
    assert code_digest(a) == code_digest(b)
    c = write(tmp_path / "c.ipynb", [nbformat.v4.new_code_cell("x = 2")])
    assert code_digest(c) != code_digest(a)


def test_code_digest_is_cached_by_stat(tmp_path: Path) -> None:
    a = write(tmp_path / "a.ipynb", [nbformat.v4.new_code_cell("x = 1")])
    first = code_digest(a)
    write(a, [nbformat.v4.new_code_cell("x = 3")])
    st = a.stat()
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert code_digest(a) != first


def test_normalise() -> None:
    assert normalise("\n\na = 1  \r\nb = 2\n\n") == "a = 1\nb = 2"


def test_digests_of_files_folders_and_missing(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("x")
    (tmp_path / "f.txt").write_text("f")
    found = digests(tmp_path, ("d", "f.txt", "none"))
    assert found["none"] is None
    assert len(found["d"] or "") == 64 and len(found["f.txt"] or "") == 64


def test_changes_say_why() -> None:
    before = KeyParts("c1", "p1", "python3", {"a": "k1"}, {"in.csv": "d1"})
    after = KeyParts("c2", "p1", "python3", {"a": "k2"}, {"in.csv": "d2"})
    assert after.changes(before) == [
        "changed code",
        "changed upstream a",
        "changed input in.csv",
    ]
    assert before.key != after.key
    assert KeyParts.from_dict(before.to_dict()) == before
