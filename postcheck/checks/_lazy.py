"""PC305's knowledge of lazy-loaded images: where the real URL hides, what a placeholder
``src`` looks like, and the fix that puts the real URL back into ``src``."""

from __future__ import annotations

import re

from ..model import Edit, Fix
from ..parse import ParsedPost
from ._edits import attributes_of
from ._signatures import url_parts
from ._units import Element

__all__ = ["LAZY_KEYS", "SRCSET_KEYS", "first_candidate", "lazy_fix", "looks_like_url", "placeholder"]

# Attributes where lazy-loading scripts keep an image's real URL.
LAZY_KEYS = ("data-src", "data-original", "data-lazy-src", "data-lazy", "data-echo", "data-url", "data-lazyload",
             "data-original-src", "data-actualsrc",  # (Zhihu's, beside a data: SVG as src)
             "data-srcset", "data-lazy-srcset")  # (lazysizes, WP Rocket: a srcset's candidates; the first is taken)
SRCSET_KEYS = frozenset({"data-srcset", "data-lazy-srcset"})
# A placeholder's file name is made of these words only (and numbers: sizes, versions):
# `blank.gif`, `spacer-1x1.png`, `lazy_placeholder.svg`, `grey.gif`. One of the strong
# ones must be there; a real photo may well be called `google-pixel-8a-front.jpg` or
# `empty-shelves-helsinki.jpg`, so a word alone is no evidence.
_PLACEHOLDER_STRONG = frozenset({"blank", "spacer", "placeholder", "lazy", "lazyload", "loading", "loader",
                                 "transparent", "pixel", "grey", "gray", "empty", "dummy", "trans", "clear"})
_PLACEHOLDER_WORDS = _PLACEHOLDER_STRONG | {"x", "px", "img", "image", "default", "bg", "load", "white", "icon",
                                            "gif", "png", "svg", "jpg", "webp", "small", "min"}
_NAME_WORD = re.compile(r"[a-z]+|[0-9]+")
_ONE_BY_ONE_NAME = re.compile(r"(?<![0-9])1x1(?![0-9])")



def looks_like_url(value: str | None) -> bool:
    if not value:
        return False
    v = value.strip().lower()
    return v.startswith(("http://", "https://", "//", "/")) or (
        "." in v and not v.startswith(("data:", "javascript:", "{"))
    )


def placeholder(src: str, real: str) -> bool:
    value = src.strip()
    if not value or value.lower().startswith("data:") or value == "#" or value.lower() == "about:blank":
        return True
    if value == real.strip():
        return False
    name = url_parts(value)[3].rsplit("/", 1)[-1]
    words = [w for w in _NAME_WORD.findall(name) if not w.isdigit()]
    real_words = [w for w in _NAME_WORD.findall(url_parts(real)[3].rsplit("/", 1)[-1]) if not w.isdigit()]
    if words and real_words and (words[0] == real_words[0] or set(words) <= set(real_words)):
        return False  # another rendition of the same picture (pixel-8.jpg for pixel-8-2400w.jpg)
    # (a file named for a 1x1 size, 1x1.gif, is the classic transparent placeholder)
    return bool(words) and all(w in _PLACEHOLDER_WORDS for w in words) and (
        not _PLACEHOLDER_STRONG.isdisjoint(words) or _ONE_BY_ONE_NAME.search(name) is not None)


def first_candidate(srcset: str) -> str:
    """The URL of a srcset's first candidate, read as HTML reads it: a run of non-spaces
    less its trailing commas ("a.jpg 640w, b.jpg 1280w" gives "a.jpg"; a URL may hold
    commas: "…/w_300,h_200/a.jpg 300w")."""
    text = srcset.lstrip(" \t\n\r\f,")
    return text.split(None, 1)[0].rstrip(",") if text else ""


def lazy_fix(post: ParsedPost, item: Element, key: str) -> Fix | None:
    spans = {s.name: s for s in attributes_of(post, item)}
    real = spans.get(key)
    if real is None or not real.value.strip():
        return None
    url = first_candidate(real.value) if key in SRCSET_KEYS else real.value
    quote = real.quote or '"'
    if quote not in ('"', "'") or quote in url:
        quote = '"' if '"' not in url else "'"
        if quote in url:
            return None
    src = spans.get("src")
    if src is not None:
        if src.value_end > src.value_start or src.quote:
            edit = Edit(start=src.value_start, end=src.value_end, replacement=url) if src.quote else \
                Edit(start=src.value_start, end=src.value_end, replacement=f"{quote}{url}{quote}")
        else:  # a bare `src` with no value
            edit = Edit(start=src.start, end=src.end, replacement=f"src={quote}{url}{quote}")
        if src.quote and src.quote in url:
            return None
    else:
        tag = post.html.tag_of(item.el)
        if tag is None:
            return None
        at = tag.start + 1 + len(item.tag)
        edit = Edit(start=at, end=at, replacement=f" src={quote}{url}{quote}")
    return Fix(applicability="safe", description=f"set src from {key}", edits=(edit,))
