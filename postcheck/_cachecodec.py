"""How the results cache stores one file's result, and how worker processes send one back.

A stored body has three parts, one per line of its own, then the report lines::

    [counts, corpus keys]     what a run counts (code, severity, number) and the corpus keys
    [extras]                  per finding what its jsonl line leaves out: fix edits, context, fingerprint
    {"path": ...}             the findings as ``--format jsonl`` writes them (:func:`finding_line`)
    ...

A stored payload is the UTF-8 of the body behind a checksum of it (:func:`seal`), kept as
a BLOB: loading rows, checking seals and writing lines then never converts text. A warm
jsonl run reads only the first part and copies the lines' bytes out as they are
(:func:`decode_raw`); building a :class:`Finding` per cached finding and formatting it
again was most of a warm run. Every other format rebuilds the findings from the lines
and the extras (:func:`decode`). Compact JSON never holds a raw newline (it escapes
control characters), so the parts split on ``\\n`` exactly.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ._jsonl import finding_line
from .model import Edit, Finding, Fix, Severity
from .model import fast_construct as _build
from .rule import CorpusItem

if TYPE_CHECKING:
    from .engine import FileResult

_SEVERITIES = {s.value: s for s in Severity}
EMPTY = "[[],[]]\n[]\n"
_EMPTY_UTF8 = EMPTY.encode()
_SEAL_LEN = 4


# What reading a damaged body may raise; the cache treats each as a miss.
DAMAGED = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, UnicodeError)


class NotCacheable(Exception):
    """A result JSON cannot carry exactly (it is checked again next time instead)."""


def _enc_key(value: Any) -> Any:
    """Corpus keys: JSON with tuples and lists tagged, so they come back as they were."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, tuple):
        return {"t": [_enc_key(v) for v in value]}
    if isinstance(value, list):
        return {"l": [_enc_key(v) for v in value]}
    raise NotCacheable(type(value).__name__)


def _dec_key(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"t"} and isinstance(value["t"], list):
            return tuple(_dec_key(v) for v in value["t"])
        if set(value) == {"l"} and isinstance(value["l"], list):
            return [_dec_key(v) for v in value["l"]]
        raise ValueError("bad corpus key")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError("bad corpus key")


def _enc_edits(fix: Fix) -> list[list[Any]]:
    return [[e.start, e.end, e.replacement] for e in fix.edits]


def _dec_edits(edits: list[Any]) -> tuple[Edit, ...]:
    return tuple([_build(Edit, {"start": s, "end": e, "replacement": r}) for s, e, r in edits])


# One encoder for every payload: json.dumps with options builds a new one per call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _plain_context(context: dict[str, Any]) -> bool:
    """A context JSON carries exactly as it is (most are ``{"signature": "ad-word"}``): no need
    to check that it comes back the same."""
    for key, value in context.items():
        if type(key) is not str or not (value is None or type(value) in (str, int, bool)):
            return False
    return "internal_error" not in context


def encode(result: FileResult) -> str:
    """The stored body of a result; raises NotCacheable for values JSON cannot carry exactly."""
    if not result.findings and not result.corpus:
        return EMPTY
    counts: dict[tuple[str, str], int] = {}
    extras = []
    lines = []
    for f in result.findings:
        if f.path != result.path or type(f) is not Finding:
            raise NotCacheable("finding of another path or kind")
        context = f.context
        if context is not None and not _plain_context(context):
            try:
                dumped = json.dumps(context, ensure_ascii=False)
            except (TypeError, ValueError):  # a plugin's context may hold anything
                raise NotCacheable("context") from None
            if json.loads(dumped) != context or context.get("internal_error"):
                raise NotCacheable("context")
        key = (f.code, f.severity.value)
        counts[key] = counts.get(key, 0) + 1
        edits = None if f.fix is None else _enc_edits(f.fix)
        extras.append([edits, f.context, f.fingerprint])
        lines.append(finding_line(f))
    corpus = []
    for code, key, item in result.corpus:
        if item.path != result.path:
            raise NotCacheable("corpus item of another path")
        corpus.append([code, _enc_key(key), item.line, item.column, item.end_line, item.end_column,
                       item.fingerprint, item.suppressed])
    try:
        head = _compact([[[c, s, n] for (c, s), n in counts.items()], corpus])
        tail = _compact(extras)
    except (TypeError, ValueError) as exc:
        raise NotCacheable(str(exc)) from None
    return f"{head}\n{tail}\n{''.join(lines)}"


class RawResult(NamedTuple):
    """A cached result with its findings still as the jsonl lines they were stored as (UTF-8).

    ``counts`` holds (code, severity, number of findings) for the exit status and summary;
    ``body`` is the whole stored body, for :func:`decode` when the findings are needed later.
    """

    path: str
    lines: bytes
    counts: list[list[Any]]
    corpus: list[tuple[str, Any, CorpusItem]]
    body: bytes


