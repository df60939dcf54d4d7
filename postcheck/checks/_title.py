"""The `title` value as written: where each of its characters is in the file, and exact fixes.

Rules of the PC4/PC5 families report problems inside the title and offer fixes that
must edit only the title's value, keeping its YAML quoting style (SPEC §7: fixes
lose nothing). YAML already decoded the value; here the written scalar (plain,
'single', "double" or a block scalar) is split into *units*: pieces of the raw text
that decode to a known piece of the value (one character, an escape such as
``\\u00a0``, a folded line break). A change to the value then maps back to edits of
exactly the raw pieces that produced it. Every fix is verified by re-reading the
edited front matter; a fix that would not give the intended title is not offered.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence

import yaml

from ..model import Edit, Fix
from ..parse import ParsedPost, load_simple_yaml

__all__ = ["TitleSource", "enough_shared", "has_chars", "title_source", "title_tokens"]

try:  # the C loader is several times faster; fall back when libyaml is absent
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

# (start, end, decoded): file offsets of a raw piece and the text it stands for.
Unit = tuple[int, int, str]

_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_BREAKS = "\r\n"
_BLANKS = " \t"


def _fold(raw: str, i: int, base: int, units: list[Unit]) -> int:
    """A run of blanks and line breaks at ``raw[i]``; returns where it ends.

    Without a line break each blank is kept as is. With one, YAML's line folding
    applies: trailing and leading blanks go, one break becomes a space, and ``n``
    breaks become ``n - 1`` newlines.
    """
    j = i
    breaks = 0
    while j < len(raw) and raw[j] in _BLANKS + _BREAKS:
        if raw[j] == "\r" and raw[j + 1 : j + 2] == "\n":
            j += 1
        if raw[j] in _BREAKS:
            breaks += 1
        j += 1
    if breaks == 0:
        units.extend((base + k, base + k + 1, raw[k]) for k in range(i, j))
    else:
        units.append((base + i, base + j, " " if breaks == 1 else "\n" * (breaks - 1)))
    return j


def _flow_units(raw: str, base: int, style: str) -> list[Unit] | None:
    """Units of a plain, single- or double-quoted scalar's content (quotes excluded)."""
    units: list[Unit] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c in _BLANKS + _BREAKS:
            i = _fold(raw, i, base, units)
        elif style == "single" and c == "'":
            if raw[i + 1 : i + 2] != "'":
                return None
            units.append((base + i, base + i + 2, "'"))
            i += 2
        elif style == "double" and c == "\\":
            e = raw[i + 1 : i + 2]
            if e in _BREAKS:
                # An escaped line break joins the lines; the next line's indentation goes.
                j = i + 2 if raw[i + 1 : i + 3] != "\r\n" else i + 3
                while j < n and raw[j] in _BLANKS:
                    j += 1
                units.append((base + i, base + j, ""))
                i = j
            elif e in _SIMPLE_ESCAPES:
                units.append((base + i, base + i + 2, _SIMPLE_ESCAPES[e]))
                i += 2
            elif e in _HEX_ESCAPES:
                width = _HEX_ESCAPES[e]
                digits = raw[i + 2 : i + 2 + width]
                try:
                    char = chr(int(digits, 16)) if len(digits) == width else None
                except ValueError:
                    char = None
                if char is None:
                    return None
                units.append((base + i, base + i + 2 + width, char))
                i += 2 + width
            else:
                return None
        else:
            units.append((base + i, base + i + 1, c))
            i += 1
    return units


def _style_of(raw: str) -> str:
    if raw[:1] == '"':
        return "double"
    if raw[:1] == "'":
        return "single"
    if raw[:1] == "|":
        return "literal"
    if raw[:1] == ">":
        return "folded"
    return "plain"


def _encode(text: str, style: str) -> str | None:
    """``text`` written inside a scalar of ``style``; None when it cannot be."""
    if style == "double":
        out = []
        for ch in text:
            if ch in '\\"':
                out.append("\\" + ch)
            elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
                out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return "".join(out)
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        return None
    if style == "single":
        return text.replace("'", "''")
    return text


