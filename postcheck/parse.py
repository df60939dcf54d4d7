"""bytes -> ParsedPost: front matter, body scaffolding, line map and a lazy HTML tree.

Offsets everywhere are character offsets into ``ParsedPost.text``, the decoded file
(a leading BOM is kept as one character), so every finding maps to an exact file
line and column and every fix edits the original text. Nothing here raises on bad
input: problems found while reading become :class:`ParseIssue` values that the
structure rules report.
"""

from __future__ import annotations

import json
import re
import tomllib
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any

import yaml
from lxml import etree
from pydantic import BaseModel, ValidationError

from ._html import HtmlIndex
from .model import Post

__all__ = ["Limits", "ParseIssue", "ParsedPost", "parse_bytes", "parse_text"]

try:  # the C loader is several times faster; fall back when libyaml is absent
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that leaves timestamps as strings, for pydantic to validate."""


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_MAX_INT_DIGITS = 4000


def _construct_bounded_int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if len(text) > _MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"integer of {len(text)} digits is too large", node.start_mark
        )
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_bounded_int)

_STR_TAG = "tag:yaml.org,2002:str"


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


@dataclass(frozen=True)
class ParseIssue:
    """A problem found while reading the file, reported by a structure rule."""

    code: str
    message: str
    start: int
    end: int
    field: str | None = None


@dataclass(frozen=True)
class Scaffold:
    """The scraper's scaffolding at the start of the body (SPEC §1)."""

    timestamp: int | None = None
    timestamp_span: tuple[int, int] | None = None
    link_text: str | None = None
    link_text_span: tuple[int, int] | None = None
    link_url: str | None = None
    link_url_span: tuple[int, int] | None = None
    underline_span: tuple[int, int] | None = None
    html_start: int = 0


_NEWLINE = re.compile(r"\r\n|\r|\n")
_YAML_OPEN = re.compile(r"---[ \t]*(?:\r\n|\r|\n)")
_YAML_CLOSE = re.compile(r"(?:\r\n|\r|\n)(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|\Z)")
_TOML_OPEN = re.compile(r"\+\+\+[ \t]*(?:\r\n|\r|\n)")
_TOML_CLOSE = re.compile(r"(?:\r\n|\r|\n)\+\+\+[ \t]*(?:\r\n|\r|\n|\Z)")
_JSON_CLOSE = re.compile(r"(?:\r\n|\r|\n)\}[ \t]*(?:\r\n|\r|\n|\Z)")
_TIMESTAMP_COMMENT = re.compile(r"[ \t\r\n]*<!--[ \t]*(\d{9,13})[ \t]*-->")
_UNDERLINE = re.compile(r"(?:-{2,}|={2,})[ \t]*(?:\r\n|\r|\n|\Z)")
_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")


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
        self._visible_text: str | None = None
        self._field_cache: dict[str, Any] = {}

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
        offset = min(max(offset, 0), len(self.text))
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
            self._scaffold = _read_scaffold(self.text, self.body_start)
        return self._scaffold

    @property
    def html_start(self) -> int:
        return self.scaffold.html_start

    @property
    def tree(self) -> etree._Element | None:
        """The body's HTML after the scaffolding, parsed once with lxml (None if empty)."""
        if not self._tree_parsed:
            self._tree_parsed = True
            self.oversized_tags, self.long_nodes = _oversized(self.text, self.html_start, self.limits)
            html = _blank_attributes(self.text, self.oversized_tags) if self.oversized_tags else self.text
            self._tree, self.html_limit_errors = _parse_html(html, self.html_start)
        return self._tree

    @property
    def html(self) -> HtmlIndex:
        """Source spans of the HTML elements (built on first use)."""
        if self._html_index is None:
            self._html_index = HtmlIndex(self.text, self.html_start, self.tree)
        return self._html_index

    def element_span(self, element: etree._Element) -> tuple[int, int]:
        """Offsets of an element from its start tag to the end of its end tag."""
        return self.html.element_span(element)

    def start_tag_span(self, element: etree._Element) -> tuple[int, int]:
        return self.html.start_tag_span(element)

    @property
    def visible_text(self) -> str:
        """The body's text without markup, comments, scripts and the scaffolding."""
        if self._visible_text is None:
            self._visible_text = visible_text(self.tree)
        return self._visible_text

    def visible_chars(self, limit: int) -> int:
        """Non-whitespace characters of the visible text, counted up to ``limit``."""
        if self._visible_text is not None:
            return min(len("".join(self._visible_text.split())), limit)
        count = 0
        for piece in _visible_pieces(self.tree):
            if not piece.isspace():
                count += len("".join(piece.split()))
                if count >= limit:
                    return limit
        return count

    def __repr__(self) -> str:
        return f"ParsedPost(path={self.path!r}, chars={len(self.text)})"


