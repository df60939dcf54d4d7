"""One walk over a post's HTML tree that finds every kind of leftover markup.

The six PC3 rules share this scan (cached per post and rule data): each element is
checked once against the compiled signature tables, and the results are grouped
into *units* — the outermost elements to report and remove — for ads and promos,
plus tracking, active-content, lazy-image and empty-container candidates.

Most elements carry no attribute, or only class strings seen many times before, so
the walk is kept cheap: per-element records (:class:`Element`) are made only for the
elements a rule may report, and everything else is decided from memoised lookups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from lxml import etree

from .._html import attribute_spans, repaired_name
from ..data import RuleData
from ..parse import MEDIA_TAGS, ParsedPost
from ._signatures import EVENT_HANDLERS, URL_JUNK, URL_KEYS, Signature, SignatureTable, tables

__all__ = ["Element", "Scan", "Unit", "scan"]

_INVISIBLE = frozenset({"script", "style", "noscript", "template", "title"})
# Shows nothing whatever the page does: a container holding only these is empty.
_NOTHING = frozenset({"script", "style"})
_STRUCTURAL = frozenset({"html", "body", "head"})
# Elements whose removal would break their parent's structure (a table cell).
_KEEP_STRUCTURE = frozenset({"td", "th", "tr", "thead", "tbody", "tfoot", "caption", "col", "colgroup"})
# Containers PC306 reports when they are left with nothing in them. Inline ones (`<span> </span>`)
# only when they hold no character at all, since even a space inside them separates words.
_EMPTY_BLOCKS = frozenset(
    {"div", "section", "aside", "article", "figure", "figcaption", "header", "footer", "center", "p"}
)
_EMPTY_INLINE = frozenset({"span", "font"})
# Only markup whitespace counts as nothing: `&nbsp;` or an ideographic space is spacing
# the author typed.
ASCII_SPACE = " \t\n\r\f"
_INLINE_CONTAINERS = frozenset({"span", "font", "strong", "b", "em", "i", "u", "small", "ins", "label"})
INLINE_PARENTS = _INLINE_CONTAINERS | {"a"}
# Attributes that give an empty element a meaning of its own (an anchor target, microdata).
_MATTERING = frozenset({"id", "name", "itemprop", "itemscope", "itemtype", "role", "aria-label", "title"})
# Text past these sizes means an element holds article content, not just an ad label
# or a promo's call to action.
_ARTICLE_PARAGRAPH = 120
_ARTICLE_TEXT = 400

# Elements PC303/PC304/PC305 look at whatever their attributes.
_CANDIDATE_TAGS = frozenset({"img", "script", "iframe"})


@dataclass
class Element:
    """An lxml element with its effective name and attributes (repaired if malformed)."""

    el: etree._Element
    tag: str
    attrs: dict[str, str]
    repaired: bool = False


@dataclass
class Unit:
    """An outermost ad/promo element to report (and maybe remove)."""

    code: str
    element: Element
    matched: Element
    signature: Signature | None
    reason: str
    # following siblings reported and removed with it (a promo's desktop and mobile copies)
    extra: list[Element] = field(default_factory=list)


@dataclass
class Scan:
    units: list[Unit] = field(default_factory=list)
    kept: list[Unit] = field(default_factory=list)  # matched but holding article text
    # elements PC303-PC305 may report (img, script, iframe, links, tracking or handler
    # attributes, javascript: URLs), in document order
    elements: list[Element] = field(default_factory=list)
    empty_roots: list[Element] = field(default_factory=list)
    unit_ids: set[int] = field(default_factory=set)


# Kept in the post's per-post cache (a key no front-matter key can be): a weak-key
# dictionary cost a weak reference per post and a callback when the post died.
_KEY = "\0pc:markup-scan"


class _Cached:
    """``post in _CACHE``: whether the post's scan is built (for profiling tools)."""

    def __contains__(self, post: object) -> bool:
        return isinstance(post, ParsedPost) and _KEY in post._field_cache


_CACHE = _Cached()


