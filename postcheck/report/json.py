"""SPEC §5 JSON (one document) and JSON Lines (one finding per line, streamed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from ..model import Finding
from ..rule import Rule
from . import Summary


def _version() -> str:
    from .. import __version__

    return __version__


def write(findings: Sequence[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    out.write('{"version": 1,\n "tool": ')
    out.write(json.dumps({"name": "postcheck", "version": _version()}))
    out.write(',\n "findings": [')
    for i, f in enumerate(findings):
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(f.to_json(), ensure_ascii=False))
    out.write("],\n" if findings else "],\n")
    out.write(' "summary": ' + json.dumps(summary.to_json(), ensure_ascii=False) + "}\n")


def write_finding_line(f: Finding, out: TextIO) -> None:
    out.write(json.dumps(f.to_json(), ensure_ascii=False) + "\n")


def write_lines(findings: Sequence[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    for f in findings:
        write_finding_line(f, out)