class TitleSource:
    """The title's decoded value, its raw span and (when exact) its units.

    ``style`` and ``units`` are worked out on first use: most titles have nothing
    to report, and only a finding needs to map value offsets back to the file.
    """

    __slots__ = ("value", "span", "fm_span", "fm_yaml", "_raw", "_style", "_units", "_starts")

    def __init__(self, value: str, span: tuple[int, int] | None, fm_span: tuple[int, int] | None,
                 fm_yaml: bool, raw: str | None) -> None:
        self.value = value
        self.span = span
        self.fm_span = fm_span
        self.fm_yaml = fm_yaml
        self._raw = raw  # the scalar as written, when it can be split into units
        self._style: str | None = None
        self._units: list[Unit] | None = None
        self._starts: list[int] = []

    def _resolve(self) -> None:
        if self._style is not None:
            return
        raw = self._raw
        style = "other"
        units: list[Unit] | None = None
        if raw is not None and self.span is not None:
            start = self.span[0]
            style = _style_of(raw)
            if style in ("double", "single") and len(raw) >= 2 and raw[-1] == raw[0]:
                units = _flow_units(raw[1:-1], start + 1, style)
            elif style == "plain":
                units = _flow_units(raw, start, style)
            if units is not None and "".join(u[2] for u in units) != self.value:
                units = None  # not the value YAML read: locate roughly, offer no unit fix
            if units is None and style in ("double", "single", "plain"):
                style = "other"
        self._style, self._units = style, units
        pos = 0
        for _, _, decoded in units or ():
            self._starts.append(pos)
            pos += len(decoded)

    @property
    def style(self) -> str:
        """``plain``, ``single``, ``double``, ``literal``, ``folded``, or ``other`` (not exact)."""
        self._resolve()
        assert self._style is not None
        return self._style

    @property
    def units(self) -> list[Unit] | None:
        self._resolve()
        return self._units

    def offset(self, index: int) -> int:
        """File offset of the value's character ``index`` (approximate without units)."""
        if self.span is None:
            return 0
        if not self.units:
            return self.span[0]
        if index >= len(self.value):
            return self.units[-1][1] if self.units else self.span[0]
        k = bisect_right(self._starts, index) - 1
        return self.units[max(k, 0)][0]

    def range(self, start: int, end: int) -> tuple[int, int]:
        """File span covering the value's characters ``start:end``."""
        a = self.offset(start)
        if not self.units or self.span is None:
            return (a, self.span[1] if self.span else a)
        if end <= start:
            return (a, a)
        k = bisect_right(self._starts, end - 1) - 1
        return (a, self.units[max(k, 0)][1])

    def covering(self, ranges: Sequence[tuple[int, int, str]]) -> tuple[int, int]:
        """File span from the first to the last of sorted value replacements ``(start, end, text)``."""
        start, _ = self.range(ranges[0][0], ranges[0][1])
        _, end = self.range(ranges[-1][0], ranges[-1][1])
        return start, end

    def fix(self, post: ParsedPost, replacements: Sequence[tuple[int, int, str]], *,
            applicability: str, description: str) -> Fix | None:
        """Replace value ranges ``(start, end, text)`` (sorted, disjoint); None if not exact."""
        if not self.fm_yaml or self.span is None or self.fm_span is None or not replacements:
            return None
        new_value = self._apply(replacements)
        if new_value is None or new_value == self.value:
            return None
        edits = (self._unit_edits(replacements) if self.units is not None
                 else self._block_edit(post, new_value))
        if edits and len(edits) > _MAX_EDITS:
            edits = [_merged(post.text, edits)]
        if not edits or not _verified(post, self.fm_span, edits, new_value):
            return None
        return Fix(applicability=applicability, description=description,  # type: ignore[arg-type]
                   edits=tuple(edits))

    def _apply(self, replacements: Sequence[tuple[int, int, str]]) -> str | None:
        out = []
        pos = 0
        for a, b, s in replacements:
            if a < pos or b < a or b > len(self.value):
                return None
            out.append(self.value[pos:a])
            out.append(s)
            pos = b
        out.append(self.value[pos:])
        return "".join(out)

    def _unit_edits(self, replacements: Sequence[tuple[int, int, str]]) -> list[Edit] | None:
        assert self.units is not None
        starts = self._starts
        ends = {s + len(u[2]): k for k, (s, u) in enumerate(zip(starts, self.units, strict=True))}
        index_of_start = {s: k for k, s in enumerate(starts)}
        edits: list[Edit] = []
        for a, b, s in replacements:
            encoded = _encode(s, self.style)
            if encoded is None:
                return None
            if a == b:  # insertion at a unit boundary
                k = index_of_start.get(a)
                if k is not None:
                    at: int | None = self.units[k][0]
                else:
                    at = self.units[-1][1] if self.units and a == len(self.value) else None
                if at is None:
                    return None
                edits.append(Edit(start=at, end=at, replacement=encoded))
                continue
            k0 = index_of_start.get(a)
            k1 = ends.get(b)
            if k0 is None or k1 is None or k1 < k0:
                return None  # the range splits a unit (an escape or a fold)
            edits.append(Edit(start=self.units[k0][0], end=self.units[k1][1], replacement=encoded))
        return edits

    def _block_edit(self, post: ParsedPost, new_value: str) -> list[Edit] | None:
        """Rewrite a block scalar with the same style, keeping its header comment and indentation."""
        if self.style not in ("literal", "folded") or self.span is None:
            return None
        start, end = self.span
        raw = post.text[start:end]
        nl = raw.find("\n")
        if nl < 0:
            return None
        header = raw[: nl].rstrip("\r")
        k = 1
        while k < len(header) and header[k] in "+-0123456789":
            k += 1
        rest = header[k:]
        body = raw[nl + 1 :]
        lines = body.split("\n")
        content = [ln for ln in lines if ln.strip()]
        if not content:
            return None
        indent = content[0][: len(content[0]) - len(content[0].lstrip(" "))] or "  "
        last = body.rstrip(" \t\r\n")
        tail_at = nl + 1 + len(last)
        text = new_value[:-1] if new_value.endswith("\n") else new_value
        if not text or text[0] in " \t" or "\r" in text:
            return None
        if self.style == "folded" and "\n" in text:
            return None
        chomp = "" if new_value.endswith("\n") else "-"
        eol = "\r\n" if header != raw[:nl] else "\n"
        rendered = (self.style_char + chomp + rest + eol + indent
                    + (eol + indent).join(text.split("\n")))
        return [Edit(start=start, end=start + tail_at, replacement=rendered)]

    @property
    def style_char(self) -> str:
        return "|" if self.style == "literal" else ">"


