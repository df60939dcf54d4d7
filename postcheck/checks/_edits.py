"""Exact source spans and edits for the PC3 rules' findings and fixes.

Every fix edits the original text: an element's verified source span (with the
whitespace only it used), or single attributes inside its raw start tag.
"""

from __future__ import annotations

import re
from html import unescape

from lxml import etree

from ..model import Edit, Fix, fast_construct
from ..parse import AttributeSpan, ParsedPost, Tag, attribute_spans, repaired_name
from ._units import INLINE_PARENTS, Element

__all__ = ["SAFE_PROSE_CHARS", "SAFE_PROSE_PARAGRAPHS", "attribute_edit", "attributes_of", "edit", "empty_in_source",
           "markdown_safe", "prose", "REREAD", "removal_edit", "removal_fix", "removal_span", "runs_past_its_source",
           "safe_fix", "unsafe_fix"]


# A post with findings builds a few edits and fixes each, from values that are valid by
# construction (int offsets, str texts): pydantic's validation of them is pure overhead.
def edit(start: int, end: int, replacement: str = "") -> Edit:
    """``Edit(start=start, end=end, replacement=replacement)``, built without validation."""
    return fast_construct(Edit, {"start": start, "end": end, "replacement": replacement})  # type: ignore[no-any-return]


def safe_fix(description: str, edits: tuple[Edit, ...]) -> Fix:
    """``Fix(applicability="safe", description=description, edits=edits)``, built without validation."""
    return fast_construct(  # type: ignore[no-any-return]
        Fix, {"applicability": "safe", "description": description, "edits": edits})


def unsafe_fix(description: str, edits: tuple[Edit, ...]) -> Fix:
    """``Fix(applicability="unsafe", …)``, built without validation."""
    return fast_construct(  # type: ignore[no-any-return]
        Fix, {"applicability": "unsafe", "description": description, "edits": edits})


# What a removal may take and still be safe: an ad's label, a promo's call to action.
# More prose than this, or several paragraphs of it, is what an unclosed ad container
# swallows (libxml2 puts the rest of the article inside it); the shared corpus's largest
# safe removal holds 64 characters outside links.
SAFE_PROSE_CHARS = 150
SAFE_PROSE_PARAGRAPHS = 1
_PARAGRAPH_CHARS = 20  # a paragraph counts from here: shorter ones are labels and buttons
_NO_TEXT = frozenset({"script", "style", "template", "title"})  # what shows no text
# A label or a call to action ("Sign up", a widget's headline links), unless it holds
# paragraphs: a link left unclosed before the article's paragraphs holds them all.
_CONTROLS = frozenset({"a", "button", "select", "option"})


def prose(elements: tuple[etree._Element, ...]) -> tuple[int, int]:
    """(characters of text outside links and buttons, paragraphs of at least
    ``_PARAGRAPH_CHARS`` characters) in the elements' subtrees; a paragraph's text counts
    whole, links included, wherever it is. Counting stops once past the safe limits."""
    chars = paragraphs = 0
    for top in elements:
        stack: list[tuple[etree._Element, bool]] = [(top, False)]
        while stack:
            node, in_control = stack.pop()
            tag = node.tag.lower() if isinstance(node.tag, str) else ""
            if not tag or tag in _NO_TEXT:
                continue  # (its tail is its parent's text, counted there)
            if tag == "p":
                own = _paragraph_text(node)
                chars += own
                paragraphs += own >= _PARAGRAPH_CHARS
            else:
                control = in_control or tag in _CONTROLS
                if not control:
                    chars += _length(node.text)
                for child in node:
                    if not control:
                        chars += _length(child.tail)
                    stack.append((child, control))
            if chars > SAFE_PROSE_CHARS or paragraphs > SAFE_PROSE_PARAGRAPHS:
                return chars, paragraphs
    return chars, paragraphs


def _paragraph_text(p: etree._Element) -> int:
    total = 0
    stack = [p]
    while stack:
        node = stack.pop()
        total += _length(node.text)
        for child in node:
            total += _length(child.tail)
            if isinstance(child.tag, str) and child.tag.lower() not in _NO_TEXT:
                stack.append(child)
    return total


_END_TAG = re.compile(r"</([A-Za-z][^\t\n\f\r />]*)[^>]*>", re.ASCII)


