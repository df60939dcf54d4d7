"""The JSON Lines text of one finding (SPEC §5), shared by the jsonl report and the cache.

The cache stores each file's findings as the very lines a jsonl report writes, made by
:func:`finding_line`, so a warm jsonl run copies them out unchanged (see
:mod:`postcheck._cachecodec`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .model import Finding

__all__ = ["SURROGATE", "dumps", "finding_line", "plain_line"]

_encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for a str
# A file name that is not UTF-8 reaches us with its bytes as lone surrogates (Python's
# surrogateescape); written as they are they make the report invalid UTF-8. As \\udcXX
# escapes the report stays ASCII-safe JSON and json.loads + os.fsencode give the bytes back.
SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    return SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _quote(value: str) -> str:
    quoted = _encode(value)
    return _escape_surrogates(quoted) if SURROGATE.search(quoted) else quoted


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, but valid UTF-8 whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _escape_surrogates(text) if SURROGATE.search(text) else text


def finding_line(f: Finding) -> str:
    """``json.dumps(f.to_json(), ensure_ascii=False)`` and a newline, byte for byte, ~3x faster."""
    if type(f) is not Finding:  # a subclass may shape its JSON differently
        return dumps(f.to_json()) + "\n"
    d = f.__dict__
    fix = d["fix"]
    line = plain_line(d["path"], d["line"], d["column"], d["end_line"], d["end_column"], d["code"], d["rule"],
                      d["severity"].value, d["message"], d["field"],
                      None if fix is None else (fix.applicability, fix.description))
    return dumps(f.to_json()) + "\n" if line is None else line


def plain_line(path: Any, line: Any, col: Any, eline: Any, ecol: Any, code: Any, rule: Any, severity: Any,
               message: Any, field: Any, fix: Any) -> str | None:
    """The jsonl line of a finding from its values (the key order of ``Finding.to_json``);
    None when a value is not of the plain type this formatting assumes, so that the caller
    takes the json.dumps path and the output never differs."""
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
