"""Runs the selected rules over posts: selection, severities, options, suppression.

The engine turns the :class:`~postcheck.model.Problem` values that rules yield into
:class:`~postcheck.model.Finding` values with code, name, severity and exact
line/column; applies inline suppression comments and per-file-ignores; and collects
the keys that corpus-level rules need for their pass after all files.
"""

from __future__ import annotations

import bisect
import fnmatch
import hashlib
import operator
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from pydantic import BaseModel, ValidationError

from .config import Config, ConfigError, loose_scalars, misspelled_keys
from .data import DataError, RuleData, load_rule_data
from .model import Finding, Post, Problem, Severity, fast_construct
from .parse import Limits, ParsedPost, parse_bytes, parse_text
from .rule import CorpusItem, CorpusRule, PluginError, Rule, RuleContext, load_rules

__all__ = ["ActiveRule", "Engine", "FileResult", "parse_now", "select_rules"]

UNUSED_SUPPRESSION = "PC010"  # reported by the engine itself: only it sees what each comment dropped


def parse_now(value: str | None) -> datetime:
    """``--now`` / ``POSTCHECK_NOW`` (ISO 8601), else the current UTC time."""
    value = value or os.environ.get("POSTCHECK_NOW") or None
    if not value:
        return datetime.now(UTC)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now: {value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches(selector: str, rule: Rule) -> bool:
    s = selector.strip()
    if s.upper() == "ALL":
        return True
    return rule.code.startswith(s.upper()) or s.lower() == rule.name


def _specificity(selectors: Sequence[str], rule: Rule) -> int:
    """How precisely the most precise of ``selectors`` names ``rule``: -1 not at all, 0 for
    ALL, the prefix's length for a code prefix (PC3: 3), 100 for its code or name."""
    best = -1
    for selector in selectors:
        s = selector.strip()
        if s.upper() == "ALL":
            best = max(best, 0)
        elif s.lower() == rule.name or s.upper() == rule.code:
            best = 100  # a name and a full code both name the one rule
        elif rule.code.startswith(s.upper()):
            best = max(best, len(s))
    return best


def select_rules(rules: dict[str, Rule], select: Sequence[str] | None, extend: Sequence[str],
                 ignore: Sequence[str], *, layers: Sequence[tuple[Sequence[str] | None, Sequence[str],
                                                              Sequence[str], str]] = ()) -> list[Rule]:
    """Rules chosen by code, code prefix (``PC3``) or name; unknown selectors are errors.

    As in ruff: within a layer the more precise selector wins (``select = ["PC301"]`` with
    ``ignore = ["PC3"]`` keeps PC301; at equal precision ``ignore`` wins), and ``layers``
    are applied after the first: a layer's ``select`` starts the choice again (so
    ``--select PC206`` on the command line overrides ``ignore = ["PC206"]`` in the config),
    its ``extend`` adds and its ``ignore`` removes. Each layer's last item names where it
    came from, as a prefix for the error naming a key (``"--"``).
    """
    chosen: set[str] = set()
    for index, (sel, ext, ign, source) in enumerate([(select, extend, ignore, ""), *layers]):
        for key, selectors in (("select", sel or []), ("extend-select", ext), ("ignore", ign)):
            for selector in selectors:
                if not any(_matches(selector, r) for r in rules.values()):
                    raise ConfigError(f"{source}{key}: {selector!r} matches no rule code, prefix or name")
        restart = sel is not None or index == 0
        kept: set[str] = set()
        for r in rules.values():
            picked = max(_specificity(sel, r) if sel is not None else (0 if index == 0 else -1),
                         _specificity(ext, r))
            dropped = _specificity(ign, r)
            if dropped >= 0 and dropped >= picked:
                continue
            if picked >= 0 or (not restart and r.code in chosen):
                kept.add(r.code)
        chosen = kept
    return sorted((r for r in rules.values() if r.code in chosen), key=lambda r: r.code)


@dataclass(frozen=True)
class ActiveRule:
    rule: Rule
    severity: Severity
    context: RuleContext[Any]


@dataclass
class FileResult:
    """One file's findings and the keys it contributes to corpus rules."""

    path: str
    findings: list[Finding]
    corpus: list[tuple[str, Any, CorpusItem]] = field(default_factory=list)
    text: str | None = None


_SUPPRESSION_OPEN = re.compile(
    r"<!--[ \t]*postcheck:[ \t]*(disable-next-line|disable|enable)\b", re.IGNORECASE | re.ASCII
)
# Real comments are short and few; the bounds keep a hostile file linear (a lazy regex
# scanning for "-->" from every opening took minutes on 1 MB of unclosed comments).
_MAX_SUPPRESSION_ARGS = 1000
_MAX_SUPPRESSION_RANGES = 1000


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    """Whether ``offset`` lies in one of the sorted, disjoint ``[start, end)`` spans."""
    i = bisect.bisect_right(spans, (offset, sys.maxsize)) - 1
    return i >= 0 and offset < spans[i][1]


def _suppression_comments(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, kind, codes text) of each ``<!-- postcheck: kind codes -->``; no '>' in the codes."""
    close = gt = -1
    for m in _SUPPRESSION_OPEN.finditer(text):
        # The next "-->" and the next ">" after this opening, found once for all openings before them.
        if close < m.end():
            close = text.find("-->", m.end())
            if close < 0:
                return
        if gt < m.end():
            gt = text.find(">", m.end())
        if gt < close + 2 or close - m.end() > _MAX_SUPPRESSION_ARGS:
            continue
        yield m.start(), close + 3, m.group(1).lower(), text[m.end() : close]


@dataclass
class Suppressions:
    """Inline ``<!-- postcheck: disable ... -->`` comments of one file."""

    # (code-or-"ALL", from_line, to_line_inclusive_or_None, comment line)
    ranges: list[tuple[str, int, int | None, int]]
    # The comment of each range (char offsets) and which ranges dropped a finding, for PC010.
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    @classmethod
    def scan(cls, post: ParsedPost, resolve: dict[str, str]) -> Suppressions | None:
        text = post.text
        if "postcheck:" not in text:
            return None
        ranges: list[tuple[str, int, int | None, int]] = []
        spans: list[tuple[int, int, str]] = []
        fences = post.code_fences
        for start, end, kind, args in _suppression_comments(text):
            if len(ranges) >= _MAX_SUPPRESSION_RANGES:
                break
            if fences and _inside(fences, start):
                continue  # a code example showing the comment (its text is literal), not a directive
            line, _ = post.line_col(start)
            codes = [c for c in re.split(r"[\s,]+", args.strip()) if c] or ["ALL"]
            codes = [resolve.get(c.lower(), c.upper()) for c in codes]
            for code in codes:
                if kind == "disable":
                    ranges.append((code, line, None, line))
                    spans.append((start, end, kind))
                elif kind == "disable-next-line":
                    ranges.append((code, line + 1, line + 1, line))
                    spans.append((start, end, kind))
                else:
                    ranges = [
                        (c, a, (line - 1 if b is None and (code in ("ALL", c)) else b), cl)
                        for (c, a, b, cl) in ranges
                    ]
        return cls(ranges, spans) if ranges else None

    def covers(self, code: str, line: int) -> bool:
        hit = False
        for i, (c, a, b, _) in enumerate(self.ranges):
            if (c == "ALL" or code.startswith(c)) and a <= line and (b is None or line <= b):
                self.used.add(i)
                hit = True
        return hit

    def unused(self) -> Iterator[tuple[str, int, int, str]]:
        """(code, comment start, comment end, kind) of each range that dropped nothing."""
        for i, (code, *_rest) in enumerate(self.ranges):
            if i not in self.used and i < len(self.spans):
                start, end, kind = self.spans[i]
                yield code, start, end, kind


class Engine:
    """The configured rule set; checks posts and files."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        select: Sequence[str] | None = None,
        extend_select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        now: datetime | str | None = None,
        rules: dict[str, Rule] | None = None,
    ) -> None:
        self.config = config = config or Config()
        try:
            self.registry = rules if rules is not None else load_rules()
        except PluginError as exc:
            raise ConfigError(str(exc)) from None
        self.now = now if isinstance(now, datetime) else parse_now(now)
        self.schema = _load_schema(config.schema_) if config.schema_ else Post
        root = config.root or os.getcwd()
        try:
            self.data: RuleData = load_rule_data([os.path.join(root, p) for p in config.rule_data])
        except DataError as exc:
            raise ConfigError(f"rule-data: {exc}") from None
        self.limits = Limits(max_bytes=config.max_bytes)
        self.names = {r.name: r.code for r in self.registry.values()}
        self._resolve = {**{n: c for n, c in self.names.items()}, **{c.lower(): c for c in self.registry}}
        unused_code = [UNUSED_SUPPRESSION] if (config.report_unused_suppressions
                                               and UNUSED_SUPPRESSION in self.registry) else []
        chosen = select_rules(
            self.registry, config.select, config.extend_select, config.ignore,
            layers=[(list(select) if select else None, [*extend_select, *unused_code], list(ignore), "--")],
        )
        rule_configs = self._rule_configs()
        self.active: list[ActiveRule] = []
        for r in chosen:
            rc = rule_configs.get(r.code)
            table = self._written_keys.get(r.code, r.code)  # errors name the table as the file does
            if rc and config.config_path:
                for key, alias in misspelled_keys(r.options, rc.options):
                    raise ConfigError(f"rules.{table}.{key}: unknown option; did you mean {alias!r}?")
                for key, expected in loose_scalars(r.options, rc.options):
                    raise ConfigError(f"rules.{table}.{key}: expected {expected}, got {rc.options[key]!r}")
            try:
                options = r.options.model_validate(rc.options if rc else {})
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise ConfigError(f"rules.{table}.{loc}: {err['msg']}") from None
            ctx = RuleContext(options=options, data=self.data, now=self.now,
                              timezone=config.timezone, source_field=config.source_field)
            severity = rc.severity if rc and rc.severity else r.severity
            self.active.append(ActiveRule(r, severity, ctx))
        self.corpus_rules = [a for a in self.active if isinstance(a.rule, CorpusRule)]
        self._plan: tuple[list[ActiveRule], list[tuple[ActiveRule, Any, RuleContext[Any], CorpusRule | None]]] = \
            (self.active, [])
        self._unused_rule = next((a for a in self.active if a.rule.code == UNUSED_SUPPRESSION), None) \
            if config.report_unused_suppressions else None
        self.per_file_ignores = [
            (pattern, [self._resolve_code(c, f"per-file-ignores.{pattern}") for c in codes])
            for pattern, codes in config.per_file_ignores.items()
        ]
        self.root = root

    def _resolve_code(self, selector: str, where: str) -> str:
        selector = selector.strip()  # (as everywhere else a selector is read)
        if selector.upper() == "ALL":
            return ""
        matches = [r.code for r in self.registry.values() if _matches(selector, r)]
        if not matches:
            raise ConfigError(f"{where}: {selector!r} matches no rule")
        return self.names.get(selector.lower(), selector.upper())

    def _rule_configs(self) -> dict[str, Any]:
        result = {}
        self._written_keys: dict[str, str] = {}
        for key, rc in self.config.rules.items():
            code = self._resolve.get(key.lower())
            if code is None:
                raise ConfigError(f"rules.{key}: no rule has this code or name")
            result[code] = rc
            self._written_keys[code] = key
        return result

    def fingerprint(self, include_now: bool = True) -> str:
        """Identifies everything that decides the findings of a given file content.

        ``include_now=False`` leaves "now" out, for caches that handle the rules that
        depend on it themselves.
        """
        from . import __version__

        h = hashlib.blake2b(digest_size=16)
        h.update(__version__.encode())
        h.update(self.config.model_dump_json().encode())
        h.update(self.data.digest.encode())
        h.update(self.now.isoformat().encode() if include_now and any(a.rule.code.startswith("PC10")
                                                                      for a in self.active) else b"")
        for a in self.active:
            h.update(f"{a.rule.code}:{a.severity}:{a.context.options.model_dump_json()};".encode())
        return h.hexdigest()

    # -- parsing ---------------------------------------------------------------------

    def parse(self, raw: bytes | str, path: str | None = None) -> ParsedPost:
        if isinstance(raw, bytes):
            return parse_bytes(raw, path, schema=self.schema, source_field=self.config.source_field,
                               limits=self.limits)
        return parse_text(raw, path, schema=self.schema, source_field=self.config.source_field,
                          limits=self.limits)

    # -- checking --------------------------------------------------------------------

    def _ignored_codes(self, path: str | None) -> list[str]:
        if not path or not self.per_file_ignores:
            return []
        rel = path
        try:
            rel = os.path.relpath(os.path.abspath(path), self.root)
        except ValueError:
            pass
        rel = rel.replace(os.sep, "/")
        found: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(os.path.basename(rel), pattern):
                found.extend(codes)
        return found

    def check_post(self, post: ParsedPost) -> FileResult:
        """All findings of one parsed post, sorted; plus its corpus keys."""
        findings: list[Finding] = []
        corpus: list[tuple[str, Any, CorpusItem]] = []
        ignored = self._ignored_codes(post.path)
        suppressions = Suppressions.scan(post, self._resolve) if post.readable else None

        def dropped(code: str, line: int) -> bool:
            if any(code.startswith(c) for c in ignored):
                return True
            return suppressions is not None and suppressions.covers(code, line)

        filtering = bool(ignored) or suppressions is not None
        readable = post.readable
        make = self._finding
        for active, check, context, corpus_rule in self._steps():
            if not readable and active.rule.code != "PC001":
                continue
            try:
                for problem in check(post, context):
                    finding = make(post, active, problem)
                    if not filtering or not dropped(finding.code, finding.line):
                        findings.append(finding)
            except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the run
                findings.append(_internal_error(post, active.rule, exc))
            if readable and corpus_rule is not None:
                r = corpus_rule
                try:
                    collected = r.collect(post, active.context)
                except Exception as exc:  # noqa: BLE001
                    findings.append(_internal_error(post, r, exc))
                    collected = None
                if collected is not None:
                    key, start, end = collected
                    line, col = post.line_col(start)
                    end_line, end_col = post.line_col(end)
                    item = CorpusItem(post.path or "<text>", line, col, end_line, end_col,
                                      _digest(post.text[start:end]), dropped(r.code, line))
                    corpus.append((r.code, key, item))
        if self._unused_rule is not None and suppressions is not None:
            for problem in self._unused_suppressions(suppressions):
                finding = self._finding(post, self._unused_rule, problem)
                if not any(finding.code.startswith(c) for c in ignored):
                    findings.append(finding)
        findings.sort(key=Finding.sort_key)
        return FileResult(post.path or "<text>", findings, corpus)

    def _steps(self) -> list[tuple[ActiveRule, Any, RuleContext[Any], CorpusRule | None]]:
        """What check_post runs for each active rule, looked up once rather than per post
        (and again if ``active`` is replaced, as bench/profile_rules.py does)."""
        source, steps = self._plan
        if source is not self.active or len(steps) != len(source):
            steps = [(a, a.rule.check, a.context, a.rule if isinstance(a.rule, CorpusRule) else None)
                     for a in self.active]
            self._plan = (self.active, steps)
        return steps

    def _unused_suppressions(self, suppressions: Suppressions) -> Iterator[Problem]:
        """PC010: suppressions that dropped nothing, for codes this run could have reported."""
        active = {a.rule.code for a in self.active}
        for code, start, end, kind in suppressions.unused():
            covered = [c for c in self.registry if code == "ALL" or c.startswith(code)]
            if not covered:
                yield Problem(start, end, f"suppression names {code}, which matches no rule")
            elif all(c in active for c in covered):
                where = "on the next line" if kind == "disable-next-line" else "after it"
                what = "finding" if code == "ALL" else f"{code} finding"  # a bare "disable" names no code
                yield Problem(start, end, f"unused suppression: no {what} {where}")

    def _finding(self, post: ParsedPost, active: ActiveRule, problem: Problem) -> Finding:
        line, col = post.line_col(problem.start)
        end_line, end_col = post.line_col(problem.end)
        fingerprint = problem.fingerprint
        if fingerprint is None:
            fingerprint = _digest(post.text[problem.start : problem.end] or problem.message)
        return fast_construct(Finding, {  # type: ignore[no-any-return]
            "code": active.rule.code,
            "rule": active.rule.name,
            "severity": active.severity,
            "message": problem.message,
            "path": post.path,
            "line": line,
            "column": col,
            "end_line": end_line,
            "end_column": end_col,
            "field": problem.field,
            "fix": problem.fix,
            "context": problem.context,
            "fingerprint": fingerprint,
        })

    def check_bytes(self, raw: bytes | str, path: str | None = None) -> FileResult:
        return self.check_post(self.parse(raw, path))

    def finalize(self, collected: Iterable[tuple[str, Any, CorpusItem]]) -> list[Finding]:
        """The corpus-level pass: findings of corpus rules, from the collected keys, sorted."""
        findings = list(self.iter_finalize(collected))
        findings.sort(key=Finding.sort_key)
        return findings

    def iter_finalize(self, collected: Iterable[tuple[str, Any, CorpusItem]]) -> Iterator[Finding]:
        """The corpus-level findings one by one, in a deterministic order (not sorted), so
        a streaming format need not hold them all."""
        for code, name, severity, item, message in self.corpus_problems(collected):
            yield corpus_finding(code, name, severity, item, message)

    def corpus_problems(self, collected: Iterable[tuple[str, Any, CorpusItem]]
                        ) -> Iterator[tuple[str, str, Severity, CorpusItem, str]]:
        """What :meth:`iter_finalize` makes its findings of: (code, rule name, severity, item,
        message); a jsonl stream writes them without building each :class:`Finding`."""
        if not self.corpus_rules:
            return
        by_code: dict[str, dict[Any, list[CorpusItem]]] = {}
        for code, key, item in collected:
            index = by_code.get(code)
            if index is None:
                index = by_code[code] = {}
            group = index.get(key)
            if group is None:
                index[key] = [item]
            else:
                group.append(item)
        by_place = operator.attrgetter("path", "line", "column")
        for active in self.corpus_rules:
            r = active.rule
            assert isinstance(r, CorpusRule)
            index = by_code.get(r.code, {})
            for items in index.values():
                if len(items) > 1:
                    items.sort(key=by_place)
            code, name, severity = r.code, r.name, active.severity
            for item, message in r.finalize(index, active.context):
                if not item.suppressed:
                    yield code, name, severity, item, message