def element_info(post: ParsedPost, el: etree._Element) -> Element | None:
    tag = el.tag
    if not isinstance(tag, str):
        return None
    name = tag.lower()
    real = repaired_name(name)
    if real is None:
        return Element(el, name, {str(k).lower(): str(v) for k, v in el.attrib.items()})
    raw = post.html.tag_of(el)
    attrs: dict[str, str] = {}
    if raw is not None:
        for span in attribute_spans(post.text, raw, len(real)):
            attrs[span.name] = span.value
    return Element(el, real, attrs, repaired=True)


def scan(post: ParsedPost, data: RuleData) -> Scan:
    """The shared analysis of a post (computed once per post and rule data)."""
    cache = post._field_cache
    cached = cache.get(_KEY)
    if cached is not None and cached[0] is data:
        return cached[1]  # type: ignore[no-any-return]
    result = _scan(post, tables(data), data.derived("markup-element-kinds", _new_memo))
    cache[_KEY] = (data, result)
    return result


# tag as lxml gives it -> (lower-case name, repaired name or None)
_NAMES: dict[str, tuple[str, str | None]] = {}


def _name_of(tag: str) -> tuple[str, str | None]:
    found = _NAMES.get(tag)
    if found is None:
        name = tag.lower()
        found = (name, repaired_name(name))
        if len(_NAMES) < 4096:
            _NAMES[tag] = found
    return found


def _maybe_javascript(value: str) -> bool:
    """A cheap necessary condition for a `javascript:` URL (its first real character)."""
    return value.lstrip(URL_JUNK)[:1] in ("j", "J")


class _Walk:
    """Per-post state of the scan: element records made on demand."""

    def __init__(self, post: ParsedPost) -> None:
        self.post = post
        self.info: dict[etree._Element, Element] = {}
        self.repaired: set[etree._Element] = set()
        self.old_empty: dict[etree._Element, bool] = {}

    def item(self, el: etree._Element) -> Element | None:
        found = self.info.get(el)
        if found is None:
            found = element_info(self.post, el)
            if found is not None:
                self.info[el] = found
        return found


# What an element's name and attributes alone decide (memoised per process and rule
# data for elements without URLs: class strings repeat massively across posts). The
# attribute dict may be shared between elements: nothing mutates it.
class _Kind(NamedTuple):
    name: str
    attrs: dict[str, str]
    todo: int  # what the walk does with the element (_CANDIDATE | _BLANK | ...); most need nothing
    hit: tuple[str, Signature | None, str] | None
    cacheable: bool


_CANDIDATE = 1  # PC303-PC305 may report it
_BLANK = 2  # a PC306 container with no attribute value
_HIT = 4  # a PC301/PC302 signature matched
_LINK = 8  # a link that no signature matched: its text may be a promo's
_SIGNUP = 16  # a sign-up input: its box is a promo


def _new_memo(_: RuleData) -> dict[Any, _Kind]:
    return {}


_URL_ATTRIBUTE_SET = frozenset({"href", "src", "data-src", "data-original"})


def _kind(name: str, attrs: dict[str, str], tbl: dict[str, SignatureTable], *, repaired: bool = False) -> _Kind:
    tracking = tbl.get("PC303")
    # a malformed tag is always looked at closely
    candidate = repaired or name in _CANDIDATE_TAGS or (name == "a" and "href" in attrs)
    if not candidate:
        for k, v in attrs.items():
            if k in EVENT_HANDLERS or (tracking is not None and tracking.attribute_name(k) is not None) or (
                    k in URL_KEYS and _maybe_javascript(v)):
                candidate = True
                break
    blank = (name in _EMPTY_BLOCKS or name in _EMPTY_INLINE) and not any(v.strip() for v in attrs.values())
    hit: tuple[str, Signature | None, str] | None = None
    if attrs and name not in _STRUCTURAL:
        for code in ("PC301", "PC302"):
            table = tbl.get(code)
            sig = table.match(name, attrs) if table is not None else None
            if sig is not None:
                hit = (code, sig, sig.name)
                break
    todo = (_CANDIDATE if candidate else 0) | (_BLANK if blank else 0)
    if hit is not None:
        todo |= _HIT
    elif name == "a":
        todo |= _LINK
    elif name == "input" and _is_signup_input(attrs):
        todo |= _SIGNUP
    return _Kind(name, attrs, todo, hit, not repaired and _URL_ATTRIBUTE_SET.isdisjoint(attrs))


