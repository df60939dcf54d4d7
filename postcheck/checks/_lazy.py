"""PC305's knowledge of lazy-loaded images: where the real URL hides, what a placeholder
``src`` looks like, and the fix that puts the real URL back into ``src``."""

from __future__ import annotations

import re

from ..model import Edit, Fix
from ..parse import ParsedPost
from ._edits import attributes_of
from ._signatures import url_parts
from ._units import Element

__all__ = ["LAZY_KEYS", "lazy_fix", "looks_like_url", "placeholder"]

# Attributes where lazy-loading scripts keep an image's real URL.
LAZY_KEYS = ("data-src", "data-original", "data-lazy-src", "data-lazy", "data-echo", "data-url", "data-lazyload",
             "data-original-src", "data-actualsrc")  # (Zhihu's, beside a data: SVG as src)
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


def lazy_fix(post: ParsedPost, item: Element, key: str) -> Fix | None:
    spans = {s.name: s for s in attributes_of(post, item)}
    real = spans.get(key)
    if real is None or not real.value.strip():
        return None
    quote = real.quote or '"'
    if quote not in ('"', "'") or quote in real.value:
        quote = '"' if '"' not in real.value else "'"
        if quote in real.value:
            return None
    src = spans.get("src")
    if src is not None:
        if src.value_end > src.value_start or src.quote:
            edit = Edit(start=src.value_start, end=src.value_end, replacement=real.value) if src.quote else \
                Edit(start=src.value_start, end=src.value_end, replacement=f"{quote}{real.value}{quote}")
        else:  # a bare `src` with no value
            edit = Edit(start=src.start, end=src.end, replacement=f"src={quote}{real.value}{quote}")
        if src.quote and src.quote in real.value:
            return None
    else:
        tag = post.html.tag_of(item.el)
        if tag is None:
            return None
        at = tag.start + 1 + len(item.tag)
        edit = Edit(start=at, end=at, replacement=f" src={quote}{real.value}{quote}")
    return Fix(applicability="safe", description=f"set src from {key}", edits=(edit,))
