"""The article HTML: input bounds, the lxml parse, and the text a reader sees.

Kept apart from :mod:`postcheck.parse` (which builds a post from bytes) because these
are the parts that touch libxml2: its settings, the limits that keep it fast and
faithful on hostile input, and the walks over the parsed tree that several rules share.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = [
    "DEFAULT_LIMITS", "MEDIA_TAGS", "Limits", "blank_attributes", "block_parser", "element_text", "fenced_code",
    "find_oversized", "mask_code", "parse_html", "visible_pieces", "visible_text",
]


@dataclass(frozen=True)
class Limits:
    """Input bounds; past them the file is reported instead of parsed."""

    max_bytes: int = 5 * 1024 * 1024
    max_front_matter_chars: int = 256 * 1024
    max_yaml_depth: int = 32
    max_html_depth: int = 256
    max_attributes: int = 1000
    max_node_chars: int = 1024 * 1024
    max_lines: int = 65535


DEFAULT_LIMITS = Limits()

_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
MEDIA_TAGS = frozenset({"img", "video", "audio", "iframe", "embed", "object", "picture", "svg", "source"})


def visible_pieces(root: etree._Element | None) -> Iterator[str]:
    """Text nodes of the tree, without comments and script/style/template content."""
    if root is None:
        return iter(())
    if next(root.iter(*_INVISIBLE_TAGS), None) is None:
        return root.itertext()  # type: ignore[return-value]  # the common case, done in C
    return _walk_visible(root)


def _walk_visible(root: etree._Element) -> Iterator[str]:
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if node.tail and node is not root:
                yield node.tail
            continue
        tag = node.tag
        if not isinstance(tag, str) or tag in _INVISIBLE_TAGS:
            if node.tail and node is not root:
                yield node.tail
            continue
        if node.text:
            yield node.text
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))


def visible_text(root: etree._Element | None) -> str:
    """Text of the tree without comments and without script/style/template content."""
    if root is None:
        return ""
    if next(root.iter(*_INVISIBLE_TAGS), None) is None:
        # the common case: libxml2 concatenates the text nodes in one call (the same
        # text as itertext(), without a Python string per node)
        return etree.tostring(root, method="text", encoding=str, with_tail=False)
    return "".join(_walk_visible(root))


def element_text(el: etree._Element) -> str:
    """All the text of an element and its descendants, as ``itertext()`` gives it, without
    the text of comments and processing instructions (which lxml gives as other types)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def _html_parser() -> etree.HTMLParser:
    return etree.HTMLParser(  # type: ignore[call-arg]  # lxml-stubs lack default_doctype
        encoding="utf-8",
        no_network=True,
        remove_comments=False,
        remove_pis=False,
        recover=True,
        huge_tree=False,
        default_doctype=False,
    )


_PARSER = _html_parser()

# A start tag up to (not including) its '>', quoted values skipped as the HTML5
# tokenizer does. Possessive, and finditer resumes after each match: linear time.
_START_TAG = re.compile(r"""<[A-Za-z][^\t\n\f\r />]*+(?:[^"'>]++|"[^"]*+"|'[^']*+')*+""")
# One attribute inside it (no nested quantifiers; a failed '=' gives back only whitespace).
_ATTRIBUTE_TOKEN = re.compile(
    r"""[^\t\n\f\r />][^\t\n\f\r />=]*(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"?|'[^']*'?|[^\t\n\f\r >]*))?"""
)
_TAG_NAME = re.compile(r"<[A-Za-z][^\t\n\f\r />]*")
_NOT_NEWLINE = re.compile(r"[^\r\n]+")


# Over max_attributes attributes take at least twice as many characters; the search is
# anchored on "<letter" and stops at the first "<" or ">", so it stays linear.
_LONG_START_TAG = re.compile(r"<[A-Za-z][^<>]{" + str(2 * DEFAULT_LIMITS.max_attributes) + "}")


def find_oversized(text: str, start: int, limits: Limits) -> tuple[list[tuple[int, int, int]],
                                                              list[tuple[int, int, str]]]:
    """Start tags with over ``max_attributes`` attributes; tags and text runs over ``max_node_chars``.

    libxml2 compares each attribute name with all earlier ones, so 40,000 attributes
    cost seconds; such tags are found here first, on the raw text.
    """
    limit = limits.max_attributes
    found: list[tuple[int, int, int]] = []
    long_nodes: list[tuple[int, int, str]] = []
    if len(text) - start <= limits.max_node_chars and not _LONG_START_TAG.search(text, start):
        return found, long_nodes  # the common case: decided in C, no per-tag Python work
    gap_start = start
    for m in _START_TAG.finditer(text, start):
        if m.start() - gap_start > limits.max_node_chars and len(long_nodes) < 10:
            long_nodes.append((gap_start, m.start(), "text"))
        gap_start = m.end()
        if m.end() - m.start() > limits.max_node_chars and len(long_nodes) < 10:
            long_nodes.append((m.start(), m.end(), "tag"))
        # Each attribute takes at least two characters (a separator and a name).
        if m.end() - m.start() <= 2 * limit:
            continue
        name = _TAG_NAME.match(text, m.start())
        assert name is not None
        count = 0
        for _ in _ATTRIBUTE_TOKEN.finditer(text, name.end(), m.end()):
            count += 1
        if count > limit:
            found.append((m.start(), m.end(), count))
    if len(text) - gap_start > limits.max_node_chars and len(long_nodes) < 10:
        long_nodes.append((gap_start, len(text), "text"))
    return found, long_nodes


