"""Applying fixes: span-exact edits on the original text, in rounds, and atomic writes.

A :class:`~postcheck.model.Fix` is a set of edits on the text the rule saw. Nothing is
ever re-serialised: every character outside the edited spans stays as it was, so
YAML key order, quoting, comments, line endings and the HTML's own formatting
survive a fix. Fixes of one round are chosen so that no two overlap (the outer edit
wins); the losers are found again by the next round's check, on the new text, with
fresh offsets. The loop ends when nothing applicable is left; a fix that keeps
coming back (10 rounds, a no-op or a cycle) is reported as an internal error that
names its rule rather than looping for ever.
"""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO, overload

from ._fixio import FixWriteError, read_regular, unified_diff, write_atomic
from ._markdown import together
from .model import Edit, Finding, Fix, Severity

if TYPE_CHECKING:
    from .config import Config
    from .engine import Engine, FileResult

__all__ = [
    "MAX_ROUNDS",
    "AppliedFix",
    "CliFixer",
    "FileFix",
    "FixOutcome",
    "FixWriteError",
    "adapt_edits",
    "apply_edits",
    "choose_fixes",
    "fix_file",
    "fix_post",
    "fix_text",
    "is_applicable",
    "unified_diff",
    "write_atomic",
]

MAX_ROUNDS = 10


def is_applicable(fix: Fix | None, unsafe: bool) -> bool:
    """Whether ``--fix`` (``unsafe=False``) or ``--fix --unsafe-fixes`` applies this fix."""
    if fix is None or not fix.edits:
        return False
    return fix.applicability == "safe" or (unsafe and fix.applicability == "unsafe")


# -- choosing and applying edits -----------------------------------------------------


