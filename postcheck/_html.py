"""Exact source spans for the elements of an lxml HTML tree.

libxml2 records only the line of each element. The body of a scraped post is often
one long line, so findings and fixes need more: this module tokenizes the raw HTML
once (following the HTML5 tokenizer closely enough to agree with libxml2 2.14, which
tokenizes the same way), pairs start and end tags with an open-element stack the way
libxml2's own tree builder does (not HTML5's: self-closing tags close, end tags have
priorities, implied ends are asked of libxml2), and maps each lxml element to its
start tag by (tag name, line, order). Everything is built on first use, once per
post, and shared by all rules. Where the two could still disagree, removals check
their span against the tree (``checks/_edits.py``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from operator import itemgetter
from typing import NamedTuple

from lxml import etree

__all__ = ["HtmlIndex", "Tag", "VOID_ELEMENTS"]

# Elements libxml2 2.14 never gives content. HTML5's embed, source, track, wbr, bgsound and
# keygen are not among them: libxml2 puts what follows inside them
# (`<picture><source><img></picture>` holds the img in the source).
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "hr", "img", "input", "link", "meta", "param", "basefont", "frame"}
)
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"})
_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTRS = re.compile(
    r"""(?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"""
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]*+))?)*+"""
)
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r />=]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"?|'([^']*)'?|([^\t\n\f\r >]*)))?"""
)
# "<" opening a comment (1), a bogus comment (2: "<!", "<?", or "</" without a name),
# an end tag (3) or a start tag (4); names as in _NAME, then the attributes (_ATTRS,
# possessive: it stops only at ">" or the end of the text, never backtracks).
_TOKEN = re.compile(
    r"<(?:(!--)|([!?])|/(?:([A-Za-z][^\t\n\f\r />]*)" + _ATTRS.pattern + r")?|([A-Za-z][^\t\n\f\r />]*)"
    + _ATTRS.pattern + ")"
)
# libxml2's end-tag priorities (HTMLparser.c, htmlEndPriority): an end tag closes the open
# elements above its own only when none of them has a higher priority; else it is ignored
# (`<li><div></li>` leaves the div open).
_END_PRIORITY = {"div": 150, "td": 160, "th": 160, "tr": 170, "thead": 180, "tbody": 180, "tfoot": 180,
                 "table": 190, "head": 200, "body": 200, "html": 220}
_PLAIN_NAME = re.compile(r"[a-z][a-z0-9]*")
_COMMENT_END = re.compile(r"--!?>")
_RAW_END: dict[str, re.Pattern[str]] = {
    name: re.compile(r"</" + name + r"[\t\n\f\r />]", re.IGNORECASE | re.ASCII) for name in _RAW_TEXT
}


# Inside <script>, libxml2 2.14 follows HTML5's escaped states: after "<!--" a "<script"
# start enters the double-escaped state, where "</script" does not end the element until
# "-->" or a "</script" leaves it again (document.write("<script …></script>") in a comment).
_SCRIPT_TOKEN = re.compile(r"<!--|-->|</?script[\t\n\f\r />]", re.IGNORECASE | re.ASCII)


def _script_end(text: str, pos: int) -> re.Match[str] | None:
    """The ``</script`` (and the character after its name) that ends a script's text."""
    state = 0  # 0: script data, 1: escaped (in "<!--"), 2: double escaped
    for m in _SCRIPT_TOKEN.finditer(text, pos):
        token = m.group()
        if token == "<!--":
            if text.startswith((">", "->"), m.end()):
                state = 0  # its dashes and the ">" after them make a "-->" ("<!-->", "<!--->")
            elif state == 0:
                state = 1
        elif token == "-->":
            state = 0
        elif token[1] == "/":
            if state < 2:
                return m
            state = 1
        elif state == 1:
            state = 2
    return None


def _closes_itself(text: str, name_end: int, attrs_end: int) -> bool:
    """Does the "/" before ``attrs_end`` make the start tag self-closing? Not when it ends an
    unquoted attribute value (`<a href=x/>` links to "x/", as in libxml2)."""
    last = None
    for match in _ATTRIBUTE.finditer(text, name_end, attrs_end):
        last = match
    return last is None or last.end() != attrs_end or not last.group(4)


