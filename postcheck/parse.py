"""bytes -> ParsedPost: front matter, body scaffolding, line map and a lazy HTML tree.

Offsets everywhere are character offsets into ``ParsedPost.text``, the decoded file
(a leading BOM is kept as one character), so every finding maps to an exact file
line and column and every fix edits the original text. Nothing here raises on bad
input: problems found while reading become :class:`ParseIssue` values that the
structure rules report.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from ._body import (
    DEFAULT_LIMITS,
    MEDIA_TAGS,
    Limits,
    blank_attributes,
    element_text,
    fenced_code,
    find_oversized,
    mask_code,
    parse_html,
    visible_pieces,
    visible_text,
)
from ._fastyaml import load_simple as load_simple_yaml
from ._frontmatter import split_front_matter
from ._html import AttributeSpan, HtmlIndex, Tag, attribute_spans, repaired_name
from ._markdown import LineBlock, edit_keeps_blocks, line_blocks
from ._mdlines import BlockStarts, line_end
from ._scaffold import Scaffold, read_scaffold
from .model import Post

__all__ = [
    "DEFAULT_LIMITS", "MEDIA_TAGS", "AttributeSpan", "HtmlIndex", "Limits", "ParseIssue", "ParsedPost", "Tag",
    "attribute_spans", "element_text", "load_simple_yaml", "parse_bytes", "parse_text", "repaired_name",
    "visible_text",
]


@dataclass(frozen=True)
class ParseIssue:
    """A problem found while reading the file, reported by a structure rule."""

    code: str
    message: str
    start: int
    end: int
    field: str | None = None


_NEWLINE = re.compile(r"\r\n|\r|\n")


class ParsedPost:
    """A post read from a file, a string, or a (front matter, body) pair."""

    def __init__(
        self,
        text: str,
        path: str | None = None,
        *,
        schema: type[BaseModel] = Post,
        source_field: str = "from",
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.path = path
        self.text = text
        self.schema = schema
        self.source_field = source_field
        self.limits = limits
        self.issues: list[ParseIssue] = []
        self.has_bom = text.startswith("\ufeff")
        self.readable = True
        self.fm_format: str | None = None
        self.fm_span: tuple[int, int] | None = None
        self.fields: dict[str, Any] = {}
        self.front_matter_ok = False
        self._key_spans: dict[str, tuple[int, int, int, int]] = {}
        self.body_start = 1 if self.has_bom else 0
        self._line_starts: list[int] | None = None
        self._direct_lines = _DIRECT_LINE_QUERIES  # line_col answers left before the index is built
        self._meta: BaseModel | None = None
        self._meta_errors: list[dict[str, Any]] | None = None
        self._scaffold: Scaffold | None = None
        self._tree: etree._Element | None = None
        self._tree_parsed = False
        # (line within the HTML, message) of the parser's resource-limit errors: content it dropped
        self.html_limit_errors: list[tuple[int, str]] = []
        # Start tags with more attributes than Limits.max_attributes, and how many: libxml2
        # checks attribute names pairwise, so they are blanked before parsing (bounded time).
        self.oversized_tags: list[tuple[int, int, int]] = []  # (start, end, attribute count)
        # Start tags and text between tags longer than Limits.max_node_chars: (start, end, "tag"|"text")
        self.long_nodes: list[tuple[int, int, str]] = []
        self._html_index: HtmlIndex | None = None
        # The text the HTML parser and the source index read: the post's, with any Markdown
        # code fence's "<" made a space (same offsets).
        self._html_text = text
        self._code_fences: list[tuple[int, int]] | None = None
        self._visible_text: str | None = None
        self._visible_count: tuple[int, int] | None = None  # (count, the limit it was counted to)
        self._utf8: bytes | None = None
        self._field_cache: dict[str, Any] = {}

    def add_issue(self, code: str, message: str, start: int, end: int, field: str | None = None) -> None:
        self.issues.append(ParseIssue(code, message, start, end, field))

    # -- positions -----------------------------------------------------------------

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            text = self.text
            if "\r" in text:
                starts = [0]
                starts.extend(m.end() for m in _NEWLINE.finditer(text))
            else:  # LF only, the common case: split and accumulate in C
                starts = list(accumulate((len(line) + 1 for line in text.split("\n")), initial=0))
                starts.pop()
            self._line_starts = starts
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of a text offset."""
        text = self.text
        offset = min(max(offset, 0), len(text))
        if self._line_starts is None and self._direct_lines > 0:
            # Most posts ask for a few positions in the front matter only (the corpus key
            # of PC206, a field's finding): counting newlines in C beats indexing every line.
            self._direct_lines -= 1
            if self._direct_lines == _DIRECT_LINE_QUERIES - 1 and "\r" in text:
                self._direct_lines = 0  # CR and CRLF line ends: the index knows them
            else:
                return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        starts = self.line_starts
        index = bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    @property
    def body(self) -> str:
        return self.text[self.body_start :]

    def key_span(self, key: str) -> tuple[int, int] | None:
        """Offsets of a top-level front-matter key."""
        spans = self._key_spans.get(key)
        return (spans[0], spans[1]) if spans else None

    def value_span(self, key: str) -> tuple[int, int] | None:
        """Offsets of a top-level front-matter value as written (quotes included)."""
        spans = self._key_spans.get(key)
        return (spans[2], spans[3]) if spans else None

    def field_span(self, key: str) -> tuple[int, int]:
        """The value's span, else the key's, else the front matter's start."""
        span = self.value_span(key) or self.key_span(key)
        if span is not None:
            return span
        if self.fm_span is not None:
            return (self.fm_span[0], self.fm_span[0])
        return (self.body_start, self.body_start)

    # -- front matter values -------------------------------------------------------

    def _validate(self) -> None:
        if self._meta_errors is not None:
            return
        self._meta_errors = []
        if not self.front_matter_ok:
            return
        try:
            self._meta = self.schema.model_validate(self.fields)
        except ValidationError as exc:
            self._meta_errors = [dict(e) for e in exc.errors(include_url=False)]
        except Exception as exc:  # noqa: BLE001 - a user's model may raise anything
            self._meta_errors = [
                {"loc": (), "msg": f"schema raised {type(exc).__name__}: {exc}", "type": "schema_error"}
            ]

    @property
    def meta(self) -> BaseModel | None:
        """The front matter validated by the schema, or None when it is invalid."""
        self._validate()
        return self._meta

    @property
    def schema_errors(self) -> list[dict[str, Any]]:
        self._validate()
        return self._meta_errors or []

    def _typed(self, key: str, kind: type) -> Any:
        if key in self._field_cache:
            return self._field_cache[key]
        value: Any = None
        raw = self.fields.get(key)
        if raw is not None:
            meta = self.meta
            if meta is not None:
                for name, info in type(meta).model_fields.items():
                    if (info.alias or name) == key:
                        candidate = getattr(meta, name, None)
                        if isinstance(candidate, kind):
                            value = candidate
                        break
            if value is None:
                value = _coerce(raw, kind)
        self._field_cache[key] = value
        return value

    @property
    def title(self) -> str | None:
        value = self.fields.get("title")
        return value if isinstance(value, str) else None

    @property
    def author(self) -> str | None:
        value = self.fields.get("author")
        return value if isinstance(value, str) else None

    @property
    def source_url(self) -> str | None:
        value = self.fields.get(self.source_field)
        return value if isinstance(value, str) else None

    @property
    def date(self) -> datetime | None:
        """``date`` as a datetime (naive when it carries no timezone), else None."""
        value = self._typed("date", datetime)
        return value if isinstance(value, datetime) else None

    # -- body ------------------------------------------------------------------------

    @property
    def scaffold(self) -> Scaffold:
        if self._scaffold is None:
            self._scaffold = read_scaffold(self.text, self.body_start)
        return self._scaffold

    @property
    def html_start(self) -> int:
        return self.scaffold.html_start

    @property
    def code_fences(self) -> list[tuple[int, int]]:
        """[start, end) of the body's Markdown code fences (their text is literal, not HTML)."""
        if self._code_fences is None:
            self._code_fences = fenced_code(self.text, self.html_start)
        return self._code_fences

    @property
    def tree(self) -> etree._Element | None:
        """The body's HTML after the scaffolding, parsed once with lxml (None if empty)."""
        if not self._tree_parsed:
            self._tree_parsed = True
            self.oversized_tags, self.long_nodes = find_oversized(self.text, self.html_start, self.limits)
            start = self.html_start
            fences = self.code_fences
            if fences:
                # Markdown code blocks are text: the parser and the source index see them so.
                self._html_text = mask_code(self.text, fences)
            if self.oversized_tags or fences:
                html = blank_attributes(self._html_text, self.oversized_tags) if self.oversized_tags \
                    else self._html_text
                body = html[start:].encode("utf-8", "surrogatepass")
            else:
                html = self.text
                # The bytes read, from the body's first byte on: no second encoding of the text.
                body = self.utf8[len(html[:start].encode("utf-8", "surrogatepass")):]
            self._tree, self.html_limit_errors = parse_html(html, start, body)
        return self._tree

    @property
    def html(self) -> HtmlIndex:
        """Source spans of the HTML elements (built on first use)."""
        if self._html_index is None:
            tree = self.tree  # first: it decides the text the index reads
            self._html_index = HtmlIndex(self._html_text, self.html_start, tree)
        return self._html_index

    def element_span(self, element: etree._Element) -> tuple[int, int]:
        """Offsets of an element from its start tag to the end of its end tag."""
        return self.html.element_span(element)

    def start_tag_span(self, element: etree._Element) -> tuple[int, int]:
        return self.html.start_tag_span(element)

    @property
    def utf8(self) -> bytes:
        """The text as UTF-8: the bytes read when the post came from bytes (strictly decoded,
        so the same), else encoded once (lone surrogates kept)."""
        if self._utf8 is None:
            self._utf8 = self.text.encode("utf-8", "surrogatepass")
        return self._utf8

    @property
    def visible_text(self) -> str:
        """The body's text without markup, comments, scripts and the scaffolding."""
        if self._visible_text is None:
            self._visible_text = visible_text(self.tree)
        return self._visible_text

    def visible_chars(self, limit: int) -> int:
        """Non-whitespace characters of the visible text, counted up to ``limit``."""
        counted = self._visible_count
        if counted is None or (counted[0] >= counted[1] and limit > counted[1]):
            # Counted a little past the largest limit asked so far: PC006 asks for 1 and
            # PC007 for 50, and one walk of the tree then answers both.
            upto = max(limit, 64)
            counted = self._visible_count = (self._count_visible(upto), upto)
        return min(counted[0], limit)

    def _count_visible(self, limit: int) -> int:
        if self._visible_text is not None:
            return min(len("".join(self._visible_text.split())), limit)
        count = 0
        for piece in visible_pieces(self.tree):
            if not piece.isspace():
                count += len("".join(piece.split()))
                if count >= limit:
                    return limit
        return count

    def line_end(self, offset: int) -> int:
        """Where the line holding ``offset`` ends: at its line break, or the end of the text."""
        return line_end(self.text, self.line_starts, offset)

    def markdown_kept(self, start: int, end: int, replacement: str = "") -> bool:
        """Would removing the markup at [start, end) (or replacing it) leave every other line
        of the body in the same kind of Markdown block, and join nothing that a paragraph's
        inline syntax reads? Removing the markup that opened an HTML block makes the lines
        after it Markdown (see :mod:`postcheck._markdown`)."""
        starts = self._field_cache.get(_BLOCK_STARTS)
        if starts is None:
            starts = self._field_cache[_BLOCK_STARTS] = BlockStarts(self.text)
        return edit_keeps_blocks(self.text, start, end, replacement, self.body_start, self._line_blocks,
                                 lambda: self.line_starts, starts)

    def _line_blocks(self) -> list[LineBlock] | None:
        """The body's Markdown blocks, while a post's parses for this stay few and small:
        each parse reads the whole body, and a hostile post could ask one for each of its
        elements (at most 32 parses, and at most ``_MARKDOWN_PARSE_CHARS`` read in all)."""
        cache = self._field_cache
        parses = cache.get(_MARKDOWN_PARSES, 0)
        size = len(self.text) - self.body_start
        if parses >= _MAX_MARKDOWN_PARSES or (parses + 1) * size > _MARKDOWN_PARSE_CHARS:
            return None
        cache[_MARKDOWN_PARSES] = parses + 1
        blocks: list[LineBlock] | None = cache.get(_LINE_BLOCKS)
        if blocks is None:
            blocks = cache[_LINE_BLOCKS] = line_blocks(self.text[self.body_start:])
        return blocks

    def __repr__(self) -> str:
        return f"ParsedPost(path={self.path!r}, chars={len(self.text)})"


