"""Does an edit change how CommonMark reads the lines it leaves?

A scraped body is Markdown holding raw HTML. Which lines are raw HTML and which are
Markdown is decided line by line: a line that starts with certain markup opens an HTML
block that runs to the next blank line (or to a `-->`, a `</script>`, ...), and inside
it `5*3*2` is text; in a paragraph it is emphasis. Removing a `<div class="ad">` that
opened such a block turns the lines after it into Markdown, and an indented line into
a code block. A removal is safe only when every line it leaves is read as before.

Most edits cannot change that: the block parser decides a line from a few of its
features (blank or not, indentation, its first character, which HTML-block condition
it meets, which block ends it holds), and an edit that keeps them keeps the line's
reading (:mod:`postcheck._mdlines`). Only other edits are checked by parsing the text
before and after with markdown-it-py's block parser and comparing the blocks line by line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ._body import block_parser
from ._mdlines import (
    CONTAINER,
    HEAD,
    HTML_BLOCK_OPENERS,
    LINE_BREAK,
    NEAR,
    BlockStarts,
    Edit,
    Where,
    apply,
    ends_a_block,
    equal_keys,
    line_around,
    line_key,
    lines_keep_keys,
    same_line_key,
)

__all__ = ["LineBlock", "blocks_kept", "edit_keeps_blocks", "line_blocks", "together"]

_CONTAINERS = frozenset({"blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open"})
_CLOSERS = frozenset({"blockquote_close", "bullet_list_close", "ordered_list_close", "list_item_close"})
_LEAVES = {"paragraph_open": "paragraph", "heading_open": "heading", "html_block": "html_block",
           "code_block": "code_block", "fence": "fence", "hr": "hr"}


class LineBlock(NamedTuple):
    """The blocks holding one line: its containers (list items, quotes) and its leaf."""

    containers: tuple[tuple[str, int], ...]  # (token type, token index), outermost first
    leaf: tuple[str, int] | None  # (leaf kind, token index); None for a line no leaf holds
    # In an HTML block, what is open after the line: nothing (its last line: "closed"), a
    # block that a blank line ends ("blank": conditions 6 and 7), or one of kind 0-4
    # (conditions 1-5) that its end marker ends
    after: str | int | None = None


def line_blocks(text: str) -> list[LineBlock]:
    """The blocks of each line of ``text``, as markdown-it-py's CommonMark block parser reads them."""
    lines = len(LINE_BREAK.findall(text)) + 1
    result = [LineBlock((), None)] * lines
    stack: list[tuple[str, int]] = []
    for index, token in enumerate(block_parser().parse(text)):
        kind = token.type
        if kind in _CONTAINERS:
            stack.append((kind, index))
            if token.map:
                containers = tuple(stack)
                for line in range(token.map[0], min(token.map[1], lines)):
                    if not result[line].leaf:
                        result[line] = LineBlock(containers, None)
        elif kind in _CLOSERS:
            if stack:
                stack.pop()
        elif kind in _LEAVES and token.map:
            first, end = token.map[0], min(token.map[1], lines)
            leaf = (_LEAVES[kind], index)
            if kind == "html_block":
                opener = _opener(token.content.lstrip(" \t"))
                expects: str | int | None = "blank" if opener is None or opener >= 5 else opener
                for line in range(first, end):
                    result[line] = LineBlock(tuple(stack), leaf, "closed" if line == end - 1 else expects)
            else:
                block = LineBlock(tuple(stack), leaf)
                for line in range(first, end):
                    result[line] = block
    return result


def _same(a: LineBlock, b: LineBlock, blank_next: bool, last: bool) -> bool:
    """Is a line read alike: in the same kinds of container and leaf, with the same open
    after it (so the lines after it are read alike too)? Before a blank line, a block a
    blank line would end is as good as closed; before only blank lines, any block is."""
    if a.after != b.after and not last and not (blank_next and {a.after, b.after} == {"blank", "closed"}):
        return False
    return [t for t, _ in a.containers] == [t for t, _ in b.containers] and \
        (a.leaf is None) == (b.leaf is None) and (a.leaf is None or a.leaf[0] == b.leaf[0])  # type: ignore[index]


def _opener(content: str) -> int | None:
    return next((i for i, opener in enumerate(HTML_BLOCK_OPENERS) if opener.search(content)), None)


