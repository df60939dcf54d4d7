"""Removals must leave every other line read as the same kind of Markdown block.

A scraped body mixes Markdown and raw HTML, and which lines are raw HTML is decided
line by line (CommonMark's HTML blocks). These tests cover the shortcuts that decide
most edits without parsing (they must never say "kept" when a parse says otherwise),
the fixes that depend on them, and a round of fixes applied together.
"""

from __future__ import annotations

import importlib
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from postcheck import fix_text
from postcheck._markdown import LineBlock, blocks_kept, edit_keeps_blocks, line_blocks, together
from postcheck._mdlines import HTML_BLOCK_ENDS, HTML_BLOCK_OPENERS, line_key

from .helpers import NOW, findings

HEAD = '---\ntitle: "Prices rise"\ndate: 2020-01-02T03:04:05Z\n---\n\n'
TAIL = "\n\nThe article body goes on with enough words to be an article's body, *emphasis* and more.\n"


def test_html_block_conditions_are_markdown_its() -> None:
    importlib.import_module("markdown_it.rules_block.html_block")
    sequences = sys.modules["markdown_it.rules_block.html_block"].HTML_SEQUENCES
    assert [(p.pattern, p.flags) for p in HTML_BLOCK_OPENERS] == [(o.pattern, o.flags) for o, _, _ in sequences]
    assert [(p.pattern, p.flags) for p in HTML_BLOCK_ENDS] == [(c.pattern, c.flags) for _, c, _ in sequences[:5]]


def test_line_keys() -> None:
    # a <div> line and a <p> line open the same kind of block (condition 6)
    assert line_key('<div class="ad"></div>') == line_key("<p>text</p>")
    # one tag alone on its line is condition 7; text after it makes a paragraph line
    assert line_key("<span>") != line_key("<span>text")
    assert line_key("Prices rose") == line_key("Other words")
    assert line_key("<div></div>") != line_key("Prices rose")
    # list items, quotes, headings, rules: decided by parsing
    assert line_key("- item") is None
    assert line_key("# Heading") is None
    assert line_key("1. first") is None
    assert line_key("2020 was odd") is not None
    assert line_key("   ") == line_key("")


def _no_parse() -> None:
    return None  # (edit_keeps_blocks answers False where it would have to parse)


def _kept(body: str, removed: str, replacement: str = "") -> bool:
    """Does removing the first ``removed`` keep the blocks? (The shortcuts' answer, when
    they give one, must be the parse's.)"""
    a = body.index(removed)
    b = a + len(removed)
    parsed = blocks_kept(body, [(a, b, replacement)], removals=True)
    assert edit_keeps_blocks(body, a, b, replacement, 0) == parsed
    assert parsed or not edit_keeps_blocks(body, a, b, replacement, 0, _no_parse)
    return parsed


def test_removing_the_line_that_opens_an_html_block() -> None:
    # the text line after the slot is raw HTML only because the slot opened the block
    assert not _kept('<div class="ad"></div>\nPrices rose 5*3*2\n', '<div class="ad"></div>\n')
    assert not _kept('<div class="ad"></div>\n    <p>indented</p>\n', '<div class="ad"></div>\n')
    # inside an open block, a line can go: the block goes on
    assert _kept('<div>\n<div class="ad"></div>\nPrices rose 5*3*2\n</div>\n', '<div class="ad"></div>\n')
    # the next line opens the same kind of block itself
    assert _kept('<div class="ad"></div>\n<p>Prices rose 5*3*2</p>\n', '<div class="ad"></div>\n')
    # a blank line removed with it may have parted two blocks
    assert not _kept("<div>a\n<div>b\n\n<div>c", "<div>b\n\n")
    # before a blank line the whole block goes
    assert _kept('Text.\n\n<div class="ad"></div>\n\nMore.\n', '<div class="ad"></div>\n')
    # unless it closed a list: the indented line after the blank would join the list item
    assert not _kept('1. first\n\n<div class="ad"></div>\n\n    <p>x</p>\n', '<div class="ad"></div>\n')
    # after a paragraph, the slot's line ended it; without the slot the next line joins it
    assert not _kept('Text.\n<div class="ad"></div>\n<span>more</span> words\n', '<div class="ad"></div>\n')


