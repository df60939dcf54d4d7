"""What CommonMark's block parser reads of one line, and where HTML blocks may be open.

The shortcuts :mod:`postcheck._markdown` takes before it parses: the block parser
decides a line from a few of its features (blank or not, indentation, its first
character, which HTML-block condition it meets, which block ends it holds), and an edit
that keeps them keeps the line's reading (:func:`line_key`). Which block ends matter
depends on the blocks that may be open before the line (:class:`BlockStarts`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Container, Sequence
from typing import NamedTuple

__all__ = ["CONTAINER", "HEAD", "HTML_BLOCK_ENDS", "HTML_BLOCK_OPENERS", "LINE_BREAK", "NEAR", "BlockStarts", "Edit",
           "Where", "apply", "ends_a_block", "equal_keys", "line_around", "line_end", "line_key", "lines_keep_keys",
           "same_line_key"]


LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as markdown-it normalizes them


# CommonMark's seven HTML-block start conditions, as markdown-it-py writes them (a test
# holds them equal to its own; importing markdown-it costs 50 ms a run, and most runs
# decide every edit from these alone).
_BLOCK_NAMES = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|"
    "dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|"
    "legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|"
    "tbody|td|tfoot|th|thead|title|tr|track|ul"
)


_OPEN_CLOSE_TAG = (
    r"""^(?:<[A-Za-z][A-Za-z0-9\-]*(?:\s+[a-zA-Z_:][a-zA-Z0-9:._-]*(?:\s*=\s*(?:[^"'=<>`\x00-\x20]+|'[^']*'|"[^"]*"))?)*"""
    r"""\s*\/?>|<\/[A-Za-z][A-Za-z0-9\-]*\s*>)"""
)


HTML_BLOCK_OPENERS = (
    re.compile(r"^<(?a:(script|pre|style|textarea))(?=(\s|>|$))", re.IGNORECASE),
    re.compile(r"^<!--"),
    re.compile(r"^<\?"),
    re.compile(r"^<![A-Za-z]"),
    re.compile(r"^<!\[CDATA\["),
    re.compile("^</?(?a:(" + _BLOCK_NAMES + "))(?=(\\s|/?>|$))", re.IGNORECASE),
    re.compile(_OPEN_CLOSE_TAG + "\\s*$"),
)


# Ends of HTML blocks 1-5 (`</script>`, `-->`, `?>`, `>`, `]]>`): a line holding one ends such a block.
HTML_BLOCK_ENDS = (
    re.compile(r"<\/(?a:(script|pre|style|textarea))>", re.IGNORECASE),
    re.compile(r"-->"),
    re.compile(r"\?>"),
    re.compile(r">"),
    re.compile(r"\]\]>"),
)


# A first character after which a line can only be paragraph text (or an HTML block's):
# no list, quote, heading, fence, rule, setext underline, table or link definition starts so.
_MARKERS = frozenset("<>*-_+#=~`|:[0123456789")


_NOT_A_LIST_ITEM = re.compile(r"[0-9]{1,9}(?![.)0-9])|[0-9]{10}")


LineKey = tuple[object, ...]


CONTAINER = 5  # in ``open_kinds``: a list item or a block quote may hold the line


_ALL_KINDS = frozenset(range(6))


def line_key(line: str, open_kinds: Container[int] = _ALL_KINDS) -> LineKey | None:
    """What CommonMark's block parser reads of one line (without its line break); two lines
    with equal keys are read alike wherever they stand, if no HTML block of a kind (0-4,
    for conditions 1-5) outside ``open_kinds`` can be open before them, and no list item or
    quote unless ``open_kinds`` holds ``CONTAINER``. None: a line whose reading depends on
    more (a list marker, a rule, a heading) — compare by parsing."""
    content = line.lstrip(" \t")
    if not content:
        return ("blank",)
    indent = 0
    for ch in line[: len(line) - len(content)]:
        indent = indent + 4 - indent % 4 if ch == "\t" else indent + 1
    if indent and CONTAINER not in open_kinds:
        indent = 0 if indent < 4 else 4  # outside list items, 0-3 columns read alike, and so do 4 or more
    first = content[0]
    opens = None
    if first == "<":
        opens = next((i for i, opener in enumerate(HTML_BLOCK_OPENERS) if opener.search(content)), None)
    elif first in _MARKERS and not (first.isdigit() and _NOT_A_LIST_ITEM.match(content)):
        return None
    # an end matters in a block of its kind: one this line starts, or one open before it
    # (looked for first: whether one may be open is asked only of ends the line holds)
    ends = tuple(bool(closer.search(content)) and (kind == opens or kind in open_kinds)
                 for kind, closer in enumerate(HTML_BLOCK_ENDS))
    return ("<" if first == "<" else "text", indent, opens, ends)


# What may stand before an HTML block's start on its line: container markers (`> `, `- `, `1. `).
_LEAD_CHARS = " \t>*+-0123456789.)"


_LEAD_LOOKBACK = 64  # past this, a line's lead is taken to be markers (to assume a block may start)


_OPENERS_ANYWHERE = tuple(re.compile(opener.pattern[1:], opener.flags) for opener in HTML_BLOCK_OPENERS[:5])


_CONTAINER = r"[ \t]*+(?:>|[-+*](?:[ \t\r\n]|\Z)|[0-9]{1,9}[.)](?:[ \t\r\n]|\Z))"  # a list item or a quote


_CONTAINER_AT = (re.compile(_CONTAINER), re.compile("\n" + _CONTAINER), re.compile("\r" + _CONTAINER))


class BlockStarts:
    """Where in a text a line could first start each HTML-block kind 0-4 (conditions 1-5),
    and a list item or a quote (``CONTAINER``): before that, none is open. Each is looked
    for only when an edit's lines differ in what it would change."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._first: dict[int, int] = {}
        self._lines: dict[int, _LineFacts | None] = {}
        # line start -> whether an indented line there may be in an indented code block
        self.code_lines: dict[int, bool] = {}
        # the first line of the text after its start offset that a list item or a quote
        # holds, as a parse of the text reads it (set by the one who parsed it)
        self.parsed_container_line: int | None = None

    def first(self, kind: int) -> int:
        found = self._first.get(kind)
        if found is None:
            found = self._find_container() if kind == CONTAINER else self._find_block(kind)
            self._first[kind] = found
        return found

    def _find_block(self, kind: int) -> int:
        # the opener's own text is rare and found fast; its line's lead is checked after
        text = self.text
        for m in _OPENERS_ANYWHERE[kind].finditer(text):
            at = m.start()
            floor = max(0, at - _LEAD_LOOKBACK)
            line_start = max(text.rfind("\n", floor, at), text.rfind("\r", floor, at)) + 1
            if not line_start and floor:
                line_start = floor  # a long lead: assume markers
            lead = text[line_start:at]
            if not line_start and lead.startswith("\ufeff"):
                lead = lead[1:]  # a byte-order mark is no part of the first line's Markdown
            if not lead.strip(_LEAD_CHARS):
                return line_start
        return len(text)

    def _find_container(self) -> int:
        text = self.text
        at_start, after_lf, after_cr = _CONTAINER_AT
        if at_start.match(text, 1 if text.startswith("\ufeff") else 0):  # (after a byte-order mark)
            return 0
        found = [m.start() + 1 for m in (after_lf.search(text), after_cr.search(text) if "\r" in text else None) if m]
        return min(found, default=len(text))

    def line_facts(self, head: int, tail: int) -> _LineFacts | None:
        """What an edit away from its start cannot change of the line [head, tail): None
        when the line is not plain (see :func:`line_key`)."""
        facts = self._lines.get(head, _UNKNOWN)
        if facts is _UNKNOWN:
            facts = self._lines[head] = _line_facts(self.text, head, tail)
        return facts  # type: ignore[return-value]

    def may_be_open(self, kind: int, offset: int) -> bool:
        """Could a block of ``kind`` be open at (or start on) the line at ``offset``?"""
        return self.first(kind) <= offset

    def open_kinds(self, offset: int) -> Container[int]:
        """The kinds that may be open at the line at ``offset`` (each looked for when asked)."""
        return _OpenAt(self, offset)


class _OpenAt:
    """``kind in open_kinds``, asked of a text's :class:`BlockStarts` at one line."""

    __slots__ = ("offset", "starts")

    def __init__(self, starts: BlockStarts, offset: int) -> None:
        self.starts = starts
        self.offset = offset

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, int) and self.starts.first(kind) <= self.offset


class _LineFacts(NamedTuple):
    content: int  # where the line's content starts (after its indentation)
    opener: int | None  # the HTML-block start condition 1-6 it meets (0-5), if any
    first_tag_end: int  # where its first tag ends, when the line starts with one; else -1
    first_after_tag: int  # the first non-space after that tag (the line's end when none)


_UNKNOWN = object()


def _line_facts(text: str, head: int, tail: int) -> _LineFacts | None:
    content = _CONTENT.match(text, head, tail).end()  # type: ignore[union-attr]  # (it matches "" at least)
    if content >= tail:
        return None
    first = text[content]
    if first != "<":
        if first in _MARKERS and not (first.isdigit() and _NOT_A_LIST_ITEM.match(text, content, tail)):
            return None
        return _LineFacts(content, None, -1, tail)
    prefix = text[content:min(tail, content + HEAD)]
    opener = next((i for i, start in enumerate(HTML_BLOCK_OPENERS[:6]) if start.search(prefix)), None)
    tag = _TAG.match(text, content, tail)
    if tag is None:
        return None  # no tag where a tag could be: not decided from the line's head
    after = _NON_SPACE.search(text, tag.end(), tail)
    return _LineFacts(content, opener, tag.end(), tail if after is None else after.start())


Edit = tuple[int, int, str]  # [start, end) of the text, and what replaces it


NEAR = 4096  # a line break looked for this far around an edit before the line index is asked


def line_around(text: str, start: int, a: int, b: int,
                 line_starts: Callable[[], list[int]] | None) -> tuple[int, int]:
    """[start, end) of the lines holding [a, b), without the last one's line break. Most
    lines are short: their breaks are found near the edit; a long line (a post's HTML on
    one line, with thousands of elements) asks the line index, so the search is not
    repeated across the line for each edit."""
    floor = max(start, a - NEAR)
    head = max(text.rfind("\n", floor, a), text.rfind("\r", floor, a)) + 1
    if not head:  # no line break in [floor, a)
        if floor <= start:
            head = start
        elif line_starts is not None:
            starts = line_starts()
            head = max(start, starts[bisect_right(starts, a) - 1])
        else:
            head = max(start, text.rfind("\n", start, a) + 1, text.rfind("\r", start, a) + 1)
    lf = text.find("\n", b, b + NEAR)
    cr = text.find("\r", b, lf if lf >= 0 else b + NEAR)
    if cr >= 0 or lf >= 0:
        return head, cr if cr >= 0 else lf
    if b + NEAR >= len(text):
        return head, len(text)
    if line_starts is not None:
        return head, line_end(text, line_starts(), b)
    far = LINE_BREAK.search(text, b)
    return head, len(text) if far is None else far.start()


def line_end(text: str, line_starts: list[int], offset: int) -> int:
    """Where the line holding ``offset`` ends (at its line break, or the end of the text)."""
    following = bisect_right(line_starts, offset)
    if following >= len(line_starts):
        return len(text)
    end = line_starts[following]
    return end - 2 if text.startswith("\r\n", end - 2) else end - 1


HEAD = 16  # covers what the HTML-block start conditions 1-6 read of a line, and the longest end ("</textarea>")


_CONTENT = re.compile(r"[ \t]*")


_NON_SPACE = re.compile(r"[^ \t\n\r\f\v]")


_TAG = re.compile(_OPEN_CLOSE_TAG[1:])


def same_line_key(text: str, head: int, tail: int, a: int, b: int, replacement: str,
                   where: Where) -> bool:
    """Does replacing [a, b) keep the :func:`line_key` of the line [head, tail) holding it?
    An edit away from the line's start changes only what is near it, and whether the line
    is one tag: the line is not copied, so a post's HTML written on one line, with
    thousands of elements, costs no more per element than a short line."""
    starts, offset = where
    facts = starts.line_facts(head, tail)
    if facts is None or a - facts.content < HEAD:  # (a line has one start: this is not repeated)
        return equal_keys(text[head:tail], text[head:a] + replacement + text[b:tail], where)
    if facts.first_tag_end >= 0:
        # HTML-block condition 7: the line is one tag and spaces (its first tag ends before the edit)
        if facts.first_tag_end > a:
            return equal_keys(text[head:tail], text[head:a] + replacement + text[b:tail], where)
        one_tag = facts.first_after_tag >= tail
        still_one_tag = facts.first_after_tag >= a and not replacement.strip() and \
            _NON_SPACE.search(text, b, tail) is None
        if one_tag != still_one_tag:
            return False
    # The ends of HTML blocks 1-5 the line holds: only those near the edit can come or go.
    old = text[max(head, a - HEAD):min(tail, b + HEAD)]
    new = text[max(head, a - HEAD):a] + replacement + text[b:min(tail, b + HEAD)]
    return all(bool(end.search(old)) == bool(end.search(new)) or not (kind == facts.opener or starts.may_be_open(
        kind, offset)) for kind, end in enumerate(HTML_BLOCK_ENDS))


def apply(text: str, edits: Sequence[Edit], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` with the edits (sorted, not overlapping, inside it) applied."""
    pieces = []
    pos = start
    for a, b, replacement in edits:
        pieces.append(text[pos:a])
        pieces.append(replacement)
        pos = b
    pieces.append(text[pos:end])
    return "".join(pieces)


def lines_keep_keys(text: str, edits: Sequence[Edit]) -> bool:
    """Do the edits leave every line they touch with its :func:`line_key`? (Then the lines
    are read as before, and no parse is needed.) False for an edit across a line break."""
    by_line: dict[tuple[int, int], list[Edit]] = {}
    index: list[list[int]] = []

    def line_starts() -> list[int]:
        if not index:
            index.append([0, *(m.end() for m in LINE_BREAK.finditer(text))])
        return index[0]

    block_starts = BlockStarts(text)
    for a, b, replacement in edits:
        if LINE_BREAK.search(text, a, b) or LINE_BREAK.search(replacement):
            return False
        by_line.setdefault(line_around(text, 0, a, b, line_starts), []).append((a, b, replacement))
    for (head, tail), mine in by_line.items():
        mine.sort()
        where = (block_starts, head)
        if len(mine) == 1:
            if not same_line_key(text, head, tail, *mine[0], where):
                return False
            continue
        if not equal_keys(text[head:tail], apply(text, mine, head, tail), where):
            return False
    return True


Where = tuple[BlockStarts, int]  # a text's block starts, and the offset of the line in question


def ends_a_block(lines: str, where: Where) -> bool:
    starts, offset = where
    return any(closer.search(lines) and starts.may_be_open(kind, offset) for kind, closer in enumerate(HTML_BLOCK_ENDS))


def equal_keys(old: str, new: str, where: Where) -> bool:
    """Are two versions of a line read alike where it stands?"""
    starts, offset = where
    open_kinds = starts.open_kinds(offset)
    key = line_key(old, open_kinds)
    return key is not None and key == line_key(new, open_kinds)
