"""Schedules: KEY=VALUE typed by the target, refusals, export, history and removal — the same
on every face (the Python API, ``%mlops schedule``, the CLI's JSON and REST)."""

from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

import nbformat
import pytest
from IPython.core.error import UsageError

from jupyter_mlops import scheduler
from tests.parity.conftest import Faces

CRON = "0 6 * * *"


def notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(nb, path)


@pytest.fixture
def files(faces: Faces) -> Path:
    """The project's notebooks and specs of this module (the same on each run)."""
    root = faces.project.root
    notebook(root / "p-typed.ipynb", "flag = False\nlabel = 'x'\nC = 1.0\nanything = None")
    notebook(root / "p-nb.ipynb", "C = 1.0", "D = C * 2")
    (root / "p-pipe.yaml").write_text("name: p\nsteps:\n  nb: {notebook: p-nb.ipynb}\n")
    (root / "p-cycle.yaml").write_text(
        "name: loop\nsteps:\n  a: {notebook: p-nb.ipynb, needs: [b]}\n"
        "  b: {notebook: p-nb.ipynb, needs: [a]}\n"
    )
    return root


def _add_everywhere(faces: Faces, stem: str, pairs: list[str]) -> list[str]:
    """Add one schedule of p-typed.ipynb per face with ``-p`` ``pairs``; their names."""
    words = ["--notebook", "p-typed.ipynb", "--cron", CRON]
    for pair in pairs:
        words += ["-p", pair]
    faces.cli_json("schedule", "add", f"{stem}-cli", *words)
    faces.magic(f"schedule add {stem}-magic {shlex.join(words)}")
    text = dict(pair.split("=", 1) for pair in pairs)
    body = {"name": f"{stem}-rest", "cron": CRON, "notebook": "p-typed.ipynb", "params": text}
    assert faces.send("POST", "schedules", body).status_code == 201
    scheduler.add(f"{stem}-api", notebook="p-typed.ipynb", cron=CRON, params=text)
    return [f"{stem}-{face}" for face in ("cli", "magic", "rest", "api")]


@pytest.mark.parametrize(
    ("stem", "pairs", "expected"),
    [
        (
            "json-spelling",
            ["flag=true", "label=true", "C=1", "anything=true"],
            {"flag": True, "label": "true", "C": 1.0, "anything": True},
        ),
        (
            "python-spelling",
            ["flag=True", "label=True", "C=0.5", "anything=None"],
            {"flag": True, "label": "True", "C": 0.5, "anything": None},
        ),
    ],
)
def test_params_are_typed_by_the_notebook_on_every_face(
    faces: Faces, files: Path, stem: str, pairs: list[str], expected: dict[str, object]
) -> None:
    names = _add_everywhere(faces, stem, pairs)
    for name in names:
        assert faces.rest(f"schedules/{name}")["params"] == expected, name
        assert scheduler.get(name).params == expected, name
    # A REST body may send JSON values instead of text: the same schedule.
    values = {"name": f"{stem}-json", "cron": CRON, "notebook": "p-typed.ipynb", "params": expected}
    assert faces.send("POST", "schedules", values).json()["params"] == expected
    # Every face lists the same records.
    listed = [s for s in faces.rest("schedules")["items"] if s["name"].startswith(stem)]
    cli = [s for s in faces.cli_json("schedule", "list")["items"] if s["name"].startswith(stem)]
    assert cli == listed and len(listed) == 5
    assert faces.cli_json("schedule", "pause", names[0]) == faces.rest(f"schedules/{names[0]}")


def test_a_json_value_of_the_wrong_type_is_a_400(faces: Faces, files: Path) -> None:
    body = {"name": "wrong-type", "cron": CRON, "notebook": "p-typed.ipynb", "params": {"C": True}}
    answer = faces.send("POST", "schedules", body)
    assert answer.status_code == 400
    assert "parameter 'C' (-p): True is not a float" in answer.json()["error"]


REFUSED = [
    ("never-31", ["--notebook", "p-nb.ipynb", "--cron", "0 0 31 2 *"], "never fires"),
    ("never-30", ["--notebook", "p-nb.ipynb", "--cron", "0 0 30 2 *"], "never fires"),
    ("cycle", ["--pipeline", "p-cycle.yaml"], "cycle a -> b -> a"),
    ("env", ["--pipeline", "p-pipe.yaml", "--env", "nope"], "unknown environment 'nope'"),
    ("float", ["--notebook", "p-nb.ipynb", "-p", "C=abc"], "'abc' is not a float"),
    ("unknown", ["--notebook", "p-nb.ipynb", "-p", "D=1"], "unknown parameter 'D'"),
    ("trigger", ["--notebook", "p-nb.ipynb", "--trigger-pipeline", "p-cycle.yaml"], "cycle"),
    ("outside", ["--notebook", "/etc/passwd"], "'/etc/passwd' is outside the project"),
]


def _body(name: str, words: list[str]) -> dict[str, object]:
    body: dict[str, object] = {"name": name, "cron": CRON}
    params = {}
    for flag, value in zip(words[::2], words[1::2], strict=True):
        if flag == "-p":
            key, _, text = value.partition("=")
            params[key] = text
        else:
            body[flag.lstrip("-").replace("-", "_")] = value
    if params:
        body["params"] = params
    return body


