"""What in an article's markup is article wording, not an ad or a promo.

A class, id or link can match an ad or promo signature and still belong to the article:
an anchor a CMS made of a heading's words, a footnote's id, a chart about donations, a
link to another site's page on subscriptions. The markup scan (:mod:`._scan`) asks these
questions about an element that matched, and drops the match when the answer is yes.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from lxml import etree

from ..parse import ParsedPost, element_text
from ._signatures import SignatureTable, url_parts

__all__ = [
    "CALLS_TO_ACTION", "FOOTNOTE_ID", "NOT_CONTAINERS", "RUNNING_TEXT_TAGS", "WORD_SIGNATURES", "captioned",
    "cites_an_article", "editorial", "heading_anchor", "in_running_text", "names_an_action", "off_site",
    "offers_an_action", "presents_data", "text_head", "visible_chars",
]


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_WORD = re.compile(r"[^\W_]+")  # a run of letters or digits, any script
# What heading-anchor generators put around the slug: WordPress "h-…", a number for repeats.
_ANCHOR_PREFIXES = frozenset({"h", "toc", "heading", "section"})


# Footnote ids (kramdown fn:/fnref:, pandoc fn1/fnref1, Wikipedia cite_note-): named after
# the note, whatever it is about.
FOOTNOTE_ID = re.compile(r"(?:fn|fnref|footnote|cite_note|cite_ref)[-:_0-9]", re.IGNORECASE)


CALLS_TO_ACTION = frozenset({"a", "button", "form", "input"})
# matched for what they link to or show (a promo image's path), not for what they hold
NOT_CONTAINERS = CALLS_TO_ACTION | {"img", "iframe", "picture"}
_DATA_TAGS = ("table", "svg", "canvas", "figure", "iframe", "img", "picture")


# Words of a promo box's class or id that name what it asks readers to do; not a topic
# such as a newsletter, a paywall, membership, donations or subscriptions, which an
# article's box may be about (newsletter-item, paywall-timeline, committee-membership).
_PROMO_ACTIONS = ("subscribe", "signup", "sign-up", "donate", "promo", "download-app", "app-download", "join",
                  "register", "cta")


def names_an_action(attrs: dict[str, str]) -> bool:
    """Does the element's class or id name what a promo asks readers to do?"""
    named = f"{attrs.get('class', '')} {attrs.get('id', '')}".lower()
    return any(word in named for word in _PROMO_ACTIONS)


def offers_an_action(el: etree._Element) -> bool:
    """Does the box offer a reader something to do (a link, a button, a form to fill in, a
    frame that loads one), or is it an empty placeholder a script fills?"""
    if next(el.iter("a", "button", "form", "input", "select", "iframe", "script"), None) is not None:
        return True
    return not visible_chars(el, 1)


def presents_data(el: etree._Element) -> bool:
    """Does the element show a table, chart, picture or list and offer nothing to click or
    fill in (membership prices, donation steps, a ranking of app downloads)?"""
    found_data = el.tag in ("ul", "ol", "dl") and bool(text_head(el, _HEAD_CHARS).strip())
    for inner in el.iter(*_DATA_TAGS, *CALLS_TO_ACTION):
        tag = inner.tag
        if tag in CALLS_TO_ACTION:
            if tag != "a" or inner.get("href"):
                return False
        else:
            found_data = True
    return found_data


# Signatures that match a word of a class or id: weak evidence on their own.
WORD_SIGNATURES = frozenset({"ad-word"})
_INLINE_TEXT = frozenset({"span", "strong", "em", "b", "i", "small", "label", "cite", "abbr", "time", "a", "sup",
                          "sub", "li", "dt", "dd", "td", "th", "caption"})
_LISTS = frozenset({"ul", "ol", "dl", "table", "tbody"})
_QUOTES = frozenset({"blockquote", "q"})  # someone's words, quoted: no ad's label
# An ad's label ("Story continues below advertisement") is shorter than this.
_LABEL_CHARS = 40
_DESCRIBED = 15  # characters of alt text that describe a picture


