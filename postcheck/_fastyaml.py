"""A fast, exact reader for the one shape nearly every scraped front matter has.

    layout: post
    title: "信息技术：AI 演练"
    date: 2020-06-26T10:13:26+01:00
    tags: [ Nei.st ]

Even with the C loader, PyYAML spends most of a small document in its Python
composer and resolver glue. This reader accepts only a strict subset: one
``key: value`` line per key at column 0, each value a one-line plain scalar, a
double-quoted scalar whose only escapes are ``\\"`` and ``\\\\``, a one-line
single-quoted scalar, or a one-line flow sequence of such scalars. Plain scalars
are resolved with the loader's own implicit resolvers and built with its own
constructors, so values, types and key spans equal the full loader's. Anything
else (comments, multi-line values, block collections, anchors, tags, duplicate
or non-string keys, tabs, CR, control characters, empty values) returns None and
the caller takes the full path, which is also the only path that reports problems.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["load_simple"]

Spans = dict[str, tuple[int, int, int, int]]

_STR = "tag:yaml.org,2002:str"
# Tags whose constructors only read the scalar's text; any other tag (merge, value,
# the reserved '!&*' one...) makes the full loader fail or do more: not ours.
_SCALAR_TAGS = frozenset(
    "tag:yaml.org,2002:" + kind for kind in ("bool", "int", "float", "null", "timestamp")
)

# Anything libyaml reads as a line break (\r \x85 \u2028 \u2029), rejects (controls,
# surrogates, U+FFFE/FFFF) or treats specially (tab) sends the document to the full
# path: the line splitting and offsets below assume none of them. A BOM is skipped
# only at the start of a line, where _LINE never matches one; inside a value it is an
# ordinary character (scrapes leave them in titles).
# Written as the complement of the characters allowed (\n, \x20-\x7e, \xa0-\u2027, \u202a-\ud7ff,
# \ue000-\ufffd, \U00010000-\U0010ffff): the same set, compiled in 0.4 ms instead of 5 at every start.
_UNUSUAL = re.compile("[\x00-\t\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")

# One line: a short ASCII key glued to its colon, ': ', the value without its trailing
# spaces (the loader's marks leave them out too), the line break. No value (null) is
# left to the full path. Backtracking is bounded: only the greedy run gives back.
_LINE = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): +([^ \n](?:[^\n]*[^ \n])?) *\n")
# Each alternative starts with a distinct character: no backtracking blow-up.
_DOUBLE = re.compile(r'"([^"\\]*(?:\\["\\][^"\\]*)*)"')
_DOUBLE_ESCAPE = re.compile(r'\\(["\\])')
_SINGLE = re.compile(r"'([^']*(?:''[^']*)*)'")

# Characters that cannot start a plain scalar here ('-' is handled apart: '-x' can).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
# '[ item ]' with a plain item that needs no flow-specific care (see _flow_item).
_ONE_ITEM = re.compile(r"\[([^\[\]{}:#\"',]*)\]")


class _Reject(Exception):
    """Outside the subset: let the full loader read it."""


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def load_simple(fm: str, base: int, loader: type[yaml.SafeLoader], max_depth: int,
                as_text: frozenset[str] = frozenset()) -> tuple[dict[str, Any], Spans] | None:
    """Fields and key spans of a simple front matter, or None.

    Spans are ``(key start, key end, value start, value end)`` as the loader's marks
    give them, shifted by ``base`` (where ``fm`` starts in the file).
    ``loader`` supplies the implicit resolvers and constructors, so the values match
    what ``loader`` would build; ``max_depth`` is the nesting limit (a flow sequence
    is the second level); ``as_text`` names tags whose constructor in ``loader``
    returns the scalar's text unchanged (skipping the call is the point).
    """
    table = loader.yaml_implicit_resolvers
    if (max_depth < 2 or loader.yaml_path_resolvers or None in table
            or _UNUSUAL.search(fm)):
        return None
    fields: dict[str, Any] = {}
    spans: Spans = {}
    line_match = _LINE.match
    pos = 0
    end = len(fm)
    try:
        while pos < end:
            m = line_match(fm, pos)
            if m is None:
                return None
            key, text = m.group(1, 2)
            if key in fields or (key[0] in table and _resolve(table, key) != _STR):
                return None
            spans[key] = (base + pos, base + m.end(1), base + m.start(2), base + m.end(2))
            pos = m.end()
            # The common shapes inline (this runs for every post), the rest in helpers.
            first = text[0]
            if first == '"' and len(text) > 1 and text[-1] == '"' and '"' not in text[1:-1] and "\\" not in text:
                fields[key] = text[1:-1]
            elif first == "[":
                single = _ONE_ITEM.fullmatch(text)
                item = single.group(1).strip(" ") if single is not None else ""
                if item and item[0] not in _INDICATORS and item[0] not in table:
                    fields[key] = [item]
                else:
                    fields[key] = _flow_sequence(loader, text, as_text)
            elif first not in _INDICATORS and ": " not in text and " #" not in text and text[-1] != ":":
                fields[key] = text if first not in table else _plain(loader, text, as_text)
            else:
                fields[key] = _block_value(loader, text, as_text)
    except _Reject:
        return None
    return fields, spans


def _block_value(loader: type[yaml.SafeLoader], text: str, as_text: frozenset[str]) -> Any:
    first = text[0]
    if first == '"' or first == "'":
        return _quoted(text)
    # A plain scalar ends at ': ' or ' #', and a trailing ':' would open a mapping.
    if ": " in text or " #" in text or text[-1] == ":":
        raise _Reject
    return _plain(loader, text, as_text)


def _flow_sequence(loader: type[yaml.SafeLoader], text: str, as_text: frozenset[str]) -> list[Any]:
    if text[-1] != "]" or _FLOW_BRACKETS.search(text, 1, len(text) - 1):
        raise _Reject
    inner = text[1:-1]
    if not inner.strip(" "):
        return []
    return [_flow_item(loader, item.strip(" "), as_text) for item in inner.split(",")]


def _flow_item(loader: type[yaml.SafeLoader], item: str, as_text: frozenset[str]) -> Any:
    if not item:
        raise _Reject  # '[a, , b]' is an error and '[a, ]' a subtlety: not ours
    if item[0] == '"' or item[0] == "'":
        return _quoted(item)
    # Inside brackets ':' and '#' have flow-specific rules, and quotes would need
    # more care: leave them all to the full loader.
    if ":" in item or "#" in item or '"' in item or "'" in item:
        raise _Reject
    return _plain(loader, item, as_text)


def _quoted(text: str) -> str:
    if text[0] == '"':
        m = _DOUBLE.fullmatch(text)
        if m is None:
            raise _Reject
        inner = m.group(1)
        return _DOUBLE_ESCAPE.sub(r"\1", inner) if "\\" in inner else inner
    m = _SINGLE.fullmatch(text)
    if m is None:
        raise _Reject
    return m.group(1).replace("''", "'")


def _plain(loader: type[yaml.SafeLoader], text: str, as_text: frozenset[str]) -> Any:
    first = text[0]
    if first in _INDICATORS and not (first == "-" and len(text) > 1 and text[1] != " "):
        raise _Reject
    tag = _resolve(loader.yaml_implicit_resolvers, text)
    if tag == _STR or tag in as_text:
        return text
    if tag not in _SCALAR_TAGS:
        raise _Reject
    try:
        return loader.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    except Exception as exc:  # e.g. an over-long int: the full path reports it
        raise _Reject from exc


def _resolve(table: dict[Any, list[tuple[str, re.Pattern[str]]]], value: str) -> str:
    """PyYAML's ``BaseResolver.resolve`` for a non-empty plain scalar, without a loader
    instance; the caller has ruled out wildcard (``None``) resolvers."""
    for tag, regexp in table.get(value[0], ()):
        if regexp.match(value):
            return tag
    return _STR
