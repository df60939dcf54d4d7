"""PC203 support: the tracking-parameter matcher and rule data, and the scan of the body's URL attributes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal
from urllib.parse import unquote

from pydantic import Field, field_validator

from ..data import DataModel, RuleData, register_kind
from ..model import Edit, Fix, Problem
from ..parse import ParsedPost, attribute_spans
from ..rule import RuleContext, RuleOptions
from ._urls import decode_attribute, srcset_urls, tracking_deletions

__all__ = [
    "TrackingMatcher",
    "TrackingOptions",
    "TrackingParameter",
    "TrackingParameterList",
    "body_tracking",
    "default_matcher",
    "keys_phrase",
    "matcher_for",
    "may_have_query",
]

# -- matching ----------------------------------------------------------------------------

class TrackingMatcher:
    """Decides whether a query key is a tracking parameter: exact names and ``prefix*`` entries."""

    def __init__(self, names: Iterable[str], ignore: Iterable[str] = ()) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        for name in names:
            name = name.strip().lower()
            if name.endswith("*"):
                prefixes.append(name[:-1])
            elif name:
                exact.add(name)
        ignored = {n.strip().lower() for n in ignore}
        self.exact = frozenset(exact - ignored)
        self.prefixes = tuple(sorted(p for p in set(prefixes) if p + "*" not in ignored))
        self.ignored = frozenset(n for n in ignored if not n.endswith("*"))
        self._prefilter: re.Pattern[str] | None = None
        self._by_separator: tuple[re.Pattern[str], ...] = ()

    def __call__(self, key: str) -> bool:
        key = unquote(key).strip().lower()
        if not key or key in self.ignored:
            return False
        if key in self.exact:
            return True
        return any(key.startswith(p) for p in self.prefixes)

    def literals(self) -> list[str]:
        """Lower-case strings one of which every matching key starts with."""
        return sorted(self.exact | set(self.prefixes))

    @property
    def prefilter(self) -> re.Pattern[str]:
        """Finds text that may hold a matching key: a query separator (``?``, ``&``, ``;``,
        or ``&`` written as a character reference), then a key's start, ``_`` possibly
        percent-encoded. One linear scan anchored on separators instead of a search per
        name; a text without a hit has nothing to report.

        The names are grouped by first character (see :func:`_first_char_pattern`)
        rather than one IGNORECASE alternation: the regex engine then skips a group
        whose first character does not match in one step, instead of entering each of
        dozens of names at every ``&`` and ``;`` of the HTML. Both find exactly the
        same texts.
        """
        if self._prefilter is None:
            names = {v for lit in self.literals() for v in (lit, lit.replace("_", "%5f"))}
            if all(_CASELESS_OK.fullmatch(n) for n in names):
                entity = _first_char_pattern(["amp;", "#38;", "#x26;"])
                self._prefilter = re.compile(f"[?&;]{entity}?{_first_char_pattern(sorted(names))}")
            else:  # characters whose case variants re does not document: let re handle them
                alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) or "(?!)"
                self._prefilter = re.compile(rf"[?&;](?:amp;|#38;|#x26;)?(?:{alternatives})", re.IGNORECASE)
        return self._prefilter

    def may_match(self, text: str) -> bool:
        """``prefilter.search(text) is not None``, done as one search per separator.

        A pattern that starts with one literal character is searched with a tight
        character loop; the ``[?&;]`` class costs a set lookup at every character, and
        most files have few separators (many have no ``&`` at all).
        """
        if not self._by_separator:
            rest = self.prefilter.pattern[len("[?&;]") :]
            flags = self.prefilter.flags
            self._by_separator = tuple(re.compile(re.escape(sep) + rest, flags) for sep in "?&;")
        return any(p.search(text) is not None for p in self._by_separator)


# ASCII only: re.IGNORECASE matches an ASCII letter with its other case and, as the re
# documentation states, with four more letters: İ (U+0130) and ı (U+0131) for i, ſ
# (U+017F) for s, K (U+212A KELVIN SIGN) for k. Digits and punctuation have no variants.
_CASELESS_OK = re.compile(r"[\x21-\x7e]+")
_EXTRA_FOLDS = "\u0130\u0131\u017f\u212a"


def _char_class(ch: str) -> str:
    """A pattern matching exactly the characters ``re.IGNORECASE`` matches with ``ch``."""
    same = {c for c in {ch, ch.lower(), ch.upper(), *_EXTRA_FOLDS}
            if len(c) == 1 and re.fullmatch(re.escape(ch), c, re.IGNORECASE)}
    if len(same) == 1:
        return re.escape(ch)
    return "[" + "".join(re.escape(c) for c in sorted(same)) + "]"


def _first_char_pattern(words: list[str]) -> str:
    """A regex matching, case-insensitively, a prefix of the text that is one of ``words``.

    The words are grouped by their first character, written as an exact class of its
    case variants; the rest of each group is an IGNORECASE alternation. The engine skips
    a group whose first class does not match in one step, and the few classes keep the
    compilation as cheap as one plain alternation.
    """
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0].lower(), []).append(word[1:])
    alternatives = []
    for first, rests in sorted(groups.items()):
        if "" in rests:  # the one-character word matches whatever follows
            alternatives.append(_char_class(first))
            continue
        tails = "|".join(re.escape(r) for r in sorted(set(rests), key=len, reverse=True))
        alternatives.append(f"{_char_class(first)}(?i:{tails})")
    return "(?:" + "|".join(alternatives) + ")" if alternatives else "(?!)"


# -- rule data -------------------------------------------------------------------------

_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]+\*?")


class TrackingParameter(DataModel):
    """One tracking parameter: a query key, or a key prefix ending in ``*``."""

    name: str
    owner: str = Field(description="who sets the parameter and what for")
    source: str = Field(description="where this entry comes from (ClearURLs, AdGuard, Firefox…)")
    must_match: list[str] = Field(default_factory=list, alias="must-match")
    must_not_match: list[str] = Field(default_factory=list, alias="must-not-match")

    @field_validator("name")
    @classmethod
    def _plain_key(cls, value: str) -> str:
        if not _PARAMETER_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a query key (letters, digits, _ . - [ ], optional trailing *)"
            )
        return value.lower()


class TrackingParameterList(DataModel):
    """A ``kind = "tracking-parameters"`` file of ``rules/``."""

    kind: Literal["tracking-parameters"] = "tracking-parameters"
    source: str = ""
    parameters: list[TrackingParameter]


register_kind("tracking-parameters", TrackingParameterList)


def _parameter_names(data: RuleData) -> list[str]:
    return [p.name for f in data.entries("tracking-parameters") for p in f.parameters]


def _build_default(data: RuleData) -> TrackingMatcher:
    return TrackingMatcher(_parameter_names(data))


def default_matcher(data: RuleData) -> TrackingMatcher:
    """The tracking parameters of the rule data, compiled once per process."""
    return data.derived("pc2:tracking-matcher", _build_default)


class TrackingOptions(RuleOptions):
    extend_parameters: list[str] = Field(default_factory=list, alias="extend-parameters")
    ignore_parameters: list[str] = Field(default_factory=list, alias="ignore-parameters")


def matcher_for(ctx: RuleContext[Any]) -> TrackingMatcher:
    options = ctx.options
    if not getattr(options, "extend_parameters", None) and not getattr(options, "ignore_parameters", None):
        return default_matcher(ctx.data)
    extend = tuple(getattr(options, "extend_parameters", ()))
    ignore = tuple(getattr(options, "ignore_parameters", ()))
    return ctx.data.derived(
        f"pc2:tracking-matcher:{extend!r}:{ignore!r}",
        lambda d: TrackingMatcher([*_parameter_names(d), *extend], ignore),
    )


_URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "data-src",
        "data-original",
        "data-lazy-src",
        "poster",
        "cite",
        "action",
        "formaction",
        "background",
        "longdesc",
    }
)
_SRCSET_ATTRIBUTES = frozenset({"srcset", "data-srcset"})


def may_have_query(post: ParsedPost) -> bool:
    """False when no URL of the post can have a query, so nothing for PC203 to report.

    Every report needs a ``?`` in the source URL (as YAML read it), in the link line
    (raw text) or in an attribute value (as lxml decoded it, so possibly written as a
    character reference such as ``&#63;``). Two thirds of posts have none: one
    ``str.find``-speed scan before the prefilter's regex over the whole file.
    """
    text = post.text
    if "?" in text:
        return True
    url = post.source_url
    if url and "?" in url:
        return True
    return "&" in text and ("&#" in text or "&quest" in text)


def keys_phrase(keys: list[str]) -> str:
    unique = list(dict.fromkeys(keys))
    noun = "parameter" if len(unique) == 1 else "parameters"
    return f"{noun} {', '.join(unique)}"


def body_tracking(post: ParsedPost, matcher: TrackingMatcher) -> Iterator[Problem]:
    root = post.tree
    if root is None:
        return
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for raw_name, raw_value in el.items():
            name, value = str(raw_name), str(raw_value)
            srcset = name in _SRCSET_ATTRIBUTES
            if "?" not in value or not (srcset or name in _URL_ATTRIBUTES or _data_url(name, value)):
                continue
            if not _has_tracking(value, srcset, matcher):
                continue
            yield _attribute_problem(post, el, name, srcset, matcher)


def _data_url(name: str, value: str) -> bool:
    """``data-*`` attributes holding an absolute URL (embed permalinks, lazy loaders)."""
    return name.startswith("data-") and value[:8].lower().startswith(("http://", "https://"))


def _url_spans(value: str, srcset: bool) -> list[tuple[int, int]]:
    return srcset_urls(value) if srcset else [(0, len(value))]


def _has_tracking(value: str, srcset: bool, matcher: TrackingMatcher) -> bool:
    return any(tracking_deletions(value[a:b], matcher)[0] for a, b in _url_spans(value, srcset))


def _attribute_problem(
    post: ParsedPost, el: Any, name: str, srcset: bool, matcher: TrackingMatcher
) -> Problem:
    tag_name = str(el.tag).lower()
    where = f"<{tag_name} {name}>"
    tag = post.html.tag_of(el)
    raw_span = None
    if tag is not None:
        raw_span = next(
            ((a.value_start, a.value_end) for a in attribute_spans(post.text, tag) if a.name == name), None
        )
    if raw_span is None:  # an element the parser implied: report it, but no exact edit
        start, _ = post.start_tag_span(el)
        value = el.get(name) or ""
        keys = [k for a, b in _url_spans(value, srcset) for k in tracking_deletions(value[a:b], matcher)[0]]
        return Problem(start, start, f"{where} URL carries tracking {keys_phrase(keys)}")
    start, end = raw_span
    decoded, offsets = decode_attribute(post.text[start:end])
    keys = []
    edits: list[Edit] = []
    for a, b in _url_spans(decoded, srcset):
        found, spans = tracking_deletions(decoded[a:b], matcher)
        keys += found
        for x, y in spans:
            edits.append(Edit(start=start + offsets[a + x], end=start + offsets[a + y], replacement=""))
    if not keys:  # lxml and the raw text disagree (e.g. a duplicate attribute): report only
        value = el.get(name) or ""
        keys = [k for a, b in _url_spans(value, srcset) for k in tracking_deletions(value[a:b], matcher)[0]]
    fix = (
        Fix(
            applicability="safe",
            description=f"remove the tracking parameters from {where}",
            edits=tuple(edits),
        )
        if edits
        else None
    )
    return Problem(start, end, f"{where} URL carries tracking {keys_phrase(keys)}", fix=fix)
