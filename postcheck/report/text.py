"""The human format: ``path:line:col: CODE [severity] name: message`` and a summary line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from ..model import Finding
from ..rule import Rule
from . import Summary


def finding_line(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity.value}] {f.rule}: {f.message}"


def summary_line(summary: Summary, fixable: int = 0) -> str:
    if not summary.findings:
        return f"All checks passed ({summary.files} file{'s' if summary.files != 1 else ''} checked)."
    fixable_note = f" {fixable} fixable with --fix." if fixable else ""
    return (f"Found {summary.findings} finding{'s' if summary.findings != 1 else ''} in "
            f"{summary.files_with_findings} of {summary.files} file{'s' if summary.files != 1 else ''}.{fixable_note}")


def write(findings: Iterable[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    fixable = 0
    for f in findings:  # one pass: the findings may be rebuilt as they are read
        out.write(finding_line(f) + "\n")
        if f.fix is not None and f.fix.applicability == "safe":
            fixable += 1
    out.write(summary_line(summary, fixable) + "\n")


def write_statistics(findings: Iterable[Finding], rules: dict[str, Rule], out: TextIO) -> None:
    """Counts per code, like ``ruff --statistics``."""
    counts: dict[str, int] = {}
    fixable: dict[str, bool] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        fixable[f.code] = fixable.get(f.code, False) or f.fix is not None
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        r = rules.get(code)
        name = r.name if r else ""
        mark = "[*]" if fixable[code] else "[ ]"
        out.write(f"{n:>6}\t{code}\t{mark} {name}\n")