@pytest.mark.parametrize(("case", "words", "reason"), REFUSED, ids=[c[0] for c in REFUSED])
def test_add_refuses_what_run_refuses_alike_on_every_face(
    faces: Faces, files: Path, case: str, words: list[str], reason: str
) -> None:
    name = f"refused-{case}"
    if "--cron" not in words:
        words = [*words, "--cron", CRON]
    cli = faces.cli("schedule", "add", name, *words)
    rest = faces.send("POST", "schedules", _body(name, words))
    with pytest.raises(UsageError) as magic:
        faces.magic(f"schedule add {name} {shlex.join(words)}")
    assert rest.status_code == 400, rest.text
    message = rest.json()["error"]
    assert reason in message
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    assert str(magic.value) == message
    # Nothing was written.
    assert faces.project.jupyter.get(f"schedules/{name}").status_code == 404


def test_export_history_and_removal_read_the_same_everywhere(faces: Faces, files: Path) -> None:
    scheduler.add("moved", notebook="p-nb.ipynb", cron=CRON, params={"C": "2"})
    scheduler.add("gone", notebook="p-nb.ipynb", cron=CRON)
    for fmt in ("crontab", "kubernetes", "github-actions"):
        text = faces.rest("schedules/moved/export", format=fmt)["text"]
        assert faces.cli("schedule", "export", "moved", "--format", fmt).out == text
        shown = faces.magic(f"schedule export moved --format {fmt}").displays[0]["text/plain"]
        assert shown == text
        assert scheduler.export("moved", format=fmt) == text
    assert "jupyter-mlops run p-nb.ipynb -p C=2.0\n" in text

    tick = faces.cli_json("schedule", "run-now", "moved")
    assert tick["status"] == "finished", tick
    assert tick["output_notebook_in_root"].startswith("mlops-runs/schedules/moved/")
    history = faces.rest("schedules/moved/history")
    assert history == faces.cli_json("schedule", "history", "moved")
    assert history["items"] == [tick]
    assert faces.magic("schedule history moved").displays[0]["text/html"].count("finished") == 1

    cli = faces.cli_json("schedule", "remove", "moved")
    assert cli == {"name": "moved", "removed_ticks": 1}
    rest = faces.send("DELETE", "schedules/gone")
    assert rest.status_code == 200 and rest.json() == {"name": "gone", "removed_ticks": 0}
    for name in ("moved", "gone"):
        assert faces.project.jupyter.get(f"schedules/{name}").status_code == 404


def test_update_changes_a_schedule_alike_on_every_face(faces: Faces, files: Path) -> None:
    names = _add_everywhere(faces, "edit", ["C=1"])
    words = ["--cron", "30 7 * * 1-5", "--timezone", "Europe/Paris", "-p", "C=0.5"]
    faces.cli_json("schedule", "update", names[0], *words)
    faces.magic(f"schedule update {names[1]} {shlex.join(words)}")
    body = {"cron": "30 7 * * 1-5", "timezone": "Europe/Paris", "params": {"C": "0.5"}}
    assert faces.send("POST", f"schedules/{names[2]}", body).status_code == 200
    scheduler.update(names[3], cron="30 7 * * 1-5", timezone="Europe/Paris", params={"C": "0.5"})
    seen = [faces.rest(f"schedules/{name}") for name in names]
    for record in seen:
        assert (record["cron"], record["timezone"]) == ("30 7 * * 1-5", "Europe/Paris")
        assert record["params"]["C"] == 0.5
    assert len({record["next_due"] for record in seen}) == 1  # the same next tick everywhere


UPDATE_REFUSED = [
    ("cron", ["--cron", "0 25 * * *"], "Invalid cron expression"),
    ("zone", ["--timezone", "Mars/Olympus"], "Unknown timezone 'Mars/Olympus'"),
    ("float", ["-p", "C=abc"], "'abc' is not a float"),
    ("unknown", ["-p", "D=1"], "unknown parameter 'D'"),
]


@pytest.mark.parametrize(
    ("case", "words", "reason"), UPDATE_REFUSED, ids=[c[0] for c in UPDATE_REFUSED]
)
def test_update_refuses_alike_on_every_face_and_changes_nothing(
    faces: Faces, files: Path, case: str, words: list[str], reason: str
) -> None:
    name = f"upd-{case}"
    faces.cli_json("schedule", "add", name, "--notebook", "p-typed.ipynb", "--cron", CRON)
    before = faces.rest(f"schedules/{name}")
    cli = faces.cli("schedule", "update", name, *words)
    body = {k: v for k, v in _body(name, words).items() if k != "name"}
    if "--cron" not in words:
        del body["cron"]
    rest = faces.send("POST", f"schedules/{name}", body)
    with pytest.raises(UsageError) as magic:
        faces.magic(f"schedule update {name} {shlex.join(words)}")
    assert rest.status_code == 400, rest.text
    message = rest.json()["error"]
    assert reason in message
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    assert str(magic.value) == message
    assert faces.rest(f"schedules/{name}") == before
