"""Rule definitions, the registry and entry-point plugins.

A rule is a generator function decorated with :func:`rule`: it receives the parsed
post and a :class:`RuleContext` (typed options, rule data, "now") and yields
:class:`~postcheck.model.Problem` values. The engine sets code and severity.

Built-in rules and third-party rules register the same way, through the
``postcheck.rules`` entry-point group. An entry point may name a module (every
:class:`Rule` object in it is taken), a single :class:`Rule`, or an iterable of them.
"""

from __future__ import annotations

import functools
import importlib
import re
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict

from .model import Problem, Severity

if TYPE_CHECKING:
    from .data import RuleData
    from .parse import ParsedPost

__all__ = [
    "CorpusItem",
    "CorpusRule",
    "NoOptions",
    "PluginError",
    "Rule",
    "RuleContext",
    "RuleOptions",
    "corpus_rule",
    "load_rules",
    "rule",
]

ENTRY_POINT_GROUP = "postcheck.rules"
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Options", "Fix safety")
FixSafety = Literal["safe", "unsafe", "none"]

_CODE = re.compile(r"[A-Z]{1,8}[0-9]{3,4}")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


class RuleOptions(BaseModel):
    """Base class of a rule's options; unknown option keys are configuration errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class NoOptions(RuleOptions):
    """For rules without options."""


OptionsT = TypeVar("OptionsT", bound=RuleOptions)


@dataclass(frozen=True)
class RuleContext(Generic[OptionsT]):
    """What a rule sees besides the post."""

    options: OptionsT
    data: RuleData
    now: datetime
    timezone: str | None = None
    source_field: str = "from"


CheckFunction = Callable[["ParsedPost", RuleContext[Any]], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    """A per-post rule."""

    code: str
    name: str
    severity: Severity
    check: CheckFunction
    options: type[RuleOptions] = NoOptions
    fix: FixSafety = "none"
    doc: str = ""

    @property
    def summary(self) -> str:
        """The first line of the docs, for `postcheck rules` and SARIF."""
        for line in self.doc.splitlines():
            if line.strip():
                return line.strip()
        return self.name

    def missing_doc_sections(self) -> list[str]:
        return [s for s in DOC_SECTIONS if f"## {s}" not in self.doc]


class CorpusItem(NamedTuple):
    """Where one post's corpus key was found (kept for the whole run, so small).

    A named tuple: a warm run rebuilds one per cached file, ~4x faster than a frozen dataclass.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fingerprint: str = ""
    suppressed: bool = False


CollectFunction = Callable[["ParsedPost", RuleContext[Any]], "tuple[Any, int, int] | None"]
FinalizeFunction = Callable[
    [dict[Any, list[CorpusItem]], RuleContext[Any]], Iterable[tuple[CorpusItem, str]]
]


def _collect_nothing(post: ParsedPost, ctx: RuleContext[Any]) -> tuple[Any, int, int] | None:
    return None


def _finalize_nothing(
    index: dict[Any, list[CorpusItem]], ctx: RuleContext[Any]
) -> Iterable[tuple[CorpusItem, str]]:
    return ()


@dataclass(frozen=True)
class CorpusRule(Rule):
    """A rule that needs every post of the run (e.g. duplicate detection).

    ``collect(post, ctx)`` returns ``(key, start, end)`` for a post (or None): a small
    picklable key and the span a finding would point at. After the per-file pass,
    ``finalize(index, ctx)`` receives ``{key: [CorpusItem, ...]}`` (items in path
    order) and yields ``(item, message)`` pairs. Not a quadratic comparison: group by
    key.
    """

    collect: CollectFunction = _collect_nothing
    finalize: FinalizeFunction = _finalize_nothing


def _clean_doc(func: Callable[..., Any]) -> str:
    import inspect

    return inspect.cleandoc(func.__doc__ or "")


