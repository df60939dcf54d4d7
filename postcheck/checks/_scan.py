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

import re
from collections.abc import Collection
from typing import Any, NamedTuple

from lxml import etree

from ..data import RuleData
from ..parse import MEDIA_TAGS, ParsedPost, element_text, repaired_name
from ._signatures import EVENT_HANDLERS, URL_JUNK, URL_KEYS, Signature, SignatureTable, tables
from ._units import (
    ARTICLE_PARAGRAPH,
    ASCII_SPACE,
    EMPTY_BLOCKS,
    EMPTY_INLINE,
    STRUCTURAL,
    Element,
    Scan,
    Walk,
    expand_units,
    find_empty_roots,
    group_units,
    one_by_one,
)
from ._wording import (
    FOOTNOTE_ID,
    NOT_CONTAINERS,
    WORD_SIGNATURES,
    captioned,
    cites_an_article,
    editorial,
    heading_anchor,
    in_running_text,
    names_an_action,
    off_site,
    offers_an_action,
    presents_data,
    text_head,
)

__all__ = ["promo_sentence", "scan"]

# Elements PC303/PC304/PC305 look at whatever their attributes.
_CANDIDATE_TAGS = frozenset({"img", "script", "iframe"})

# Kept in the post's per-post cache (a key no front-matter key can be): a weak-key
# dictionary cost a weak reference per post and a callback when the post died.
_KEY = "\0pc:markup-scan"


class _Cached:
    """``post in _CACHE``: whether the post's scan is built (for profiling tools)."""

    def __contains__(self, post: object) -> bool:
        return isinstance(post, ParsedPost) and _KEY in post._field_cache


_CACHE = _Cached()


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


# What an element's name and attributes alone decide (memoised per process and rule
# data for elements without URLs: class strings repeat massively across posts). The
# attribute dict may be shared between elements: nothing mutates it.
# what an element matched: (rule code, signature or None for a built-in judgment, reason shown)
Hit = tuple[str, Signature | None, str]


class _Kind(NamedTuple):
    name: str
    attrs: dict[str, str]
    todo: int  # what the walk does with the element (_CANDIDATE | _BLANK | ...); most need nothing
    hit: Hit | None
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
    blank = (name in EMPTY_BLOCKS or name in EMPTY_INLINE) and not any(v.strip() for v in attrs.values())
    hit: Hit | None = None
    if attrs and name not in STRUCTURAL:
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
    walk = Walk(post)
    info = walk.info
    matches: dict[etree._Element, Hit] = {}
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
            if not text or (name in EMPTY_BLOCKS and not text.strip(ASCII_SPACE)):
                maybe_empty.append(el)
        if hit is not None:
            hit = _unless_wording(el, name, attrs, hit, tbl, post, promos)
        if hit is not None:
            matches[el] = hit
            if el not in info:  # _units needs its record: made from the attributes read here
                info[el] = Element(el, name, attrs)
        elif todo & _LINK:
            if link_texts:
                assert promos is not None
                # most links hold only text: no generator over the subtree for them
                sig = promos.match_link_text(
                    (el.text or "") if not len(el) else element_text(el))
                href = attrs.get("href", "")
                if sig is not None and not cites_an_article(href) and not off_site(href, post, promos):
                    matches[el] = ("PC302", sig, sig.name)
        elif todo & _SIGNUP:
            box = _signup_box(el)
            if box is not None and box not in matches and _can_submit(box):
                matches[box] = ("PC302", None, "sign-up form")
                resort = True
    for code in ("PC301", "PC302"):  # an ad's label or a promo's call to action, as a text of its own
        table = tbl.get(code)
        if table is not None and table.block_texts and _sentences(post, code, table, matches, info):
            resort = True
    if matches:
        group_units(walk, matches, resort, result)
        expand_units(walk, result)
    result.unit_ids = {id(u.element.el) for u in result.units}
    if maybe_empty:
        find_empty_roots(walk, maybe_empty, result)
    return result


