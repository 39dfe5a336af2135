"""JUnit XML: one test case per step; failures carry the cell error; cached steps pass."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from jupyter_mlops.pipelines.junit import junit_xml, write_junit
from jupyter_mlops.pipelines.runner import PipelineResult, StepOutcome


def result() -> PipelineResult:
    return PipelineResult(
        "p" * 32,
        "r" * 32,
        "churn",
        "dev",
        "failed",
        {
            "prepare": StepOutcome("prepare", "cached", "up to date", "a" * 32, "prep.ipynb"),
            "train": StepOutcome(
                "train",
                "failed",
                run_id="b" * 32,
                output_notebook="out/train.ipynb",
                error={
                    "cell_index": 3,
                    "ename": "ValueError",
                    "evalue": "boom",
                    "traceback": "Traceback...\nValueError: boom",
                    "message": None,
                },
                duration=1.5,
            ),
            "report": StepOutcome("report", "skipped", "upstream 'train' failed"),
        },
        2.0,
    )


def test_junit_cases(tmp_path: Path) -> None:
    path = write_junit(result(), tmp_path / "r" / "junit.xml")
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.attrib["name"] == "churn[dev]"
    assert (suite.attrib["tests"], suite.attrib["failures"], suite.attrib["skipped"]) == (
        "3",
        "1",
        "1",
    )
    cases = {c.attrib["name"]: c for c in suite.findall("testcase")}
    failure = cases["train"].find("failure")
    assert failure is not None
    assert failure.attrib["message"] == (
        "step 'train' failed at cell 3: ValueError: boom (see out/train.ipynb)"
    )
    assert failure.attrib["type"] == "ValueError"
    assert "ValueError: boom" in (failure.text or "")
    assert cases["prepare"].find("failure") is None
    assert (cases["prepare"].findtext("system-out") or "") == "cached: up to date"
    skipped = cases["report"].find("skipped")
    assert skipped is not None and skipped.attrib["message"] == "upstream 'train' failed"


def test_junit_is_valid_xml_with_declaration() -> None:
    text = junit_xml(result())
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    ET.fromstring(text.split("?>", 1)[1])
