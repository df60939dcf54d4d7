"""How id and class tokens are read as words (``kind = "class-words"``).

A signature's ``words`` match whole word parts of a token: ``m-block-ad`` holds the word
``ad``, ``header`` does not. Which parts are words at all, and which words undo a match,
is site knowledge that grows with every CMS seen, so it lives in ``rules/markup/``:
negations (``no-ads``), phrases ("ad hoc", Turkish "ad" = name), the prefixes of
CSS-in-JS class hashes and of flag icons, and when a class list is atomic CSS. Each file
carries examples of how tokens split, checked when it loads.

What stays here is the shape of a generated segment (digits cutting letters into several
runs), which is the same on every site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import Field, field_validator, model_validator

from ..data import DataModel, RuleData, register_kind

__all__ = ["ClassWords", "TokenWords", "lower_all", "token_words"]


class Phrase(DataModel):
    """A ``word`` that, next to one of ``with`` in the same token, is part of a phrase."""

    word: str
    with_: list[str] = Field(alias="with", min_length=1)
    source: str = Field(min_length=3)


class SplitExample(DataModel):
    token: str
    words: list[str] = Field(description="the word parts signatures see; empty when none count")


def lower_all(values: list[str]) -> list[str]:
    """Trimmed, lower-cased, without empty entries (how data lists are compared)."""
    return [v.strip().lower() for v in values if v.strip()]


_PREFIX = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ClassWords(DataModel):
    """A ``rules/markup/*.toml`` file of ``kind = "class-words"``."""

    kind: str = "class-words"
    source: str = Field(min_length=3)
    negations: list[str] = Field(default_factory=list, description="word parts that negate a token (no-ads)")
    phrases: list[Phrase] = Field(default_factory=list)
    generated_prefixes: list[str] = Field(
        default_factory=list, alias="generated-prefixes",
        description="CSS-in-JS prefixes of a class hash (css-ad1q3z): the hash holds no words")
    icon_prefixes: list[str] = Field(
        default_factory=list, alias="icon-prefixes",
        description="icon classes followed by a two-letter country or language code (fi-ad: Andorra)")
    atomic_short_classes: int | None = Field(
        default=None, ge=2, alias="atomic-short-classes",
        description="this many one- or two-letter classes on an element make them generated")
    must_split: list[SplitExample] = Field(default_factory=list, alias="must-split")

    @field_validator("negations", "generated_prefixes", "icon_prefixes")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return lower_all(value)

    @field_validator("generated_prefixes", "icon_prefixes")
    @classmethod
    def _plain(cls, value: list[str]) -> list[str]:
        odd = [v for v in value if not _PREFIX.fullmatch(v)]
        if odd:
            raise ValueError(f"prefixes are lower-case letters, digits and inner hyphens: {odd}")
        return value

    @model_validator(mode="after")
    def _examples_hold(self) -> ClassWords:
        words = TokenWords.build([self])
        for ex in self.must_split:
            got = words.counted(ex.token)
            if got != ex.words:
                raise ValueError(f"must-split example {ex.token!r} gives {got}, not {ex.words}")
        return self


register_kind("class-words", ClassWords)


# A segment (between "-" and "_") that digits cut into several letter runs is a hash or
# an id, not words: Gutenberg's wp-container-62b5ad4c91e07, Elementor's element-5ad3f21,
# Wix's comp-lmp2dfp3, CSS modules' paragraph__Ad7Qx, Astro's astro-AD4XK2MP. An ad size
# (ad300x250) is the exception: letters, a number, "x", a number.
_HASHED_SEGMENT = re.compile(r"[A-Za-z]*[0-9]+[A-Za-z]+[0-9A-Za-z]*|[0-9A-Za-z]*[A-Za-z]+[0-9]+[A-Za-z]+[0-9A-Za-z]*")
_AD_SIZE = re.compile(r"[A-Za-z]*[0-9]+x[0-9]+")
_SEGMENT = re.compile(r"[^-_]+")
_NEVER = re.compile(r"(?!)")


def _alternation(prefixes: set[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))


@dataclass(frozen=True)
class TokenWords:
    """The compiled ``class-words`` data: splits tokens and says which parts count."""

    negations: frozenset[str] = frozenset()
    phrases: dict[str, frozenset[str]] = field(default_factory=dict)
    atomic_short_classes: int | None = None
    _generated: re.Pattern[str] = _NEVER
    _icon: re.Pattern[str] = _NEVER

    @classmethod
    def build(cls, files: list[ClassWords]) -> TokenWords:
        phrases: dict[str, set[str]] = {}
        generated: set[str] = set()
        icons: set[str] = set()
        for f in files:
            for p in f.phrases:
                phrases.setdefault(p.word.lower(), set()).update(w.lower() for w in p.with_)
            generated.update(f.generated_prefixes)
            icons.update(f.icon_prefixes)
        atomic = [f.atomic_short_classes for f in files if f.atomic_short_classes is not None]
        return cls(
            negations=frozenset(n for f in files for n in f.negations),
            phrases={w: frozenset(s) for w, s in phrases.items()},
            atomic_short_classes=min(atomic) if atomic else None,
            # the hash has a digit; a component name may follow it (css-ad1q3z-Wrapper)
            _generated=re.compile(rf"(?:{_alternation(generated)})-[a-z0-9]*[0-9][a-z0-9]*(?:-|$)", re.I)
            if generated else _NEVER,
            _icon=re.compile(rf"(?:{_alternation(icons)})[-_][a-z]{{2}}", re.I) if icons else _NEVER,
        )

    def split(self, token: str) -> list[str]:
        """Word parts of an id/class token: split at ``-``, ``_``, digits and camelCase,
        without the hashes of generated classes; none for an icon's country code."""
        generated = self._generated.match(token)
        if generated is not None:
            token = token[generated.end():]
        if self._icon.fullmatch(token):
            return []
        token = _without_hashes(token)
        parts: list[str] = []
        current: list[str] = []
        prev = ""
        for ch in token:
            if ch.isascii() and ch.isalpha():
                if ch.isupper() and prev.islower() and current:
                    parts.append("".join(current))
                    current = []
                current.append(ch)
            else:
                if current:
                    parts.append("".join(current))
                    current = []
            prev = ch
        if current:
            parts.append("".join(current))
        return [p.lower() for p in parts]

    def cancelled(self, parts: list[str]) -> bool:
        """Do the parts describe something else than their words (``no-ads``, ``ad-hoc``)?"""
        if self.negations.intersection(parts):
            return True
        return any(word in parts and not others.isdisjoint(parts) for word, others in self.phrases.items())

    def counted(self, token: str) -> list[str]:
        """The word parts a signature's ``words`` may match (none when they are cancelled)."""
        parts = self.split(token)
        return [] if self.cancelled(parts) else parts

    def atomic(self, classes: list[str]) -> list[str]:
        """The classes that may hold words: an atomic-CSS list (Medium's "nl nm nn no ad ae")
        loses its one- and two-letter classes, which are generated."""
        limit = self.atomic_short_classes
        if limit is None or sum(1 for t in classes if len(t) <= 2) < limit:
            return classes
        return [t for t in classes if len(t) > 2]


def _without_hashes(token: str) -> str:
    if not any(c.isdigit() for c in token):
        return token
    return "-".join(seg for seg in _SEGMENT.findall(token)
                    if not (_HASHED_SEGMENT.fullmatch(seg) and not _AD_SIZE.fullmatch(seg)))


def token_words(data: RuleData) -> TokenWords:
    """The loaded ``class-words`` files, compiled once per data set."""
    return data.derived("class-words", lambda d: TokenWords.build(d.entries("class-words")))