def editorial(el: etree._Element, name: str, tbl: dict[str, SignatureTable]) -> bool:
    """Does the element hold content a reader reads, rather than an ad's slot or label?"""
    # counted only as far as the thresholds: nested matches must not each read a long article
    chars = visible_chars(el, _LABEL_CHARS)
    if (name in _INLINE_TEXT or name in _QUOTES) and chars:
        return True
    if name in _LISTS and chars >= _DESCRIBED:
        return True
    if chars >= _LABEL_CHARS:
        return True
    ads = tbl.get("PC301")
    for inner in el.iter("svg", "img", "iframe", "video", "audio"):
        if inner.tag in ("video", "audio"):
            return True
        if inner.tag == "svg":
            # a chart says what it shows; an icon (a button's arrow) does not
            if inner.get("aria-label") or next(inner.iter("title", "desc"), None) is not None:
                return True
            continue
        if inner.tag == "img" and len((inner.get("alt") or "").strip()) >= _DESCRIBED:
            return True
        if inner.tag == "iframe":
            src = inner.get("src") or ""
            if src and (ads is None or ads.match_url(src, "iframe") is None):
                return True
    return False


def visible_chars(el: etree._Element, limit: int) -> int:
    """Non-space characters of the element's text outside scripts and styles, counted up to
    ``limit`` (each piece is read only as far as needed: one long article under many
    nested matches is not read again for each)."""
    count = 0
    for node in el.iter():
        pieces = []
        if isinstance(node.tag, str) and node.tag not in ("style", "script") and node.text:
            pieces.append(node.text)
        if node is not el and node.tail:
            pieces.append(node.tail)
        for piece in pieces:
            for _ in _NON_SPACE.finditer(piece):
                count += 1
                if count >= limit:
                    return limit
    return count


_NON_SPACE = re.compile(r"\S")


def captioned(el: etree._Element) -> bool:
    """Is the element a table, or does it hold a caption or a table?"""
    if el.tag == "table" or next(el.iter("figcaption", "caption", "table"), None) is not None:
        return True
    figure = next(el.iterancestors("figure"), None)  # a chart's container inside a captioned figure
    return figure is not None and next(figure.iter("figcaption"), None) is not None


def heading_anchor(el: etree._Element, name: str, ident: str) -> bool:
    """Is ``ident`` a heading's anchor? Any id on a heading, or on an element right inside
    one, is: a CMS or converter makes it of the heading's words (Ghost, WordPress, kramdown,
    Hugo; MediaWiki's ``<span class="mw-headline" id="Membership">``), or an author names
    it (an "HTML anchor" field: ``<h2 id="advertising">Where the money comes from</h2>``),
    and ads and promos are not headings. On the section a heading opens (Quarto, pandoc),
    only an anchor made of the heading's words is."""
    if name in _HEADINGS:
        return True
    parent = el.getparent()
    if parent is not None and isinstance(parent.tag, str) and parent.tag.lower() in _HEADINGS:
        return True
    first = next((c for c in el if isinstance(c.tag, str)), None)
    if first is not None and first.tag.lower() in _HEADINGS:
        return _slug_of(element_text(first), ident)
    # an entry named after the words it starts with (an A-Z list's <li id="interstitial-cystitis">
    # Interstitial cystitis: …), when more text follows them: not a label that only repeats its id
    parts = _WORD.findall(unquote(ident).casefold())
    if len(parts) < 2:
        return False
    words = _WORD.findall(text_head(el, _HEAD_CHARS + len(ident)).casefold())  # its first words suffice
    return len(words) > len(parts) and words[:len(parts)] == parts


_HEAD_CHARS = 200


def text_head(el: etree._Element, limit: int) -> str:
    """The element's text, read only until ``limit`` characters (a container may hold a
    whole article, and nested containers would each read it again)."""
    pieces: list[str] = []
    size = 0
    for t in el.itertext():
        if isinstance(t, str):
            pieces.append(t)
            size += len(t)
            if size >= limit:
                break
    return "".join(pieces)[:limit]


def _slug_of(text: str, ident: str) -> bool:
    """Is ``ident`` a slug of ``text``: its letters and digits, lower-cased, joined (any
    punctuation dropped: "Netflix’s" gives netflixs), maybe cut short after three words,
    with a WordPress "h-" or a repeat number around it?"""
    parts = _WORD.findall(unquote(ident).casefold())
    return any(_slug_of_words(_WORD.findall(variant), parts) for variant in _spellings(text.casefold()))


def _spellings(text: str) -> list[str]:
    """The text, and as slug makers spell it in ASCII: accents dropped (WordPress's
    remove_accents, most TOC plugins: "publicité" gives publicite), or German umlauts
    written out ("für" gives fuer)."""
    if text.isascii():
        return [text]
    return [text, _unaccented(text), _unaccented(text.translate(_UMLAUTS))]


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slug_of_words(words: list[str], parts: list[str]) -> bool:
    if not words or not parts:
        return False
    if len(parts) > 1 and parts[0] in _ANCHOR_PREFIXES and "".join(parts[1:]).startswith(words[0]):
        parts = parts[1:]
    if len(parts) > 1 and parts[-1].isdigit() and not words[-1].isdigit():
        parts = parts[:-1]
    slug, full = "".join(parts), "".join(words)
    return slug == full or (len(parts) >= 3 and full.startswith(slug))