def _validate_identity(code: str, name: str) -> None:
    if not _CODE.fullmatch(code):
        raise ValueError(f"rule code {code!r} must look like PC301 (capitals then 3-4 digits)")
    if not _NAME.fullmatch(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")


def rule(
    code: str,
    name: str,
    *,
    severity: Severity | str = Severity.WARNING,
    options: type[RuleOptions] = NoOptions,
    fix: FixSafety = "none",
) -> Callable[[CheckFunction], Rule]:
    """Decorate a generator ``check(post, ctx)`` to make it a :class:`Rule`."""
    _validate_identity(code, name)

    def wrap(func: CheckFunction) -> Rule:
        return Rule(
            code=code,
            name=name,
            severity=Severity(severity),
            check=func,
            options=options,
            fix=fix,
            doc=_clean_doc(func),
        )

    return wrap


def corpus_rule(
    code: str,
    name: str,
    *,
    severity: Severity | str = Severity.WARNING,
    options: type[RuleOptions] = NoOptions,
    collect: CollectFunction,
    fix: FixSafety = "none",
) -> Callable[[FinalizeFunction], CorpusRule]:
    """Decorate ``finalize(index, ctx)`` to make a :class:`CorpusRule`."""
    _validate_identity(code, name)

    def no_per_post_problems(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
        return iter(())

    def wrap(func: FinalizeFunction) -> CorpusRule:
        return CorpusRule(
            code=code,
            name=name,
            severity=Severity(severity),
            check=no_per_post_problems,
            options=options,
            fix=fix,
            doc=_clean_doc(func),
            collect=collect,
            finalize=func,
        )

    return wrap


class PluginError(Exception):
    """A rule plugin could not be loaded; the message names it."""


BUILTIN_MODULES = (
    "postcheck.checks.structure",
    "postcheck.checks.dates",
    "postcheck.checks.provenance",
    "postcheck.checks.markup",
    "postcheck.checks.consistency",
    "postcheck.checks.encoding",
    "postcheck.checks.suppression",
)


def rules_from_object(obj: Any, origin: str) -> list[Rule]:
    """The rules an entry point's target provides."""
    if isinstance(obj, Rule):
        return [obj]
    if isinstance(obj, types.ModuleType):
        return [v for v in vars(obj).values() if isinstance(v, Rule)]
    if callable(obj) and not isinstance(obj, type):
        return rules_from_object(obj(), origin)
    if isinstance(obj, Iterable):
        found = list(obj)
        if all(isinstance(r, Rule) for r in found):
            return found
    raise PluginError(f"plugin {origin}: expected a Rule, a module of rules or a list of rules, got {obj!r}")


def _entry_points() -> list[metadata.EntryPoint]:
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.value, ep.name))


def load_rules(extra_entry_points: Iterable[metadata.EntryPoint] = ()) -> dict[str, Rule]:
    """All registered rules by code, built-in ones first, sorted by code.

    The built-in rules are registered through the same entry-point group as
    plugins; when postcheck runs from a source tree that was never installed, the
    built-in modules are imported directly instead.
    """
    entry_points = _entry_points() + list(extra_entry_points)
    # Built-in modules missing from the entry points (a source tree never installed, or
    # installed before a module was added) are imported directly.
    registered = {ep.value for ep in entry_points}
    targets: list[tuple[str, Callable[[], Any]]] = []
    for mod in BUILTIN_MODULES:
        if mod not in registered:
            targets.append((mod, functools.partial(importlib.import_module, mod)))
    for ep in entry_points:
        targets.append((f"{ep.name} = {ep.value}", ep.load))
    found: dict[str, Rule] = {}
    names: dict[str, str] = {}
    for origin, load in targets:
        try:
            obj = load()
        except Exception as exc:  # noqa: BLE001 - any plugin failure becomes one clear error
            raise PluginError(f"plugin {origin!r} failed to load: {type(exc).__name__}: {exc}") from exc
        for r in rules_from_object(obj, origin):
            other = found.get(r.code)
            if other is not None and other is not r:
                raise PluginError(f"plugin {origin!r}: rule code {r.code} is already registered")
            if names.get(r.name, r.code) != r.code:
                raise PluginError(f"plugin {origin!r}: rule name {r.name} is already registered")
            found[r.code] = r
            names[r.name] = r.code
    return dict(sorted(found.items()))
