"""The publication time a post's body states itself (PC106): the scraper's leading
``<!--epoch-->`` comment, else the article's own ``<time datetime>``, but not the times
of quoted embeds, of events in running text, or of a page listing several stories."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ..parse import ParsedPost, element_text
from ._calendar import epoch, time_instant

__all__ = ["embedded_time"]


def _in_quote(element: Any) -> bool:
    """Inside a quoted embed (tweets, Instagram posts quote their own times)."""
    return any(a.tag == "blockquote" for a in element.iterancestors())


_TIME_TAG = re.compile("<time", re.IGNORECASE | re.ASCII)


def _in_running_text(element: Any) -> bool:
    """A `<time>` in a sentence of a plain paragraph marks an event ("kick-off at
    <time>18.30</time>", a correction's date), not the publication: a byline paragraph
    has a class or an id or only a few words, and a publication time says so itself
    (`pubdate`, `itemprop`)."""
    if element.get("pubdate") is not None or element.get("itemprop") is not None:
        return False
    for ancestor in element.iterancestors():
        if ancestor.tag == "p":
            if ancestor.get("class") is not None or ancestor.get("id") is not None:
                return False
            # words around the time make a sentence; "Posted <time>" or a lone time do not
            around = element_text(ancestor)
            own = element_text(element)
            return len("".join(around.split())) - len("".join(own.split())) >= _SENTENCE_CHARS
    return False


_SENTENCE_CHARS = 20


def embedded_time(post: ParsedPost, tolerance: timedelta) -> tuple[datetime, tuple[int, int], str] | None:
    """The body's own publish time: the leading comment, else one consistent `<time>`."""
    scaffold = post.scaffold
    if scaffold.timestamp is not None and scaffold.timestamp_span is not None:
        instant = epoch(scaffold.timestamp)
        if instant is None:
            return None
        return instant, scaffold.timestamp_span, "comment"
    # libxml2 makes a <time> element only from a "<time" start tag in the source.
    if _TIME_TAG.search(post.text, post.html_start) is None:
        return None
    root = post.tree
    if root is None:
        return None
    found: list[tuple[datetime, Any]] = []
    for element in root.iter("time"):
        value = element.get("datetime")
        if not value or _in_quote(element) or _in_running_text(element):
            continue
        instant = time_instant(value)
        if instant is not None:
            found.append((instant, element))
    if not found:
        return None
    first = found[0][0]
    # Several different times (related stories, updates) leave the post's own one unknown.
    if any(abs(other - first) > tolerance for other, _ in found[1:]):
        return None
    return first, post.start_tag_span(found[0][1]), "<time datetime>"