# -- helpers -------------------------------------------------------------------------

_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
MEDIA_TAGS = frozenset({"img", "video", "audio", "iframe", "embed", "object", "picture", "svg", "source"})


def _visible_pieces(root: etree._Element | None) -> Iterator[str]:
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
    return "".join(_visible_pieces(root))


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


def _read_scaffold(text: str, body_start: int) -> Scaffold:
    pos = body_start
    timestamp = timestamp_span = None
    m = _TIMESTAMP_COMMENT.match(text, pos)
    if m:
        timestamp = int(m.group(1))
        timestamp_span = (text.index("<!--", m.start()), m.end())
        pos = m.end()
        nl = _NEWLINE.match(text, pos)
        if nl:
            pos = nl.end()
    link_text = link_url = None
    link_text_span = link_url_span = underline_span = None
    blank = _BLANK_LINES.match(text, pos)
    line_start = blank.end() if blank else pos
    if text.startswith("[", line_start):
        nl = _NEWLINE.search(text, line_start)
        line_end = nl.start() if nl else len(text)
        line = text[line_start:line_end].rstrip(" \t")
        sep = line.rfind("](")
        if sep > 0 and line.endswith(")"):
            link_text = line[1:sep]
            link_url = line[sep + 2 : -1].strip()
            link_text_span = (line_start + 1, line_start + sep)
            url_start = line_start + sep + 2
            link_url_span = (url_start, url_start + len(line[sep + 2 : -1]))
            pos = nl.end() if nl else len(text)
            u = _UNDERLINE.match(text, pos)
            if u:
                underline_span = (u.start(), u.end())
                pos = u.end()
    return Scaffold(
        timestamp=timestamp,
        timestamp_span=timestamp_span,
        link_text=link_text,
        link_text_span=link_text_span,
        link_url=link_url,
        link_url_span=link_url_span,
        underline_span=underline_span,
        html_start=pos,
    )


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