def blank_attributes(text: str, tags: list[tuple[int, int, int]]) -> str:
    """The text with those tags' attributes replaced by spaces; lines and offsets unchanged."""
    parts: list[str] = []
    pos = 0
    for tag_start, end, _ in tags:
        name = _TAG_NAME.match(text, tag_start)
        start = name.end() if name else tag_start
        parts.append(text[pos:start])
        parts.append(_NOT_NEWLINE.sub(lambda m: " " * len(m.group()), text[start:end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


# A line that may open a Markdown code fence; most posts have none, and skip the parse.
_FENCE_LINE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})", re.MULTILINE)
# Line breaks as markdown-it counts them (it normalizes \r\n and \r to \n).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@functools.cache
def block_parser() -> MarkdownIt:
    """CommonMark's block parser alone (imported on first use: most posts have no fence)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.disable(["inline", "text_join"], ignoreInvalid=True)
    return md


def fenced_code(text: str, start: int) -> list[tuple[int, int]]:
    """[start, end) of the code Markdown shows as text in ``text[start:]``, as CommonMark
    reads it: fenced code blocks, and code spans (`` `<script>` ``) in paragraphs, headings
    and list items (not in raw HTML blocks, where backticks are text). Not indented code
    blocks: kramdown (Jekyll's) reads an HTML block to its end tag, so indented HTML after
    a blank line inside it is HTML there (the Markdown check makes removals there unsafe).

    Scraped posts are Markdown files: what code holds is literal text, not HTML, so a
    tutorial's ```` ```html ```` example is no leftover script. markdown-it-py finds the
    blocks with CommonMark's rules (a fence line inside an HTML block is no fence); only
    its block parser runs, which is linear in the text, and only in a post where a fence
    line or a tag after a backtick may make code of HTML.
    """
    may_fence = ("```" in text or "~~~" in text) and _FENCE_LINE.search(text, start) is not None
    may_span = "`" in text and _CODE_SPAN_HINT.search(text, start) is not None
    if not (may_fence or may_span):
        return []
    body = text[start:]
    line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(body))]
    last = len(line_starts)

    def offset(line: int) -> int:
        return start + line_starts[line] if line < last else len(text)

    spans: list[tuple[int, int]] = []
    for token in block_parser().parse(body):
        if not token.map:
            continue
        a, b = token.map
        if token.type == "fence":
            spans.append((offset(a), offset(b)))
        elif token.type == "inline" and may_span and "`" in token.content:
            spans.extend(_code_spans(text, offset(a), offset(b)))
    return sorted(spans)


# A backtick then a tag on its line: a code span may hold markup.
_CODE_SPAN_HINT = re.compile(r"`[^`\n]*<")
_BACKTICKS = re.compile(r"`+")


def _code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The code spans of a paragraph's text: a run of backticks up to the next run of the
    same length (CommonMark; an escaped backtick opens none)."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text, start, end)]
    following: dict[int, int] = {}  # run index -> index of the next run of the same length
    last_of: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        length = runs[i][1] - runs[i][0]
        if length in last_of:
            following[i] = last_of[length]
        last_of[length] = i
    spans = []
    i = 0
    while i < len(runs):
        opener = runs[i]
        closer = following.get(i)
        if closer is None or (opener[0] > 0 and text[opener[0] - 1] == "\\"):
            i += 1
            continue
        spans.append((opener[0], runs[closer][1]))
        i = closer + 1
    return spans


def mask_code(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every ``<`` inside the spans made a space: the HTML parser and the
    source tokenizer then see text there, and every offset stays where it was."""
    parts = []
    pos = 0
    for a, b in spans:
        parts.append(text[pos:a])
        parts.append(text[a:b].replace("<", " "))
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


# str.strip() and \s both use Py_UNICODE_ISSPACE: no match means nothing but whitespace.
_NON_SPACE = re.compile(r"\S")


def parse_html(text: str, start: int,
                body: bytes | None = None) -> tuple[etree._Element | None, list[tuple[int, str]]]:
    """Parse ``text[start:]``; ``body`` is that text as UTF-8 when the caller has it."""
    if _NON_SPACE.search(text, start) is None:  # `not text[start:].strip()` without the copies
        return None, []
    if body is None:
        body = text[start:].encode("utf-8", "surrogatepass")
    # Parse bytes with an explicit encoding so a <meta charset> in the body cannot
    # switch the decoder half-way through.
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    limits = [
        (entry.line, entry.message)
        for entry in _PARSER.error_log
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in entry.message
    ]
    return root, limits
