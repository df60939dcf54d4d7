"""The human format: ``path:line:col: CODE [severity] name: message`` and a summary line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TextIO

from ..model import Finding
from ..rule import Rule
from . import Summary

# One line a finding, and nothing a terminal would act on: line breaks and other control
# characters from a file's text or name (ESC starts terminal commands) are shown escaped.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _visible(text: str) -> str:
    if text.isprintable() or not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def finding_line(f: Finding) -> str:
    path = _visible(f.path or "")
    return f"{path}:{f.line}:{f.column}: {f.code} [{f.severity.value}] {f.rule}: {_visible(f.message)}"


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


def statistics(findings: Iterable[Finding], rules: dict[str, Rule], *, unsafe_fixes: bool = False) -> list[Statistic]:
    """Counts per code, most frequent first; ``fixable`` when ``--fix`` (with ``unsafe_fixes``,
    ``--fix --unsafe-fixes``) would apply a fix of that code, as the summary line counts."""
    counts: dict[str, int] = {}
    fixable: dict[str, bool] = {}
    applied = ("safe", "unsafe") if unsafe_fixes else ("safe",)
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        fixable[f.code] = fixable.get(f.code, False) or (f.fix is not None and f.fix.applicability in applied)
    return [Statistic(code, rules[code].name if code in rules else "", n, fixable[code])
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass(frozen=True)
class Statistic:
    code: str
    name: str
    count: int
    fixable: bool


def write_statistics(findings: Iterable[Finding], rules: dict[str, Rule], out: TextIO, *,
                     unsafe_fixes: bool = False, as_json: bool = False) -> None:
    """Counts per code, like ``ruff --statistics`` (``as_json``: ruff's JSON shape)."""
    rows = statistics(findings, rules, unsafe_fixes=unsafe_fixes)
    if as_json:
        out.write(json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2) + "\n")
        return
    for row in rows:
        out.write(f"{row.count:>6}\t{row.code}\t{'[*]' if row.fixable else '[ ]'} {row.name}\n")
