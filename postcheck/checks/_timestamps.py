"""The publication time a post's body states itself (PC106): the scraper's leading
``<!--epoch-->`` comment, else the article's own ``<time datetime>``, but not the times
of quoted embeds, of events (in running text, after the text, or marked as an event's),
or of a page listing several stories."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from ..parse import ParsedPost, element_text
from ._calendar import epoch, time_instant
from ._wording import visible_chars

__all__ = ["embedded_time"]


def _in_quote(element: Any) -> bool:
    """Inside a quoted embed (tweets, Instagram posts quote their own times)."""
    return any(a.tag == "blockquote" for a in element.iterancestors())


_TIME_TAG = re.compile("<time", re.IGNORECASE | re.ASCII)


def _says_published(element: Any) -> bool | None:
    """Does the markup say what the time is? True for a publication time (``pubdate``,
    ``itemprop="datePublished"``, inside a ``<header>`` or ``<address>``, a byline's or an
    entry's date by its class or id), False for another time it names (``itemprop=
    "startDate"``: an event's), None when it says nothing."""
    if element.get("pubdate") is not None:
        return True
    itemprop = element.get("itemprop")
    if itemprop is not None:
        return not _PUBLICATION_PROPS.isdisjoint(itemprop.split())
    node = element
    while node is not None:
        if node.tag in ("header", "address"):
            return True
        hint = f"{node.get('class') or ''} {node.get('id') or ''}"
        if hint.strip() and any(_PUBLISHED_HINT.search(token) for token in hint.split()):
            return True
        node = node.getparent()
    return None


_PUBLICATION_PROPS = frozenset({"datePublished", "dateCreated"})
# a word of a class or id token of a byline or of the date a blog engine prints with each
# entry (whole words: WordPress puts "status-publish" on every post's <article>)
_PUBLISHED_HINT = re.compile(
    r"(?:^|(?<=[-_]))(?:byline|dateline|published|pubdate|posted-on|timestamp|publish[-_]?date|date[-_]?published"
    r"|(?:entry|post|article|story)[-_]*(?:date|meta|time))(?=$|[-_])",
    re.IGNORECASE)


def _in_running_text(element: Any, sentence_chars: dict[Any, int]) -> bool:
    """A `<time>` in a sentence of a plain paragraph marks an event ("kick-off at
    <time>18.30</time>", a correction's date), not the publication: a byline paragraph
    has a class or an id or only a few words. (``sentence_chars`` keeps each paragraph's
    count: a paragraph of many times is read once.)"""
    for ancestor in element.iterancestors():
        if ancestor.tag == "p":
            if ancestor.get("class") is not None or ancestor.get("id") is not None:
                return False
            # words around the time make a sentence; "Posted <time>" or a lone time do not
            around = sentence_chars.get(ancestor)
            if around is None:
                around = sentence_chars[ancestor] = len("".join(element_text(ancestor).split()))
            return around - len("".join(element_text(element).split())) >= _SENTENCE_CHARS
    return False


_SENTENCE_CHARS = 20
_TEXT_BLOCKS = frozenset({"p", "li", "dd", "td", "blockquote", "pre"})
_WALKED = ("time", *_TEXT_BLOCKS)  # (lxml filters the walk's events in C)
# Text blocks read for the article's first paragraph: a time after this many is no dateline.
_MAX_BLOCKS = 50
# Publication-time candidates past which a body is a listing of stories, not one story.
_MAX_TIMES = 20


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
    # One walk in document order. A time that says nothing of what it is stands for the
    # publication only where a dateline does, ahead of the article's text: once a
    # paragraph of text has ended, a time is as often an event's ("When: 13 June, 19:00").
    after_text = False
    blocks = 0
    sentence_chars: dict[Any, int] = {}
    for event, element in etree.iterwalk(root, events=("start", "end"), tag=_WALKED):
        tag = element.tag
        if event == "end":
            if not after_text and tag in _TEXT_BLOCKS:
                blocks += 1
                after_text = blocks > _MAX_BLOCKS or visible_chars(element, _SENTENCE_CHARS) >= _SENTENCE_CHARS
            continue
        if tag != "time":
            continue
        value = element.get("datetime")
        instant = time_instant(value) if value else None
        if instant is None or _in_quote(element):
            continue
        published = _says_published(element)
        if published is False or published is None and (after_text or _in_running_text(element, sentence_chars)):
            continue
        found.append((instant, element))
        if len(found) > _MAX_TIMES or abs(instant - found[0][0]) > tolerance:
            return None  # several times (related stories, updates): the post's own is unknown
    if not found:
        return None
    return found[0][0], post.start_tag_span(found[0][1]), "<time datetime>"
