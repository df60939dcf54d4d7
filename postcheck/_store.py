"""A whole run's findings, kept compact until a report written at the end reads them.

Text, JSON, GitHub, SARIF and JUnit reports are written once every file is checked
(they are sorted, and end with a summary). Holding a :class:`Finding` per finding
until then cost ~3.3 kB each: 280 MB for a text report of 20,000 posts, several GB for
an archive of a few hundred thousand, when a jsonl run of the same posts stays at
~70 MB. Each file's findings are kept instead as the bytes the results cache stores
(``_cachecodec.encode``, ~0.5 kB a finding; a cached file's are kept as they were
read) and rebuilt one file at a time while the report is written. Corpus-rule
findings are kept as what :meth:`Engine.corpus_problems` yields and built when read.

Reading gives the order the CLI always gave: files in the order they were added,
and when there are corpus findings, everything sorted by :meth:`Finding.sort_key`
(merged on the fly when the files came in that order already, as they do from
``run_files``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from itertools import pairwise

from ._cachecodec import DAMAGED, NotCacheable, RawResult, decode, encode
from .engine import FileResult, corpus_finding
from .model import Finding, Severity
from .rule import CorpusItem

__all__ = ["FindingStore"]

_CorpusProblem = tuple[str, str, Severity, CorpusItem, str]


def _problem_key(p: _CorpusProblem) -> tuple[str, int, int, str, str]:
    """:meth:`Finding.sort_key` of the finding ``corpus_finding(*p)`` would build."""
    code, _, _, item, message = p
    return (item.path or "", item.line, item.column, code, message)


class FindingStore:
    """Findings of many files, held compactly; iterating rebuilds them in report order.

    ``recheck(path)`` gives a file's findings again should its kept bytes not decode
    (only a cache row damaged in a way its checksum did not catch can cause that).
    """

    def __init__(self, recheck: Callable[[str], list[Finding]]) -> None:
        self._recheck = recheck
        # per file with findings: (path, encoded body) or, for what the codec cannot
        # carry exactly (see NotCacheable), the findings themselves
        self._files: list[tuple[str, bytes] | list[Finding]] = []
        self._corpus: list[Finding | _CorpusProblem] = []
        self._count = 0
        self._last: tuple[str, int, int, str, str] | None = None  # sort key of the last finding added
        self._sorted = True  # the files' findings, read in order, are sorted by sort_key

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def add(self, result: FileResult | RawResult) -> None:
        if isinstance(result, RawResult):
            n = sum(count for _, _, count in result.counts)
            if n:
                # Findings of one file share its path (the codec refuses others) and were
                # sorted when checked: only the order between files needs looking at.
                self._after((result.path, 0, 0, "", ""), strictly=True)
                self._last = (result.path, 0, 0, "", "")
                self._files.append((result.path, result.body))
                self._count += n
            return
        findings = result.findings
        if not findings:
            return
        if self._sorted:
            keys = [f.sort_key() for f in findings]
            self._after(keys[0])
            if any(a > b for a, b in pairwise(keys)):
                self._sorted = False
            self._last = keys[-1]
        try:
            self._files.append((result.path, encode(FileResult(result.path, findings)).encode("utf-8")))
        except (NotCacheable, UnicodeEncodeError):
            self._files.append(list(findings))
        self._count += len(findings)

    def _after(self, key: tuple[str, int, int, str, str], strictly: bool = False) -> None:
        last = self._last
        if last is not None and (key[0] <= last[0] if strictly else key < last):
            self._sorted = False

    def add_corpus(self, entries: Iterable[Finding | _CorpusProblem]) -> None:
        """Corpus-rule findings: :class:`Finding` objects, or what ``Engine.corpus_problems``
        yields (built when read)."""
        before = len(self._corpus)
        self._corpus.extend(entries)
        self._count += len(self._corpus) - before
        self._corpus.sort(key=_corpus_key)  # stable: equal keys keep the order they came in

    def __iter__(self) -> Iterator[Finding]:
        if not self._corpus:
            return self._file_findings()
        corpus = (c if isinstance(c, Finding) else corpus_finding(*c) for c in self._corpus)
        if self._sorted:
            # ties go to the files' findings, as in a stable sort of files + corpus
            return heapq.merge(self._file_findings(), corpus, key=Finding.sort_key)
        everything = [*self._file_findings(), *corpus]
        everything.sort(key=Finding.sort_key)
        return iter(everything)

    def _file_findings(self) -> Iterator[Finding]:
        for entry in self._files:
            if isinstance(entry, list):
                yield from entry
                continue
            path, body = entry
            try:
                findings = decode(body, path).findings
            except DAMAGED:
                findings = self._recheck(path)
            yield from findings


def _corpus_key(entry: Finding | _CorpusProblem) -> tuple[str, int, int, str, str]:
    return entry.sort_key() if isinstance(entry, Finding) else _problem_key(entry)
