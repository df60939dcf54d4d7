"""SPEC §5 JSON (one document) and JSON Lines (one finding per line, streamed)."""

from __future__ import annotations

import codecs
import io
import json
import time
from collections.abc import Iterable
from typing import BinaryIO, TextIO

from .._jsonl import dumps, finding_line, plain_line
from ..model import Finding, Severity
from ..rule import CorpusItem, Rule
from . import Findings, Summary


def _version() -> str:
    from .. import __version__

    return __version__


def write(findings: Findings, summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    out.write('{"version": 1,\n "tool": ')
    out.write(json.dumps({"name": "postcheck", "version": _version()}))
    out.write(',\n "findings": [')
    for i, f in enumerate(findings):
        out.write(("\n  " if i == 0 else ",\n  ") + dumps(f.to_json()))
    out.write("],\n")
    out.write(' "summary": ' + dumps(summary.to_json()) + "}\n")


def write_finding_line(f: Finding, out: TextIO) -> None:
    out.write(finding_line(f))


class LineSink:
    """Where a streamed jsonl report goes, a line at a time: findings, or lines already in
    UTF-8 (a cached file's, see ``cache.RawResult``). Call :meth:`flush` at the end.

    Lines are written in chunks of about :data:`CHUNK` characters: with ``PYTHONUNBUFFERED``
    (set in many containers and CI images) every write to stdout is a system call, which
    cost a warm run of 20,000 files a fifth of its time. Like stdio buffering, but bounded
    in time: the caller calls :meth:`tick` after each file, which writes what is pending once
    it is :data:`MAX_DELAY` seconds old, so a reader following a slow run still sees each
    file's findings soon after the file is done (SPEC §5).

    ``verbatim`` says the caller knows the stream writes ``\\n`` as it is (a text stream
    cannot be asked). Then, if it is a UTF-8 text file over a byte buffer, lines go to the
    buffer as bytes: cached lines are copied without being decoded and encoded again.
    Otherwise (a StringIO, another encoding, a stream that writes ``\\r\\n``) they go
    through the stream as text.
    """

    CHUNK = 1 << 16
    MAX_DELAY = 0.1

    def __init__(self, out: TextIO, verbatim: bool = False) -> None:
        self.out = out
        self._errors = getattr(out, "errors", None) or "strict"
        self._buffer = _utf8_buffer(out) if verbatim else None
        if self._buffer is not None:
            out.flush()  # whatever was written as text comes first
        self._pending: list[bytes] = []
        self._pending_text: list[str] = []
        self._size = 0
        self._flushed_at = time.monotonic()

    def finding(self, f: Finding) -> None:
        self._text(finding_line(f))

    def corpus_finding(self, code: str, name: str, severity: Severity, item: CorpusItem, message: str) -> None:
        """:meth:`finding` for what ``Engine.corpus_problems`` yields, without building the Finding."""
        line = plain_line(item.path, item.line, item.column, item.end_line, item.end_column, code, name,
                          severity.value, message, None, None)
        if line is None:
            from ..engine import corpus_finding

            line = finding_line(corpus_finding(code, name, severity, item, message))
        self._text(line)

    def write(self, text: str) -> int:
        """Any text, chunked like the lines: a whole report written line by line goes out
        in pieces too, not in one string as big as the report."""
        self._text(text)
        return len(text)

    def utf8(self, data: bytes) -> None:
        if not data:
            return
        if self._buffer is None:
            self._text(data.decode("utf-8"))
            return
        self._pending.append(data)
        self._size += len(data)
        if self._size >= self.CHUNK:
            self.flush()

    def _text(self, line: str) -> None:
        if self._buffer is not None:
            self.utf8(line.encode("utf-8", self._errors))
            return
        self._pending_text.append(line)
        self._size += len(line)
        if self._size >= self.CHUNK:
            self.flush()

    def tick(self) -> None:
        """A file is done: write what is pending if it has waited long enough."""
        if self._size and time.monotonic() - self._flushed_at >= self.MAX_DELAY:
            self.flush()

    def flush(self) -> None:
        """Write what is pending (the stream itself is left to its owner)."""
        if self._pending:
            assert self._buffer is not None
            self._buffer.write(b"".join(self._pending))
            self._pending = []
        if self._pending_text:
            self.out.write("".join(self._pending_text))
            self._pending_text = []
        self._size = 0
        self._flushed_at = time.monotonic()


def _utf8_buffer(out: TextIO) -> BinaryIO | None:
    if not isinstance(out, io.TextIOWrapper):
        return None
    try:
        if codecs.lookup(out.encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return out.buffer


def write_lines(findings: Iterable[Finding], summary: Summary, rules: dict[str, Rule], out: TextIO) -> None:
    for f in findings:
        write_finding_line(f, out)
