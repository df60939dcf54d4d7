"""The simple-front-matter reader (postcheck/_fastyaml.py) must agree with the full loader.

Every case is read twice, with ``_frontmatter.FAST_PATH`` on and off, and the two
results must be identical: fields (with their types), key spans, ``front_matter_ok``
and the issues recorded. Other cases check that the common shape does take the fast
path, so the comparison is not vacuous.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from postcheck import _frontmatter
from postcheck._fastyaml import load_simple
from postcheck.parse import Limits, ParsedPost

State = tuple[Any, ...]


def _span(post: ParsedPost, key: str) -> slice:
    found = post.value_span(key)
    assert found is not None, key
    return slice(*found)


def _typed(value: Any) -> Any:
    """A comparable form that tells True from 1 and 1 from 1.0, and nan from itself."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _state(text: str, fast: bool, limits: Limits | None = None) -> State:
    saved = _frontmatter.FAST_PATH
    _frontmatter.FAST_PATH = fast
    try:
        post = ParsedPost(text, "post.md", limits=limits) if limits else ParsedPost(text, "post.md")
        _frontmatter.split_front_matter(post)
    finally:
        _frontmatter.FAST_PATH = saved
    issues = [(i.code, i.message, i.start, i.end, i.field) for i in post.issues]
    return (_typed(post.fields), sorted(post._key_spans.items()), post.front_matter_ok, issues,
            post.fm_span, post.body_start)


def _same(front: str, limits: Limits | None = None) -> None:
    text = f"---\n{front}---\nbody\n"
    assert _state(text, True, limits) == _state(text, False, limits)


def _fast(front: str) -> dict[str, Any] | None:
    result = load_simple(front, 0, _frontmatter._Loader, 32, _frontmatter._AS_TEXT)
    return None if result is None else result[0]


COMMON = (
    "layout: post\n"
    'title: "信息技术：AI 演练"\n'
    "date: 2020-06-26T10:13:26+01:00\n"
    "author: Nei.st\n"
    "from: https://nei.st/medium/economist/ai-manoeuvres\n"
    "tags: [ Nei.st ]\n"
    "categories: [ Nei.st, 'b c', \"d\", 3, yes ]\n"
)


def test_common_shape_takes_the_fast_path() -> None:
    assert _fast(COMMON) == {
        "layout": "post",
        "title": "信息技术：AI 演练",
        "date": "2020-06-26T10:13:26+01:00",
        "author": "Nei.st",
        "from": "https://nei.st/medium/economist/ai-manoeuvres",
        "tags": ["Nei.st"],
        "categories": ["Nei.st", "b c", "d", 3, True],
    }
    _same(COMMON)


def test_spans_match_the_loader_marks() -> None:
    front = 'title: "a \\"b\\""   \nn: 12  \ntags: [ x, y ]  \nplain: a b  \n'
    text = f"---\n{front}---\n"
    saved = _frontmatter.FAST_PATH
    try:
        _frontmatter.FAST_PATH = True
        post = ParsedPost(text, "p.md")
        _frontmatter.split_front_matter(post)
    finally:
        _frontmatter.FAST_PATH = saved
    assert post.fields == {"title": 'a "b"', "n": 12, "tags": ["x", "y"], "plain": "a b"}
    assert text[_span(post, "title")] == '"a \\"b\\""'
    assert text[_span(post, "tags")] == "[ x, y ]"
    assert text[_span(post, "plain")] == "a b"
    _same(front)