def _oversized(text: str, start: int, limits: Limits) -> tuple[list[tuple[int, int, int]],
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


def _blank_attributes(text: str, tags: list[tuple[int, int, int]]) -> str:
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


def _parse_html(text: str, start: int) -> tuple[etree._Element | None, list[tuple[int, str]]]:
    html = text[start:]
    if not html.strip():
        return None, []
    # Parse bytes with an explicit encoding so a <meta charset> in the body cannot
    # switch the decoder half-way through.
    try:
        root = etree.fromstring(html.encode("utf-8", "surrogatepass"), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    limits = [
        (entry.line, entry.message)
        for entry in _PARSER.error_log
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in entry.message
    ]
    return root, limits


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
            ParseIssue("PC001", f"file is {len(raw):,} bytes, over the {limits.max_bytes:,}-byte limit", 0, 0)
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
    return parse_text(text, path, schema=schema, source_field=source_field, limits=limits)


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
    _split_front_matter(post)
    return post


def _split_front_matter(post: ParsedPost) -> None:
    text = post.text
    start = 1 if post.has_bom else 0
    if text.startswith("---", start):
        opening = _YAML_OPEN.match(text, start)
        if opening is None:
            rest = text[start + 3 :].strip(" \t\r\n")
            if rest == "" or rest.startswith("-"):
                _issue(post, "PC003", "front matter is opened with '---' but never closed", start, start + 3)
                post.body_start = len(text)
                return
            post.body_start = start  # '---text': not a front-matter fence
            _issue(post, "PC002", "no front matter: the file does not start with a '---' line", start, start)
            return
        close = _YAML_CLOSE.search(text, opening.end() - 1)
        if close is None:
            _issue(post, "PC003", "front matter is opened with '---' but never closed", start, opening.end())
            post.body_start = len(text)
            return
        fm_start = opening.end()
        fm_end = max(fm_start, close.start() + (len(close.group(0)) - len(close.group(0).lstrip("\r\n"))))
        post.fm_format = "yaml"
        post.fm_span = (fm_start, fm_end)
        post.body_start = close.end()
        _load_yaml(post, fm_start, fm_end)
        return
    if text.startswith("+++", start):
        opening = _TOML_OPEN.match(text, start)
        close = _TOML_CLOSE.search(text, opening.end() - 1) if opening else None
        if opening is None or close is None:
            _issue(post, "PC003", "front matter is opened with '+++' but never closed", start, start + 3)
            post.body_start = len(text)
            return
        fm_start = opening.end()
        fm_end = max(fm_start, close.start() + (len(close.group(0)) - len(close.group(0).lstrip("\r\n"))))
        post.fm_format = "toml"
        post.fm_span = (fm_start, fm_end)
        post.body_start = close.end()
        _load_toml(post, fm_start, fm_end)
        return
    if text.startswith("{", start) and text[start + 1 : start + 2] in ("\n", "\r", " ", "\t", '"'):
        close = _JSON_CLOSE.search(text, start)
        if close is not None:
            fm_end = close.start() + len(close.group(0).rstrip("\r\n \t"))
            post.fm_format = "json"
            post.fm_span = (start, fm_end)
            post.body_start = close.end()
            _load_json(post, start, fm_end)
            return
    _issue(post, "PC002", "no front matter: the file does not start with a '---' line", start, start)


def _issue(post: ParsedPost, code: str, message: str, start: int, end: int, field: str | None = None) -> None:
    post.issues.append(ParseIssue(code, message, start, end, field))


def _deep_yaml_suspected(fm: str) -> bool:
    """Cheap bound: can this text nest deeper than the composer should recurse?"""
    brackets = fm.count("[") + fm.count("{")
    if brackets > 32:
        return True
    return bool(re.search(r"^[ \t]{64}|(?:[-?:][ \t]+){16}", fm, re.MULTILINE))


def _yaml_depth_ok(fm: str, limit: int) -> tuple[bool, Any]:  # Any: a pure-Python or a C mark
    depth = 0
    for event in yaml.parse(fm, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > limit:
                return False, event.start_mark
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            return False, event.start_mark
    return True, None


def _load_yaml(post: ParsedPost, fm_start: int, fm_end: int) -> None:
    fm = post.text[fm_start:fm_end]
    limits = post.limits
    if len(fm) > limits.max_front_matter_chars:
        _issue(post, "PC003", f"front matter of {len(fm):,} characters is over the "
               f"{limits.max_front_matter_chars:,}-character limit", fm_start, fm_start)
        return
    try:
        if _deep_yaml_suspected(fm):
            ok, mark = _yaml_depth_ok(fm, limits.max_yaml_depth)
            if not ok:
                where = fm_start + (mark.index if mark is not None else 0)
                _issue(post, "PC003", f"front matter nests deeper than {limits.max_yaml_depth} levels "
                       "or uses aliases", where, where)
                return
        loader = _Loader(fm)
        try:
            node = loader.get_single_node()
            if node is None:
                post.fields = {}
                post.front_matter_ok = True
                return
            if not _check_yaml_nodes(post, node, fm_start):
                return
            data = _construct(loader, node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = fm_start + (mark.index if mark is not None else 0)
        problem = exc.problem or "YAML error"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        _issue(post, "PC003", f"invalid YAML: {problem}", where, where)
        return
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError) as exc:
        _issue(post, "PC003", f"invalid YAML: {type(exc).__name__}: {exc}"[:300], fm_start, fm_start)
        return
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} scalar"
        _issue(post, "PC003", f"front matter is {kind}, not a mapping of keys to values", fm_start, fm_end)
        return
    post.fields = {k: v for k, v in data.items() if isinstance(k, str)}
    post.front_matter_ok = True


_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _NotPlain(Exception):
    """The document uses merge keys or collection tags: let PyYAML construct it."""


def _construct(loader: yaml.SafeLoader, root: yaml.Node) -> Any:
    """Construct the checked node tree; plain strings, lists and mappings without
    PyYAML's generic machinery (about 3x faster), anything else through it."""

    def build(node: yaml.Node) -> Any:
        cls = node.__class__
        if cls is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            return loader.construct_object(node, deep=True)  # type: ignore[arg-type]
        if cls is yaml.SequenceNode and node.tag == _SEQ_TAG:
            return [build(child) for child in node.value]
        if cls is yaml.MappingNode and node.tag == _MAP_TAG:
            result = {}
            for key_node, value_node in node.value:
                if key_node.tag != _STR_TAG:
                    raise _NotPlain
                result[key_node.value] = build(value_node)
            return result
        raise _NotPlain

    try:
        return build(root)
    except _NotPlain:
        return loader.construct_document(root)


def _check_yaml_nodes(post: ParsedPost, root: yaml.Node, fm_start: int) -> bool:
    """Reject aliases, over-deep nesting, duplicate and non-string keys; record key spans.

    Runs on every post, so scalars are handled inline and only collections are stacked.
    """
    limit = post.limits.max_yaml_depth
    seen: set[int] = set()
    ok = True
    mapping_node, sequence_node, scalar_node = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    spans = post._key_spans

    def alias_at(node: yaml.Node) -> bool:
        where = fm_start + node.start_mark.index
        _issue(post, "PC003", "front matter uses a YAML alias; aliases are not allowed", where, where)
        return False

    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return alias_at(node)
        seen.add(id(node))
        cls = node.__class__
        if cls is scalar_node:
            continue
        if depth > limit:
            where = fm_start + node.start_mark.index
            _issue(post, "PC003", f"front matter nests deeper than {limit} levels", where, where)
            return False
        if cls is mapping_node:
            keys: set[Any] = set()
            for key_node, value_node in node.value:
                if key_node.__class__ is not scalar_node or key_node.tag != _STR_TAG:
                    where = fm_start + key_node.start_mark.index
                    shown = key_node.value if key_node.__class__ is scalar_node else "?"
                    kind = key_node.tag.rsplit(":", 1)[-1]
                    _issue(post, "PC003",
                           f"key {shown!r} is not a string (YAML reads it as {kind}); quote it",
                           where, fm_start + key_node.end_mark.index)
                    ok = False
                    if key_node.__class__ is not scalar_node:
                        stack.append((key_node, depth + 1))
                elif key_node.value in keys:
                    where = fm_start + key_node.start_mark.index
                    _issue(post, "PC003", f"duplicate key {key_node.value!r}", where,
                           fm_start + key_node.end_mark.index, field=key_node.value)
                    ok = False
                else:
                    keys.add(key_node.value)
                    if node is root:
                        spans[key_node.value] = (
                            fm_start + key_node.start_mark.index,
                            fm_start + key_node.end_mark.index,
                            fm_start + value_node.start_mark.index,
                            fm_start + value_node.end_mark.index,
                        )
                if id(key_node) in seen:
                    return alias_at(key_node)
                seen.add(id(key_node))
                if value_node.__class__ is scalar_node:
                    if id(value_node) in seen:
                        return alias_at(value_node)
                    seen.add(id(value_node))
                else:
                    stack.append((value_node, depth + 1))
        elif cls is sequence_node:
            for child in node.value:
                if child.__class__ is scalar_node:
                    if id(child) in seen:
                        return alias_at(child)
                    seen.add(id(child))
                else:
                    stack.append((child, depth + 1))
    return ok


_TOML_KEY = re.compile(r'^[ \t]*("?)([A-Za-z0-9_-]+)\1[ \t]*=[ \t]*', re.MULTILINE)


def _load_toml(post: ParsedPost, fm_start: int, fm_end: int) -> None:
    if _too_long(post, fm_start, fm_end):
        return
    fm = post.text[fm_start:fm_end]
    try:
        data = tomllib.loads(fm)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        col = getattr(exc, "colno", None)
        where = fm_start
        if line:
            where = fm_start + _offset_of_line_col(fm, line, col or 1)
        _issue(post, "PC003", f"invalid TOML: {str(exc).split(' (at ')[0]}", where, where)
        return
    post.fields = data
    post.front_matter_ok = True
    for m in _TOML_KEY.finditer(fm):
        if m.group(2) in data and m.group(2) not in post._key_spans:
            nl = fm.find("\n", m.end())
            end = len(fm) if nl < 0 else nl
            post._key_spans[m.group(2)] = (fm_start + m.start(2), fm_start + m.end(2),
                                           fm_start + m.end(), fm_start + end)


def _offset_of_line_col(text: str, line: int, col: int) -> int:
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    line = min(max(line, 1), len(starts))
    return min(starts[line - 1] + col - 1, len(text))


def _too_long(post: ParsedPost, fm_start: int, fm_end: int) -> bool:
    limit = post.limits.max_front_matter_chars
    if fm_end - fm_start <= limit:
        return False
    _issue(post, "PC003", f"front matter of {fm_end - fm_start:,} characters is over the {limit:,}-character "
           "limit", fm_start, fm_start)
    return True


def _load_json(post: ParsedPost, fm_start: int, fm_end: int) -> None:
    if _too_long(post, fm_start, fm_end):
        return
    fm = post.text[fm_start:fm_end]

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for k, v in pairs:
            if k in result:
                raise ValueError(f"duplicate key {k!r}")
            result[k] = v
        return result

    try:
        data = json.loads(fm, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        _issue(post, "PC003", f"invalid JSON front matter: {exc.msg}", fm_start + exc.pos, fm_start + exc.pos)
        return
    except (ValueError, RecursionError) as exc:
        _issue(post, "PC003", f"invalid JSON front matter: {exc}", fm_start, fm_start)
        return
    if not isinstance(data, dict):
        _issue(post, "PC003", "front matter is not a mapping of keys to values", fm_start, fm_end)
        return
    post.fields = data
    post.front_matter_ok = True
    # Keys in file order, each searched after the previous one: one pass over the text
    # (a search of the whole text per key was quadratic for thousands of keys).
    cursor = 0
    misses = 0
    for key in data:
        quoted = json.dumps(key, ensure_ascii=False)
        at = fm.find(quoted, cursor)
        while at >= 0:
            m = _JSON_COLON.match(fm, at + len(quoted))
            if m is not None:
                post._key_spans[key] = (fm_start + at + 1, fm_start + at + len(quoted) - 1,
                                        fm_start + m.end(), fm_start + m.end())
                cursor = m.end()
                break
            at = fm.find(quoted, at + 1)
        else:
            misses += 1  # written with other escapes: no span, the finding goes to the fence
            if misses > 8:
                break


_JSON_COLON = re.compile(r"[ \t\r\n]*:[ \t\r\n]*")


def iter_issues(post: ParsedPost, code: str) -> Iterator[ParseIssue]:
    return (i for i in post.issues if i.code == code)