_MAX_EDITS = 64


def _merged(text: str, edits: Sequence[Edit]) -> Edit:
    """Many small edits as one: the raw text between them is carried over unchanged."""
    ordered = sorted(edits, key=lambda e: e.start)
    out: list[str] = []
    pos = ordered[0].start
    for e in ordered:
        out.append(text[pos : e.start])
        out.append(e.replacement)
        pos = e.end
    return Edit(start=ordered[0].start, end=ordered[-1].end, replacement="".join(out))


def _verified(post: ParsedPost, fm_span: tuple[int, int], edits: Sequence[Edit], expected: str) -> bool:
    """Re-read the edited front matter: the title must be ``expected``, the keys unchanged."""
    fm_start, fm_end = fm_span
    text = post.text
    pieces = []
    pos = fm_start
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < pos or e.end > fm_end:
            return False
        pieces.append(text[pos : e.start])
        pieces.append(e.replacement)
        pos = e.end
    pieces.append(text[pos:fm_end])
    edited = "".join(pieces)
    # The exact fast reader answers for the usual one-line `key: value` front matter.
    simple = load_simple_yaml(edited, 0, _Loader, post.limits.max_yaml_depth)
    if simple is not None:
        data: object = simple[0]
    else:
        try:
            data = yaml.load(edited, Loader=_Loader)  # noqa: S506 - a safe loader
        except (yaml.YAMLError, ValueError, RecursionError):
            return False
    return (isinstance(data, dict) and data.get("title") == expected
            and {k for k in data if isinstance(k, str)} == set(post.fields))


# Kept in the post's per-post cache (a key no front-matter key can be): one dict lookup
# for each of the eight rules that read the title, instead of a weak-reference lookup.
_KEY = "\0pc:title-source"
_MISSING = object()


class _Cached:
    """``post in _CACHE``: whether the post's title source is built (for profiling tools)."""

    def __contains__(self, post: object) -> bool:
        return isinstance(post, ParsedPost) and _KEY in post._field_cache


_CACHE = _Cached()


def title_source(post: ParsedPost) -> TitleSource | None:
    """The post's title as written, or None when `title` is not a string."""
    cache = post._field_cache
    found = cache.get(_KEY, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    value = post.title
    source: TitleSource | None = None
    if value is not None:
        span = post.value_span("title")
        fm_yaml = post.fm_format == "yaml"
        raw = post.text[span[0] : span[1]] if span is not None and fm_yaml else None
        source = TitleSource(value, span, post.fm_span, fm_yaml, raw)
    cache[_KEY] = source
    return source


# -- invisible characters -------------------------------------------------------------

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_ZWJ, _ZWNJ, _ZWSP = "\u200d", "\u200c", "\u200b"
_EMOJI_MODIFIERS = frozenset("\ufe0f\ufe0e") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def _is_pictographic(ch: str) -> bool:
    cp = ord(ch)
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF
            or 0x2190 <= cp <= 0x21FF or 0x2300 <= cp <= 0x23FF or 0xE0020 <= cp <= 0xE007F
            or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299))


