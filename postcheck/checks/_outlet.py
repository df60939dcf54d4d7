"""Outlet names at the end of titles (PC404): the separators data and the matching.

``kind = "title-separators"`` files in ``rules/`` list what may stand between a
headline and the outlet's name; site profiles (``title-suffixes``) and the
``author`` value give the names.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..data import RuleData, register_kind

__all__ = ["TitleSeparators", "bare_name", "separators", "strip_outlet"]

Separators = tuple[tuple[str, ...], tuple[str, ...]]


class SeparatorExample(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    title: str
    outlet: str
    strips_to: str | None = Field(default=None, alias="strips-to")


class TitleSeparators(BaseModel):
    """``kind = "title-separators"``: what may stand between a headline and the outlet's name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

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


def strip_outlet(title: str, outlets: list[str], seps: Separators
                 ) -> int | None:
    """Where the headline ends when ``title`` ends with ``<separator> <outlet>``, repeatedly.

    ``"标题 – 法国国际广播电台 - RFI"`` with outlets ``["RFI", "法国国际广播电台"]`` ends at
    ``"标题"``. None when no outlet name follows a separator, or nothing would be left.
    """
    spaced, bare = seps
    names = sorted({n for n in (bare_name(o, seps) for o in outlets) if n}, key=len, reverse=True)
    end = len(title.rstrip())
    found: int | None = None
    changed = True
    rounds = 0
    while changed and rounds < _MAX_STRIPS:
        changed = False
        rounds += 1
        for name in names:
            if end < len(name) or title[end - len(name) : end].casefold() != name.casefold():
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