_KIND_LIMIT = 200_000


# Boxes an ad's label or a promo's sentence stands in on its own ("Advertisement", "Sign up
# to our newsletter here"), shorter than an article's paragraph (_units: longer ones are
# article text whatever they match).
_SENTENCE_BLOCKS = ("p", "div", "aside", "section")
_SENTENCE_CHARS = ARTICLE_PARAGRAPH


def _sentences(post: ParsedPost, code: str, table: SignatureTable, matches: dict[etree._Element, Hit],
               info: dict[etree._Element, Element]) -> bool:
    """Match the short paragraphs and boxes whose whole text is one of the table's
    ``block-texts`` (an ad's label, a promo's call to action); only in a post whose text
    holds a ``block-keys`` word. True if any did."""
    root = post.tree
    if root is None:
        return False
    if not table.may_hold_block_texts(post.visible_text):
        return False
    found = False
    for el in root.iter(*_SENTENCE_BLOCKS):
        if el in matches:
            continue
        sig = promo_sentence(el, table)
        if sig is not None and not any(node in matches for node in el.iter()) and \
                not any(node in matches for node in el.iterancestors()) and \
                next(el.iter(*MEDIA_TAGS), None) is None:
            # (a label inside or around a slot its markup matched is the slot's; a box that
            # also shows a picture or a video holds more than the words)
            matches[el] = (code, sig, sig.name)
            if el not in info:
                info[el] = Element(el, el.tag.lower(), {str(k).lower(): str(v) for k, v in el.items()})
            found = True
    return found


def promo_sentence(el: etree._Element, promos: SignatureTable) -> Signature | None:
    """The block-text signature (an ad label's, a promo's) the element's whole text matches,
    if it is short enough."""
    content = text_head(el, _SENTENCE_CHARS)
    if not content or len(content) >= _SENTENCE_CHARS:
        return None  # (longer: an article's paragraph, whatever it says)
    return promos.match_block_text(" ".join(content.split()).casefold())


def _unless_wording(el: etree._Element, name: str, attrs: dict[str, str], hit: Hit,
                    tbl: dict[str, SignatureTable], post: ParsedPost, promos: SignatureTable | None) -> Hit | None:
    """The match, unless what matched is article wording (see :mod:`._wording`): then the
    element's other attributes decide, or nothing does. Only matched elements get here."""
    h: Hit | None = hit
    ident = attrs.get("id")
    if h is not None and ident and (FOOTNOTE_ID.match(ident) or heading_anchor(el, name, ident)):
        # An id made from a heading's words (an article about advertising gets
        # <h2 id="what-advertising-still-does-well">, on the heading, on an anchor inside
        # it or on its section) or a footnote's (fn:paywall) is article wording.
        h = _hit_without(name, attrs, tbl, ("id",))
    if h is not None and ident and attrs.get("name") == ident and _GRAF_ID.fullmatch(ident):
        # Medium names each paragraph and figure of an export with a random hex id, repeated
        # in name (<p name="ad08" id="ad08" class="graf">): "ad" + digits by chance
        h = _hit_without(name, attrs, tbl, ("id", "name"))
    if h is not None and name == "a" and attrs.get("href", "").lstrip().startswith("#"):
        # a link within the page (a table of contents) goes nowhere to sign up, and its id
        # repeats the place it links to (kramdown's <a href="#pricing" id="markdown-toc-pricing">)
        h = _hit_without(name, attrs, tbl, _IN_PAGE_LINK_IGNORED)
    if h is not None and h[0] == "PC301" and name == "img" and one_by_one(attrs):
        # a 1x1 image from an ad host is a conversion or affiliate beacon: PC303's, not a slot
        return None
    if h is not None and h[0] == "PC301" and h[2] in WORD_SIGNATURES and editorial(el, name, tbl):
        # an ad word alone is weak evidence: an element that holds what readers read
        # (a labelled span, list items, a described picture, a chart, a non-ad frame)
        # is the article's, whatever its class says (ad-astra, AD8232, date--ad)
        h = None
    if h is not None and h[0] == "PC301" and name not in NOT_CONTAINERS and captioned(el):
        # a captioned figure or a table is editorial (a figure of an MPU-6050 sensor, a
        # table of bills senators sponsored): ads carry no captions
        h = None
    if h is not None and h[0] == "PC302" and name not in NOT_CONTAINERS and h[1] is not None and \
            h[1].substrings and not names_an_action(attrs) and not offers_an_action(el):
        # a topic inside a class ("committee-membership", "donation-steps", "subscription-
        # prices") on a box that offers nothing to click, fill in or load is the article's;
        # a box named for an action ("newsletter-signup") is a promo whose form was stripped
        h = None
    if h is not None and h[0] == "PC302" and name not in NOT_CONTAINERS and presents_data(el):
        # a chart or table of donations, subscribers or members, with nothing to click:
        # data journalism about promos' subjects, not a promo
        h = None
    if h is not None and name == "a" and "href" not in attrs and ("id" in attrs or "name" in attrs):
        # <a id="subscription-prices"></a>: a link target named after a section, which a
        # table of contents points at; removing it breaks the contents' link
        h = _hit_without(name, attrs, tbl, ("id", "name"))
    if h is not None and h[0] == "PC302" and name == "a" and (
            cites_an_article(attrs.get("href", "")) or off_site(attrs.get("href", ""), post, promos,
                                                                cited=in_running_text(el))):
        # A promo host or path is weak evidence against a link to one article (a
        # newsletter's post cited in a sentence) or to another organisation's sign-up
        # (a charity the article asks readers to support): only class or id can tell.
        h = _hit_without(name, attrs, tbl, _URL_ATTRIBUTE_SET)
    return h