def corpus_finding(code: str, name: str, severity: Severity, item: CorpusItem, message: str) -> Finding:
    return fast_construct(Finding, {  # type: ignore[no-any-return]
        "code": code, "rule": name, "severity": severity, "message": message,
        "path": item.path, "line": item.line, "column": item.column, "end_line": item.end_line,
        "end_column": item.end_column, "field": None, "fix": None, "context": None,
        "fingerprint": item.fingerprint,
    })


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _internal_error(post: ParsedPost, rule: Rule, exc: BaseException) -> Finding:
    return Finding.model_construct(
        code=rule.code, rule=rule.name, severity=Severity.ERROR,
        message=f"internal error in rule {rule.code} {rule.name}: {type(exc).__name__}: {exc}",
        path=post.path, line=1, column=1, end_line=1, end_column=1, field=None, fix=None,
        context={"internal_error": True}, fingerprint="internal-error",
    )


def _load_schema(reference: str) -> type[BaseModel]:
    module_name, _, attr = reference.partition(":")
    if not module_name.strip(".") or not attr or module_name.startswith("."):
        raise ConfigError(f"schema: {reference!r} is not 'package.module:Model'")
    try:
        obj = getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"schema: cannot import {reference!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed while importing: their error to read
        raise ConfigError(f"schema: importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
        raise ConfigError(f"schema: {reference!r} is not a pydantic model class")
    return obj


def iter_results(engine: Engine, items: Iterable[tuple[str, bytes]]) -> Iterator[FileResult]:
    for path, raw in items:
        yield engine.check_bytes(raw, path)