@pytest.mark.parametrize("front", [
    "a: 1\na: 2\n",                      # duplicate key: PC003 from the full path
    "a: b # comment\n",                  # comment
    "a: b\n  c\n",                       # multi-line plain scalar
    "a:\n  - b\n",                       # block sequence
    "a: &x b\nc: *x\n",                  # anchor and alias
    "a: !!str 1\n",                      # tag
    "? a\n: b\n",                        # explicit key
    "true: x\n",                         # non-string key
    "1: x\n",
    "a: b: c\n",                         # ': ' inside a plain value
    "a: b:\n",
    "a:\tb\n",                           # tab
    "a: b\r\n",                          # CR
    "a: \ufeffb\n",                      # BOM inside a value: an ordinary character
    "a: b\ufeff\n",
    'a: "\ufeff"\n',
    "a: [\ufeffb]\n",
    "\ufeffa: b\n",                      # BOM at a line start: skipped by libyaml, not ours
    "a: b\n\ufeffc: d\n",
    "a: \x85b\n",                        # NEL is a line break to YAML
    "a: b\u2028c\n",
    "a: \x07\n",                         # control character
    "a: 'it''s'\n",
    'a: "x\\ty"\n',                      # an escape outside the subset
    'a: "x\n',                           # unterminated quotes
    "a: 'x\n",
    'a: "',
    "a: [x, , y]\n",
    "a: [x, ]\n",
    "a: [ ]\n",
    "a: []\n",
    "a: [x: y]\n",
    "a: [a#b]\n",
    "a: [[x]]\n",
    "a: [x] y\n",
    "a: {x: y}\n",
    "a: -\n",
    "a: - b\n",
    "a: -1\n",
    "a: -x\n",
    "a: ~\n",
    "a: null\n",
    "a: \n",
    "a:\n",
    "a: =\n",
    "a: <<\n",
    "<<: x\n",
    "a: 0x1F\n",
    "a: 0o17\n",
    "a: 017\n",
    "a: 1_000\n",
    "a: 1:30\n",
    "a: 190:20:30\n",
    "a: .inf\n",
    "a: -.Inf\n",
    "a: .nan\n",
    "a: 1e3\n",
    "a: 1.0e+3\n",
    "a: 2001-12-14\n",
    "a: 2001-12-14 21:59:43.10 -5\n",
    "a: " + "9" * 4001 + "\n",         # over the int bound: PC003 from the full path
    "a: on\nb: Off\nc: YES\nd: y\n",
    "a: 😀 x\n",
    "a: %x\n",
    "a: @x\n",
    "a: `x\n",
    "a: x#y\n",
    "a: x #y\n",
    "a: 'x' # c\n",
    '"a": x\n',
    "a : x\n",
    "--- a\n",
    "%YAML 1.1\n",
    "a: b\n\nc: d\n",                    # blank line
    "a: ''\n",
    'a: ""\n',
    "a: [ '' ]\n",
    "a: [1, 2.5, true, ~, 2020-01-01]\n",
    "a: x ... y\nb: --- z\n",
    "a: " + " " * 300 + "x" + " " * 300 + "\n",
    "a: " + "x" * 3000 + "\n",
    "k" * 128 + ": v\n",
    "k" * 1100 + ": v\n",            # past libyaml's simple-key length
    "",
    "\n",
    "a: b",                              # no final newline (not produced by the fence split)
])
def test_tricky_lines_agree(front: str) -> None:
    _same(front)


def test_bom_inside_a_title_takes_the_fast_path() -> None:
    assert _fast('title: "港\ufeff浸大"\n') == {"title": "港\ufeff浸大"}
    assert _fast("\ufefftitle: x\n") is None


def test_depth_limit_below_two_goes_to_the_full_path() -> None:
    assert _frontmatter.load_simple("a: [b]\n", 0, _frontmatter._Loader, 1) is None
    _same("a: [b]\n", Limits(max_yaml_depth=1))
    _same("a: b\n", Limits(max_yaml_depth=1))


# -- generated ------------------------------------------------------------------------

# Mostly the everyday shape (so that many documents take the fast path), with odd keys,
# separators and characters mixed in often enough to probe every edge of the subset.
_PLAIN_KEYS = st.sampled_from(["title", "date", "tags", "from", "author", "layout", "a.b", "a-b", "_x", "Key9", "y"])
_ODD_KEYS = st.one_of(
    st.sampled_from(["n", "on", "true", "null", "1", "1.5", "<<", "=", "0x1", "~"]),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,6}", fullmatch=True),
)
_KEYS = st.one_of(_PLAIN_KEYS, _PLAIN_KEYS, _PLAIN_KEYS, _ODD_KEYS)
_CLEAN = ["a", "post", "信息技术", "Nei.st", "x-y", "a b", "https://x.y/z?a=b", "(x)", "x#y", "a'b", 'a"b', "a:b",
          "1", "0", "12", "-3", "1.5", "yes", "no", "On", "null", "~", "2020-06-26", "2020-06-26T10:13:26+01:00",
          "2020-06-26 10:13:26", "😀", "\u3000", "\xa0", ".", "-x", "0o7", "1:20", ".inf", "e", "=", "<<"]
