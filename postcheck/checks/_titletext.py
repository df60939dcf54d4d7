"""Title text repairs shared by PC402 and PC403: stray whitespace and leftover HTML.

Pure functions of the title string: what to replace, and why. The rules in
:mod:`.consistency` turn the replacements into findings and fixes on the front matter.
"""

from __future__ import annotations

import html
import re
from html.entities import html5 as _HTML5_ENTITIES

from ._title import ZERO_WIDTH, meaningful_joiner

__all__ = ["markup_fixes", "unescape", "whitespace_problems"]

_WHITESPACE_RUN = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")

_SPACE = r"[\s\u200b-\u200d\u2060\ufeff]"
# Whatever whitespace_problems can report: a run at either end, a run of two or more,
# or one character that is never fine alone. Titles without it (nearly all) skip the
# per-run work: single spaces and ideographic spaces between words are normal.
_MAYBE_STRAY_SPACE = re.compile(
    rf"\A{_SPACE}|{_SPACE}\Z|{_SPACE}{{2}}|[\u200b-\u200d\u2060\ufeff\xa0\u202f\r\n\t\v\f\x85\u2028\u2029]"
)


def _typographic_no_break(title: str, at: int, run: str) -> bool:
    """One no-break space where typography puts it: French (and Swiss, Belgian, Canadian)
    before ``: ; ! ? » %`` and after ``«``; before a number (``10 000``, ``iPhone 15``,
    ``§ 219a``) and between a number and its unit (``5 km``, ``2 €``, ``40 °C``); Czech,
    Slovak and Polish after a one-letter word, and Russian after a word of one or two
    letters (``o dani``, ``w Polsce``, ``на саммите``: CMSs and typographers keep it from
    ending a line); and before a dash."""
    if run not in ("\xa0", "\u202f"):
        return False
    before = title[at - 1] if at > 0 else ""
    after = title[at + 1] if at + 1 < len(title) else ""
    if after in _SPACED_BEFORE or before == "«" or after.isdigit() or (
            before.isdigit() and (after.isalpha() or after in _UNIT_SIGNS)):
        return True  # (a number keeps to its unit and to what it numbers: 2 €, 40 °C, iPhone 15, § 219a)
    if after in "–—":
        return True
    word = _LAST_WORD.search(title, 0, at)
    if word is None:
        return False
    letters = word.group()
    cyrillic = all("\u0400" <= ch <= "\u04ff" for ch in letters)
    return len(letters) == 1 and (cyrillic or letters < "\u0250") or len(letters) == 2 and cyrillic


_SPACED_BEFORE = frozenset(":;!?»%")
_UNIT_SIGNS = frozenset("€$£¥₽₹°‰′″")
_LAST_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]+\Z")  # a whole word of letters ending the text


def whitespace_problems(title: str) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Replacements that clean the title's whitespace, and what was wrong."""
    fixes: list[tuple[int, int, str]] = []
    kinds: list[str] = []
    if _MAYBE_STRAY_SPACE.search(title) is None:
        return fixes, kinds

    def note(kind: str) -> None:
        if kind not in kinds:
            kinds.append(kind)

    for m in _WHITESPACE_RUN.finditer(title):
        a, b = m.span()
        run = m.group()
        if a == 0 or b == len(title):
            kept = [i for i in range(a, b) if meaningful_joiner(title, i)]
            if not kept:
                note("leading whitespace" if a == 0 else "trailing whitespace")
                fixes.append((a, b, ""))
            continue
        visible = [ch for ch in run if ch not in ZERO_WIDTH]
        if not visible:  # zero-width characters only, between two visible characters
            for i in range(a, b):
                if not meaningful_joiner(title, i):
                    note("zero-width character")
                    fixes.append((i, i + 1, ""))
            continue
        if run in (" ", "\u3000") or _typographic_no_break(title, a, run):
            continue
        found = []
        if any(ch in ZERO_WIDTH for ch in run):
            found.append("zero-width character")
        if len(visible) > 1:
            found.append("doubled whitespace")
        if "\xa0" in run or "\u202f" in run:
            found.append("no-break space")
        if any(ch in "\r\n\t\v\f\x85\u2028\u2029" for ch in run):
            found.append("line break or tab")
        if not found:
            continue  # one thin or en space is typography, not a stray
        for kind in found:
            note(kind)
        keep = "\u3000" if all(ch == "\u3000" for ch in visible) else " "
        fixes.append((a, b, keep))
    return fixes, kinds