def _together(a: LineBlock, b: LineBlock) -> tuple[int, bool]:
    """How two neighbouring lines relate: shared containers, and one leaf."""
    shared = 0
    for x, y in zip(a.containers, b.containers, strict=False):
        if x != y:
            break
        shared += 1
    if a.leaf is None or b.leaf is None:
        return shared, False
    return shared, a.leaf == b.leaf


def _joinable(first: LineBlock, last: LineBlock) -> bool:
    """May the two lines' text share one line? In one leaf, or both raw HTML."""
    return first.leaf is not None and last.leaf is not None and (
        first.leaf == last.leaf or first.leaf[0] == last.leaf[0] == "html_block")


def blocks_kept(text: str, edits: Sequence[Edit], before: list[LineBlock] | None = None,
                start: int = 0, *, removals: bool = False) -> bool:
    """Does every line the edits leave (of ``text[start:]``) stay in the same kind of
    block, with the same neighbours, as before? ``edits`` must not overlap. For
    ``removals`` (of markup), also: does a paragraph's text around each stay apart
    from Markdown's inline syntax (see :func:`_inline_risk`)?"""
    edits = sorted((a, b, replacement) for a, b, replacement in edits if a < b or replacement)
    for a, b, replacement in edits:
        if LINE_BREAK.search(replacement) or text.startswith("\r\n", a - 1) or text.startswith("\r\n", b - 1):
            return False  # a new line, or half of one: no line of the old text to compare it with
        if _exposes_a_marker(text, start, a, b, replacement):
            return False
    if before is None:
        before = line_blocks(text[start:])
    for a, b, replacement in edits:
        # an indented code block shows markup as text: an edit there changes what readers see
        first_edited = len(LINE_BREAK.findall(text, start, a))
        last_edited = first_edited + len(LINE_BREAK.findall(text, a, b))
        if any(block.leaf is not None and block.leaf[0] == "code_block"
               for block in before[first_edited:last_edited + 1]):
            return False
        # in a paragraph or a heading, what the edit joins is read as Markdown inline
        leaf = before[first_edited].leaf if removals and first_edited < len(before) else None
        if leaf is not None and leaf[0] in ("paragraph", "heading"):
            if _inline_risk(text, *line_around(text, start, a, b, None), a, b, replacement):
                return False
    after = line_blocks(apply(text, edits, start))
    # Every line break the edits leave is one of the old text's: the line it ends comes from
    # the old line it ended. A line an edit joined to a later one reads from both: it starts
    # as the first did (unless nothing of the first is left on it) and ends as the last.
    origin: list[tuple[int, int]] = []
    line = 0
    pos = start
    joined_from: int | None = None
    blank_so_far = True
    for a, b, replacement in (*edits, (len(text), len(text), "")):
        breaks = list(LINE_BREAK.finditer(text, pos, a))
        for _ in breaks:
            origin.append((line if joined_from is None else joined_from, line))
            joined_from = None
            line += 1
        before_edit = text[breaks[-1].end() if breaks else pos:a]
        blank_so_far = (blank_so_far or bool(breaks)) and not before_edit.strip(" \t") and not replacement.strip(" \t")
        removed = len(LINE_BREAK.findall(text, a, b))
        if removed and not blank_so_far and joined_from is None:
            joined_from = line
        line += removed
        pos = b
    origin.append((line if joined_from is None else joined_from, line))
    if len(origin) != len(after) or line != len(before) - 1:
        return False
    previous: LineBlock | None = None
    previous_old: LineBlock | None = None
    content_ends = len(after)
    while content_ends and after[content_ends - 1].leaf is None:
        content_ends -= 1
    for index, (new, (first_line, last_line)) in enumerate(zip(after, origin, strict=True)):
        first, old = before[first_line], before[last_line]
        blank_next = index + 1 >= len(after) or after[index + 1].leaf is None
        if not _same(new, old, blank_next, index + 1 >= content_ends):
            return False
        if first is not old and not (_same(new, first, True, True) and _joinable(first, old)):
            return False
        if previous is not None and previous_old is not None and \
                _together(previous, new) != _together(previous_old, first):
            return False
        previous, previous_old = new, old
    return True


# Characters that Markdown's inline syntax reads: a removal that puts one next to what
# follows it may make a link (`[text]` + `(url)`), emphasis, a code span or an escape.
_INLINE_SYNTAX = frozenset("[]()*_~`\\!")