def test_removing_the_start_of_a_line_with_text_after_it() -> None:
    body = '<script src="https://ads.example/x.js"></script>Prices rose 5*3*2\n\nMore.\n'
    assert not _kept(body, '<script src="https://ads.example/x.js"></script>')
    # an empty comment in its place keeps the line an HTML block
    assert _kept(body, '<script src="https://ads.example/x.js"></script>', "<!---->")
    # but the comment's block ends on its line: a text line after it would become Markdown
    body = '<div class="ad"></div>Prices rose 5*3*2\nand 4*5*6\n'
    assert not _kept(body, '<div class="ad"></div>', "<!---->")
    # a character that was text would start the line: here a block quote's marker
    body = '> quote\n<img src="https://pixel.example/p.gif" width="1" height="1">> quoted\n'
    assert not _kept(body, '<img src="https://pixel.example/p.gif" width="1" height="1">')
    # and a line after it that opens a block of its own to an end tag reads differently
    body = '<div class="ad"></div> x\n<pre> y\n<script>z</script>\n'
    assert not _kept(body, '<div class="ad"></div>', "<!---->")


def test_an_indented_code_block_shows_markup_as_text() -> None:
    assert not _kept('Text.\n\n    code <ins class="adsbygoogle"></ins> shown\n', '<ins class="adsbygoogle"></ins>')
    # after a heading, without a blank line; and on its later lines
    ad = '<ins class="adsbygoogle"></ins>'
    assert not _kept(f"# Heading\n    code\n    more {ad}\n", ad)
    # indented HTML inside an HTML block is HTML
    assert _kept('<div>\n    <p>x <ins class="adsbygoogle"></ins></p>\n</div>\n', '<ins class="adsbygoogle"></ins>')
    text = HEAD + 'Text.\n\n    <div class="ad-slot"></div> shown as code\n' + TAIL
    [finding] = findings("PC301", text, now=NOW)
    assert finding.fix is not None and finding.fix.applicability == "unsafe"


def test_what_a_removal_joins_in_a_paragraph() -> None:
    ad = '<ins class="adsbygoogle"></ins>'
    # a link, a code span, a hard line break: Markdown's inline syntax reads what is joined
    assert not _kept(f"Text [the report]{ad}(https://example.com/r) here.\n", ad)
    assert not _kept(f"Run `make {ad} all` now.\n", ad)
    assert not _kept(f"First line  {ad}\nsecond line\n", ad)
    # in an HTML block the same text is raw
    assert _kept(f"<div>Text [the report]{ad}(https://example.com/r) here.\n</div>\n", ad)
    # and words around a removal are not syntax
    assert _kept(f"Text in a paragraph {ad} goes on.\n", ad)


def test_what_stays_open_after_a_line_counts() -> None:
    # Without the slot, " <pre>" opens a block that only an end tag ends: the page reads the
    # same (the script's end tag ends it where the blank line did), but removing that
    # script later would leave the block open to the end of the post.
    body = '<div class="ad-slot">\n</div> <pre>\ntext *a*\n<script>x</script>\n\nMore *b*\n'
    assert not _kept(body, '<div class="ad-slot">\n</div>')


def test_an_edit_inside_a_line_keeps_it() -> None:
    assert _kept('<p>Prices <ins class="adsbygoogle"></ins>rose 5*3*2</p>\nMore\n', '<ins class="adsbygoogle"></ins>')
    # a line that was one tag and text becomes one tag alone (condition 7): no longer a paragraph
    assert not _kept('Text\n\n<span><ins class="adsbygoogle">Ad</ins>\nmore\n', '<ins class="adsbygoogle">Ad</ins>')
    # a script's end tag ends an HTML block that a <pre> line opened
    assert not _kept('<pre>\ncode *a*\n<p>x<script>1</script></p>\n\nMore *b*\n', "<script>1</script>")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["<div>", '<div class="ad"></div>', "<p>x</p>", "text *a*", "<pre>",
                                           "</script>", "<!--", "-->", "- item", "    <p>", "  ", "<span>"]),
                          st.sampled_from(["", " ", "\n", "\n\n", "\r\n"])), min_size=1, max_size=7),
       st.data())
