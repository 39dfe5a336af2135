"""An import's or export's report as lines for a terminal or a notebook."""

from __future__ import annotations

from typing import Any


def _n(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """What an import did (``MlflowImport`` as a dict), first line the totals."""
    lines = [
        f"Imported {_n(report['runs_imported'], 'run')} from {report['source']} "
        f"in {report['seconds']:.1f} s: {_n(report['metric_points'], 'metric point')}, "
        f"{_n(report['params'], 'param')}, {_n(report['tags'], 'tag')}, "
        f"{_n(report['artifacts'], 'file')}; {report['runs_present']} already here, "
        f"{report['runs_updated']} updated; {_n(report['model_versions'], 'model version')}, "
        f"{_n(report['stages_set'], 'stage')} set."
    ]
    if report["experiments_created"]:
        lines.append("New experiments: " + ", ".join(report["experiments_created"]))
    if report["experiments_merged"]:
        lines.append(
            "Merged into existing experiments (same name): "
            + ", ".join(report["experiments_merged"])
        )
    if report["not_mapped"]:
        lines.append("Not mapped:")
        lines.extend(f"  {line}" for line in report["not_mapped"])
    return lines


def export_lines(report: dict[str, Any]) -> list[str]:
    """What an export did (``MlflowExport`` as a dict), first line the totals."""
    lines = [
        f"Exported {_n(report['runs_exported'], 'run')} to {report['target']} "
        f"in {report['seconds']:.1f} s: {_n(report['metric_points'], 'metric point')}, "
        f"{_n(report['params'], 'param')}, {_n(report['tags'], 'tag')}, "
        f"{_n(report['artifacts'], 'file')}; {report['runs_present']} already there; "
        f"{_n(report['model_versions'], 'model version')}, "
        f"{_n(report['aliases_set'], 'alias', 'aliases')} set."
    ]
    if report["experiments_created"]:
        lines.append("New MLflow experiments: " + ", ".join(report["experiments_created"]))
    if report["experiments_merged"]:
        lines.append(
            "Merged into existing MLflow experiments (same name): "
            + ", ".join(report["experiments_merged"])
        )
    if report["not_mapped"]:
        lines.append("Not mapped:")
        lines.extend(f"  {line}" for line in report["not_mapped"])
    return lines
