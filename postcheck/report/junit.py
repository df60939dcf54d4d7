"""JUnit XML: one test suite, one test case per checked file, one ``<failure>`` per finding.

CI systems (GitLab, Jenkins, Azure) show these as test results. A file without
findings is a passing test case. Characters that XML 1.0 cannot carry (control
characters, the lone surrogates that stand for undecodable bytes in file names)
are written as ``\\xNN`` / ``\\uNNNN`` text instead of making the document invalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from ..model import Finding
from ..rule import Rule
from . import Summary

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        cp = ord(m.group())
        return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"

    return _NOT_XML.sub(repl, text)


def _attr(text: str) -> str:
    return quoteattr(_clean(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def write(findings: Iterable[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    # Each finding is kept as its rendered <failure> line, not as a Finding (a report of
    # many thousand findings is held until every path is known).
    by_path: dict[str, list[str]] = {}
    for f in findings:
        message = f"{f.code} {f.rule}: {f.message}"
        body = f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity.value}] {f.rule}: {f.message}"
        by_path.setdefault(f.path or "<text>", []).append(
            f"      <failure type={_attr(f.code)} message={_attr(message)}>{escape(_clean(body))}</failure>\n")
    paths = list(dict.fromkeys([*summary.paths, *by_path]))
    paths.sort()
    failures = len(by_path)  # failed test cases, as JUnit counts them
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    counts = f'tests="{len(paths)}" failures="{failures}" errors="0" skipped="0"'
    out.write(f'<testsuites name="postcheck" {counts}>\n')
    out.write(f'  <testsuite name="postcheck" {counts} time="0">\n')
    for path in paths:
        found = by_path.get(path)
        head = f'    <testcase classname="postcheck" name={_attr(path)} file={_attr(path)} time="0"'
        if not found:
            out.write(head + "/>\n")
            continue
        out.write(head + ">\n")
        out.write("".join(found))
        out.write("    </testcase>\n")
    out.write("  </testsuite>\n</testsuites>\n")
