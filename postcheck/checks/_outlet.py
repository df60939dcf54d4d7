"""Outlet names at the end of titles (PC404): the separators data and the matching.

``kind = "title-separators"`` files in ``rules/`` list what may stand between a
headline and the outlet's name; site profiles (``title-suffixes``) and the
``author`` value give the names.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ..data import DataModel, RuleData, register_kind
from ..parse import ParsedPost
from ..rule import RuleContext

__all__ = [
    "OutletNames", "TitleSeparators", "bare_name", "headline", "headline_end", "outlet_names", "separators",
    "strip_names", "strip_outlet",
]

Separators = tuple[tuple[str, ...], tuple[str, ...]]


class SeparatorExample(DataModel):
    title: str
    outlet: str
    strips_to: str | None = Field(default=None, alias="strips-to")


class TitleSeparators(DataModel):
    """``kind = "title-separators"``: what may stand between a headline and the outlet's name."""

    kind: str = "title-separators"
    source: str = Field(description="where this knowledge comes from")
    spaced: list[str] = Field(default_factory=list, description="need whitespace on both sides")
    bare: list[str] = Field(default_factory=list, description="may stand without whitespace")
    must_match: list[SeparatorExample] = Field(default_factory=list, alias="must-match")
    must_not_match: list[SeparatorExample] = Field(default_factory=list, alias="must-not-match")

    @model_validator(mode="after")
    def _examples_hold(self) -> TitleSeparators:
        seps = _ordered(self.spaced, self.bare)
        for ex in self.must_match:
            end = strip_outlet(ex.title, [ex.outlet], seps)
            got = None if end is None else ex.title[:end]
            if got != ex.strips_to:
                raise ValueError(f"must-match example {ex.title!r} strips to {got!r}, not {ex.strips_to!r}")
        for ex in self.must_not_match:
            if strip_outlet(ex.title, [ex.outlet], seps) is not None:
                raise ValueError(f"must-not-match example {ex.title!r} matches")
        return self


register_kind("title-separators", TitleSeparators)

# Chains are short (" – 法国国际广播电台 - RFI" is two names); the cap bounds hostile titles.
_MAX_STRIPS = 4
_DEFAULT_SEPARATORS: Separators = (("-", "–", "—"), ("|", "｜"))


def _ordered(spaced: list[str] | set[str], bare: list[str] | set[str]) -> Separators:
    # Longest first, so "::" is tried before ":".
    return (tuple(sorted(set(spaced), key=len, reverse=True)),
            tuple(sorted(set(bare), key=len, reverse=True)))


def separators(data: RuleData) -> Separators:
    """All loaded separators (built-in and the user's), compiled once per data set."""
    entries: list[TitleSeparators] = data.entries("title-separators")
    if not entries:
        return _DEFAULT_SEPARATORS
    return _ordered({s for e in entries for s in e.spaced}, {s for e in entries for s in e.bare})


def bare_name(suffix: str, seps: Separators) -> str:
    """A profile's title suffix without its leading separator: `` | 路透`` -> ``路透``."""
    name = suffix.strip()
    for sep in (*seps[1], *seps[0]):
        if name.startswith(sep) and (sep in seps[1] or name[len(sep) : len(sep) + 1].isspace()):
            return name[len(sep) :].strip()
    return name


class OutletNames(tuple[tuple[str, str], ...]):
    """``(name, casefold)`` pairs, longest first, and the set of the names' last folded characters."""

    last: frozenset[str]


def outlet_names(outlets: list[str], seps: Separators) -> OutletNames:
    """The bare names of ``outlets`` with their casefolds, longest first (for :func:`strip_names`)."""
    names = sorted({n for n in (bare_name(o, seps) for o in outlets) if n}, key=len, reverse=True)
    prepared = OutletNames((n, n.casefold()) for n in names)
    prepared.last = frozenset(f[-1] for _, f in prepared if f)
    return prepared


def strip_outlet(title: str, outlets: list[str], seps: Separators
                 ) -> int | None:
    """Where the headline ends when ``title`` ends with ``<separator> <outlet>``, repeatedly.

    ``"标题 – 法国国际广播电台 - RFI"`` with outlets ``["RFI", "法国国际广播电台"]`` ends at
    ``"标题"``. None when no outlet name follows a separator, or nothing would be left.
    """
    return strip_names(title, outlet_names(outlets, seps), seps)


def strip_names(title: str, names: OutletNames, seps: Separators) -> int | None:
    """:func:`strip_outlet` with the names prepared by :func:`outlet_names` (cached per author)."""
    spaced, bare = seps
    end = len(title.rstrip())
    # casefold maps each character on its own, so a slice ending at ``end`` folds to a
    # name only if ``title[end - 1]`` folds to something ending like the name: usually
    # no name can match, and one lookup says so.
    if not end or title[end - 1].casefold()[-1] not in names.last:
        return None
    found: int | None = None
    changed = True
    rounds = 0
    while changed and rounds < _MAX_STRIPS:
        changed = False
        rounds += 1
        for name, folded in names:
            if end < len(name) or title[end - len(name) : end].casefold() != folded:
                continue
            head = title[: end - len(name)]
            trimmed = head.rstrip()
            spaced_after = len(trimmed) < len(head)
            rest: str | None = None
            for sep in bare:
                if trimmed.endswith(sep):
                    rest = trimmed[: -len(sep)].rstrip()
                    break
            if rest is None and spaced_after:
                for sep in spaced:
                    before = trimmed[: -len(sep)]
                    if trimmed.endswith(sep) and before[-1:].isspace():
                        rest = before.rstrip()
                        break
            if rest and rest.strip(" \t-–—|｜·"):
                end = len(rest)
                found = end
                changed = True
                break
    return found


# -- per post ----------------------------------------------------------------------------


def _outlet_names(post: ParsedPost, ctx: RuleContext[Any]) -> list[str]:
    names: list[str] = []
    author = post.author
    if author and author.strip():
        names.append(author.strip())
    site = ctx.data.site_for_author(author)
    if site is not None:
        names.extend(site.title_suffixes)
        names.append(site.name)
    return names


def _new_table(_: Any) -> dict[str | None, OutletNames]:
    return {}


# Past this many distinct authors, the per-author table starts over (bounded memory).
_MAX_AUTHORS = 4096
_HEADLINE_KEY = "\0pc4:headline-end"


def headline_end(post: ParsedPost, ctx: RuleContext[Any], title: str) -> int | None:
    """:func:`strip_outlet` for the post's outlet names; names prepared once per author,
    the result kept on the post for PC404 and PC406."""
    cache = post._field_cache
    memo = cache.get(_HEADLINE_KEY)
    if memo is not None and memo[0] == title:
        return memo[1]  # type: ignore[no-any-return]
    seps = ctx.data.derived("title-separators", separators)
    table = ctx.data.derived("pc4:outlet-names", _new_table)
    author = post.author
    names = table.get(author)
    if names is None:
        if len(table) >= _MAX_AUTHORS:
            table.clear()
        names = table[author] = outlet_names(_outlet_names(post, ctx), seps)
    end = strip_names(title, names, seps)
    cache[_HEADLINE_KEY] = (title, end)
    return end


def headline(post: ParsedPost, ctx: RuleContext[Any], title: str) -> str:
    """The title without an outlet suffix."""
    end = headline_end(post, ctx, title)
    return title if end is None else title[:end]