def runs_past_its_source(post: ParsedPost, item: Element) -> bool:
    """Does the element hold source text without an end tag of its own (a ``<div id="ad">``
    never closed, a promo ``<a>`` left open)? Then the parser decided where it ends, and
    what it holds may be the article that follows: removing it is not a safe fix."""
    tag = post.html.tag_of(item.el)
    if tag is None:
        return True
    end = post.element_span(item.el)[1]  # where the parser ends it (a removal may take more)
    if tag.self_closing or tag.end >= end:
        return False  # a void element, "<x/>", or nothing inside
    own = _its_end_tag(post, tag, end, item.tag)
    if own < 0:
        return _holds_content(item.el)
    # Its end tag may be an enclosing element's of the same name, left without one of its
    # own: `<div><p>…</p><div id="ad"><p>…</p></div>` (the ad's end tag never written).
    for ancestor in item.el.iterancestors():
        if not isinstance(ancestor.tag, str) or ancestor.tag.lower() != tag.name:
            continue
        outer = post.html.tag_of(ancestor)
        if outer is None or _its_end_tag(post, outer, post.element_span(ancestor)[1], tag.name) in (-1, own):
            return _holds_content(item.el)
    return False


def _its_end_tag(post: ParsedPost, tag: Tag, end: int, name: str) -> int:
    """Where the end tag that closes the span [tag.start, end) starts; -1 when it has none.
    (Read backwards from the end: an ancestor's span may be the whole post.)"""
    text = post.html.text
    close = end
    while close > tag.end and text[close - 1] in " \t\n\r\f":
        close -= 1
    opening = text.rfind("</", tag.end, close)
    last = _END_TAG.fullmatch(text, opening, close) if opening >= 0 else None
    if last is None or last.group(1).lower() not in (tag.name, name):  # (name: a repaired one)
        return -1
    return opening


_MEDIA = frozenset({"img", "picture", "video", "audio", "iframe", "embed", "object", "svg", "canvas", "table"})


def _holds_content(el: etree._Element) -> bool:
    """Any text (a script's too) or media in the subtree: what an unclosed element may
    have taken from the article. Empty wrappers and empty slots hold none."""
    if (el.text or "").strip():
        return True
    for node in el.iterdescendants():
        if (node.tail or "").strip() or (node.text or "").strip():
            return True
        if isinstance(node.tag, str) and node.tag.lower() in _MEDIA:
            return True
    return False


def _length(text: str | None) -> int:
    return len(_SPACE.sub("", text)) if text else 0


def removal_span(post: ParsedPost, item: Element) -> tuple[int, int] | None:
    """The exact source span of an element, verified; None when the mapping is doubtful."""
    html = post.html
    tag = html.tag_of(item.el)
    if tag is None or not _same_start_tag(post, item, tag):
        return None
    start, end = post.element_span(item.el)
    if end <= start or not _holds_only_its_own(post, item, start, end) or html.end_unchecked(item.el, end):
        return None
    balanced = _balance(post, start, end)
    if balanced is None or not _tail_follows(post, item, balanced):
        return None
    return start, balanced


_CLOSING = re.compile(r"(?:\s|</[^<>]*>)*")  # end tags and whitespace: no text of their own
_SPACE = re.compile(r"\s+")


def _tail_follows(post: ParsedPost, item: Element, end: int) -> bool:
    """Does what the parser puts right after the element (its tail text, or a comment after
    it or after the ancestors it closes) follow the span in the source? When it does not,
    the span swallowed it (the source and the parser disagree about where the element
    ends): no removal then. A following element needs no check: its start tag bounds the
    span already (``element_span``)."""
    source = post.html.text  # as the parser read it (code fences masked)
    node: etree._Element | None = item.el
    while node is not None:
        tail = (node.tail or "").lstrip()
        if tail:
            return _text_follows(source, end, tail)
        following = node.getnext()
        if following is not None:
            if isinstance(following.tag, str):
                return True
            return source.startswith(("<!", "<?"), _after_closing(source, end))
        node = node.getparent()
    return True


def _after_closing(text: str, end: int) -> int:
    m = _CLOSING.match(text, end)
    return end if m is None else m.end()


def _text_follows(text: str, end: int, tail: str) -> bool:
    after = _after_closing(text, end)
    want = _SPACE.sub("", tail[:32])[:8]
    # the source spells the text with entities and character references
    got = _SPACE.sub("", unescape(text[after:after + 256]))
    # libxml2 replaces what it cannot decode: only a plain mismatch is a disagreement
    return got.startswith(want) or "\ufffd" in want


