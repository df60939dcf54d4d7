"""Baselines: record today's findings so that only new ones fail the run.

``postcheck baseline PATH ... > postcheck-baseline.json`` writes every finding as
``(path, code, fingerprint)`` with a count; ``postcheck check --baseline FILE``
then hides that many matching findings. The fingerprint is a digest of the
offending content (:attr:`Finding.fingerprint`), not the line number, so inserting
lines above a known finding does not bring it back, while a new ad in a file that
already had one is still reported. Counting keeps multiplicity honest: two
identical findings recorded and three found now leaves one to report.

Paths are stored relative to the baseline file's folder (relative to the current
folder when the baseline goes to stdout, i.e. redirect it into the folder you run
from), with ``/`` separators, so the file can be committed and used from any
checkout and any working folder.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from ._jsonl import dumps
from .model import Finding

__all__ = ["Baseline", "BaselineError", "dump", "load"]

FORMAT_VERSION = 1
Key = tuple[str, str, str]


class BaselineError(Exception):
    """The baseline file cannot be used; the message names it."""


def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def _relative(path: str, base_dir: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base_dir))
    except ValueError:  # another drive on Windows
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def dump(findings: Iterable[Finding], out: TextIO, base_dir: str = ".") -> None:
    """Write a baseline of ``findings`` with paths relative to ``base_dir``."""
    counts: Counter[Key] = Counter()
    messages: dict[Key, str] = {}
    for f in findings:
        key = (_relative(f.path or "", base_dir), f.code, f.fingerprint)
        counts[key] += 1
        messages.setdefault(key, f.message)
    entries = [
        {"path": path, "code": code, "fingerprint": fp, "count": n, "message": messages[(path, code, fp)]}
        for (path, code, fp), n in sorted(counts.items())
    ]
    out.write(f'{{"version": {FORMAT_VERSION},\n "tool": "postcheck",\n "findings": [')
    for i, e in enumerate(entries):
        out.write(("\n  " if i == 0 else ",\n  ") + dumps(e))
    out.write("]}\n")


class Baseline:
    """Known findings; :meth:`filter` drops them (statefully, so counts are used up once)."""

    def __init__(self, known: Counter[Key]) -> None:
        self.remaining = known
        self.hidden = 0

    @classmethod
    def from_document(cls, doc: Any, base_dir: str, origin: str = "baseline") -> Baseline:
        if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
            raise BaselineError(f"{origin}: not a postcheck baseline (version {FORMAT_VERSION})")
        entries = doc.get("findings")
        if not isinstance(entries, list):
            raise BaselineError(f"{origin}: 'findings' must be a list")
        known: Counter[Key] = Counter()
        for i, e in enumerate(entries):
            try:
                path, code, fp, count = e["path"], e["code"], e["fingerprint"], e.get("count", 1)
            except (TypeError, KeyError) as exc:
                raise BaselineError(f"{origin}: findings[{i}]: missing {exc}") from None
            if not (isinstance(path, str) and isinstance(code, str) and isinstance(fp, str)
                    and isinstance(count, int) and not isinstance(count, bool) and count > 0):
                raise BaselineError(f"{origin}: findings[{i}]: bad path, code, fingerprint or count")
            known[(_norm(os.path.join(base_dir, path.replace("/", os.sep))), code, fp)] += count
        return cls(known)

    def filter(self, findings: Sequence[Finding]) -> list[Finding]:
        """The findings not covered by the baseline, in the order given."""
        if not self.remaining:
            return list(findings)
        kept = []
        for f in findings:
            key = (_norm(f.path or ""), f.code, f.fingerprint)
            if self.remaining.get(key, 0) > 0:
                self.remaining[key] -= 1
                self.hidden += 1
            else:
                kept.append(f)
        return kept


def load(path: str) -> Baseline:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    return Baseline.from_document(doc, os.path.dirname(os.path.abspath(path)), path)