_PROBE_NAME = re.compile(r"[a-z][a-z0-9]*(?:[:-][a-z0-9]+)*")
_IMPLIED_ENDS: dict[tuple[str, str], bool] = {}
_DOCUMENT = frozenset({"html", "head", "body"})  # libxml2 implies these; a start tag of one adds nothing


def _implies_end(current: str, new: str) -> bool:
    """Does libxml2 end an open ``current`` element when a ``new`` start tag comes? Its
    tree builder decides this from the pair alone (a table of HTML 4 rules that HTML5
    tokenization left in place), so one parse of ``<current><new>`` per pair tells, and
    the answer is kept."""
    key = (current, new)
    found = _IMPLIED_ENDS.get(key)
    if found is None:
        found = False
        if _PROBE_NAME.fullmatch(current) and _PROBE_NAME.fullmatch(new) and \
                current not in _DOCUMENT and new not in _DOCUMENT:
            # a parser per probe (probes are rare): lxml parsers must not be shared across threads
            parser = etree.HTMLParser(encoding="utf-8", no_network=True, recover=True)
            root = etree.fromstring(f"<{current}><{new}>".encode(), parser)
            if root is not None:
                outer = next(root.iter(current), None)
                inner = next((el for el in root.iter(new) if el is not outer), None)
                # ended: the new element exists, and outside the current one
                found = outer is not None and inner is not None and outer not in inner.iterancestors()
        if len(_IMPLIED_ENDS) < 65536:
            _IMPLIED_ENDS[key] = found
    return found


class Tag(NamedTuple):
    """A start tag in the source: its name and [start, end) offsets."""

    name: str
    start: int
    end: int
    self_closing: bool


