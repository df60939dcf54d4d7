"""Exact source spans for the elements of an lxml HTML tree.

libxml2 records only the line of each element. The body of a scraped post is often
one long line, so findings and fixes need more: this module tokenizes the raw HTML
once (following the HTML5 tokenizer closely enough to agree with libxml2 2.14, which
tokenizes the same way), pairs start and end tags with an open-element stack, and
maps each lxml element to its start tag by (tag name, line, order). Everything is
built on first use, once per post, and shared by all rules.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from lxml import etree

__all__ = ["HtmlIndex", "Tag", "VOID_ELEMENTS"]

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen"}
)
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"})
_CLOSES_P = frozenset(
    {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
     "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p",
     "section", "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form", "table",
     "hr", "xmp"}
)
_SCOPE = frozenset({"table", "td", "th", "button", "object", "marquee", "applet", "caption", "template", "html"})

_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTRS = re.compile(
    r"""(?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"""
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]*+))?)*+"""
)
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r />=]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"?|'([^']*)'?|([^\t\n\f\r >]*)))?"""
)
_RAW_END: dict[str, re.Pattern[str]] = {
    name: re.compile(r"</" + name + r"[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT
}


class Tag(NamedTuple):
    """A start tag in the source: its name and [start, end) offsets."""

    name: str
    start: int
    end: int
    self_closing: bool


class HtmlIndex:
    """Start tags, end offsets and the lxml-element mapping of one post's HTML."""

    def __init__(self, text: str, start: int, root: etree._Element | None) -> None:
        self.text = text
        self.start = start
        self.root = root
        self.tags: list[Tag] = []
        self.ends: list[int] = []  # end offset of each start tag's element
        self._newlines: list[int] | None = None
        self._by_element: dict[etree._Element, int] | None = None
        self._tokenize()

    # -- tokenizing ------------------------------------------------------------------

    def _tokenize(self) -> None:
        text = self.text
        n = len(text)
        pos = self.start
        tags = self.tags
        ends = self.ends
        stack: list[int] = []  # indices into tags of open elements
        find = text.find
        while True:
            lt = find("<", pos)
            if lt < 0 or lt + 1 >= n:
                break
            nxt = text[lt + 1]
            if nxt == "!":
                if text.startswith("<!--", lt):
                    if text.startswith("<!-->", lt):
                        pos = lt + 5
                    elif text.startswith("<!--->", lt):
                        pos = lt + 6
                    else:
                        close = find("-->", lt + 4)
                        pos = n if close < 0 else close + 3
                else:
                    close = find(">", lt + 2)
                    pos = n if close < 0 else close + 1
                continue
            if nxt == "?":
                close = find(">", lt + 2)
                pos = n if close < 0 else close + 1
                continue
            if nxt == "/":
                m = _NAME.match(text, lt + 2)
                if m is None:
                    if text.startswith(">", lt + 2):
                        pos = lt + 3
                    else:
                        close = find(">", lt + 2)
                        pos = n if close < 0 else close + 1
                    continue
                attrs_end = _ATTRS.match(text, m.end()).end()
                end = n if attrs_end >= n else attrs_end + 1
                name = m.group(0).lower()
                for depth in range(len(stack) - 1, -1, -1):
                    if tags[stack[depth]].name == name:
                        for open_index in stack[depth + 1 :]:
                            ends[open_index] = lt
                        ends[stack[depth]] = end
                        del stack[depth:]
                        break
                pos = end
                continue
            m = _NAME.match(text, lt + 1)
            if m is None:
                pos = lt + 1
                continue
            attrs_end = _ATTRS.match(text, m.end()).end()
            if attrs_end >= n:  # a tag cut off by the end of the file is dropped
                break
            end = attrs_end + 1
            name = m.group(0).lower()
            self_closing = text[attrs_end - 1] == "/" and attrs_end - 1 >= m.end()
            if name in _CLOSES_P or name == "li":
                self._auto_close(stack, "p" if name != "li" else "li", lt)
                if name == "li":
                    self._auto_close(stack, "p", lt)
            index = len(tags)
            tags.append(Tag(name, lt, end, self_closing))
            ends.append(end)
            if name in VOID_ELEMENTS:
                pos = end
                continue
            if name in _RAW_TEXT:
                raw_end = _RAW_END[name].search(text, end)
                if raw_end is None:
                    ends[index] = n
                    pos = n
                    break
                close = find(">", raw_end.end() - 1)
                ends[index] = n if close < 0 else close + 1
                pos = ends[index]
                continue
            if name == "plaintext":
                ends[index] = n
                break
            stack.append(index)
            pos = end
        tail = len(text.rstrip())
        for open_index in stack:
            ends[open_index] = max(tags[open_index].end, tail)

    def _auto_close(self, stack: list[int], name: str, at: int) -> None:
        for depth in range(len(stack) - 1, -1, -1):
            open_name = self.tags[stack[depth]].name
            if open_name == name:
                for open_index in stack[depth:]:
                    self.ends[open_index] = at
                del stack[depth:]
                return
            if open_name in _SCOPE or (name == "li" and open_name in ("ul", "ol")):
                return

    # -- element mapping -------------------------------------------------------------

    def _line(self, offset: int) -> int:
        """libxml2's line of an offset: 1 + newlines since the start of the HTML."""
        if self._newlines is None:
            text = self.text
            positions: list[int] = []
            i = text.find("\n", self.start)
            while i >= 0:
                positions.append(i)
                i = text.find("\n", i + 1)
            self._newlines = positions
        return bisect_right(self._newlines, offset - 1) + 1

    def _map(self) -> dict[etree._Element, int]:
        if self._by_element is not None:
            return self._by_element
        mapping: dict[etree._Element, int] = {}
        if self.root is not None:
            queues: dict[str, list[int]] = {}
            for i, tag in enumerate(self.tags):
                queues.setdefault(tag.name, []).append(i)
            heads: dict[str, int] = {}
            for el in self.root.iter():
                name = el.tag
                if not isinstance(name, str):
                    continue
                queue = queues.get(name.lower())
                if not queue:
                    continue
                line = el.sourceline or 0
                head = heads.get(name.lower(), 0)
                while head < len(queue):
                    tag = self.tags[queue[head]]
                    first = self._line(tag.start)
                    last = self._line(tag.end - 1)
                    if last < line:
                        head += 1  # a start tag libxml2 dropped (or merged)
                        continue
                    if first > line:
                        break  # an element libxml2 implied; no start tag of its own
                    mapping[el] = queue[head]
                    head += 1
                    break
                heads[name.lower()] = head
        self._by_element = mapping
        return mapping

    def tag_of(self, element: etree._Element) -> Tag | None:
        index = self._map().get(element)
        return None if index is None else self.tags[index]

    def start_tag_span(self, element: etree._Element) -> tuple[int, int]:
        tag = self.tag_of(element)
        if tag is None:
            return self._fallback(element)
        return tag.start, tag.end

    def element_span(self, element: etree._Element) -> tuple[int, int]:
        index = self._map().get(element)
        if index is None:
            return self._fallback(element)
        start = self.tags[index].start
        end = self.ends[index]
        following = self._following_start(element)
        if following is not None and start < following < end:
            end = following
        return start, end

    def _following_start(self, element: etree._Element) -> int | None:
        """Start offset of the first element after this one that is not inside it."""
        node: etree._Element | None = element
        mapping = self._map()
        while node is not None:
            sibling = node.getnext()
            while sibling is not None:
                if isinstance(sibling.tag, str):
                    index = mapping.get(sibling)
                    if index is not None:
                        return self.tags[index].start
                    for inner in sibling.iter():
                        if inner in mapping:
                            return self.tags[mapping[inner]].start
                sibling = sibling.getnext()
            node = node.getparent()
        return None

    def _fallback(self, element: etree._Element) -> tuple[int, int]:
        """No start tag of its own (implied by the parser): the start of its line."""
        line = max((element.sourceline or 1) - 1, 0)
        if self._newlines is None:
            self._line(self.start)
        assert self._newlines is not None
        offset = self.start if line == 0 else self._newlines[min(line, len(self._newlines)) - 1] + 1
        return offset, offset

    def raw_start_tag(self, element: etree._Element) -> str:
        start, end = self.start_tag_span(element)
        return self.text[start:end]

    def raw_attributes(self, tag: Tag) -> dict[str, str]:
        """Attributes as written in the raw start tag (first occurrence wins)."""
        name_end = tag.start + 1 + len(tag.name)
        inner = self.text[name_end : tag.end - 1]
        found: dict[str, str] = {}
        for m in _ATTRIBUTE.finditer(inner):
            key = m.group(1).lower()
            if key not in found:
                found[key] = next((g for g in m.groups()[1:] if g is not None), "")
        return found

    def tags_between(self, start: int, end: int) -> list[Tag]:
        """Start tags whose start lies in [start, end)."""
        lo = bisect_right([t.start for t in self.tags], start - 1)
        result = []
        for tag in self.tags[lo:]:
            if tag.start >= end:
                break
            result.append(tag)
        return result


class AttributeSpan(NamedTuple):
    """One attribute of a raw start tag: lower-case name, [start, end) of the whole
    attribute (name through value), the raw value and its quote character."""

    name: str
    start: int
    end: int
    value: str
    value_start: int
    value_end: int
    quote: str


# Tag names a malformed start tag can begin with (`<divclass="ad"` reads as one name).
_KNOWN_NAMES = sorted(
    {"div", "span", "p", "a", "img", "section", "aside", "iframe", "script", "ins", "figure", "li",
     "ul", "table", "td", "tr", "form", "input", "center", "font", "article", "header", "footer",
     "nav", "b", "i", "strong", "em", "h1", "h2", "h3", "h4", "h5", "h6"},
    key=len,
    reverse=True,
)


def attribute_spans(text: str, tag: Tag, name_length: int | None = None) -> list[AttributeSpan]:
    """Attributes of a raw start tag with their exact offsets (first occurrence wins).

    ``name_length`` is the length of the tag name as written when it is shorter than
    ``tag.name`` (a malformed tag whose attributes were glued to its name).
    """
    name_end = tag.start + 1 + (len(tag.name) if name_length is None else name_length)
    inner_end = tag.end - 1
    result: list[AttributeSpan] = []
    seen: set[str] = set()
    for m in _ATTRIBUTE.finditer(text, name_end, inner_end):
        key = m.group(1).lower()
        if key in seen:
            continue
        seen.add(key)
        for group, quote in ((2, '"'), (3, "'"), (4, "")):
            if m.group(group) is not None:
                result.append(AttributeSpan(key, m.start(), m.end(), m.group(group), m.start(group),
                                            m.end(group), quote))
                break
        else:
            result.append(AttributeSpan(key, m.start(), m.end(), "", m.end(), m.end(), ""))
    return result


def repaired_name(name: str) -> str | None:
    """The real tag name of a start tag whose name swallowed an attribute, else None.

    ``divclass="m-block-ad`` (a missing space) -> ``div``. Only names holding ``=`` or
    a quote are considered malformed, and only a known tag name followed by a letter
    (the start of the swallowed attribute name) is accepted.
    """
    if "=" not in name and '"' not in name and "'" not in name:
        return None
    lowered = name.lower()
    for known in _KNOWN_NAMES:
        if lowered.startswith(known) and len(lowered) > len(known) and lowered[len(known)].isalpha():
            return known
    return None
