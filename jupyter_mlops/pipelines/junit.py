"""JUnit XML of a pipeline run: one test case per step, for CI test reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from jupyter_mlops.pipelines.runner import PipelineResult


def junit_xml(result: PipelineResult) -> str:
    """The run as a JUnit ``<testsuites>`` document.

    Failed steps carry the failing cell, the error and the traceback; cached steps pass with
    a note; skipped steps are ``<skipped>`` with the reason.
    """
    steps = list(result.steps.values())
    failures = sum(s.status == "failed" for s in steps)
    skipped = sum(s.status == "skipped" for s in steps)
    suites = ET.Element("testsuites", name=result.name)
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{result.name}" + (f"[{result.env}]" if result.env else ""),
        tests=str(len(steps)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{result.duration:.3f}",
    )
    for step in steps:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"pipeline.{result.name}",
            name=step.step,
            time=f"{step.duration:.3f}",
        )
        if step.status == "failed":
            err = step.error or {}
            failure = ET.SubElement(
                case,
                "failure",
                message=step.error_line(),
                type=str(err.get("ename") or "StepFailed"),
            )
            failure.text = str(err.get("traceback") or err.get("message") or "")
        elif step.status == "skipped":
            ET.SubElement(case, "skipped", message=step.reason)
        elif step.status == "cached":
            ET.SubElement(case, "system-out").text = f"cached: {step.reason}"
        if step.output_notebook:
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="output_notebook", value=step.output_notebook)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: PipelineResult, path: str | Path) -> Path:
    """Write :func:`junit_xml` to ``path`` (folders created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(junit_xml(result), encoding="utf-8")
    return target