def test_shortcuts_never_keep_what_a_parse_would_not(pieces: list[tuple[str, str]], data: st.DataObject) -> None:
    body = "".join(piece + separator for piece, separator in pieces)
    offsets = [0]
    for piece, separator in pieces:
        offsets.append(offsets[-1] + len(piece))
        offsets.append(offsets[-1] + len(separator))
    a = data.draw(st.sampled_from(offsets))
    b = data.draw(st.sampled_from([o for o in offsets if o >= a]))
    replacement = data.draw(st.sampled_from(["", "<!---->", " "]))
    if edit_keeps_blocks(body, a, b, replacement, 0, _no_parse):
        assert blocks_kept(body, [(a, b, replacement)], removals=True)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["<div>", '<div class="ad">', "</div>", "<p>", "2. text in a p", "- item",
                                           "> quote", "text", "    <div>", "  <p>", "   <span>x</span>", "",
                                           '<a href="/x">', "</a>", "*em* text", "<script>", "</pre>"]),
                          st.sampled_from(["\n", "\n\n", "\r\n"])), min_size=2, max_size=9),
       st.data())
def test_whole_lines_decided_by_the_parse_before(pieces: list[tuple[str, str]], data: st.DataObject) -> None:
    # Whole lines removed after a line that looks like a list item or a quote: the parse of
    # the text before the edit tells whether one holds them. "Kept" must be the parse's.
    body = "".join(piece + separator for piece, separator in pieces)
    line_starts = [0]
    for piece, separator in pieces:
        line_starts.append(line_starts[-1] + len(piece) + len(separator))
    a = data.draw(st.sampled_from(line_starts[:-1]))
    b = data.draw(st.sampled_from([o for o in line_starts if o > a]))
    if edit_keeps_blocks(body, a, b, "", 0, lambda: line_blocks(body)):
        assert blocks_kept(body, [(a, b, "")], removals=True)


def test_a_list_looking_line_inside_html_does_not_force_a_parse_after() -> None:
    # "2. ..." inside a <p> only looks like a list item: the parse before the edit says no
    # list holds the lines, and the ad's lines go whole (no second parse of the text after)
    body = "<div>\n  <p>\n   2. A numbered point in the text.\n  </p>\n  <div class=\"ad\">\n    <div>\n" \
           "    </div>\n  </div>\n  <p>\n   More.\n  </p>\n</div>\n\nMore *text*.\n"
    a = body.index('  <div class="ad">')
    b = body.index("  <p>\n   More.")
    parses = []

    def before() -> list[LineBlock]:
        parses.append(1)
        return line_blocks(body)

    assert blocks_kept(body, [(a, b, "")], removals=True)
    import postcheck._markdown as markdown_module
    real = markdown_module.blocks_kept
    try:
        markdown_module.blocks_kept = _refuse  # type: ignore[assignment]
        assert edit_keeps_blocks(body, a, b, "", 0, before)
    finally:
        markdown_module.blocks_kept = real
    assert parses == [1]
    # a real list item before: its item would take the indented lines after the ad
    listed = "- item\n" + body
    a2, b2 = a + 7, b + 7
    assert edit_keeps_blocks(listed, a2, b2, "", 0, lambda: line_blocks(listed)) == \
        blocks_kept(listed, [(a2, b2, "")], removals=True)