_ODD = ["", " ", "  ", ":", ": ", " #", "#", "-", "- ", "?", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">",
        "'", "''", '"', '\\"', "\\\\", "\\", "%", "@", "`", "\t", "\r", "\ufeff", "\x85", "\u2028", "\x7f",
        "0x1F", "1_0", ".NaN"]
_PIECE = st.one_of(st.sampled_from(_CLEAN), st.sampled_from(_CLEAN), st.sampled_from(_CLEAN), st.sampled_from(_CLEAN),
                   st.sampled_from(_ODD), st.text(alphabet="ab 1.-:#'\",[]", max_size=4))
_VALUE = st.lists(_PIECE, min_size=1, max_size=3).map("".join)


@st.composite
def _flow(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(_VALUE, _VALUE, _VALUE.map(lambda v: f'"{v}"'), _VALUE.map(lambda v: f"'{v}'")),
                          max_size=4))
    sep = draw(st.sampled_from([",", ", ", " , ", ", "]))
    pad = draw(st.sampled_from(["", " ", " "]))
    return "[" + pad + sep.join(items) + pad + "]"


_ANY_VALUE = st.one_of(
    _VALUE,
    _VALUE,
    _VALUE.map(lambda v: f'"{v}"'),
    _VALUE.map(lambda v: f"'{v}'"),
    _flow(),
)


@st.composite
def _wild_line(draw: st.DrawFn) -> str:
    key = draw(_KEYS)
    colon = draw(st.sampled_from([": ", ":  ", ":", " : "]))
    trail = draw(st.sampled_from(["", " ", "  "]))
    return f"{key}{colon}{draw(_ANY_VALUE)}{trail}\n"


_CLEAN_VALUE = st.lists(st.sampled_from(_CLEAN), min_size=1, max_size=3).map(" ".join)


@st.composite
def _clean_line(draw: st.DrawFn) -> str:
    value = draw(st.one_of(
        _CLEAN_VALUE,
        _CLEAN_VALUE.map(lambda v: f'"{v}"'),
        st.lists(_CLEAN_VALUE, max_size=3).map(lambda items: "[ " + ", ".join(items) + " ]"),
    ))
    return f"{draw(_PLAIN_KEYS)}: {value}{draw(st.sampled_from(['', ' ']))}\n"


@st.composite
def _front(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(st.one_of(_clean_line(), _clean_line(), _clean_line(), _wild_line()), max_size=5)))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_front())
@example(COMMON)
@example('a: "x""\n')
@example("a: [ 'x,y' ]\n")
@example("a: [ \"x\" y ]\n")
def test_generated_front_matter_agrees(front: str) -> None:
    _same(front)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab:# -'\"[],\n\\{}&*!?|>%@`~01.\t\u3000😀", max_size=40))
def test_arbitrary_text_agrees(front: str) -> None:
    _same(front if front.endswith("\n") else front + "\n")


def test_unusual_characters_are_exactly_those_outside_the_allowed_ranges() -> None:
    # The pattern is written as a complement (it compiles 10x faster); pin it to the set it stands for.
    import sys

    from postcheck._fastyaml import _UNUSUAL

    allowed = [(0x0A, 0x0A), (0x20, 0x7E), (0xA0, 0x2027), (0x202A, 0xD7FF), (0xE000, 0xFFFD),
               (0x10000, sys.maxunicode)]
    for code in range(0, sys.maxunicode + 1, 1):
        if code > 0x10100 and code % 4099:
            continue  # the astral planes: a sample is enough, the range ends are covered below
        inside = any(lo <= code <= hi for lo, hi in allowed)
        assert (_UNUSUAL.match(chr(code)) is None) == inside, hex(code)
    for lo, hi in allowed:
        for code in (lo - 1, lo, hi, hi + 1):
            if 0 <= code <= sys.maxunicode:
                inside = any(a <= code <= b for a, b in allowed)
                assert (_UNUSUAL.match(chr(code)) is None) == inside, hex(code)