def _inline_risk(text: str, head: int, tail: int, a: int, b: int, replacement: str) -> bool:
    """Could the edit change what Markdown's inline syntax reads, were its line in a
    paragraph? What it joins: a syntax character on either side; two spaces or a
    backslash left at the line's end (a hard line break); or a code span around it
    (its markup is shown as text), which may run across the paragraph's lines."""
    left = text[a - 1] if a > head else ""
    right = (replacement or text[b:b + 1])[:1]
    if left in _INLINE_SYNTAX and left or right in _INLINE_SYNTAX and right:
        return True
    if _NON_SPACE_ON_LINE.search(text, b, tail) is None and not replacement.strip() and (
            text[max(head, a - 2):a] == "  " or left == "\\"):
        return True
    if a == head and head > 0:
        # the line before ends in a hard line break, which needs a line after it in the paragraph
        previous_end = head - 2 if text.startswith("\r\n", head - 2) else head - 1
        if text[max(0, previous_end - 2):previous_end].endswith(("  ", "\\")):
            return True
    # (a code span may run across the paragraph's lines)
    return text.rfind("`", max(0, a - NEAR), a) >= 0 and text.find("`", b, b + NEAR) >= 0


_NON_SPACE_ON_LINE = re.compile(r"[^ \t\r\n]")


def _exposes_a_marker(text: str, start: int, a: int, b: int, replacement: str) -> bool:
    """Would the edit start its line with text that Markdown may read as syntax (`> `,
    `- `, `# `, `1. `)? A removal at a line's start leaves what followed it there: a
    character that was text (`<img …>> quote`) becomes a block quote's marker, while the
    line stays in the same kinds of block."""
    line_start, _ = line_around(text, start, a, b, None)
    if text[line_start:a].strip(" \t"):
        return False  # text before the edit on its line: the line's start stays
    following = (replacement + text[b:b + HEAD]).lstrip(" \t")
    if not following or following[0] in "\r\n<":
        return False
    return line_key(following) is None


def edit_keeps_blocks(text: str, a: int, b: int, replacement: str, start: int,
                      before: Callable[[], list[LineBlock] | None] | None = None,
                      line_starts: Callable[[], list[int]] | None = None,
                      block_starts: BlockStarts | None = None) -> bool:
    """:func:`blocks_kept` for one removal of markup (with what it joins in a paragraph),
    without parsing when the lines' keys tell.
    ``before`` gives ``line_blocks(text[start:])`` when it is needed (it may be cached),
    or None when no more parsing is allowed: the answer is then False. ``line_starts``
    (the offset of each line of ``text``) saves looking for the edit's line, and
    ``block_starts`` (of ``text``) looks for HTML blocks once a text."""
    head, tail = line_around(text, start, a, b, line_starts)
    parsed: list[LineBlock] | None = None  # the parse of the text before the edit, once asked for
    where = (block_starts if block_starts is not None else BlockStarts(text), head)
    if _maybe_code(text, start, head, a, b, where):
        pass  # a line indented as code may be an indented code block, which shows markup as text: parse
    elif b > head and text[b - 1] in "\r\n" and b <= tail:
        # the removal ends with a line break: its line went whole, the next one takes its place
        removed_lines = LINE_BREAK.split(text[head:b])[:-1]  # (the last piece follows the final break)
        removed = "\n".join(removed_lines)
        first_line = removed_lines[0]
        next_line = text[b:tail]
        # whole lines, none of them blank (a blank line ends blocks: it may part two)
        whole = not text[head:a].strip(" \t") and not replacement and all(
            line.strip(" \t") for line in removed_lines)
        no_container = not where[0].may_be_open(CONTAINER, head)
        # (before a blank line, unless a removed line opens an HTML block that a blank line
        # does not end: the blank line was inside it)
        before_blank = not next_line.strip(" \t") and not any(_opens_past_blanks(line) for line in removed_lines) \
            and not _after_code_indent(text, start, head)
        # The next line takes the first's place and is read as it was. The lines between
        # cannot have changed its reading if the first opens or goes on with an HTML block
        # that only a blank line ends (after a paragraph's line, a "<div>" among them would
        # have ended the paragraph).
        takes_its_place = equal_keys(first_line, next_line, where) and (
            len(removed_lines) == 1 or _opens_blank_ended(first_line, _after_a_blank(text, start, head)))
        if not no_container and whole and (before_blank or takes_its_place and len(removed_lines) > 1):
            # A line that looks like a list item or a quote came earlier (often text inside
            # raw HTML: "3. ..." in a <p>): the parse of the text before the edit, which
            # the full check below would need anyway, tells whether one holds any line
            # up to the removed ones.
            parsed = before() if before is not None else None
            no_container = parsed is not None and _no_container_through(
                text, start, b - 1, parsed, where[0], line_starts)
        before_blank = before_blank and no_container
        takes_its_place = takes_its_place and (len(removed_lines) == 1 or no_container)
        if whole and not ends_a_block(removed, where) and (before_blank or takes_its_place) \
                and not _inline_risk(text, head, tail, a, b, replacement):
            # Lines that end no block, going whole before a blank line (or the end), or before
            # a line read as their first was: what follows is read as before. (Unless a list
            # item may be open: a line at its left closed it, and the indented lines after
            # the blank would join it.)
            return True
    elif not LINE_BREAK.search(text, a, b) and not LINE_BREAK.search(replacement) and \
            same_line_key(text, head, tail, a, b, replacement, where) and \
            not _inline_risk(text, head, tail, a, b, replacement):
        return True
    if parsed is None:
        parsed = before() if before is not None else line_blocks(text[start:])
    return parsed is not None and blocks_kept(text, [(a, b, replacement)], parsed, start, removals=True)