@pytest.mark.parametrize(("text", "removed", "start"), [
    # a lone tag after a paragraph's line is that paragraph's text: the <div> among the removed
    # lines opened the HTML block that held the lines after them
    ('Some text, as listed in\n3. Some text here.\n<a href="/ad">\n<div class="ad">x</div>\n</a>\n'
     '<a href="/next">\n*more* text\n', '<a href="/ad">\n<div class="ad">x</div>\n</a>\n', 0),
    ('Some text here\n<a href="/ad">\n<div class="ad">x</div>\n</a>\n<a href="/next">\n*more* text\n',
     '<a href="/ad">\n<div class="ad">x</div>\n</a>\n', 0),
    # a byte-order mark before the first line's <script>, or before a list item
    ("\ufeff<script>\n- foo\n</pre>\n<br/>\nbar *x*\n", "</pre>\n", 1),
    ("\ufeff- <div>\n<p>\n\n", "<p>\n", 1),
    # an indented code block goes on across a blank line: with the line between gone, two join
    ("    <br>\n   <span>\n\n    <br>\n<ins class=ad></ins>\n", "   <span>\n", 0),
    # a comment that opens and ends inside the removal: the indented line after it was code
    ("lazy\n    <br>\n<!-- x -->\n    <br>\n", "    <br>\n<!-- x -->\n    <br>\n", 0),
])
def test_shortcuts_found_wrong_by_a_review(text: str, removed: str, start: int) -> None:
    a = text.index(removed)
    b = a + len(removed)
    assert not blocks_kept(text, [(a, b, "")], start=start, removals=True)
    assert not edit_keeps_blocks(text, a, b, "", start, lambda: line_blocks(text[start:]))


def _refuse(*args: object, **kwargs: object) -> bool:
    raise AssertionError("parsed the text after the edit")


def test_a_long_line_is_not_copied_for_each_edit() -> None:
    # (a post's HTML on one line: the check around each edit reads only near it)
    line = '<div class="story">' + '<p>Text.</p><div id="dfp-ad-1"></div>' * 3000 + "</div>"
    body = line + "\n\nMore *text*.\n"
    a = body.index('<div id="dfp-ad-1">', 40000)
    b = a + len('<div id="dfp-ad-1"></div>')
    assert edit_keeps_blocks(body, a, b, "", 0, _no_parse)


@pytest.mark.parametrize("before", ["    <br>" + " <span>x</span>" * 600, "<p>" + "Text. " * 1500 + "</p>"])
def test_a_long_line_before_a_whole_line_removal_is_not_read_back(before: str) -> None:
    # (its start is not looked for beyond a few kB: the answer stays the parse's, or a parse)
    body = before + '\n<div class="ad"></div>\n\n    <br>\n'
    a = body.index('<div class="ad">')
    b = a + len('<div class="ad"></div>\n')
    if edit_keeps_blocks(body, a, b, "", 0, lambda: line_blocks(body)):
        assert blocks_kept(body, [(a, b, "")], removals=True)


def test_fixes_that_are_safe_alone_are_not_applied_together() -> None:
    body = '<div class="ad-slot"></div>\n<div id="dfp-ad-top"></div>\nMore *text* here\n'
    first = body.index("<div")
    second = body.index('<div id="dfp')
    groups = [[(first, second, "")], [(second, body.index("More"), "")]]
    assert blocks_kept(body, groups[0]) and blocks_kept(body, groups[1])
    assert not blocks_kept(body, groups[0] + groups[1])
    assert len(together(body, groups)) == 1
    # fixes on lines apart from each other go together
    body = '<div class="ad-slot"></div>\n<p>a</p>\n\n<div id="dfp-ad-top"></div>\n<p>b</p>\n'
    a1 = body.index("<div")
    a2 = body.index('<div id="dfp')
    groups = [[(a1, a1 + len('<div class="ad-slot"></div>\n'), "")],
              [(a2, a2 + len('<div id="dfp-ad-top"></div>\n'), "")]]
    assert together(body, groups) == [0, 1]


def test_ad_slot_fix_is_unsafe_when_it_would_turn_html_into_markdown() -> None:
    text = HEAD + '<div class="ad-slot"></div>\nPrices rose 5*3*2\n' + TAIL
    [finding] = findings("PC301", text, now=NOW)
    assert finding.fix is not None and finding.fix.applicability == "unsafe"
    assert "Markdown" in finding.fix.description
    # inside an HTML block that goes on without it, the removal is safe
    text = HEAD + '<div class="story">\n<div class="ad-slot"></div>\nPrices rose 5*3*2\n</div>\n' + TAIL
    [finding] = findings("PC301", text, now=NOW)
    assert finding.fix is not None and finding.fix.applicability == "safe"