def _conflict(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two edits that cannot both be applied without an ambiguous result.

    Touching edits are fine (``[2,5)`` and ``[5,7)``), and so is an insertion at the
    boundary of a replacement (it goes first). Two insertions at one point conflict:
    their order would be a guess.
    """
    (a_start, a_end), (b_start, b_end) = a, b
    if a_start == a_end and b_start == b_end:
        return a_start == b_start
    return a_start < b_end and b_start < a_end


def _invalid(fix: Fix, length: int) -> str | None:
    """Why a rule's fix cannot be applied as given, or None."""
    spans = sorted((e.start, e.end) for e in fix.edits)
    for start, end in spans:
        if not 0 <= start <= end <= length:
            return f"edit [{start}, {end}) is outside the text (length {length})"
    for a, b in zip(spans, spans[1:], strict=False):
        if _conflict(a, b):
            return f"edits [{a[0]}, {a[1]}) and [{b[0]}, {b[1]}) overlap"
    return None


class _Taken:
    """Accepted edit spans, sorted; answers "does this span conflict with one of them?"."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def conflicts(self, span: tuple[int, int]) -> bool:
        start, end = span
        # Accepted spans never conflict with each other, so only the last span that
        # starts before `start` can reach into it; the rest that matter start in
        # [start, end]. Both sit in this window of the sorted list.
        lo = max(0, bisect_left(self.spans, (start, -1)) - 1)
        hi = bisect_right(self.spans, (end, end + 1))
        return any(_conflict(span, other) for other in self.spans[lo:hi])

    def add(self, span: tuple[int, int]) -> None:
        insort(self.spans, span)


def _priority(finding: Finding) -> tuple[int, int, int]:
    assert finding.fix is not None
    start = min(e.start for e in finding.fix.edits)
    end = max(e.end for e in finding.fix.edits)
    # The outer (widest) fix first; then by position. Ties keep the findings' own
    # deterministic order (the sort below is stable).
    return (-(end - start), start, end)


def choose_fixes(findings: Sequence[Finding], text_length: int, *, unsafe: bool = False
                 ) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """The applicable fixes of one round, none overlapping another, and the invalid ones.

    A fix is all-or-nothing: it is taken only when none of its edits conflicts with an
    edit already taken. Overlaps are settled deterministically: the widest fix wins
    (an element's removal beats a fix inside that element); the others wait for the
    next round.
    """
    candidates = [f for f in findings if is_applicable(f.fix, unsafe)]
    chosen: list[Finding] = []
    invalid: list[tuple[Finding, str]] = []
    taken = _Taken()
    for finding in sorted(candidates, key=_priority):
        assert finding.fix is not None
        reason = _invalid(finding.fix, text_length)
        if reason is not None:
            invalid.append((finding, reason))
            continue
        spans = [(e.start, e.end) for e in finding.fix.edits]
        if any(taken.conflicts(s) for s in spans):
            continue
        for s in spans:
            taken.add(s)
        chosen.append(finding)
    return chosen, invalid


def _newline(text: str) -> str:
    """The file's line ending, judged by its first line break."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def _adapt(replacement: str, newline: str) -> str:
    """Rules write "\\n"; in a CRLF file an inserted line break must be CRLF too."""
    if newline == "\n" or "\n" not in replacement:
        return replacement
    return replacement.replace("\r\n", "\n").replace("\n", "\r\n")


def adapt_edits(text: str, edits: Iterable[Edit]) -> tuple[Edit, ...]:
    """The edits as they will be applied to ``text``: line breaks in its style."""
    newline = _newline(text)
    return tuple(e if _adapt(e.replacement, newline) == e.replacement
                 else Edit(start=e.start, end=e.end, replacement=_adapt(e.replacement, newline))
                 for e in edits)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with non-overlapping edits applied (offsets refer to ``text``)."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for e in ordered:
        if e.start < pos:
            raise ValueError(f"overlapping edits at offset {e.start}")
        out.append(text[pos : e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


# -- the fix loop --------------------------------------------------------------------


@dataclass(frozen=True)
class AppliedFix:
    """One fix that was applied, in which round.

    ``edits`` are the edits as applied (offsets into that round's text, line breaks
    already in the file's style).
    """

    round: int
    code: str
    rule: str
    description: str
    edits: tuple[Edit, ...]


@dataclass
class FixOutcome:
    """The result of fixing one text: the new text and its remaining findings."""

    path: str | None
    original: str
    text: str
    result: FileResult
    applied: list[AppliedFix] = field(default_factory=list)
    rounds: int = 0
    errors: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def findings(self) -> list[Finding]:
        """What is left after fixing (with internal errors of fixes that failed)."""
        return sorted([*self.result.findings, *self.errors], key=Finding.sort_key)


def _fix_error(finding: Finding, message: str) -> Finding:
    return Finding.model_construct(
        code=finding.code, rule=finding.rule, severity=Severity.ERROR,
        message=f"internal error in rule {finding.code} {finding.rule}: {message}",
        path=finding.path, line=finding.line, column=finding.column, end_line=finding.end_line,
        end_column=finding.end_column, field=finding.field, fix=None,
        context={"internal_error": True}, fingerprint="internal-error",
    )


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def fix_post(engine: Engine, text: str, path: str | None = None, *, unsafe: bool = False,
             first: FileResult | None = None, max_rounds: int = MAX_ROUNDS) -> FixOutcome:
    """Check, apply the applicable fixes, check again... until nothing applicable is left.

    ``first`` is the check of ``text`` when the caller already has it. The returned
    outcome's ``result`` is the check of the final text: the findings to report.
    """
    result = first if first is not None else engine.check_bytes(text, path)
    outcome = FixOutcome(path, text, text, result)
    seen = {_digest(text)}
    errors: dict[tuple[str, str], Finding] = {}
    current = text
    for round_no in range(1, max_rounds + 1):
        chosen, invalid = choose_fixes(result.findings, len(current), unsafe=unsafe)
        # fixes that each keep the Markdown around them, but not together, wait a round
        groups = [[(e.start, e.end, e.replacement) for e in f.fix.edits] for f in chosen]  # type: ignore[union-attr]
        chosen = [chosen[i] for i in together(current, groups)]
        for finding, reason in invalid:
            errors.setdefault((finding.code, "invalid"), _fix_error(finding, f"invalid fix: {reason}"))
        if not chosen:
            break
        adapted = [adapt_edits(current, f.fix.edits) for f in chosen]  # type: ignore[union-attr]
        new = apply_edits(current, [e for edits in adapted for e in edits])
        digest = _digest(new)
        if digest in seen:
            # A no-op fix or a cycle: the same findings would come back for ever.
            for f in chosen:
                errors.setdefault((f.code, "loop"), _fix_error(
                    f, f"fix '{f.fix.description}' does not converge: it "  # type: ignore[union-attr]
                    + ("changes nothing" if new == current else "undoes an earlier fix")))
            break
        seen.add(digest)
        outcome.applied.extend(
            AppliedFix(round_no, f.code, f.rule, f.fix.description, edits)  # type: ignore[union-attr]
            for f, edits in zip(chosen, adapted, strict=True)
        )
        current = new
        outcome.rounds = round_no
        result = engine.check_bytes(current, path)
    else:
        left = [f for f in result.findings if is_applicable(f.fix, unsafe)]
        for f in left:
            errors.setdefault((f.code, "loop"), _fix_error(
                f, f"fix did not converge after {max_rounds} rounds"))
    outcome.text = _keep_final_newline(text, current)
    if outcome.text != current:
        outcome.result = engine.check_bytes(outcome.text, path)
    else:
        outcome.result = result
    outcome.errors = list(errors.values())
    return outcome


def _keep_final_newline(original: str, new: str) -> str:
    """A fix never takes away the file's final line break."""
    if new and original.endswith("\n") and not new.endswith("\n"):
        return new + ("\r\n" if original.endswith("\r\n") else "\n")
    return new


@overload
def fix_text(text: str, *, unsafe: bool = ..., config: Config | dict[str, Any] | None = ...,
             path: str | None = ..., select: Sequence[str] | None = ..., ignore: Sequence[str] = ...,
             extend_select: Sequence[str] = ..., now: str | None = ..., engine: Engine | None = ...
             ) -> tuple[str, list[Finding]]: ...
@overload
def fix_text(text: bytes, *, unsafe: bool = ..., config: Config | dict[str, Any] | None = ...,
             path: str | None = ..., select: Sequence[str] | None = ..., ignore: Sequence[str] = ...,
             extend_select: Sequence[str] = ..., now: str | None = ..., engine: Engine | None = ...
             ) -> tuple[bytes, list[Finding]]: ...
def fix_text(
    text: str | bytes,
    *,
    unsafe: bool = False,
    config: Config | dict[str, Any] | None = None,
    path: str | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
    now: str | None = None,
    engine: Engine | None = None,
) -> tuple[str | bytes, list[Finding]]:
    """Apply fixes to a post given as text; return the new text and what remains.

    Safe fixes only unless ``unsafe=True``. The remaining findings are those of the
    fixed text (plus an internal error for a fix that does not converge). Bytes in,
    bytes out: ``text`` given as bytes is decoded as strict UTF-8 and the result
    encoded back; bytes that are not UTF-8 come back unchanged with their PC001.
    ``engine`` reuses a configured :class:`~postcheck.engine.Engine`; otherwise one
    is built (once, then cached) from ``config`` (a :class:`~postcheck.config.Config`
    or a mapping of its keys), ``select``/``ignore``/``extend_select`` and ``now``.
    """
    if engine is None:
        engine = _engine(config, select, ignore, extend_select, now)
    if isinstance(text, bytes):
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            return text, engine.check_bytes(text, path).findings
        new, findings = fix_text(decoded, unsafe=unsafe, path=path, engine=engine)
        return new.encode("utf-8", "surrogatepass"), findings
    outcome = fix_post(engine, text, path, unsafe=unsafe)
    return outcome.text, outcome.findings


_ENGINES: dict[str, Engine] = {}


def _engine(config: Config | dict[str, Any] | None, select: Sequence[str] | None, ignore: Sequence[str],
            extend_select: Sequence[str], now: str | None) -> Engine:
    from .config import Config
    from .engine import Engine

    if config is None:
        cfg = Config()
    elif isinstance(config, Config):
        cfg = config
    else:
        from .config import config_from_mapping

        cfg = config_from_mapping(dict(config))
    key = repr((cfg.model_dump_json(), select and tuple(select), tuple(ignore), tuple(extend_select),
                now or os.environ.get("POSTCHECK_NOW", "")))
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = Engine(cfg, select=select, ignore=ignore, extend_select=extend_select,
                                        now=now)
    return engine


@dataclass
class FileFix:
    """Fixing one file: the outcome, whether it was written, and why not."""

    path: str
    outcome: FixOutcome | None
    written: bool = False
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.outcome is not None and self.outcome.changed

    @property
    def fixed(self) -> int:
        return len(self.outcome.applied) if self.outcome is not None else 0

    def diff(self) -> str:
        if self.outcome is None:
            return ""
        return unified_diff(self.outcome.original, self.outcome.text, self.path)


def fix_file(engine: Engine, path: str, *, unsafe: bool = False, write: bool = True) -> FileFix:
    """Read, fix and (with ``write``) atomically rewrite one file.

    Never raises for a file problem: an unreadable file has no outcome; a refused
    write sets ``error`` and leaves the file as it was.
    """
    try:
        raw = read_regular(path, engine.limits.max_bytes)
    except OSError as exc:
        return FileFix(path, None, error=f"cannot read: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return FileFix(path, None)  # PC001: nothing a fix can do
    if len(raw) > engine.limits.max_bytes:
        return FileFix(path, None)
    outcome = fix_post(engine, text, path, unsafe=unsafe)
    done = FileFix(path, outcome)
    if not write or not outcome.changed:
        return done
    try:
        data = outcome.text.encode("utf-8")
    except UnicodeEncodeError:
        done.error = "a fix produced text that is not valid UTF-8; not written"
        return done
    try:
        write_atomic(path, data, raw)
    except FixWriteError as exc:
        done.error = str(exc)
    except OSError as exc:
        done.error = f"cannot write: {exc.strerror or exc}"
    else:
        done.written = True
    return done


class CliFixer:
    """What ``postcheck check --fix`` / ``--diff`` does with each file's check result.

    Files come in already checked (by worker processes); only those with an
    applicable fix are read again and fixed here, so a clean tree costs nothing more.
    The file is re-read rather than trusting the worker's copy: the bytes read here are
    the ones a write is compared against.
    """

    def __init__(self, engine: Engine, *, unsafe: bool = False, write: bool = True,
                 diff_stream: TextIO | None = None, warn: TextIO | None = None) -> None:
        self.engine = engine
        self.unsafe = unsafe
        self.write = write
        self.diff_stream = diff_stream
        self.warn = warn
        self.fixed = 0  # fixes applied (or, with --diff, that would be)
        self.changed_files = 0
        self.failed: list[tuple[str, str]] = []

    def process(self, result: FileResult) -> FileResult:
        """The result to report for this file: what remains after fixing it."""
        if not any(is_applicable(f.fix, self.unsafe) for f in result.findings):
            return result
        from .engine import FileResult

        done = fix_file(self.engine, result.path, unsafe=self.unsafe, write=self.write)
        if done.error is not None:
            self.failed.append((result.path, done.error))
            if self.warn is not None:
                self.warn.write(f"postcheck: warning: {result.path}: {done.error}\n")
            if self.write:
                return result  # not written: the file still has every original finding
        outcome = done.outcome
        if outcome is None:
            return result
        if outcome.changed:
            self.changed_files += 1
            self.fixed += len(outcome.applied)
            if self.diff_stream is not None:
                self.diff_stream.write(done.diff())
        return FileResult(result.path, outcome.findings, outcome.result.corpus, outcome.result.text)

    def summary(self) -> str | None:
        """One line for stderr, or None when nothing was (or would be) fixed."""
        if not self.changed_files:
            return None
        s = "s" if self.fixed != 1 else ""
        files = f"{self.changed_files} file{'s' if self.changed_files != 1 else ''}"
        if self.write:
            return f"Fixed {self.fixed} finding{s} in {files}."
        return f"Would fix {self.fixed} finding{s} in {files}."