def _scan(post: ParsedPost, tbl: dict[str, SignatureTable], memo: dict[Any, _Kind]) -> Scan:
    result = Scan()
    root = post.tree
    if root is None:
        return result
    promos = tbl.get("PC302")
    link_texts = promos is not None and bool(promos.link_texts)
    walk = _Walk(post)
    info = walk.info
    matches: dict[etree._Element, tuple[str, Signature | None, str]] = {}
    maybe_empty: list[etree._Element] = []
    resort = False
    elements = result.elements
    if len(memo) > _KIND_LIMIT:
        memo.clear()
    lookup = memo.get
    # Elements only (no comments or processing instructions), filtered by lxml in C.
    for el in root.iter(etree.Element):
        tag = el.tag
        items = el.items()
        kind = lookup((tag, *items) if items else tag)
        if kind is None:
            name, real = _name_of(tag)
            if real is not None:
                item = walk.item(el)
                assert item is not None
                walk.repaired.add(el)
                kind = _kind(item.tag, item.attrs, tbl, repaired=True)
            else:
                kind = _kind(name, {str(k).lower(): str(v) for k, v in items}, tbl)
            if kind.cacheable:
                memo[(tag, *items) if items else tag] = kind
        name, attrs, todo, hit, _ = kind
        if not todo:
            continue
        if todo & _CANDIDATE:
            item = info.get(el) or Element(el, name, attrs)
            info[el] = item
            elements.append(item)
        if todo & _BLANK:
            text = el.text
            if not text or (name in _EMPTY_BLOCKS and not text.strip(ASCII_SPACE)):
                maybe_empty.append(el)
        if hit is not None:
            matches[el] = hit
            if el not in info:  # _units needs its record: made from the attributes read here
                info[el] = Element(el, name, attrs)
        elif todo & _LINK:
            if link_texts:
                assert promos is not None
                # most links hold only text: no generator over the subtree for them
                sig = promos.match_link_text(
                    (el.text or "") if not len(el) else "".join(t for t in el.itertext() if isinstance(t, str)))
                if sig is not None:
                    matches[el] = ("PC302", sig, sig.name)
        elif todo & _SIGNUP:
            box = _signup_box(el)
            if box is not None and box not in matches:
                matches[box] = ("PC302", None, "sign-up form")
                resort = True
    if matches:
        _units(walk, matches, resort, result)
        _expand(walk, result)
    result.unit_ids = {id(u.element.el) for u in result.units}
    if maybe_empty:
        _empty_roots(walk, maybe_empty, result)
    return result


_KIND_LIMIT = 200_000


def _document_order(elements: Iterable[etree._Element]) -> dict[etree._Element, int]:
    """Position of every element of the tree in document order, built in one pass.

    (Sibling indices per element would cost a scan of the siblings each: quadratic on a
    body of thousands of sibling ad slots.)"""
    first = next(iter(elements), None)
    if first is None:
        return {}
    return {el: i for i, el in enumerate(first.getroottree().getroot().iter())}


def _empty_roots(walk: _Walk, maybe: list[etree._Element], result: Scan) -> None:
    """Outermost containers with nothing in them (no attribute, text, media or other element)."""
    empty: set[etree._Element] = set()
    for el in reversed(maybe):  # children come after their parent in document order
        inline = el.tag.lower() in _EMPTY_INLINE
        for child in el:
            tail = child.tail
            if tail and (inline or tail.strip(ASCII_SPACE)):
                break
            if type(child.tag) is str and child not in empty:
                break
        else:
            empty.add(el)
    if not empty:
        return
    inside_unit: set[etree._Element] = set()
    for u in result.units:
        inside_unit.update(u.element.el.iter())
    for el in maybe:
        if el not in empty or el in inside_unit:
            continue
        parent = el.getparent()
        if parent is None or parent in empty or _article_root(el):
            continue  # an empty article is PC006's business
        item = walk.item(el)
        assert item is not None
        result.empty_roots.append(item)