def test_a_comment_keeps_the_rest_of_the_line_html() -> None:
    text = HEAD + '<div class="ad-slot"></div>Prices rose 5*3*2\n' + TAIL
    fixed, _ = fix_text(text, select=["PC301"], now=NOW)
    assert fixed == HEAD + "<!---->Prices rose 5*3*2\n" + TAIL


def test_no_comment_where_the_page_holds_a_comment_open() -> None:
    # the blank line ends the first line's HTML block, so the rendered page never closes
    # its "<!--"; an empty comment below would close it and show what it hid
    text = HEAD + '<p>x</p><!--\n\n-->\n<div class="ad-slot"></div><b>y</b>\n' + TAIL
    [finding] = findings("PC301", text, now=NOW)
    assert finding.fix is not None and finding.fix.applicability == "unsafe"


def test_two_slots_opening_a_block_leave_one() -> None:
    text = HEAD + '<div class="ad-slot"></div>\n<div id="dfp-ad-top"></div>\nMore *text* here\n' + TAIL
    fixed, remaining = fix_text(text, select=["PC301"], now=NOW)
    # removing both would make "More *text* here" Markdown; the last one's removal is unsafe
    assert fixed == HEAD + '<div id="dfp-ad-top"></div>\nMore *text* here\n' + TAIL
    assert [f.code for f in remaining] == ["PC301"]
    fixed, remaining = fix_text(text, select=["PC301"], now=NOW, unsafe=True)
    assert fixed == HEAD + "More *text* here\n" + TAIL


# -- what a reader sees does not change ------------------------------------------

_RENDER = MarkdownIt("commonmark", {"html": True})
_SHOWN_BY_ADS = ("Advertisement", "Subscribe now")


def _seen(text: str) -> str:
    """The text a reader sees when the post is rendered (ads' own words aside)."""
    body = text.split("\n---\n", 1)[1]
    root = lxml_html.fromstring("<div>" + _RENDER.render(body) + "</div>")
    for el in root.iter("script", "style"):
        el.text = ""
    seen = "".join(str(piece) for piece in root.itertext())
    for words in _SHOWN_BY_ADS:
        seen = seen.replace(words, "")
    return re.sub(r"\s+", "", seen)


_ADS = [
    '<div class="ad-slot"></div>', '<script>var a=1;</script>', '<ins class="adsbygoogle"></ins>',
    '<div id="dfp-ad-top"></div>', '<iframe src="https://googleads.g.doubleclick.net/x"></iframe>',
    '<div class="ad-slot">\n</div>', '<div></div>', '<p></p>', '<div class="advertisement">Advertisement</div>',
    '<img src="https://pixel.example/p.gif" width="1" height="1">', '<!-- c -->',
    '<a href="https://example.com/subscribe" class="subscribe-button">Subscribe now</a>',
]
_TEXTS = [
    "    indented *code*", "Prices rose 5*3*2 today", "More *text* here", "<p>tail *t*</p>",
    "<span>Price</span> rose *a*", "- list *item*", "> quote *q*", "# Heading *h*", "===", "---", "1. first *one*",
    "<div>", "</div>", "<b>x</b>", "<pre>", "</pre>", "<!--", "-->", "  <div>kept *a*</div>", "",
    "[link text]", "(https://example.com/x)", "`code", "*", "\\",
]
_SEPARATORS = ["", " ", "\n", "\n\n"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_ADS + _TEXTS), st.sampled_from(_SEPARATORS)), min_size=2, max_size=8))
def test_safe_fixes_never_change_what_readers_see(pieces: list[tuple[str, str]]) -> None:
    text = HEAD + "".join(piece + separator for piece, separator in pieces) + TAIL
    fixed, _ = fix_text(text, select=["PC3"], now=NOW)
    assert _seen(fixed) == _seen(text)
