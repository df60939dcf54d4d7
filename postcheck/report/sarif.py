"""SARIF 2.1.0, for GitHub code scanning (``github/codeql-action/upload-sarif``) and other viewers.

``tool.driver.rules`` describes every registered rule (id, name, descriptions,
help, default level), so a viewer can explain a result without postcheck. Results
point at the file with a relative URI under ``%SRCROOT%`` and an exact region.
Columns count Unicode code points, like the other formats (``columnKind``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import quote

from ..model import Finding, Severity
from ..rule import Rule
from . import Summary

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SECTION = re.compile(r"^## What it does[ \t]*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def _version() -> str:
    from .. import __version__

    return __version__


def _full_description(r: Rule) -> str:
    m = _SECTION.search(r.doc)
    text = " ".join(m.group(1).split()) if m else ""
    return text or r.summary


def rule_descriptor(r: Rule) -> dict[str, Any]:
    doc = r.doc or r.summary
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": _full_description(r)},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": _LEVEL[r.severity]},
        "properties": {"fix": r.fix, "tags": ["postcheck", r.code[:3]]},
    }


def artifact_uri(path: str) -> tuple[str, bool]:
    """A URI reference for the path and whether it is relative to the source root."""
    if os.path.isabs(path):
        from pathlib import Path

        return Path(path).as_uri(), False
    rel = path.replace(os.sep, "/")
    while rel.startswith("./"):
        rel = rel[2:]
    return quote(rel, safe="/", errors="surrogateescape"), True


def result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    uri, relative = artifact_uri(f.path or "")
    location: dict[str, Any] = {"uri": uri}
    if relative:
        location["uriBaseId"] = "%SRCROOT%"
    region = {
        "startLine": max(1, f.line),
        "startColumn": max(1, f.column),
        "endLine": max(1, f.end_line, f.line),
        "endColumn": max(1, f.end_column),
    }
    out: dict[str, Any] = {
        "ruleId": f.code,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message or f.rule},
        "locations": [{"physicalLocation": {"artifactLocation": location, "region": region}}],
        "partialFingerprints": {"postcheckContent/v1": f"{f.code}:{f.fingerprint}"},
    }
    if f.code in index:
        out["ruleIndex"] = index[f.code]
    props: dict[str, Any] = {"rule": f.rule}
    if f.field is not None:
        props["field"] = f.field
    if f.fix is not None:
        props["fix"] = {"applicability": f.fix.applicability, "description": f.fix.description}
    out["properties"] = props
    return out


def document(findings: Iterable[Finding], rules: dict[str, Rule]) -> dict[str, Any]:
    ordered = sorted(rules.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(ordered)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "postcheck",
                "version": _version(),
                "semanticVersion": _version(),
                "rules": [rule_descriptor(r) for r in ordered],
            }},
            "invocations": [{"executionSuccessful": True}],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the folder postcheck ran in"}}},
            "columnKind": "unicodeCodePoints",
            "results": [result(f, index) for f in findings],
        }],
    }


# Where the results list sits in the document: json.dump(indent=1) puts each result at
# this depth (document > runs > run > results).
_RESULTS = '"results": []'
_RESULT_DEPTH = 4


def write(findings: Iterable[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    """The bytes ``json.dump(document(findings, rules), out, indent=1)`` writes, one result at
    a time (the document of a large run would hold every result as nested dicts at once)."""
    index = {r.code: i for i, r in enumerate(sorted(rules.values(), key=lambda r: r.code))}
    # ASCII-only output: undecodable bytes in file names must not make the JSON invalid.
    skeleton = json.dumps(document((), rules), indent=1, ensure_ascii=True)
    head, tail = skeleton.split(_RESULTS)  # a quote inside a JSON string is escaped: one match
    out.write(head)
    out.write('"results": [')
    inner = "\n" + " " * _RESULT_DEPTH
    separator = inner
    wrote = False
    for f in findings:
        # compact JSON escapes every newline inside strings: each "\n" here is indentation
        out.write(separator + json.dumps(result(f, index), indent=1, ensure_ascii=True).replace("\n", inner))
        separator = "," + inner
        wrote = True
    out.write(("\n" + " " * (_RESULT_DEPTH - 1) + "]" if wrote else "]") + tail)
    out.write("\n")