def _joining_script(ch: str) -> bool:
    """Scripts whose spelling uses ZWJ/ZWNJ (Arabic, Persian, Syriac, the Indic scripts, …)."""
    cp = ord(ch)
    return (0x0600 <= cp <= 0x08FF or 0x0900 <= cp <= 0x0DFF or 0x0F00 <= cp <= 0x0FFF
            or 0x1000 <= cp <= 0x109F or 0x1780 <= cp <= 0x17FF or 0xA8E0 <= cp <= 0xA8FF
            or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC)


def _unspaced_script(ch: str) -> bool:
    """Scripts written without spaces between words, where U+200B marks word boundaries
    (Thai, Lao, Tibetan, Myanmar, Khmer)."""
    cp = ord(ch)
    return 0x0E00 <= cp <= 0x0FFF or 0x1000 <= cp <= 0x109F or 0x1780 <= cp <= 0x17FF or 0x19E0 <= cp <= 0x19FF


def meaningful_joiner(text: str, i: int) -> bool:
    """True when the zero-width character at ``text[i]`` is part of the writing, not junk.

    A ZWJ inside an emoji sequence (👩‍💻, 🏳️‍🌈) builds one glyph; ZWJ and ZWNJ
    between letters of Arabic-script or Indic text are part of the spelling; a zero
    width space between words of Thai, Lao, Tibetan, Myanmar or Khmer is their word
    boundary (those scripts put no space between words).
    """
    ch = text[i]
    if ch == _ZWSP:
        before = text[i - 1] if i > 0 else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        return bool(before and after and _unspaced_script(before) and _unspaced_script(after))
    if ch not in (_ZWJ, _ZWNJ):
        return False
    j = i - 1
    while j >= 0 and text[j] in _EMOJI_MODIFIERS:
        j -= 1
    before = text[j] if j >= 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if ch == _ZWJ and before and after and _is_pictographic(before) and _is_pictographic(after):
        return True
    return bool(before and after and (_joining_script(before) or _joining_script(after)))


# -- headline tokens (PC406) ------------------------------------------------------------

_CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
# Compiled on first use: their large character classes cost 4 ms, at every start of
# every run, including the warm ones that never read a title.
_CJK: tuple[re.Pattern[str], re.Pattern[str]] | None = None


def _cjk_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a run of CJK characters, every overlapping CJK bigram)."""
    global _CJK
    if _CJK is None:
        _CJK = (re.compile(_CJK_CLASS + "+"), re.compile(f"(?=({_CJK_CLASS}{{2}}))"))
    return _CJK
_WORD = re.compile(r"[^\W\d_]{4,}")
_STOPWORDS = frozenset(
    "that this with from have were their they them what when will would could should said says "
    "more most into over after about than your also been which while where there these those "
    "some such only other just like being does here very much many before under between".split()
)


def title_tokens(title: str) -> set[str]:
    """Character bigrams of CJK runs, 5-letter stems of other words (4+ letters, no stopwords)."""
    run, bigram = _CJK or _cjk_patterns()
    tokens = set(bigram.findall(title))  # every overlapping bigram, in one C call
    for word in _WORD.findall(run.sub(" ", title).lower()):
        if word not in _STOPWORDS:
            tokens.add(word[:5])
    return tokens


_CHUNK = 4096
# On-topic bodies share a token with the headline early on.
HEAD_CHARS = 1024


def has_chars(text: str, count: int) -> bool:
    """``len("".join(text.split())) >= count``, reading only as much of ``text`` as needed.

    Non-space characters add up over chunks; the first chunk is barely longer than
    ``count``, which settles it for a body of mostly unspaced text.
    """
    if len(text) < count:
        return False
    seen = len("".join(text[: count + 64].split()))
    i = count + 64
    while seen < count and i < len(text):
        seen += len("".join(text[i : i + _CHUNK].split()))
        i += _CHUNK
    return seen >= count


def enough_shared(head: str, tokens: set[str], min_overlap: float) -> bool:
    """True when tokens found in ``head`` (the start of the body) already reach ``min_overlap``.

    A token ``t`` found as is in ``head`` is in ``body.lower()`` when ``t.lower() == t``:
    then each of its characters is its own lower case (no character lowers to nothing,
    so equal lengths mean one character each), and stays itself in the lowered body.
    So the body need not be lowered for the usual, on-topic post.
    """
    shared = 0
    total = len(tokens)
    for t in tokens:
        if t in head and t.lower() == t:
            shared += 1
            if shared / total >= min_overlap:
                return True
    return False