_HTML_TAGS = frozenset(
    "a abbr b bdi bdo big br cite code del dfn div em font h1 h2 h3 h4 h5 h6 hr i ins kbd "
    "mark nobr p q s samp small span strike strong sub sup time tt u var wbr".split()
)
_LINE_BREAKS = frozenset({"br", "hr", "wbr"})
_MARKUP = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
    r"|</?([A-Za-z][A-Za-z0-9]{0,15})(?:[ \t\n][^<>]{0,300})?/?>"
)


# A numeric reference with thousands of digits makes html.unescape raise (int conversion limit).
_HUGE_NUMERIC_REF = re.compile(r"&#[xX]?[0-9A-Fa-f]{16,}+;?")


def unescape(text: str) -> str:
    """html.unescape that leaves absurdly long numeric references as they are."""
    try:
        return html.unescape(text)
    except ValueError:
        pieces = _HUGE_NUMERIC_REF.split(text)
        kept = _HUGE_NUMERIC_REF.findall(text)
        out = [html.unescape(pieces[0])]
        for ref, piece in zip(kept, pieces[1:], strict=True):
            out.append(ref)
            out.append(html.unescape(piece))
        return "".join(out)


def markup_fixes(title: str) -> list[tuple[int, int, str]]:
    """Entities to unescape and tags to strip. A start tag counts only with its end tag in
    the title (or as a line break): "How the <time> element works" names an element, while
    leftover formatting comes in pairs (`<b>Breaking</b>`) or as a stray end tag."""
    matches = list(_MARKUP.finditer(title))
    closed = {m.group(1).lower() for m in matches if m.group(1) and m.group().startswith("</")}
    fixes = []
    for m in matches:
        token = m.group()
        if token.startswith("&"):
            if not token.startswith("&#") and token[1:] not in _HTML5_ENTITIES:
                continue
            text = unescape(token)
            if text == "\ufffd" and token.lower() not in ("&#xfffd;", "&#65533;"):
                text = ""  # &#0;, &#xD800;, &#x110000;: a reference to no character stands for nothing
            fixes.append((m.start(), m.end(), text))
            continue
        name = m.group(1).lower()
        if name not in _HTML_TAGS:
            continue
        if name in _LINE_BREAKS:
            if _spaced(title, m.start(), m.end()):
                continue  # "Stop using <br> tags" names the element; a break sits in the text
            fixes.append((m.start(), m.end(), "" if name == "wbr" else " "))
        elif name in closed and (not token.startswith("</") or name in _FORMATTING or _paired(matches, m)):
            # leftover formatting: an end tag of inline formatting, or any tag with its pair
            # ("Why </div> breaks layouts" names an element)
            fixes.append((m.start(), m.end(), ""))
    return fixes


_FORMATTING = frozenset("a abbr b big cite code del dfn em font i ins kbd mark nobr q s samp small span strike "
                        "strong sub sup time tt u var".split())


def _spaced(title: str, start: int, end: int) -> bool:
    """Is the tag a word of its own, with spaces (or the title's ends) on both sides?"""
    return (start == 0 or title[start - 1] == " ") and (end == len(title) or title[end] == " ")


def _paired(matches: list[re.Match[str]], end_tag: re.Match[str]) -> bool:
    """Does a start tag of the end tag's element come before it?"""
    name = end_tag.group(1).lower()
    return any(m.start() < end_tag.start() and m.group(1) and not m.group().startswith("</")
               and m.group(1).lower() == name for m in matches)
