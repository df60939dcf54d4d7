"""What a run's exit status and summary need, counted as findings go by (SPEC §5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .model import Finding, Severity
from .report import Summary

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "Tally"]

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

_RANK = {s.value: s.rank for s in Severity}


class Tally:
    """What the exit status and the summary need, without keeping every finding."""

    def __init__(self, fail_on: Severity) -> None:
        self.fail_on = fail_on
        self.internal_error = False
        self.failing = False
        self.paths_with_findings: set[str | None] = set()
        self.by_code: Counter[str] = Counter()
        self.by_severity: Counter[str] = Counter()

    def add(self, findings: Sequence[Finding]) -> None:
        for f in findings:
            self.paths_with_findings.add(f.path)
            self.by_code[f.code] += 1
            self.by_severity[f.severity.value] += 1
            if f.severity.rank >= self.fail_on.rank:
                self.failing = True
            if f.context and f.context.get("internal_error"):
                self.internal_error = True

    def add_one(self, path: str, code: str, severity: str) -> None:
        """:meth:`add` for one finding of a corpus rule (never an internal error)."""
        self.paths_with_findings.add(path)
        self.by_code[code] += 1
        self.by_severity[severity] += 1
        if _RANK[severity] >= self.fail_on.rank:
            self.failing = True

    def add_counts(self, path: str, counts: Sequence[list[Any]]) -> None:
        """:meth:`add` for a cached result's (code, severity, number) counts (see cache.RawResult).
        A cached result never holds an internal error: those are not stored."""
        if not counts:
            return
        self.paths_with_findings.add(path)
        fail_rank = self.fail_on.rank
        for code, severity, n in counts:
            self.by_code[code] += n
            self.by_severity[severity] += n
            if _RANK[severity] >= fail_rank:
                self.failing = True

    def summary(self, files: int) -> Summary:
        return Summary(files=files, files_with_findings=len(self.paths_with_findings),
                       findings=sum(self.by_code.values()), by_code=dict(self.by_code),
                       by_severity=dict(self.by_severity))

    def exit_status(self, exit_zero: bool) -> int:
        if self.internal_error:
            return EXIT_ERROR
        if exit_zero:
            return EXIT_OK
        return EXIT_FINDINGS if self.failing else EXIT_OK