_GRAF_ID = re.compile(r"[0-9a-f]{4}")
_IN_PAGE_LINK_IGNORED = _URL_ATTRIBUTE_SET | {"id", "name"}


def _hit_without(name: str, attrs: dict[str, str], tbl: dict[str, SignatureTable],
                 ignored: Collection[str]) -> Hit | None:
    """The signature match of an element when the ``ignored`` attributes say nothing (they
    hold article wording or a citation, not markup)."""
    return _kind(name, {k: v for k, v in attrs.items() if k not in ignored}, tbl).hit


def _is_signup_input(attrs: dict[str, str]) -> bool:
    kind = attrs.get("type", "text").strip().lower()
    if kind == "email":
        return True
    if kind != "text":
        return False
    hints = " ".join(attrs.get(k, "") for k in ("name", "placeholder", "aria-label", "class", "id")).lower()
    return any(w in hints for w in ("mail", "信箱", "邮箱", "郵箱", "電郵", "电邮", "newsletter", "epaper"))


def _can_submit(box: etree._Element) -> bool:
    """Can the box send what is typed (a submit button, an image input, a link)? A breach
    checker's e-mail field with a script's type="button" signs no one up, and a form with
    a text area asks readers for their story, not for a subscription."""
    if next(box.iter("textarea"), None) is not None:
        return False
    if box.tag == "form":
        return True  # Enter submits a form, with or without a button
    for inner in box.iter("button", "input", "a"):
        kind = (inner.get("type") or "").strip().lower()
        if inner.tag == "a" or (inner.tag == "button" and kind in ("", "submit")) or kind in ("submit", "image"):
            return True
    return False


def _signup_box(el: etree._Element) -> etree._Element | None:
    """The form around a sign-up input, else its nearest block ancestor below the article root."""
    node = el.getparent()
    block = None
    while node is not None:
        parent = node.getparent()
        if parent is None or not isinstance(node.tag, str) or node.tag.lower() in STRUCTURAL:
            break
        if node.tag.lower() == "form":
            return node
        if block is None and node.tag.lower() in ("div", "section", "aside", "p") \
                and parent.tag not in STRUCTURAL:
            block = node
        node = parent
    return block
