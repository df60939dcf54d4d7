"""Front matter: find the fences, load YAML/TOML/JSON with exact offsets, reject the dangerous.

YAML goes through the C loader's node tree so that every top-level key keeps its
span in the file; aliases, nesting past the limit, duplicate and non-string keys are
rejected before anything is constructed, and timestamps stay strings for pydantic.
Everything here records problems on the post (``post.add_issue``) instead of raising.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from ._fastyaml import load_simple

if TYPE_CHECKING:
    from .parse import ParsedPost

__all__ = ["split_front_matter"]

_NEWLINE = re.compile(r"\r\n|\r|\n")

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


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_Loader.add_constructor(_TIMESTAMP_TAG, _construct_timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_bounded_int)

_STR_TAG = "tag:yaml.org,2002:str"

_AS_TEXT = frozenset({_TIMESTAMP_TAG})  # tags _Loader constructs as their text (see above)
# Off only to compare the two paths (tests, benchmarks): results must not depend on it.
FAST_PATH = True


_YAML_OPEN = re.compile(r"---[ \t]*(?:\r\n|\r|\n)")
_YAML_CLOSE = re.compile(r"(?:\r\n|\r|\n)(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|\Z)")
_TOML_OPEN = re.compile(r"\+\+\+[ \t]*(?:\r\n|\r|\n)")
_TOML_CLOSE = re.compile(r"(?:\r\n|\r|\n)\+\+\+[ \t]*(?:\r\n|\r|\n|\Z)")
_JSON_CLOSE = re.compile(r"(?:\r\n|\r|\n)\}[ \t]*(?:\r\n|\r|\n|\Z)")


def _fenced(post: ParsedPost, fmt: str, opening: re.Match[str], close: re.Match[str],
            load: Callable[[ParsedPost, int, int], None]) -> None:
    """Record a fenced front matter (the text between the fence lines, its final newline
    included) and load it."""
    fm_start = opening.end()
    newline = len(close.group(0)) - len(close.group(0).lstrip("\r\n"))
    fm_end = max(fm_start, close.start() + newline)
    post.fm_format = fmt
    post.fm_span = (fm_start, fm_end)
    post.body_start = close.end()
    load(post, fm_start, fm_end)


def split_front_matter(post: ParsedPost) -> None:
    """Find the front matter of ``post.text``, load it, and record key spans and issues."""
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
        _fenced(post, "yaml", opening, close, _load_yaml)
        return
    if text.startswith("+++", start):
        opening = _TOML_OPEN.match(text, start)
        close = _TOML_CLOSE.search(text, opening.end() - 1) if opening else None
        if opening is None or close is None:
            _issue(post, "PC003", "front matter is opened with '+++' but never closed", start, start + 3)
            post.body_start = len(text)
            return
        _fenced(post, "toml", opening, close, _load_toml)
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
    post.add_issue(code, message, start, end, field)


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
    if FAST_PATH:
        simple = load_simple(fm, fm_start, _Loader, limits.max_yaml_depth, _AS_TEXT)
        if simple is not None:
            post.fields, spans = simple
            post._key_spans.update(spans)
            post.front_matter_ok = True
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
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at a known place
        where = fm_start + max(0, min(exc.position, len(fm)))
        _issue(post, "PC003", f"invalid YAML: {exc.reason} ({_codepoint(exc.character)})", where, where + 1)
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

    Scalars are checked as they are met and only collections are stacked.
    """
    limit = post.limits.max_yaml_depth
    seen: set[int] = set()
    ok = True
    mapping_node, sequence_node, scalar_node = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    spans = post._key_spans
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]

    def alias_at(node: yaml.Node) -> bool:
        where = fm_start + node.start_mark.index
        _issue(post, "PC003", "front matter uses a YAML alias; aliases are not allowed", where, where)
        return False

    def visit(child: yaml.Node, depth: int) -> bool:
        """A scalar met twice is an alias (False, reported); a collection is stacked."""
        if child.__class__ is not scalar_node:
            stack.append((child, depth))
            return True
        if id(child) in seen:
            return alias_at(child)
        seen.add(id(child))
        return True

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
                if not (visit(key_node, depth + 1) and visit(value_node, depth + 1)):
                    return False
        elif cls is sequence_node:
            for child in node.value:
                if not visit(child, depth + 1):
                    return False
    return ok


_TOML_KEY = re.compile(r'^[ \t]*("?)([A-Za-z0-9_-]+)\1[ \t]*=[ \t]*', re.MULTILINE)
# A table header ([params], [[menu.main]]): its first name is a top-level key.
_TOML_TABLE = re.compile(r'^[ \t]*\[\[?[ \t]*("?)([A-Za-z0-9_-]+)\1[ \t]*[.\]]', re.MULTILINE)


def _codepoint(character: str | int) -> str:
    code = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{code:04X}"


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
    except RecursionError:  # tomllib recurses per nested array or inline table
        _issue(post, "PC003", "invalid TOML: values nested too deeply", fm_start, fm_start)
        return
    post.fields = data
    post.front_matter_ok = True
    for m in _TOML_KEY.finditer(fm):
        if m.group(2) in data and m.group(2) not in post._key_spans:
            nl = fm.find("\n", m.end())
            end = len(fm) if nl < 0 else nl
            post._key_spans[m.group(2)] = (fm_start + m.start(2), fm_start + m.end(2),
                                           fm_start + m.end(), fm_start + end)
    for m in _TOML_TABLE.finditer(fm):
        if m.group(2) in data and m.group(2) not in post._key_spans:
            nl = fm.find("\n", m.end())
            header = fm[m.start():len(fm) if nl < 0 else nl].rstrip()
            # the key is the table's name; its "value" is the header line
            post._key_spans[m.group(2)] = (fm_start + m.start(2), fm_start + m.end(2),
                                           fm_start + m.start(), fm_start + m.start() + len(header))


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


def _holds_lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


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
    if "\\u" in fm and _holds_lone_surrogate(data):
        # "\ud800" alone decodes to half a character: no report or file could hold it
        _issue(post, "PC003", "invalid JSON front matter: a \\u escape gives half of a surrogate pair",
               fm_start, fm_start)
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
