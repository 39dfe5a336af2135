"""Artifacts come from the store's object store by digest, never from a filesystem path."""

from __future__ import annotations

import pytest
import requests

from tests.server.conftest import API, SECRET, Server

ATTEMPTS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..%2Fsecret.txt",
    "%2Fetc%2Fpasswd",
    "%2E%2E%2F%2E%2E%2Fsecret.txt",
    "secret.txt",
    "%2E%2E",
    "~",
    "ab%2F" + "c" * 62,
    "A" * 64,
    "g" * 64,
    "0" * 63,
    "0" * 65,
    "%00" + "0" * 63,
    "0" * 64 + "%00",
]


@pytest.mark.parametrize("digest", ATTEMPTS)
def test_a_path_or_malformed_digest_is_refused(server: Server, digest: str) -> None:
    answer = server.get(f"artifacts/{digest}")
    assert answer.status_code in (400, 404), (digest, answer.status_code)
    assert SECRET not in answer.content
    assert b"root:" not in answer.content
    assert "error" in answer.json()


@pytest.mark.parametrize(
    "path",
    [
        "artifacts/../../../../etc/passwd",
        "artifacts/%2e%2e/%2e%2e/secret.txt",
        "artifacts//etc/passwd",
        "artifacts/" + "0" * 64 + "/../../secret.txt",
    ],
)
def test_raw_traversal_urls_serve_no_file(server: Server, path: str) -> None:
    # requests would normalise "..": send the path as written.
    session = requests.Session()
    prepared = requests.Request(
        "GET", f"{server.url}{API}/{path}", headers=server._auth()
    ).prepare()
    prepared.url = f"{server.url}{API}/{path}"
    answer = session.send(prepared, timeout=30)
    assert answer.status_code in (400, 403, 404), (path, answer.status_code)
    assert SECRET not in answer.content
    assert b"root:" not in answer.content


def test_the_digest_of_a_file_outside_the_store_is_not_served(server: Server) -> None:
    digest = server.seeded.outside_digest
    assert (server.root / "secret.txt").read_bytes() == SECRET
    answer = server.get(f"artifacts/{digest}")
    assert answer.status_code == 404
    assert SECRET not in answer.content
    assert digest in answer.json()["error"]


def test_an_artifact_downloads_byte_for_byte(server: Server) -> None:
    seeded = server.seeded
    answer = server.get(f"artifacts/{seeded.artifact_digest}")
    assert answer.status_code == 200
    assert answer.content == seeded.artifact_bytes
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    assert "report.csv" in answer.headers["Content-Disposition"]


def test_the_run_detail_links_its_artifacts_for_download(server: Server) -> None:
    run_id = server.seeded.runs["run-0"]
    detail = server.get(f"runs/{run_id}").json()
    (artifact,) = [a for a in detail["artifacts"] if a["path"] == "report.csv"]
    assert artifact["url"].startswith(f"{API}/artifacts/{server.seeded.artifact_digest}")
    answer = requests.get(server.url + artifact["url"], headers=server._auth(), timeout=30)
    assert answer.content == server.seeded.artifact_bytes
    assert "filename*=UTF-8''report.csv" in answer.headers["Content-Disposition"]


def test_a_large_artifact_streams_byte_for_byte(server: Server) -> None:
    answer = server.get(f"artifacts/{server.seeded.large_digest}", params={"filename": "w.bin"})
    assert answer.status_code == 200
    assert int(answer.headers["Content-Length"]) == len(server.seeded.large_bytes)
    assert answer.content == server.seeded.large_bytes
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment;")


def test_a_corrupt_object_is_an_error_not_its_content(server: Server) -> None:
    digest = server.seeded.fragile_digest
    path = server.root / ".mlops" / "objects" / digest[:2] / digest[2:]
    path.chmod(0o644)
    path.write_bytes(b"tampered content\n")
    answer = server.get(f"artifacts/{digest}")
    assert answer.status_code == 500
    assert b"tampered" not in answer.content
    assert "corrupt" in answer.json()["error"]
