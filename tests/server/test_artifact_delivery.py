"""What a download sends: only bytes that match their digest, with the type they were stored as.

A client that gets a complete ``200`` trusts what it got, so a corrupt object over the size
verified in memory must not be sent at all (checked with curl, as a user would fetch it), and
a link planted in the object store serves nothing. Anything a browser could run (HTML, SVG,
XML, script) comes as an attachment of its stored type, never sniffed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.artifacts import hash_bytes
from tests.server.conftest import API, Server

BIG = 17 * 1024 * 1024  # over the 16 MiB read and verified in memory


def _log(server: Server, data: bytes, name: str) -> str:
    store = server.open_store()
    try:
        with mlops.start_run(experiment="delivery", store=store) as run:
            (info,) = run.log_artifact(data, name)
        return info.digest
    finally:
        store.close()


def _object(server: Server, digest: str) -> Path:
    return server.root / ".mlops" / "objects" / digest[:2] / digest[2:]


def _curl(server: Server, digest: str, out: Path) -> tuple[int, str]:
    """(curl's exit code, "status bytes-received") for a download written to ``out``."""
    done = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--max-time",
            "120",
            "--output",
            str(out),
            "--write-out",
            "%{http_code} %{size_download}",
            "--header",
            f"Authorization: token {server.token}",
            f"{server.url}{API}/artifacts/{digest}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout


def test_a_corrupt_large_object_is_never_delivered_as_a_complete_200(
    server: Server, tmp_path: Path
) -> None:
    data = os.urandom(BIG)
    digest = _log(server, data, "big-weights.bin")
    path = _object(server, digest)
    path.chmod(0o644)
    with path.open("r+b") as fh:  # same size, one byte changed in the middle
        fh.seek(BIG // 2)
        fh.write(bytes([data[BIG // 2] ^ 0xFF]))

    code, written = _curl(server, digest, tmp_path / "got")
    status, received = written.split()
    assert (code, status, int(received)) != (0, "200", BIG), "a corrupt object was served whole"
    assert status == "500"
    got = (tmp_path / "got").read_bytes()
    assert b"corrupt" in got
    assert data[:4096] not in got


def test_an_intact_large_object_downloads_whole_with_curl(server: Server, tmp_path: Path) -> None:
    data = os.urandom(BIG)
    digest = _log(server, data, "intact.bin")
    code, written = _curl(server, digest, tmp_path / "got")
    assert (code, written) == (0, f"200 {BIG}")
    assert hash_bytes((tmp_path / "got").read_bytes()) == digest


def test_a_link_planted_in_the_object_store_serves_nothing(server: Server, tmp_path: Path) -> None:
    outside = server.root.parent / "outside-big.bin"
    outside.write_bytes(os.urandom(20 * 1024 * 1024))
    digest = hash_bytes(outside.read_bytes())
    link = _object(server, digest)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)

    code, written = _curl(server, digest, tmp_path / "got")
    assert code == 0
    assert written.split()[0] == "404"
    assert (tmp_path / "got").stat().st_size < 1024
    assert link.is_symlink()  # reported by `verify`, never changed by a download


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/svg+xml"),
        ("code.js", b"alert(document.cookie)", "text/javascript"),
        ("data.xml", b"<?xml version='1.0'?><a/>", "application/xml"),
    ],
)
def test_active_content_is_an_attachment_of_its_stored_type(
    server: Server, name: str, content: bytes, media_type: str
) -> None:
    digest = _log(server, content, name)
    answer = server.get(f"artifacts/{digest}")
    assert answer.status_code == 200
    assert answer.content == content
    assert answer.headers["Content-Type"].split(";")[0] == media_type
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert name in answer.headers["Content-Disposition"]


def test_a_plain_image_or_table_is_shown_inline_with_its_type(server: Server) -> None:
    answer = server.get(f"artifacts/{server.seeded.artifact_digest}")
    assert answer.headers["Content-Type"].split(";")[0] == "text/csv"
    assert answer.headers["Content-Disposition"].startswith("inline;")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