def _no_container_through(text: str, start: int, offset: int, blocks: list[LineBlock], starts: BlockStarts,
                          line_starts: Callable[[], list[int]] | None) -> bool:
    """Does no list item or quote hold any line of ``text[start:]`` up to the one holding
    ``offset``, as the parse ``blocks`` of that text reads it?"""
    first = starts.parsed_container_line
    if first is None:
        first = starts.parsed_container_line = next(
            (i for i, block in enumerate(blocks) if block.containers), len(blocks))
    if line_starts is not None:
        index = line_starts()
        line = bisect_right(index, offset) - bisect_right(index, start)
    else:
        line = len(LINE_BREAK.findall(text, start, offset))
    return line < first


def _opens_past_blanks(line: str) -> bool:
    """Does the line open an HTML block of conditions 1-5 (`<pre>`, `<script>`, a comment …)
    and leave it open, so that blank lines after it are inside it?"""
    key = line_key(line)
    if key is None or len(key) < 4 or not isinstance(key[2], int) or key[2] >= 5:
        return False
    ends = key[3]
    return not (isinstance(ends, tuple) and ends[key[2]])


def _opens_blank_ended(line: str, after_a_blank: bool) -> bool:
    """Does the line open or go on with an HTML block that a blank line ends? Condition 6
    (a block-level tag) does wherever it stands; condition 7 (any other lone tag) only
    after a blank line or at the start, since it cannot interrupt a paragraph: after a
    paragraph's line it is that paragraph's text."""
    key = line_key(line)
    return key is not None and len(key) > 2 and isinstance(key[1], int) and key[1] < 4 and (
        key[2] == 5 or key[2] == 6 and after_a_blank)


def _line_before(text: str, start: int, head: int) -> tuple[int, int] | None:
    """The line before the one at ``head``: its start and its end (before its line break),
    or None at the text's start. Looked for at most ``NEAR`` characters back: the start of
    a longer line is given as -1 (a post's HTML on one line is not read back for each edit)."""
    if head <= start:
        return None
    end = head - 2 if text.startswith("\r\n", head - 2) else head - 1
    floor = max(start, end - NEAR)
    previous = max(floor, text.rfind("\n", floor, end) + 1, text.rfind("\r", floor, end) + 1)
    return (-1 if previous == floor and floor > start else previous), end


def _after_a_blank(text: str, start: int, head: int) -> bool:
    """Is the line at ``head`` the text's first (from ``start``) or after a blank line?"""
    found = _line_before(text, start, head)
    if found is None:
        return True
    previous, end = found
    return previous >= 0 and not text[previous:end].strip(" \t")  # (a long line is no blank one)


def _after_code_indent(text: str, start: int, head: int) -> bool:
    """Is the last non-blank line before ``head`` indented as code? An indented code block
    goes on across blank lines: with the lines between gone, the blank line after them
    joins it to an indented line that follows (two code blocks become one)."""
    for _ in range(_LOOKBACK_LINES):
        found = _line_before(text, start, head)
        if found is None:
            return False
        previous, end = found
        if previous < 0:
            return True  # a long line, its start not looked for: assume code
        if text[previous:end].strip(" \t"):
            return _CODE_INDENT.match(text, previous) is not None
        head = previous
    return True  # (many blank lines: assumed to follow code)


_CODE_INDENT = re.compile(r"(?: {4}| {0,3}\t)")