def _article_root(el: etree._Element) -> bool:
    """The body itself, or the body's first element (the scraped article's container)."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in _STRUCTURAL:
        return True
    parent = el.getparent()
    if parent is None or not isinstance(parent.tag, str) or parent.tag.lower() != "body":
        return False
    first = next((c for c in parent if isinstance(c.tag, str)), None)
    return first is el


def _is_signup_input(attrs: dict[str, str]) -> bool:
    kind = attrs.get("type", "text").strip().lower()
    if kind == "email":
        return True
    if kind != "text":
        return False
    hints = " ".join(attrs.get(k, "") for k in ("name", "placeholder", "aria-label", "class", "id")).lower()
    return any(w in hints for w in ("mail", "信箱", "邮箱", "郵箱", "電郵", "电邮", "newsletter", "epaper"))


def _signup_box(el: etree._Element) -> etree._Element | None:
    """The form around a sign-up input, else its nearest block ancestor below the article root."""
    node = el.getparent()
    block = None
    while node is not None:
        parent = node.getparent()
        if parent is None or not isinstance(node.tag, str) or node.tag.lower() in _STRUCTURAL:
            break
        if node.tag.lower() == "form":
            return node
        if block is None and node.tag.lower() in ("div", "section", "aside", "p") \
                and parent.tag not in _STRUCTURAL:
            block = node
        node = parent
    return block


def _old_empty(walk: _Walk, top: etree._Element) -> bool:
    """No text, no media, no attribute that matters, in the whole subtree (memoised).

    This is what makes a wrapper's other children negligible when an ad unit grows to
    the wrapper; PC306's own notion of an empty container is stricter.
    """
    memo = walk.old_empty
    known = memo.get(top)
    if known is not None:
        return known
    stack: list[tuple[etree._Element, bool]] = [(top, False)]
    while stack:
        el, done = stack.pop()
        if not done:
            if el in memo:
                continue
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el) if type(child.tag) is str)
            continue
        memo[el] = _empty_here(walk, el, memo)
    return memo.get(top, False)


def _empty_here(walk: _Walk, el: etree._Element, memo: dict[etree._Element, bool]) -> bool:
    item = walk.item(el)
    if item is None:
        return False
    tag = item.tag
    if tag in MEDIA_TAGS or tag in ("hr", "input", "textarea", "select", "button", "object", "canvas",
                                    "math", "map", "area"):
        return False
    # An attribute pointing somewhere (a video id in a player placeholder) or a custom
    # element (a web component renders content of its own) is not nothing.
    ok = not any(k in _MATTERING or _is_link(v) for k, v in item.attrs.items()) \
        and "-" not in tag and not item.repaired
    if tag in _INVISIBLE:  # a script shows nothing, wherever it loads from; a template may
        return tag in _NOTHING and not any(k in _MATTERING for k in item.attrs)
    ok = ok and not (el.text or "").strip()
    if ok:
        for child in el:
            if (child.tail or "").strip():
                return False
            if isinstance(child.tag, str) and not memo.get(child, False):
                return False
    return ok


def _is_link(value: str) -> bool:
    v = value.lstrip()[:8].lower()
    return v.startswith(("http://", "https://", "//"))


def _article_text(el: etree._Element, matches: dict[etree._Element, Any]) -> bool:
    """Does ``el`` hold article paragraphs (text outside nested ad/promo matches)?"""
    total = 0
    stack: list[etree._Element] = list(el)
    own = len((el.text or "").strip())
    total += own
    while stack:
        node = stack.pop()
        tail = len((node.tail or "").strip())
        total += tail
        if not isinstance(node.tag, str) or node in matches or node.tag.lower() in _INVISIBLE:
            continue
        text = "".join(t for t in node.itertext() if isinstance(t, str)) if node.tag.lower() == "p" else None
        if text is not None and len(text.strip()) >= _ARTICLE_PARAGRAPH:
            return True
        total += len((node.text or "").strip())
        stack.extend(node)
        if total >= _ARTICLE_TEXT:
            return True
    return total >= _ARTICLE_TEXT


def _units(walk: _Walk, matches: dict[etree._Element, tuple[str, Signature | None, str]],
           resort: bool, result: Scan) -> None:
    """Matched elements in document order, outermost first; one inside a unit is part of it."""
    found: set[etree._Element] = set()
    if resort:
        order = _document_order(matches)
        nodes = sorted(matches, key=order.__getitem__)
    else:
        nodes = list(matches)
    for node in nodes:
        parent = node.getparent()
        inside = False
        while parent is not None:
            if parent in found:
                inside = True
                break
            parent = parent.getparent()
        if inside:
            continue
        item = walk.item(node)
        if item is None:
            continue
        code, sig, reason = matches[node]
        unit = Unit(code, item, item, sig, reason)
        if _article_text(node, matches):
            result.kept.append(unit)
        else:
            result.units.append(unit)
            found.add(node)


def _expand(walk: _Walk, result: Scan) -> None:
    """Grow a unit to wrappers that hold nothing else (`<section id="imu"><div id="dfp-ad-imu1">`).

    Removing only the inner slot would leave an empty wrapper behind, and a second
    `--fix` run would then have something new to remove.
    """
    by_el = {u.element.el: u for u in result.units}
    changed = True
    while changed:
        changed = False
        for unit in list(by_el.values()):
            el = unit.element.el
            if el not in by_el:
                continue
            if walk.repaired and any(d in walk.repaired for d in el.iter()):
                continue  # a malformed tag distorts the parsed parents; keep to the slot itself
            parent = el.getparent()
            if parent is None or parent.getparent() is None:
                continue
            grand = parent.getparent()
            pinfo = walk.item(parent)
            if pinfo is None or pinfo.tag in _STRUCTURAL or pinfo.tag in _KEEP_STRUCTURE:
                continue
            if grand is None or _article_root(parent):
                continue  # never swallow the article's own root element
            if (parent.text or "").strip():
                continue
            members = []
            ok = True
            for child in parent:
                if (child.tail or "").strip():
                    ok = False
                    break
                if not isinstance(child.tag, str):
                    continue
                if child in by_el:
                    members.append(by_el[child])
                elif not _old_empty(walk, child):
                    ok = False
                    break
            if not ok or not members:
                continue
            if walk.repaired and any(d in walk.repaired for m in members for d in m.element.el.iter()):
                continue  # a malformed tag distorts the parsed parents; keep to the slots themselves
            codes = {m.code for m in members}
            first = members[0]
            for m in members:
                del by_el[m.element.el]
            code = first.code if len(codes) == 1 else "PC301" if "PC301" in codes else first.code
            by_el[parent] = Unit(code, pinfo, first.matched, first.signature, first.reason)
            changed = True
    units = list(by_el.values())
    if len(units) > 1:
        order = _document_order(u.element.el for u in units)
        units.sort(key=lambda u: order[u.element.el])
    result.units = _merge_copies(units)


def _merge_copies(units: list[Unit]) -> list[Unit]:
    """One promo shown twice side by side (desktop and mobile images of the same link)."""
    merged: list[Unit] = []
    for unit in units:
        if merged:
            last = merged[-1]
            tail = last.extra[-1] if last.extra else last.element
            el = unit.element.el
            if (unit.code == last.code == "PC302" and tail.el.getnext() is el
                    and not (tail.el.tail or "").strip() and unit.element.tag == tail.tag
                    and unit.element.attrs.get("href") and
                    unit.element.attrs.get("href") == tail.attrs.get("href")):
                last.extra.append(unit.element)
                continue
        merged.append(unit)
    return merged
