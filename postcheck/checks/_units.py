"""Records of the leftover-markup scan, and how its matches become reportable units.

The walk (:mod:`._scan`) makes an :class:`Element` record for each element a rule may
report. Matched ad and promo elements are then grouped into :class:`Unit` s: the
outermost element to report and remove, grown to wrappers that hold nothing else, with
a promo's side-by-side copies merged; containers left with nothing in them are found
for PC306.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..parse import MEDIA_TAGS, ParsedPost, attribute_spans, element_text, repaired_name
from ._signatures import Signature

__all__ = [
    "ARTICLE_PARAGRAPH", "ASCII_SPACE", "EMPTY_BLOCKS", "EMPTY_INLINE", "INLINE_PARENTS", "STRUCTURAL", "Element",
    "Scan", "Unit", "Walk",
    "element_info", "expand_units", "find_empty_roots", "group_units", "one_by_one",
]

_INVISIBLE = frozenset({"script", "style", "noscript", "template", "title"})
# Shows nothing whatever the page does: a container holding only these is empty.
_NOTHING = frozenset({"script", "style"})
STRUCTURAL = frozenset({"html", "body", "head"})
# Elements whose removal would break their parent's structure (a table cell).
_KEEP_STRUCTURE = frozenset({"td", "th", "tr", "thead", "tbody", "tfoot", "caption", "col", "colgroup"})
# Containers PC306 reports when they are left with nothing in them. Inline ones (`<span> </span>`)
# only when they hold no character at all, since even a space inside them separates words.
EMPTY_BLOCKS = frozenset(
    {"div", "section", "aside", "article", "figure", "figcaption", "header", "footer", "center", "p"}
)
EMPTY_INLINE = frozenset({"span", "font"})
# Only markup whitespace counts as nothing: `&nbsp;` or an ideographic space is spacing
# the author typed.
ASCII_SPACE = " \t\n\r\f"
_INLINE_CONTAINERS = frozenset({"span", "font", "strong", "b", "em", "i", "u", "small", "ins", "label"})
INLINE_PARENTS = _INLINE_CONTAINERS | {"a"}
# Attributes that give an empty element a meaning of its own (an anchor target, microdata).
_MATTERING = frozenset({"id", "name", "itemprop", "itemscope", "itemtype", "role", "aria-label", "title"})
# Text past these sizes means an element holds article content, not just an ad label
# or a promo's call to action.
ARTICLE_PARAGRAPH = 120
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
    # elements PC303-PC305 may report (img, script, iframe, links, tracking or handler
    # attributes, javascript: URLs), in document order
    elements: list[Element] = field(default_factory=list)
    empty_roots: list[Element] = field(default_factory=list)
    unit_ids: set[int] = field(default_factory=set)


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


class Walk:
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


def _document_order(elements: Iterable[etree._Element]) -> dict[etree._Element, int]:
    """Position of every element of the tree in document order, built in one pass.

    (Sibling indices per element would cost a scan of the siblings each: quadratic on a
    body of thousands of sibling ad slots.)"""
    first = next(iter(elements), None)
    if first is None:
        return {}
    return {el: i for i, el in enumerate(first.getroottree().getroot().iter())}


def find_empty_roots(walk: Walk, maybe: list[etree._Element], result: Scan) -> None:
    """Outermost containers with nothing in them (no attribute, text, media or other element)."""
    empty: set[etree._Element] = set()
    for el in reversed(maybe):  # children come after their parent in document order
        inline = el.tag.lower() in EMPTY_INLINE
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
        parent_tag = parent.tag.lower() if isinstance(parent.tag, str) else ""
        if el.tag.lower() in EMPTY_INLINE and (parent_tag in _DRAWN_BY_CSS or (
                parent_tag == "li" and el.getprevious() is None and not (parent.text or "").strip()
                and (el.tail or "").strip())):
            # a legend's swatch before its label (<li><span></span>CDU</li>), a toggle's knob
            # (<label><input><span></span></label>): drawn by CSS where they stand
            continue
        item = walk.item(el)
        assert item is not None
        result.empty_roots.append(item)


_DRAWN_BY_CSS = frozenset({"label", "button"})


def _article_root(el: etree._Element) -> bool:
    """The body itself, or the body's first element (the scraped article's container)."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in STRUCTURAL:
        return True
    parent = el.getparent()
    if parent is None or not isinstance(parent.tag, str) or parent.tag.lower() != "body":
        return False
    first = next((c for c in parent if isinstance(c.tag, str)), None)
    return first is el


def _old_empty(walk: Walk, top: etree._Element) -> bool:
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