def _maybe_code(text: str, start: int, head: int, a: int, b: int, where: Where) -> bool:
    """Could a line the edit touches (its first, or one that starts inside it or right
    after it) be in an indented code block? It must be indented as one, and follow a line
    that a code block may follow: a blank one, the start, or one that may end a block or
    be a heading or a rule. After a paragraph's or an HTML block's line it continues that
    block (indented HTML is common in scraped bodies)."""
    # (a block that may open inside the edit may end inside it too: asked as of its end)
    if _NEW_BLOCK_INSIDE.search(text, a, b) is None and not ends_a_block(text[a:b], (where[0], b)):
        # no blank line, marker or block end inside: its lines go on from its first line,
        # and are code only if that one is
        lines: tuple[int, ...] = (head, b) if b > a and text[b - 1] in "\r\n" else (head,)
    else:
        lines = (head, *(m.end() for m in LINE_BREAK.finditer(text, a, b)))
    return any(_CODE_INDENT.match(text, line) and _may_follow(text, start, line, where) for line in lines)


# a line inside an edit that may start a block of its own: a blank one, or one opening with a marker
_NEW_BLOCK_INSIDE = re.compile(r"[\r\n][ \t]*(?:[\r\n]|[>*+\-#=~`|:\[0-9_])")


def _may_follow(text: str, start: int, line: int, where: Where) -> bool:
    memo = where[0].code_lines
    visited = []
    verdict = True
    for _ in range(_LOOKBACK_LINES):
        known = memo.get(line)
        if known is not None:
            verdict = known
            break
        visited.append(line)
        found = _line_before(text, start, line)
        if found is None:
            break
        previous, end = found
        if previous < 0:
            break  # a long line: assume the worst
        content = text[previous:end].lstrip(" \t")
        # (a heading, a rule, a list item: only a line that starts with "<" or with text goes on)
        if not content or (content[0] != "<" and line_key(content) is None) or \
                ends_a_block(content, (where[0], previous)):
            break
        if not _CODE_INDENT.match(text, previous):
            verdict = False  # a paragraph's or an HTML block's line: an indented line continues it
            break
        line = previous  # indented too: code if that one is
    for seen in visited:
        memo[seen] = verdict
    return verdict


_LOOKBACK_LINES = 64  # indented lines walked back to find what an indented line follows
_ROUND_PARSES = 32  # parses one round of fixes may spend on clusters (each reads the whole text)
_ROUND_PARSE_CHARS = 1_000_000  # and characters: markdown-it reads about 1 MB a second


def together(text: str, groups: Sequence[Sequence[Edit]]) -> list[int]:
    """Which groups of edits (the fixes of one round, in order) may be applied together.

    Each fix keeps the Markdown around it by itself (its rule checked). Fixes on lines
    apart from each other cannot change that for each other: a line's reading depends on
    its own content and on how the lines before it were read, which each fix keeps. So
    only clusters of fixes on the same or neighbouring lines are checked: after
    `<div class="ad">` and `<div id="dfp-ad">` on two lines, either removal leaves an
    HTML block that holds the text line after them, but both leave that line a
    paragraph. Of such a cluster the longest run of its first fixes that keeps the
    blocks goes (at least one fix); the rest wait for the next round, whose check
    decides them again.
    """
    every = [edit for group in groups for edit in group]
    if len(groups) < 2 or lines_keep_keys(text, every):
        return list(range(len(groups)))
    line_starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))]
    spans = []
    for index, group in enumerate(groups):
        if not group:
            continue
        first = bisect_right(line_starts, min(a for a, _, _ in group)) - 1
        last = bisect_right(line_starts, max(b for _, b, _ in group)) - 1
        spans.append((first, last, index))
    spans.sort()
    clusters: list[list[int]] = []
    reach = -2
    for first, last, index in spans:
        if first > reach + 1 or not clusters:
            clusters.append([])
        clusters[-1].append(index)
        reach = max(reach, last)
    keep = set(range(len(groups)))
    budget = min(_ROUND_PARSES, _ROUND_PARSE_CHARS // max(len(text), 1))
    for cluster in clusters:
        if len(cluster) < 2:
            continue
        edits = [edit for index in cluster for edit in groups[index]]
        if lines_keep_keys(text, edits):
            continue
        good, bad = 1, len(cluster) + 1  # (a fix alone was checked by its rule)
        while bad - good > 1 and budget > 0:
            budget -= 1
            middle = (good + bad) // 2
            if blocks_kept(text, [edit for index in cluster[:middle] for edit in groups[index]]):
                good = middle
            else:
                bad = middle
        keep.difference_update(cluster[good:])
    return sorted(keep)
