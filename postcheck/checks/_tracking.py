"""PC203 support: the tracking-parameter rule data and the scan of the body's URL attributes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .._html import attribute_spans
from ..data import RuleData, register_kind
from ..model import Edit, Fix, Problem
from ..parse import ParsedPost
from ..rule import RuleContext, RuleOptions
from ._urls import TrackingMatcher, decode_attribute, srcset_urls, tracking_deletions

__all__ = [
    "TrackingOptions",
    "TrackingParameter",
    "TrackingParameterList",
    "body_tracking",
    "default_matcher",
    "keys_phrase",
    "matcher_for",
]

# -- rule data -------------------------------------------------------------------------

_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]+\*?")


class TrackingParameter(BaseModel):
    """One tracking parameter: a query key, or a key prefix ending in ``*``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

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


class TrackingParameterList(BaseModel):
    """A ``kind = "tracking-parameters"`` file of ``rules/``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    kind: Literal["tracking-parameters"] = "tracking-parameters"
    source: str = ""
    parameters: list[TrackingParameter]


register_kind("tracking-parameters", TrackingParameterList)


def _parameter_names(data: RuleData) -> list[str]:
    return [p.name for f in data.entries("tracking-parameters") for p in f.parameters]


def default_matcher(data: RuleData) -> TrackingMatcher:
    """The tracking parameters of the rule data, compiled once per process."""
    return data.derived("pc2:tracking-matcher", lambda d: TrackingMatcher(_parameter_names(d)))


class TrackingOptions(RuleOptions):
    extend_parameters: list[str] = Field(default_factory=list, alias="extend-parameters")
    ignore_parameters: list[str] = Field(default_factory=list, alias="ignore-parameters")


def matcher_for(ctx: RuleContext[Any]) -> TrackingMatcher:
    options = ctx.options
    extend = tuple(getattr(options, "extend_parameters", ()))
    ignore = tuple(getattr(options, "ignore_parameters", ()))
    if not extend and not ignore:
        return default_matcher(ctx.data)
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
