"""SPEC §5 JSON (one document) and JSON Lines (one finding per line, streamed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

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
    out.write(_line(f) if type(f) is Finding else json.dumps(f.to_json(), ensure_ascii=False) + "\n")


_quote = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for a str


def _line(f: Finding) -> str:
    """``json.dumps(f.to_json(), ensure_ascii=False)`` and a newline, byte for byte, ~3x faster."""
    d = f.__dict__
    fix = d["fix"]
    line = _fast_line(d["path"], d["line"], d["column"], d["end_line"], d["end_column"], d["code"], d["rule"],
                      d["severity"].value, d["message"], d["field"],
                      None if fix is None else (fix.applicability, fix.description))
    return json.dumps(f.to_json(), ensure_ascii=False) + "\n" if line is None else line


def write_row_line(path: str, row: list[Any], out: TextIO) -> None:
    """What :func:`write_finding_line` writes for the finding a cache row stands for, without
    building the :class:`Finding` (see :class:`postcheck.cache.RawResult`).

    Rows are what ``cache.encode`` stored: (code, rule, severity, message, line, column,
    end line, end column, field, fix, context, fingerprint).
    """
    code, name, sev, message, line, col, eline, ecol, field, fix = row[:10]
    text = _fast_line(path, line, col, eline, ecol, code, name, sev, message, field,
                      None if fix is None else (fix[0], fix[1]) if type(fix) is list and len(fix) >= 2 else fix)
    if text is None:
        from ..cache import finding_of_row

        text = _line(finding_of_row(row, path))
    out.write(text)


def _fast_line(path: Any, line: Any, col: Any, eline: Any, ecol: Any, code: Any, rule: Any, severity: Any,
               message: Any, field: Any, fix: Any) -> str | None:
    """The jsonl line of a finding from its values (the key order of ``Finding.to_json``);
    None when a value is not of the plain type this formatting assumes, so that the caller
    takes the json.dumps path and the output never differs. Warm jsonl runs are mostly this."""
    if (type(line) is not int or type(col) is not int or type(eline) is not int or type(ecol) is not int
            or type(code) is not str or type(rule) is not str or type(severity) is not str
            or type(message) is not str or not (path is None or type(path) is str)
            or not (field is None or type(field) is str)
            or not (fix is None or (type(fix) is tuple and type(fix[0]) is str and type(fix[1]) is str))):
        return None
    return (f'{{"path": {"null" if path is None else _quote(path)}, "line": {line}, "column": {col}, '
            f'"end_line": {eline}, "end_column": {ecol}, "code": {_quote(code)}, "rule": {_quote(rule)}, '
            f'"severity": {_quote(severity)}, "message": {_quote(message)}, '
            f'"field": {"null" if field is None else _quote(field)}, "fix": '
            + ("null}\n" if fix is None else f'{{"applicability": {_quote(fix[0])}, '
               f'"description": {_quote(fix[1])}}}}}\n'))


def write_lines(findings: Sequence[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    for f in findings:
        write_finding_line(f, out)