def _empty_here(walk: Walk, el: etree._Element, memo: dict[etree._Element, bool]) -> bool:
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


def _article_text(el: etree._Element, matches: dict[etree._Element, Any],
                  memo: dict[etree._Element, bool] | None = None) -> bool:
    """Does ``el`` hold article paragraphs (text outside nested ad/promo matches)?

    A nested match's text is an ad's label or a promo's call to action, unless it is a
    paragraph of article length or holds such paragraphs: then so does ``el`` (a page
    whose every element carries the same matching class must not be removed whole)."""
    if memo is None:
        memo = {}
    known = memo.get(el)
    if known is not None:
        return known
    memo[el] = False  # (a cycle cannot happen in a tree; this only marks the visit)
    if isinstance(el.tag, str) and el.tag.lower() == "p" and \
            len(element_text(el).strip()) >= ARTICLE_PARAGRAPH:
        memo[el] = True  # a paragraph of article length is article text, whatever its class
        return True
    total = 0
    stack: list[etree._Element] = list(el)
    own = len((el.text or "").strip())
    total += own
    while stack:
        node = stack.pop()
        tail = len((node.tail or "").strip())
        total += tail
        if not isinstance(node.tag, str) or node.tag.lower() in _INVISIBLE:
            continue
        text = element_text(node) if node.tag.lower() == "p" else None
        if text is not None and len(text.strip()) >= ARTICLE_PARAGRAPH:
            memo[el] = True
            return True
        if node in matches:
            if _article_text(node, matches, memo):
                memo[el] = True
                return True
            continue
        total += len((node.text or "").strip())
        stack.extend(node)
        if total >= _ARTICLE_TEXT:
            memo[el] = True
            return True
    memo[el] = total >= _ARTICLE_TEXT
    return memo[el]


def group_units(walk: Walk, matches: dict[etree._Element, tuple[str, Signature | None, str]],
           resort: bool, result: Scan) -> None:
    """Matched elements in document order, outermost first; one inside a unit is part of it."""
    found: set[etree._Element] = set()
    holds_text: dict[etree._Element, bool] = {}
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
        if _article_text(node, matches, holds_text):
            result.kept.append(unit)
        else:
            result.units.append(unit)
            found.add(node)


def expand_units(walk: Walk, result: Scan) -> None:
    """Grow a unit to wrappers that hold nothing else (`<section id="imu"><div id="dfp-ad-imu1">`).

    Removing only the inner slot would leave an empty wrapper behind, and a second
    `--fix` run would then have something new to remove.
    """
    by_el = {u.element.el: u for u in result.units}
    # Units arrive in document order. A wrapper takes the place of its first member: no
    # other unit lies between them (the wrapper holds nothing else), so that member's
    # rank orders it, without numbering every element of the tree.
    rank = {el: i for i, el in enumerate(by_el)}
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
            if pinfo is None or pinfo.tag in STRUCTURAL or pinfo.tag in _KEEP_STRUCTURE:
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
            rank[parent] = min(rank[m.element.el] for m in members)
            changed = True
    units = list(by_el.values())
    if len(units) > 1:
        units.sort(key=lambda u: rank[u.element.el])
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


# -- 1x1 images -----------------------------------------------------------------------

_STYLE_SIZE = re.compile(r"(?:^|;)(width|height):([0-9.]+(?:px)?)(?=;|$|!)")
_PIXEL_SIZES = frozenset({"0", "0px", "1px", "0.0", "1"})
# a width the layout gives: a share of the container, or a minimum that overrides width:0
_LAID_OUT = re.compile(r"(?:^|;)(?:min-)?width:(?:[0-9.]+%|auto)")


def one_by_one(attrs: dict[str, str]) -> bool:
    """Is the image sized 1×1 (or 0×0) by its attributes or its style? Not a responsive
    image, which its container sizes: Next.js writes width="0" height="0", or
    style="width:0;height:0;min-width:100%", on every photo."""
    style = attrs.get("style", "").replace(" ", "").lower()
    if "srcset" in attrs or "sizes" in attrs or (style and _LAID_OUT.search(style)):
        return False
    if _dimension(attrs.get("width")) in (0, 1) and _dimension(attrs.get("height")) in (0, 1):
        return True
    if "width" in style and "height" in style:
        # the width and height properties themselves, not min-width:0 or max-height:0
        sizes = {m.group(1): m.group(2) for m in _STYLE_SIZE.finditer(style)}
        return sizes.get("width") in _PIXEL_SIZES and sizes.get("height") in _PIXEL_SIZES
    return False


def _dimension(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip().lower().removesuffix("px")
    return int(value) if value.isdigit() and len(value) < 6 else None
