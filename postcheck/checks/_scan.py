"""One walk over a post's HTML tree that finds every kind of leftover markup.

The six PC3 rules share this scan (cached per post and rule data): each element is
checked once against the compiled signature tables, and the results are grouped
into *units* — the outermost elements to report and remove — for ads and promos,
plus tracking, active-content, lazy-image and empty-container candidates.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .._html import AttributeSpan, Tag, attribute_spans, repaired_name
from ..data import RuleData
from ..model import Edit
from ..parse import MEDIA_TAGS, ParsedPost
from ._signatures import Signature, SignatureTable, tables

__all__ = ["Element", "Scan", "Unit", "scan"]

_INVISIBLE = frozenset({"script", "style", "noscript", "template", "title"})
# Shows nothing whatever the page does: a container holding only these is empty.
_NOTHING = frozenset({"script", "style"})
_STRUCTURAL = frozenset({"html", "body", "head"})
# Elements whose removal would break their parent's structure (a table cell).
_KEEP_STRUCTURE = frozenset({"td", "th", "tr", "thead", "tbody", "tfoot", "caption", "col", "colgroup"})
# Block containers PC306 may report; an inline element (`<em> </em>`) is reported only
# when it holds no character at all, since even a space inside it separates words.
_CONTAINERS = frozenset(
    {"div", "section", "aside", "p", "center", "figure", "figcaption", "header", "footer", "article", "ul",
     "ol", "blockquote", "nav", "main", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_INLINE_CONTAINERS = frozenset({"span", "font", "strong", "b", "em", "i", "u", "small", "ins", "label"})
_INLINE_PARENTS = _INLINE_CONTAINERS | {"a"}
# Attributes that give an empty element a meaning of its own (an anchor target, microdata).
_MATTERING = frozenset({"id", "name", "itemprop", "itemscope", "itemtype", "role", "aria-label", "title"})
# Text past these sizes means an element holds article content, not just an ad label
# or a promo's call to action.
_ARTICLE_PARAGRAPH = 120
_ARTICLE_TEXT = 400


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
    elements: list[Element] = field(default_factory=list)
    empty_roots: list[Element] = field(default_factory=list)
    unit_ids: set[int] = field(default_factory=set)


_CACHE: weakref.WeakKeyDictionary[ParsedPost, tuple[int, Scan]] = weakref.WeakKeyDictionary()


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


def _text_of(node: Any) -> str:
    return node if isinstance(node, str) else ""


def scan(post: ParsedPost, data: RuleData) -> Scan:
    """The shared analysis of a post (computed once per post and rule data)."""
    cached = _CACHE.get(post)
    if cached is not None and cached[0] == id(data):
        return cached[1]
    result = _scan(post, tables(data))
    _CACHE[post] = (id(data), result)
    return result


def _scan(post: ParsedPost, tbl: dict[str, SignatureTable]) -> Scan:
    result = Scan()
    root = post.tree
    if root is None:
        return result
    ads = tbl.get("PC301")
    promos = tbl.get("PC302")
    info: dict[etree._Element, Element] = {}
    matches: dict[etree._Element, tuple[str, Signature | None, str]] = {}
    for el in root.iter():
        item = element_info(post, el)
        if item is None:
            continue
        info[el] = item
        result.elements.append(item)
        if item.tag in _STRUCTURAL:
            continue
        hit: tuple[str, Signature | None, str] | None = None
        if ads is not None:
            sig = ads.match(item.tag, item.attrs)
            if sig is not None:
                hit = ("PC301", sig, sig.name)
        if hit is None and promos is not None:
            sig = promos.match(item.tag, item.attrs)
            if sig is not None:
                hit = ("PC302", sig, sig.name)
        if hit is None and promos is not None and item.tag == "a" and promos.link_texts:
            sig = promos.match_link_text("".join(t for t in el.itertext() if isinstance(t, str)))
            if sig is not None:
                hit = ("PC302", sig, sig.name)
        if hit is None and item.tag == "input" and _is_signup_input(item.attrs):
            box = _signup_box(el)
            if box is not None and box not in matches:
                matches[box] = ("PC302", None, "sign-up form")
        if hit is not None:
            matches[el] = hit
    empty = _emptiness(root, info)
    _units(root, info, matches, empty, result)
    _expand(result, info, empty)
    result.unit_ids = {id(u.element.el) for u in result.units}
    # outermost empty containers that are not already part of a unit
    inside_unit: set[int] = set()
    for u in result.units:
        for d in u.element.el.iter():
            inside_unit.add(id(d))
    for item in result.elements:
        el = item.el
        parent = el.getparent()
        if parent is None or _article_root(el):
            continue  # an empty article is PC006's business
        if empty.get(el) and _reportable(item) and id(el) not in inside_unit:
            pinfo = info.get(parent) if parent is not None else None
            if pinfo is None or not (empty.get(parent) and _reportable(pinfo)):
                result.empty_roots.append(item)
    return result


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


def _reportable(item: Element) -> bool:
    if item.tag in _CONTAINERS:
        return True
    return item.tag in _INLINE_CONTAINERS and not "".join(
        t for t in item.el.itertext() if isinstance(t, str))


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


def _emptiness(root: etree._Element, info: dict[etree._Element, Element]) -> dict[etree._Element, bool]:
    """Per element: no text, no media, no attribute that matters, in its whole subtree."""
    empty: dict[etree._Element, bool] = {}
    for el in _postorder(root):
        item = info.get(el)
        if item is None:
            continue
        tag = item.tag
        if tag in MEDIA_TAGS or tag in ("hr", "input", "textarea", "select", "button", "object", "canvas",
                                        "math", "map", "area"):
            empty[el] = False
            continue
        # An attribute pointing somewhere (a video id in a player placeholder) or a custom
        # element (a web component renders content of its own) is not nothing.
        ok = not any(k in _MATTERING or _is_link(v) for k, v in item.attrs.items()) \
            and "-" not in tag and not item.repaired
        if tag in _INVISIBLE:  # a script shows nothing, wherever it loads from; a template may
            empty[el] = tag in _NOTHING and not any(k in _MATTERING for k in item.attrs)
            continue
        ok = ok and not (el.text or "").strip()
        if ok:
            for child in el:
                if (child.tail or "").strip():
                    ok = False
                    break
                if isinstance(child.tag, str) and not empty.get(child, False):
                    ok = False
                    break
        empty[el] = ok
    return empty


def _is_link(value: str) -> bool:
    v = value.lstrip()[:8].lower()
    return v.startswith(("http://", "https://", "//"))


def _postorder(root: etree._Element) -> list[etree._Element]:
    order: list[etree._Element] = []
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))
    return order


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


def _units(root: etree._Element, info: dict[etree._Element, Element],
           matches: dict[etree._Element, tuple[str, Signature | None, str]],
           empty: dict[etree._Element, bool], result: Scan) -> None:
    stack: list[etree._Element] = [root]
    while stack:
        node = stack.pop()
        hit = matches.get(node)
        item = info.get(node)
        if hit is not None and item is not None:
            code, sig, reason = hit
            unit = Unit(code, item, item, sig, reason)
            if _article_text(node, matches):
                result.kept.append(unit)
            else:
                result.units.append(unit)
                continue
        stack.extend(reversed([c for c in node if isinstance(c.tag, str)]))


def _expand(result: Scan, info: dict[etree._Element, Element], empty: dict[etree._Element, bool]) -> None:
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
            if any(info[d].repaired for d in el.iter() if d in info):
                continue  # a malformed tag distorts the parsed parents; keep to the slot itself
            parent = el.getparent()
            if parent is None or parent.getparent() is None:
                continue
            grand = parent.getparent()
            pinfo = info.get(parent)
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
                elif not empty.get(child, False):
                    ok = False
                    break
            if not ok or not members:
                continue
            if any(info[d].repaired for m in members for d in m.element.el.iter() if d in info):
                continue  # a malformed tag distorts the parsed parents; keep to the slots themselves
            codes = {m.code for m in members}
            first = members[0]
            for m in members:
                del by_el[m.element.el]
            code = first.code if len(codes) == 1 else "PC301" if "PC301" in codes else first.code
            by_el[parent] = Unit(code, pinfo, first.matched, first.signature, first.reason)
            changed = True
    order = {id(item.el): i for i, item in enumerate(result.elements)}
    units = sorted(by_el.values(), key=lambda u: order.get(id(u.element.el), 0))
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


# -- spans and edits -------------------------------------------------------------------


def removal_span(post: ParsedPost, item: Element) -> tuple[int, int] | None:
    """The exact source span of an element, verified; None when the mapping is doubtful."""
    html = post.html
    tag = html.tag_of(item.el)
    if tag is None or not _same_start_tag(post, item, tag):
        return None
    start, end = post.element_span(item.el)
    if end <= start:
        return None
    balanced = _balance(post, start, end)
    if balanced is None:
        return None
    return start, balanced


def _same_start_tag(post: ParsedPost, item: Element, tag: Tag) -> bool:
    name = repaired_name(tag.name) if item.repaired else tag.name
    if name != item.tag:
        return False
    if item.repaired:
        return True
    raw = {a.name: a.value for a in attribute_spans(post.text, tag)}
    for key in ("id", "class"):
        want = item.attrs.get(key)
        got = raw.get(key)
        if want is None and got is None:
            continue
        if want is None or got is None:
            return False
        if "&" not in got and want.split() != got.split():
            return False
    return True


def _balance(post: ParsedPost, start: int, end: int) -> int | None:
    """Extend a span over the end tags its malformed start tags still owe.

    A start tag such as `<divclass="m-block-ad "…>` is closed by the parser at the next
    `</div>` of an outer element; the author meant that `</div>` for it. Removing the
    parser's span would leave a stray end tag that closes an outer element early.
    """
    owed: dict[str, int] = {}
    for tag in post.html.tags_between(start, end):
        real = repaired_name(tag.name)
        if real is not None and not tag.self_closing:
            owed[real] = owed.get(real, 0) + 1
    if not owed:
        return end
    text = post.text
    pos = end
    for name, count in owed.items():
        for _ in range(count):
            closing = f"</{name}>"
            if text[pos:pos + len(closing)].lower() == closing:
                pos += len(closing)
            else:
                return None  # cannot tell which end tag belongs to it: no fix
    return pos


def removal_edit(post: ParsedPost, start: int, end: int, item: Element | None = None) -> Edit:
    """Remove [start, end) and the whitespace that only it used.

    Inside an inline parent (`<span> <b></b></span>`) the whitespace separates words
    and stays.
    """
    text = post.text
    parent = item.el.getparent() if item is not None else None
    if parent is not None and isinstance(parent.tag, str) and parent.tag.lower() in _INLINE_PARENTS:
        return Edit(start=start, end=end)
    floor = post.html_start
    ls = start
    while ls > floor and text[ls - 1] in " \t":
        ls -= 1
    le = end
    while le < len(text) and text[le] in " \t":
        le += 1
    line_start = ls == floor or text[ls - 1] in "\r\n"
    line_end = le == len(text) or text[le] in "\r\n"
    if line_start and line_end and ls < start <= end:
        if le < len(text):
            le += 2 if text.startswith("\r\n", le) else 1
        if ls == start and le == end:
            return Edit(start=start, end=end)
        return Edit(start=ls, end=le)
    if ls < start and (le > end or le == len(text) or text[le] in "\r\n"
                       or (text[ls - 1] == ">" and text[le] == "<")):
        return Edit(start=ls, end=end)
    return Edit(start=start, end=end)


def attribute_edit(post: ParsedPost, item: Element, names: set[str]) -> list[Edit]:
    """Edits removing the named attributes (with the whitespace before each) from a start tag."""
    tag = post.html.tag_of(item.el)
    if tag is None or not _same_start_tag(post, item, tag):
        return []
    spans = attribute_spans(post.text, tag, len(item.tag) if item.repaired else None)
    edits = []
    for span in spans:
        if span.name in names:
            s = span.start
            while s > tag.start and post.text[s - 1] in " \t\r\n\f":
                s -= 1
            edits.append(Edit(start=s, end=span.end))
    return edits


def attributes_of(post: ParsedPost, item: Element) -> list[AttributeSpan]:
    tag = post.html.tag_of(item.el)
    if tag is None or not _same_start_tag(post, item, tag):
        return []
    return attribute_spans(post.text, tag, len(item.tag) if item.repaired else None)