_START = itemgetter(1)  # Tag.start


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
        self._by_name: dict[str, list[int]] | None = None
        self._mapped: set[str] = set()
        self._odd_case = False
        self._tokenize()

    # -- tokenizing ------------------------------------------------------------------

    def _tokenize(self) -> None:
        # One regex call per token finds the next "<" that opens one and, for tags, reads
        # the name and the attributes; the Python loop only pairs start and end tags.
        text = self.text
        n = len(text)
        pos = self.start
        tags = self.tags
        ends = self.ends
        stack: list[int] = []  # indices into tags of open elements
        names: list[str] = []  # their names, kept in step with ``stack``
        find = text.find
        search = _TOKEN.search
        new_tag = tuple.__new__
        closes = _implies_end
        implied = _IMPLIED_ENDS
        while True:
            m = search(text, pos)
            if m is None:
                break
            kind = m.lastindex
            if kind == 4:  # a start tag
                lt, attrs_end = m.span()
                if attrs_end >= n:  # a tag cut off by the end of the file is dropped
                    break
                end = attrs_end + 1
                name = m.group(4).lower()
                self_closing = text[attrs_end - 1] == "/" and _closes_itself(text, m.end(4), attrs_end)
                # libxml2 ends the current element while the new start tag implies its end
                # (a <p> at a <div>, an <li> at the next <li>): asked of libxml2 itself
                while names:
                    ended = implied.get((names[-1], name))
                    if ended is None:
                        ended = closes(names[-1], name)
                    if not ended:
                        break
                    ends[stack.pop()] = lt
                    names.pop()
                index = len(tags)
                tags.append(new_tag(Tag, (name, lt, end, self_closing)))
                ends.append(end)
                pos = end
                if name in VOID_ELEMENTS or self_closing or name in _DOCUMENT:
                    # libxml2 2.14 closes any element whose start tag ends in "/>" (HTML5
                    # would ignore the slash): `<iframe src="…"/>` holds no raw text and
                    # `<div/>` nothing at all. It makes no element of an <html>, <head> or
                    # <body> start tag in a body: it has them already.
                    continue
                if name in _RAW_TEXT:
                    raw_end = _script_end(text, end) if name == "script" else _RAW_END[name].search(text, end)
                    if raw_end is None:
                        ends[index] = n
                        break
                    close = find(">", raw_end.end() - 1)
                    pos = ends[index] = n if close < 0 else close + 1
                    continue
                if name == "plaintext":
                    ends[index] = n
                    break
                stack.append(index)
                names.append(name)
                continue
            if kind == 3:  # an end tag
                attrs_end = m.end()
                end = n if attrs_end >= n else attrs_end + 1
                name = m.group(3).lower()
                if name in ("body", "html"):
                    # libxml2 closes every open element there (and drops what follows
                    # "</html>"; what follows "</body>" goes after the body)
                    lt = m.start()
                    for open_index in stack:
                        ends[open_index] = lt
                    stack.clear()
                    names.clear()
                elif names and names[-1] == name:
                    ends[stack.pop()] = end
                    names.pop()
                elif name in names:
                    depth = len(names) - 1
                    priority = _END_PRIORITY.get(name, 100)
                    while names[depth] != name:
                        if _END_PRIORITY.get(names[depth], 100) > priority:
                            break  # libxml2: a misplaced end tag cannot close a stronger element
                        depth -= 1
                    if names[depth] != name:
                        pos = end
                        continue
                    lt = m.start()
                    for open_index in stack[depth + 1 :]:
                        ends[open_index] = lt
                    ends[stack[depth]] = end
                    del stack[depth:]
                    del names[depth:]
                pos = end
                continue
            lt = m.start()
            if kind == 1:  # a comment
                if text.startswith("<!-->", lt):
                    pos = lt + 5
                elif text.startswith("<!--->", lt):
                    pos = lt + 6
                else:
                    # "--!>" ends a comment too (HTML5's comment end bang state; libxml2 2.14)
                    close_match = _COMMENT_END.search(text, lt + 4)
                    pos = n if close_match is None else close_match.end()
            else:  # <!doctype …>, <?…>, or "</" not followed by a name: a bogus comment
                close = find(">", lt + 2)
                pos = n if close < 0 else close + 1
        tail = len(text.rstrip())
        for open_index in stack:
            ends[open_index] = max(tags[open_index].end, tail)

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
        """The mapping of every element (all names)."""
        for name in self._queues():
            self._map_name(name)
        if self._by_element is None:
            self._by_element = {}
        assert self._by_element is not None
        return self._by_element

    def _queues(self) -> dict[str, list[int]]:
        if self._by_name is None:
            queues: dict[str, list[int]] = {}
            for i, tag in enumerate(self.tags):
                queue = queues.get(tag.name)
                if queue is None:
                    queues[tag.name] = [i]
                else:
                    queue.append(i)
            self._by_name = queues
        return self._by_name

    def _elements_named(self, name: str) -> list[etree._Element]:
        """The lxml elements whose lower-cased tag is ``name``, in document order."""
        assert self.root is not None
        if _PLAIN_NAME.fullmatch(name) and not self._odd_case:
            # libxml2 lower-cases ASCII element names, so an exact match is the same
            # set, found without creating a Python proxy for every element
            return list(self.root.iter(name))
        return [el for el in self.root.iter() if isinstance(el.tag, str) and el.tag.lower() == name]

    def _map_name(self, name: str) -> None:
        """Map the elements of one name to its start tags (names are independent)."""
        if self._by_element is None:
            self._by_element = {}
            self._mapped = set()
            self._odd_case = "\u212a" in self.text  # KELVIN SIGN lower-cases to "k"
        if name in self._mapped:
            return
        self._mapped.add(name)
        mapping = self._by_element
        queue = self._queues().get(name)
        if not queue or self.root is None:
            return
        tags = self.tags
        if self._newlines is None:
            self._line(self.start)
        newlines = self._newlines
        assert newlines is not None
        head = 0
        size = len(queue)
        # lines as in _line(): 1 + bisect_right(newlines, offset - 1), compared 0-based here
        for el in self._elements_named(name):
            line: int = (el.sourceline or 0) - 1  # type: ignore[operator]  # lxml-stubs: int | None
            while head < size:
                tag = tags[queue[head]]
                if bisect_right(newlines, tag.end - 2) < line:
                    head += 1  # a start tag libxml2 dropped (or merged)
                    continue
                if bisect_right(newlines, tag.start - 1) > line:
                    break  # an element libxml2 implied; no start tag of its own
                mapping[el] = queue[head]
                head += 1
                break
            if head >= size:
                break

    def _index_of(self, element: etree._Element) -> int | None:
        name = element.tag
        if not isinstance(name, str):
            return None
        name = name.lower()
        if self._by_element is None or name not in self._mapped:
            self._map_name(name)
        assert self._by_element is not None
        return self._by_element.get(element)

    def tag_of(self, element: etree._Element) -> Tag | None:
        index = self._index_of(element)
        return None if index is None else self.tags[index]

    def start_tag_span(self, element: etree._Element) -> tuple[int, int]:
        tag = self.tag_of(element)
        if tag is None:
            return self._fallback(element)
        return tag.start, tag.end

    def element_span(self, element: etree._Element) -> tuple[int, int]:
        index = self._index_of(element)
        if index is None:
            return self._fallback(element)
        tags = self.tags
        start = tags[index].start
        end = self.ends[index]
        # Start tags are in source order: when none starts inside the span, the following
        # element's cannot either, and the walk (mapping its name) is not needed.
        if index + 1 >= len(tags) or tags[index + 1].start >= end:
            return start, end
        following = self._following_start(element)
        if following is not None and start < following < end:
            end = following
        return start, end

    def end_unchecked(self, element: etree._Element, end: int) -> bool:
        """Do elements follow this one (whose span ends at ``end``) in the tree while no
        start tag follows the span in the source? Then nothing bounds its span: the
        source and the parser disagree (the source reads raw text or a comment where
        the parser saw markup)."""
        if bisect_left(self.tags, end, key=_START) < len(self.tags) or self._following_start(element) is not None:
            return False
        node: etree._Element | None = element
        while node is not None:
            sibling = node.getnext()
            while sibling is not None:
                if isinstance(sibling.tag, str):
                    return True
                sibling = sibling.getnext()
            node = node.getparent()
        return False

    def _following_start(self, element: etree._Element) -> int | None:
        """Start offset of the first element after this one that is not inside it."""
        node: etree._Element | None = element
        while node is not None:
            sibling = node.getnext()
            while sibling is not None:
                if isinstance(sibling.tag, str):
                    index = self._index_of(sibling)
                    if index is not None:
                        return self.tags[index].start
                    for inner in sibling.iter():
                        index = self._index_of(inner)
                        if index is not None:
                            return self.tags[index].start
                sibling = sibling.getnext()
            node = node.getparent()
        return None

    def _fallback(self, element: etree._Element) -> tuple[int, int]:
        """No start tag of its own (implied by the parser): the start of its line."""
        line = max(int(getattr(element, "sourceline", None) or 1) - 1, 0)
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
        found: dict[str, str] = {}
        # findall gives "" for the value alternatives that did not take part: at most one
        # of them did, so the first non-empty one is the value
        for key, double, single, bare in _ATTRIBUTE.findall(self.text, tag.start + 1 + len(tag.name), tag.end - 1):
            key = key.lower()
            if key not in found:
                found[key] = double or single or bare
        return found

    def count_between(self, start: int, end: int) -> int:
        """How many start tags start in [start, end)."""
        return bisect_left(self.tags, end, key=_START) - bisect_left(self.tags, start, key=_START)

    def tags_between(self, start: int, end: int) -> list[Tag]:
        """Start tags whose start lies in [start, end)."""
        tags = self.tags
        # bisect on the tags themselves: a list of all start offsets would cost a pass over
        # every tag of the post for the one or two spans a post asks about
        index = bisect_left(tags, start, key=_START)
        result = []
        while index < len(tags) and tags[index].start < end:  # no slice: a copy per call is quadratic
            result.append(tags[index])
            index += 1
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
