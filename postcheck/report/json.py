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
    """``json.dumps(f.to_json(), ensure_ascii=False)`` and a newline, byte for byte, ~3x faster.

    jsonl output of a warm (cached) run is mostly this call; any value of an unexpected
    type takes the json.dumps path, so the output never differs.
    """
    d = f.__dict__
    path, field, fix = d["path"], d["field"], d["fix"]
    if (type(d["line"]) is not int or type(d["column"]) is not int or type(d["end_line"]) is not int
            or type(d["end_column"]) is not int or type(d["code"]) is not str or type(d["rule"]) is not str
            or type(d["message"]) is not str or not (path is None or type(path) is str)
            or not (field is None or type(field) is str)
            or not (fix is None or (type(fix.applicability) is str and type(fix.description) is str))):
        return json.dumps(f.to_json(), ensure_ascii=False) + "\n"
    return (f'{{"path": {"null" if path is None else _quote(path)}, "line": {d["line"]}, '
            f'"column": {d["column"]}, "end_line": {d["end_line"]}, "end_column": {d["end_column"]}, '
            f'"code": {_quote(d["code"])}, "rule": {_quote(d["rule"])}, '
            f'"severity": {_quote(d["severity"].value)}, "message": {_quote(d["message"])}, '
            f'"field": {"null" if field is None else _quote(field)}, "fix": '
            + ("null}\n" if fix is None else f'{{"applicability": {_quote(fix.applicability)}, '
               f'"description": {_quote(fix.description)}}}}}\n'))


def write_row_line(path: str, row: list[Any], out: TextIO) -> None:
    """What :func:`write_finding_line` writes for the finding a cache row stands for, without
    building the :class:`Finding` (see :class:`postcheck.cache.RawResult`).

    Rows are what ``cache.encode`` stored: (code, rule, severity, message, line, column,
    end line, end column, field, fix, context, fingerprint); anything of another type takes
    the Finding path, so the output never differs.
    """
    code, name, sev, message, line, col, eline, ecol, field, fix = row[:10]
    if (type(line) is not int or type(col) is not int or type(eline) is not int or type(ecol) is not int
            or type(code) is not str or type(name) is not str or type(sev) is not str
            or type(message) is not str or type(path) is not str or not (field is None or type(field) is str)
            or not (fix is None or (type(fix) is list and type(fix[0]) is str and type(fix[1]) is str))):
        from ..cache import finding_of_row

        write_finding_line(finding_of_row(row, path), out)
        return
    out.write(f'{{"path": {_quote(path)}, "line": {line}, "column": {col}, "end_line": {eline}, '
              f'"end_column": {ecol}, "code": {_quote(code)}, "rule": {_quote(name)}, '
              f'"severity": {_quote(sev)}, "message": {_quote(message)}, '
              f'"field": {"null" if field is None else _quote(field)}, "fix": '
              + ("null}\n" if fix is None else f'{{"applicability": {_quote(fix[0])}, '
                 f'"description": {_quote(fix[1])}}}}}\n'))


def write_lines(findings: Sequence[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    for f in findings:
        write_finding_line(f, out)
