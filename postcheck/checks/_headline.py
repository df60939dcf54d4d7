"""PC405's reading of a post's headline: the body's first heading, and the title and
headline as a reader sees them (entities, whitespace, quotes and composition aside)."""

from __future__ import annotations

import re
import unicodedata

from lxml import etree

from ..parse import ParsedPost
from ._title import ZERO_WIDTH
from ._titletext import unescape

__all__ = ["DROP_ZERO_WIDTH", "MD_ESCAPE", "QUOTES", "first_heading", "heading_text", "kicker_then", "normalize_ws",
           "shown", "strip_ellipsis"]

# Zero-width characters, and soft hyphens (hyphenation hints a heading carries and
# og:title does not), read as nothing.
DROP_ZERO_WIDTH = {ord(ch): None for ch in (*ZERO_WIDTH, "\xad")}


def normalize_ws(text: str) -> str:
    """Zero-width characters removed, every whitespace run one space, ends trimmed."""
    return " ".join(text.translate(DROP_ZERO_WIDTH).split())


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIPPED = frozenset({"script", "style", "noscript", "template", "head", "title"})
MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ELLIPSIS = ("...", "…", "..")


def first_heading(post: ParsedPost, limit: int = 400) -> etree._Element | None:
    """The body's first heading, when no text comes before it."""
    root = post.tree
    if root is None:
        return None
    seen = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        seen += 1
        if seen > limit:
            return None
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _HEADINGS:
                return el
            if tag and tag not in _SKIPPED and el.text and el.text.strip():
                return None
        elif el is not root and el.tail and el.tail.strip():
            return None
    return None


# Curly and straight quotes compare equal: a CMS's "smart quotes" turn the one into the other.
# (and German low quotes „…“ ‚…‘ against straight ones: the same title typeset otherwise)
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"',
                         "\u201e": '"'})


def shown(text: str) -> str:
    """As a reader sees it: entities resolved, whitespace normalized, and composed (NFC: a
    letter and its accent typed as one character or two look the same)."""
    shown = normalize_ws(unescape(text))
    return shown if shown.isascii() else unicodedata.normalize("NFC", shown)


def heading_text(heading: etree._Element) -> str:
    """The heading's text, with a line break (``<br>``) read as the space it shows as."""
    pieces = [heading.text or ""]
    for node in heading.iterdescendants():
        if node.tag == "br":
            pieces.append(" ")
        elif isinstance(node.tag, str):
            pieces.append(node.text or "")
        if node.tail:
            pieces.append(node.tail)
    return "".join(pieces)


def kicker_then(heading: etree._Element, title: str) -> bool:
    """Is the heading a kicker followed by the title, each in an element of its own
    (``<h1><span class="kicker">Verkehrswende</span> <span>Warum die Bahn …</span></h1>``)?"""
    children = [c for c in heading if isinstance(c.tag, str) and c.tag != "br"]
    return len(children) >= 2 and shown(heading_text(children[-1])).translate(QUOTES) == \
        shown(title).translate(QUOTES)


def strip_ellipsis(text: str) -> str:
    for e in _ELLIPSIS:
        if text.endswith(e):
            return text[: -len(e)].rstrip()
    return text