_SLUG_WORD = re.compile(r"[a-z0-9]+")
_DATED_PATH = re.compile(r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])/")
_ISO_DAY = re.compile(r"(?:19|20)\d\d-\d\d-\d\d")
# Words of a sign-up page's slug ("sign-up-for-the-morning-briefing"), never of an article's.
_SIGNUP_WORDS = frozenset({"subscribe", "signup", "sign", "join", "donate", "register", "offer"})


def cites_an_article(url: str) -> bool:
    """Does a link point at one article: a dated path, or a last path segment that is a
    slug of four or more words (``/p/local-news-cannot-survive-on-subscriptions-alone``)?"""
    if not url:
        return False
    _, segments, _, path = url_parts(url)
    if not segments:
        return False
    if _DATED_PATH.search(path) or (len(segments) == 2 and segments[0] == "p"):  # Substack, Ghost: /p/<slug>
        return True
    if _ISO_DAY.fullmatch(segments[-1].rsplit(".", 1)[0]):
        return True  # one issue of a newsletter (/newsletter/morgenlage/2025-03-14)
    if segments[-1].endswith((".pdf", ".doc", ".docx", ".epub")):
        return True  # a document (a newsletter's 1923 issue), not a sign-up page
    last = segments[-1]
    words = _SLUG_WORD.findall(last.rsplit(".", 1)[0] if last.endswith((".html", ".htm", ".php", ".shtml")) else last)
    return len(words) >= 4 and ("-" in last or "_" in last) and _SIGNUP_WORDS.isdisjoint(words)


_SIGNUP_PAGES = frozenset({"subscribe", "signup", "sign-up", "newsletter-signup", "join"})
# Labels that say nothing about whose site a host is.
_GENERIC_LABELS = frozenset({"www", "m", "mobile", "amp", "com", "net", "org", "edu", "gov", "co", "info", "news"})


def _site_labels(host: str) -> set[str]:
    return {label for label in host.split(".") if len(label) > 2 and label not in _GENERIC_LABELS}


# Elements that run within a sentence (a link, emphasis, a span).
RUNNING_TEXT_TAGS = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "font", "i", "kbd", "mark", "q",
                               "s", "small", "span", "strong", "sub", "sup", "time", "u"})


def in_running_text(el: etree._Element) -> bool:
    """Is the element part of running text (text or a text-holding inline sibling next to it)?"""
    if (el.tail or "").strip():
        return True
    prev = el.getprevious()
    while prev is not None and prev.tag == "br" and not (prev.tail or "").strip():
        prev = prev.getprevious()  # a line break inside a paragraph is still running text
    if prev is None:
        parent = el.getparent()
        if parent is not None and (parent.text or "").strip():
            return True
    elif (prev.tail or "").strip() or _holds_running_text(prev):
        return True
    following = el.getnext()
    return following is not None and _holds_running_text(following)


def _holds_running_text(el: etree._Element) -> bool:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    return tag in RUNNING_TEXT_TAGS and any(t.strip() for t in el.itertext() if isinstance(t, str))


def off_site(url: str, post: ParsedPost, promos: SignatureTable | None, *, cited: bool = False) -> bool:
    """Is a link matched by its promo host, path or text on another site than the post's
    source? The outlet's own sign-up page (economist.com/intelligenceoffer on an Economist
    post, donate.epochtimes.com) is its promo; a charity's donate page, a documentation
    page on subscriptions or another writer's newsletter cited in the article is not.
    Hosts a signature names outright are promos wherever they are, and so are sign-up
    forms (``/subscribe``) unless the link is ``cited`` in a sentence of the article
    ("in his newsletter <a href=…/subscribe>Sinocism</a>, he argued")."""
    if promos is None or not url:
        return False
    source = post.source_url
    if not source:
        return False  # nothing to compare with: the signatures decide
    host, segments, _, _ = url_parts(url)
    if not host:
        return False  # a relative link stays on the outlet's site
    if segments and segments[0] in _SIGNUP_PAGES and not cited:
        return False  # a sign-up form itself (a Mailchimp list's /subscribe button) is a promo on any host
    probe = host
    while probe:
        if probe in promos.hosts:
            return False
        probe = probe.partition(".")[2]
    own = _site_labels(url_parts(source)[0])
    return bool(own) and own.isdisjoint(_site_labels(host))