def _holds_only_its_own(post: ParsedPost, item: Element, start: int, end: int) -> bool:
    """Are there no more start tags in the span than elements in the parsed subtree? More
    means the span runs past the element (the source and the parser disagree about where
    it ends), and removing it would remove what follows: no fix then."""
    tags = post.html.count_between(start, end)
    elements = 0
    for _ in item.el.iter(etree.Element):
        elements += 1
        if elements >= tags:
            return True
    return False


def _same_start_tag(post: ParsedPost, item: Element, tag: Tag) -> bool:
    name = repaired_name(tag.name) if item.repaired else tag.name
    if name != item.tag:
        return False
    if item.repaired:
        return True
    raw = post.html.raw_attributes(tag)
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
    and stays. What the removal would join into markup stays text: in `a<<script>…</script>b`
    the first "<" is text, and `a<b` would be a `<b>` tag hiding the rest of the
    paragraph, so it is written `&lt;` (the same text on the page).
    """
    text = post.text
    start, end = _with_its_whitespace(post, start, end, item)
    opener = _OPENER_BEFORE.search(text, max(post.html_start, start - 3), start)
    if opener is not None and _CONTINUES_MARKUP.match(text, end):
        return edit(opener.start(), end, "&lt;" + opener.group()[1:])
    # A character reference the removal would complete ("&am" + "p;", "&#6" + "0;"): if the
    # "&" was plain text, write it "&amp;"; if it was already a reference ("&not" before
    # "in;"), keep the two apart with an empty comment, which shows nothing.
    # An element right after may go in the same round, joining what follows it: decide as
    # if it would.
    run = _REFERENCE_RUN.search(text, max(post.html_start, start - 40), start)
    if run is not None:
        seg = run.group()
        right = text[end:end + 40]
        right = right[:right.find("<")] if "<" in right else right
        joins = bool(right) and unescape(seg + right) != unescape(seg) + unescape(right)
        if joins or text.startswith("<", end):
            if unescape(seg) == seg:
                return edit(run.start(), end, "&amp;" + seg[1:])
            return edit(start, end, "<!---->")
    if item is not None and _separates_words(text, start, end, item.el):
        return edit(start, end, " ")  # "rose<ins class="ad"> </ins>sharply": keep the space
    return edit(start, end)


def removal_fix(post: ParsedPost, item: Element, what: str) -> Fix | None:
    """The fix removing one element: safe, unless the element was never closed (it may
    hold what follows) or Markdown would read the lines around it differently."""
    span = removal_span(post, item)
    if span is None:
        return None
    removal, kept = markdown_safe(post, removal_edit(post, *span, item))
    edits = (removal,)
    if runs_past_its_source(post, item):
        return unsafe_fix(f"remove the {what} and what the parser put inside it", edits)
    if not kept:
        return unsafe_fix(f"remove the {what}{REREAD}", edits)
    return safe_fix(f"remove the {what}", edits)


# Why a removal that changes which lines are raw HTML is not a safe fix.
REREAD = " (Markdown would then read the lines around it differently)"


def markdown_safe(post: ParsedPost, removal: Edit) -> tuple[Edit, bool]:
    """The removal, and whether every line it leaves is read as the same kind of Markdown
    block as before (removing a `<div>` that opened an HTML block would turn the lines
    after it into Markdown: `5*3*2` into emphasis, an indented line into code).

    When it is not, and text follows the removal on its line, an empty comment left in
    the element's place opens an HTML block there as the element did, and is tried too;
    not after a comment left open at the end of its line (a blank line may end its HTML
    block, and the rendered page then holds the comment open: `<!---->` would close it).
    """
    if post.markdown_kept(removal.start, removal.end, removal.replacement):
        return removal, True
    text = post.text
    whole_lines = removal.end > removal.start and text[removal.end - 1] in "\r\n"
    rest = _NON_SPACE.search(text, removal.end, post.line_end(removal.end))
    if not removal.replacement and not whole_lines and rest is not None and \
            _COMMENT_LEFT_OPEN.search(text, post.body_start, removal.start) is None:
        placeholder = edit(removal.start, removal.end, "<!---->")
        if post.markdown_kept(placeholder.start, placeholder.end, placeholder.replacement):
            return placeholder, True
    return removal, False


_NON_SPACE = re.compile(r"\S")
_COMMENT_LEFT_OPEN = re.compile(r"<!--(?:(?!-->)[^\r\n])*+(?:[\r\n]|\Z)")


def _separates_words(text: str, start: int, end: int, el: etree._Element) -> bool:
    """Does the element hold the only space between two words of the text around it?"""
    if start == 0 or end >= len(text):
        return False
    before, after = text[start - 1], text[end]
    if before.isspace() or after.isspace() or before in "<>" or after in "<>":
        return False
    if isinstance(el.tag, str) and el.tag.lower() in _NO_TEXT:
        return False  # a script's or style's text is not shown
    return any(ch.isspace() for piece in el.itertext() for ch in str(piece))


# "<", "<!", "<!-", "</", "<?" right before the removal: text there, since markup cannot
# be followed by the removed element's "<"; markup if what follows the removal continues it
# (another "<" too: the element after may be removed in the same round).
_OPENER_BEFORE = re.compile(r"<(?:!-?|[/?])?\Z")
_CONTINUES_MARKUP = re.compile(r"[A-Za-z!/?<-]")
_REFERENCE_RUN = re.compile(r"&[#A-Za-z0-9]*\Z")


def _with_its_whitespace(post: ParsedPost, start: int, end: int, item: Element | None) -> tuple[int, int]:
    text = post.text
    parent = item.el.getparent() if item is not None else None
    if parent is not None and isinstance(parent.tag, str) and parent.tag.lower() in INLINE_PARENTS:
        return start, end
    floor = post.html_start
    ls = start
    while ls > floor and text[ls - 1] in " \t":
        ls -= 1
    le = end
    while le < len(text) and text[le] in " \t":
        le += 1
    # (the HTML may start mid-line, after the scraper's timestamp comment: not a line start)
    line_start = ls == 0 or text[ls - 1] in "\r\n"
    line_end = le == len(text) or text[le] in "\r\n"
    if line_start and line_end and ls <= start <= end:
        if le < len(text):
            le += 2 if text.startswith("\r\n", le) else 1
        if ls == start and le == end:
            return start, end
        return ls, le
    if ls < start and (le > end or le == len(text) or text[le] in "\r\n"
                       or (text[ls - 1] == ">" and text[le] == "<")):
        return ls, end
    return start, end


def attribute_edit(post: ParsedPost, item: Element, names: set[str]) -> list[Edit]:
    """Edits removing the named attributes (with the whitespace before each) from a start tag."""
    tag = post.html.tag_of(item.el)
    if tag is None or not _same_start_tag(post, item, tag):
        return []
    spans = attribute_spans(post.text, tag, len(item.tag) if item.repaired else None)
    text = post.text
    edits = []
    for span in spans:
        if span.name in names:
            s = span.start
            while s > tag.start and text[s - 1] in " \t\r\n\f":
                s -= 1
            edits.append(edit(s, span.end, " " if _joins(text, tag.start, s, span.end) else ""))
    return edits


_UNQUOTED_VALUE_END = re.compile(r"=[\t\n\f\r ]*[^\t\n\f\r \"'>][^\t\n\f\r >]*\Z")


def _joins(text: str, tag_start: int, start: int, end: int) -> bool:
    """Would removing [start, end) from a start tag join what stood around it into something
    that reads differently? `<span x=1 y>` must not become `<spany>`, `<title c="d"/ x>` a
    self-closing `<title c="d"/>`, nor `<a href=x y/>` a link to "x/"."""
    following = text[end:end + 1]
    if following not in ("", " ", "\t", "\n", "\r", "\f", ">", "/"):
        return True
    if following == ">":
        return text[start - 1] == "/"
    if following == "/":
        return _UNQUOTED_VALUE_END.search(text, tag_start, start) is not None
    return False


def attributes_of(post: ParsedPost, item: Element) -> list[AttributeSpan]:
    tag = post.html.tag_of(item.el)
    if tag is None or not _same_start_tag(post, item, tag):
        return []
    return attribute_spans(post.text, tag, len(item.tag) if item.repaired else None)


def empty_in_source(rest: str, item: Element) -> bool:
    """Does the source after a start tag agree that the element is empty?

    Only its empty descendants' tags (and comments), then its own end tag: an element
    the parser closed early (a `<p>` before a `<div>`) or one holding a character
    reference is not empty in the source.
    """
    end = f"</{item.tag}>"
    if not rest.lower().endswith(end):
        return False
    inner = rest[:len(rest) - len(end)]
    if "&" in inner:
        return False
    inside = sum(1 for d in item.el.iter() if isinstance(d.tag, str)) - 1
    comments = inner.count("<!--")
    return inner.count("</") == inside and inner.count("<") == 2 * inside + comments
