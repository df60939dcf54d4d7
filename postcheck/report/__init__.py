"""Output formats. Each formatter reads the findings of a finished run once, in order, and
writes them to a stream (the CLI's store rebuilds each finding as it is read)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from ..model import Finding
from ..rule import Rule

__all__ = ["FORMATS", "Findings", "Summary"]


@dataclass
class Summary:
    files: int = 0
    files_with_findings: int = 0
    findings: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    fixed: int = 0
    # Every checked path, for formats that list clean files too (JUnit); not part of the JSON.
    paths: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "files_with_findings": self.files_with_findings,
            "findings": self.findings,
            "by_code": dict(sorted(self.by_code.items())),
            "by_severity": dict(sorted(self.by_severity.items())),
        }


class Findings(Protocol):
    """What a formatter reads: a list, or the CLI's compact store (which rebuilds each
    finding as it is read, so a formatter reads it once, front to back)."""

    def __iter__(self) -> Iterator[Finding]: ...

    def __len__(self) -> int: ...


Formatter = Callable[[Findings, Summary, dict[str, Rule], TextIO], None]


# format name -> (module, function); a run imports only the one it writes (JUnit's XML
# escaping alone pulls in urllib.request, ~10 ms of start-up).
_WRITERS = {
    "text": ("text", "write"),
    "json": ("json", "write"),
    "jsonl": ("json", "write_lines"),
    "github": ("github", "write"),
    "sarif": ("sarif", "write"),
    "junit": ("junit", "write"),
}
FORMATS = tuple(_WRITERS)


def formatter(name: str) -> Formatter:
    import importlib

    module, function = _WRITERS[name]
    writer: Formatter = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return writer
