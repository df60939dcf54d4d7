"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` a finding.

GitHub turns each command into an annotation on the file and line of the pull
request. Values are escaped as GitHub's toolkit does (``escapeData`` for the
message, ``escapeProperty`` for the ``key=value`` properties); otherwise a ``%``,
newline, ``:`` or ``,`` in a path or message would cut the command short. The normal
text summary line follows, so the log still says how the run went.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TextIO

from .._jsonl import SURROGATE as _SURROGATE
from ..model import Finding, Severity
from ..rule import Rule
from . import Summary
from .text import summary_line

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    # (a byte of a file name that is not UTF-8, held as a lone surrogate, shows as U+FFFD:
    # annotations are UTF-8 and have no escape for it)
    if not value.isascii():
        value = _SURROGATE.sub("\ufffd", value)
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding) -> str:
    path = (f.path or "").replace(os.sep, "/")
    props = [
        f"file={escape_property(path)}",
        f"line={f.line}",
        f"col={f.column}",
        f"endLine={f.end_line}",
        f"endColumn={f.end_column}",
        f"title={escape_property(f'{f.code} {f.rule}')}",
    ]
    return f"::{_LEVEL[f.severity]} {','.join(props)}::{escape_data(f.message)}"


def write(findings: Iterable[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    for f in findings:
        out.write(command(f) + "\n")
    out.write(summary_line(summary) + "\n")