# -- helpers -------------------------------------------------------------------------

_DIRECT_LINE_QUERIES = 8

def _coerce(raw: Any, kind: type) -> Any:
    from pydantic import TypeAdapter

    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        target: Any = Post.model_fields["date"].annotation if kind is datetime else kind
        if kind is datetime:
            from .model import PostDate

            target = PostDate
        adapter = _ADAPTERS[kind] = TypeAdapter(target)
    try:
        return adapter.validate_python(raw)
    except (ValidationError, ValueError, TypeError):
        return None


_ADAPTERS: dict[type, Any] = {}
_LINE_BLOCKS = "\0pc:markdown-lines"  # keys no front-matter key can be
_MARKDOWN_PARSES = "\0pc:markdown-parses"
_BLOCK_STARTS = "\0pc:html-block-starts"
_MAX_MARKDOWN_PARSES = 32
_MARKDOWN_PARSE_CHARS = 1_000_000  # markdown-it reads about 1 MB a second


# -- reading -----------------------------------------------------------------------


def parse_bytes(
    raw: bytes,
    path: str | None = None,
    *,
    schema: type[BaseModel] = Post,
    source_field: str = "from",
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedPost:
    """Decode strictly as UTF-8 and parse; unreadable files become PC001 issues."""
    if len(raw) > limits.max_bytes:
        post = ParsedPost("", path, schema=schema, source_field=source_field, limits=limits)
        post.readable = False
        post.issues.append(
            # (a file on disk is read only one byte past the limit: its size is not len(raw))
            ParseIssue("PC001", f"file is over the {limits.max_bytes:,}-byte limit (max-bytes)", 0, 0)
        )
        return post
    nul = raw.find(b"\0")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        post = ParsedPost(prefix, path, schema=schema, source_field=source_field, limits=limits)
        post.readable = False
        post.issues.append(
            ParseIssue("PC001", f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}",
                       len(prefix), len(prefix))
        )
        return post
    if nul >= 0:
        post = ParsedPost(text, path, schema=schema, source_field=source_field, limits=limits)
        post.readable = False
        where = len(raw[:nul].decode("utf-8"))
        post.issues.append(ParseIssue("PC001", "binary file: contains NUL bytes", where, where))
        return post
    post = parse_text(text, path, schema=schema, source_field=source_field, limits=limits)
    post._utf8 = raw
    return post


def parse_text(
    text: str,
    path: str | None = None,
    *,
    schema: type[BaseModel] = Post,
    source_field: str = "from",
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedPost:
    post = ParsedPost(text, path, schema=schema, source_field=source_field, limits=limits)
    if "\0" in text:
        post.readable = False
        where = text.index("\0")
        post.issues.append(ParseIssue("PC001", "binary file: contains NUL characters", where, where))
        return post
    if len(text) > limits.max_bytes:
        post.readable = False
        post.issues.append(ParseIssue("PC001", f"text of {len(text):,} characters is over the limit", 0, 0))
        return post
    split_front_matter(post)
    return post


def iter_issues(post: ParsedPost, code: str) -> Iterator[ParseIssue]:
    return (i for i in post.issues if i.code == code)