def _head(body: bytes, path: str) -> tuple[int, list[list[Any]], list[tuple[str, Any, CorpusItem]]]:
    """(offset of the extras, counts, corpus keys); ValueError unless they agree with the lines."""
    first = body.index(b"\n")
    counts, corpus_raw = _loads(body[:first].decode("utf-8"))
    total = 0
    severities = _SEVERITIES
    for code, severity, n in counts:
        if severity not in severities or type(code) is not str or type(n) is not int or n < 1:
            raise ValueError("bad count")
        total += n
    if body.count(b"\n") != total + 2:
        raise ValueError("lines do not match the counts")
    corpus = []
    for code, key, line, col, eline, ecol, fp, suppressed in corpus_raw:
        if type(key) is dict:
            key = _dec_key(key)
        corpus.append((code, key, CorpusItem(path, line, col, eline, ecol, fp, suppressed)))
    return first + 1, counts, corpus


# The decoder's own scanner (set by its __init__; typeshed does not declare it).
_scan_json: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009


def _loads(text: str) -> Any:
    """``json.loads`` of one compact JSON value, without its wrapper (a warm run calls this
    once per file, and the wrapper was a third of the time: whitespace and encoding checks)."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError("not one JSON value")
    return value


def decode_raw(body: bytes, path: str) -> RawResult:
    """The lines, counts and corpus keys an :func:`encode` body stands for.

    The body must come from :func:`encode` (see :func:`unseal`): what decides the exit
    status and the run's identity is checked again (severities, counts against lines,
    corpus key tags), not the shape of every value.
    """
    if body == _EMPTY_UTF8:
        return RawResult(path, b"", [], [], body)
    at, counts, corpus = _head(body, path)
    return RawResult(path, body[body.index(b"\n", at) + 1:], counts, corpus, body)


def decode(body: bytes, path: str) -> FileResult:
    """The result an :func:`encode` body stands for, findings rebuilt from their lines."""
    from .engine import FileResult

    if body == _EMPTY_UTF8:
        return FileResult(path, [], [])
    at, _counts, corpus = _head(body, path)
    end = body.index(b"\n", at)
    extras = json.loads(body[at:end])
    lines = body[end + 1:].decode("utf-8")
    shown = json.loads("[" + lines[:-1].replace("\n", ",") + "]") if lines else []
    findings = []
    for d, (edits, context, fingerprint) in zip(shown, extras, strict=True):  # ValueError if unequal
        fix = d["fix"]
        if (fix is None) != (edits is None):
            raise ValueError("fix without edits")
        findings.append(_build(Finding, {
            "code": d["code"], "rule": d["rule"], "severity": _SEVERITIES[d["severity"]],
            "message": d["message"], "path": path, "line": d["line"], "column": d["column"],
            "end_line": d["end_line"], "end_column": d["end_column"], "field": d["field"],
            "fix": None if fix is None else _build(Fix, {
                "applicability": fix["applicability"], "description": fix["description"],
                "edits": _dec_edits(edits)}),
            "context": context, "fingerprint": fingerprint}))
    return FileResult(path, findings, corpus)


def seal(body: str) -> bytes:
    """A stored payload: the body's UTF-8 behind a CRC-32 of it (UnicodeEncodeError for text
    that has no UTF-8, e.g. a lone surrogate: such a result is not stored)."""
    return seal_bytes(body.encode("utf-8"))


def seal_bytes(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(_SEAL_LEN, "big") + data


def unseal(payload: Any) -> bytes:
    """The body of a stored payload; ValueError unless it is exactly what :func:`seal` stored.

    A damaged, truncated or hand-edited row fails here and is checked again; this one
    checksum replaces checking the type of every value of every finding on each warm run.
    A CRC is made for exactly this, accidental damage; a cryptographic digest would not
    stop someone who can write the cache file (they could store its digest too) and
    cost a warm run three times as much.
    """
    if type(payload) is not bytes or len(payload) < _SEAL_LEN:
        raise ValueError("bad payload")
    if zlib.crc32(memoryview(payload)[_SEAL_LEN:]) != int.from_bytes(payload[:_SEAL_LEN], "big"):
        raise ValueError("payload does not match its seal")
    return payload[_SEAL_LEN:]


# -- worker transport ---------------------------------------------------------------


def pack(result: FileResult) -> tuple[Any, ...]:
    """A result as plain tuples, for worker processes to send back: pickling tuples and
    rebuilding the models with :func:`unpack` costs a fraction of pickling pydantic models."""
    findings = [(f.code, f.rule, f.severity.value, f.message, f.path, f.line, f.column, f.end_line,
                 f.end_column, f.field,
                 None if f.fix is None else (f.fix.applicability, f.fix.description,
                                             _enc_edits(f.fix)),
                 f.context, f.fingerprint) for f in result.findings]
    return (result.path, findings, result.corpus)


def unpack(packed: tuple[Any, ...]) -> FileResult:
    from .engine import FileResult

    path, findings_raw, corpus = packed
    build, severities = _build, _SEVERITIES
    findings = [build(Finding, {
        "code": code, "rule": name, "severity": severities[sev], "message": message, "path": fpath,
        "line": line, "column": col, "end_line": eline, "end_column": ecol, "field": field,
        "fix": None if fix is None else build(Fix, {"applicability": fix[0], "description": fix[1],
                                                    "edits": _dec_edits(fix[2])}),
        "context": context, "fingerprint": fp})
        for code, name, sev, message, fpath, line, col, eline, ecol, field, fix, context, fp in findings_raw]
    return FileResult(path, findings, corpus)
