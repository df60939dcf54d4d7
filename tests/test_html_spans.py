"""Exact source spans of elements (postcheck/_html.py), including malformed markup."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck._html import HtmlIndex, attribute_spans, repaired_name
from postcheck.parse import parse_text

HEAD = "---\ntitle: t\n---\n"


def spans(html: str) -> list[tuple[str, str]]:
    post = parse_text(HEAD + html)
    assert post.tree is not None
    out = []
    for el in post.tree.iter():
        if isinstance(el.tag, str) and el.tag not in ("html", "body"):
            s, e = post.element_span(el)
            out.append((el.tag, post.text[s:e]))
    return out


def test_nested_spans_on_one_line() -> None:
    assert spans('<div><p>a</p><section id="imu"><div id="x">  </div></section></div>') == [
        ("div", '<div><p>a</p><section id="imu"><div id="x">  </div></section></div>'),
        ("p", "<p>a</p>"),
        ("section", '<section id="imu"><div id="x">  </div></section>'),
        ("div", '<div id="x">  </div>'),
    ]


def test_implied_end_of_p() -> None:
    assert spans("<div><p>a<div>b</div></div>")[1] == ("p", "<p>a")


def test_script_content_is_raw_text() -> None:
    assert spans('<div><script>var s = "</div>";</script><p>x</p></div>')[1] == (
        "script", '<script>var s = "</div>";</script>')


@pytest.mark.parametrize(
    ("name", "real"),
    [('divclass="m-block-ad', "div"), ("spanid='x'", "span"), ('imgsrc="a', "img"), ("div", None),
     ("custom-element", None), ('x="1"', None)],
)
def test_repaired_name(name: str, real: str | None) -> None:
    assert repaired_name(name) == real


def test_attribute_spans_are_exact() -> None:
    text = HEAD + """<img class='lazy' data-src="https://a/b.jpg" alt src=x pinger-seen="true">"""
    post = parse_text(text)
    tag = post.html.tags[0]
    got = {a.name: (text[a.start:a.end], a.value, a.quote) for a in attribute_spans(text, tag)}
    assert got == {
        "class": ("class='lazy'", "lazy", "'"),
        "data-src": ('data-src="https://a/b.jpg"', "https://a/b.jpg", '"'),
        "alt": ("alt", "", ""),
        "src": ("src=x", "x", ""),
        "pinger-seen": ('pinger-seen="true"', "true", '"'),
    }


def test_attribute_spans_of_malformed_tag() -> None:
    text = HEAD + '<divclass="m-block-ad "data-tms-ad-type="box"data-pos="1"></div>'
    post = parse_text(text)
    tag = post.html.tags[0]
    names = [a.name for a in attribute_spans(text, tag, len("div"))]
    assert names == ["class", "data-tms-ad-type", "data-pos"]


@given(st.text(alphabet="ab=\"' /\t\n<>&", max_size=40))
def test_raw_attributes_agree_with_attribute_spans(inner: str) -> None:
    # raw_attributes reads the values with one findall; attribute_spans with match objects
    text = f"<p>x</p><div {inner}>"
    index = HtmlIndex(text, 0, None)
    for tag in index.tags:
        assert index.raw_attributes(tag) == {a.name: a.value for a in attribute_spans(text, tag)}


def test_hostile_markup_is_linear() -> None:
    html = "<div>" + '<a b="' * 20000 + "<p " * 20000 + "</div>" * 20000
    start = time.perf_counter()
    post = parse_text(HEAD + html)
    post.html.tags  # noqa: B018 - builds the index
    for tag in post.html.tags[:2000]:
        attribute_spans(post.text, tag)
    assert time.perf_counter() - start < 5


def test_unusual_names_map_to_their_tags() -> None:
    # names the per-name lookup cannot hand to lxml's tag filter: prefixed, custom, upper case
    got = spans('<div><o:p>a</o:p><my-el id="x">b</my-el><DIV>c</DIV><!-- <p> --></div>')
    assert got[1:] == [("o:p", "<o:p>a</o:p>"), ("my-el", '<my-el id="x">b</my-el>'), ("div", "<DIV>c</DIV>")]


def test_tags_between_uses_start_offsets() -> None:
    post = parse_text(HEAD + "<div><p>a</p><p>b</p></div>")
    first_p = post.html.tags[1]
    assert [t.name for t in post.html.tags_between(first_p.start, len(post.text))] == ["p", "p"]
    assert post.html.tags_between(first_p.start + 1, first_p.end + 1) == []


_PIECES = ["<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<b>", "</b>", "<a href=x>", "</a>", "<li>", "<ul>",
           "<table>", "<td>", "<tr>", "<form>", "</form>", "<select>", "<option>", "<h1>", "</h2>", "<br>",
           "<script>x</script>", "<!-- c -->", "text", "\n", '<divclass="ad">']


def _walked_span(index: HtmlIndex, el: object) -> tuple[int, int] | None:
    """element_span as it was before its shortcut: always look for the following element."""
    i = index._index_of(el)  # type: ignore[arg-type]
    if i is None:
        return None
    start, end = index.tags[i].start, index.ends[i]
    following = index._following_start(el)  # type: ignore[arg-type]
    if following is not None and start < following < end:
        end = following
    return start, end


@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_element_span_shortcut_agrees_with_walking_to_the_following_element(pieces: list[str]) -> None:
    post = parse_text(HEAD + "".join(pieces))
    if post.tree is None:
        return
    for el in post.tree.iter():
        want = _walked_span(post.html, el)
        if want is not None:
            assert post.element_span(el) == want


@pytest.mark.parametrize(
    ("html", "want"),
    [
        # libxml2 closes any element whose start tag ends in "/>": no raw text follows
        ('<div><iframe src="x"/><p>a</p></div>', [("iframe", '<iframe src="x"/>'), ("p", "<p>a</p>")]),
        ("<div><script/><p>a</p></div>", [("script", "<script/>"), ("p", "<p>a</p>")]),
        ("<div><textarea /><b>a</b></div>", [("textarea", "<textarea />"), ("b", "<b>a</b>")]),
        ("<div><div/>after</div>", [("div", "<div/>")]),
        # ... unless the slash belongs to an unquoted value, or a space follows it
        ("<div><script src=x/><b>a</b></div>", [("script", "<script src=x/><b>a</b></div>")]),
        ("<div><script/ ><b>a</b></div>", [("script", "<script/ ><b>a</b></div>")]),
        ("<div><a href=x/><p>a</p></div>", [("a", "<a href=x/><p>a</p>"), ("p", "<p>a</p>")]),
    ],
)
def test_self_closing_start_tags_as_libxml2_reads_them(html: str, want: list[tuple[str, str]]) -> None:
    assert spans(html)[1:] == want


_SELF_CLOSING = ["<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<b>x</b>", "text", "<br>",
                 '<iframe src="x"/>', "<iframe/>", "<script/>", "<style />", "<title/>", "<textarea/>", "<xmp/>",
                 "<div/>", "<span/>", "<p/>", '<a href="x"/>', "<noscript/>", "<!-- c -->", "<!--d--!>", "--!>",
                 "</body>"]


@given(st.lists(st.sampled_from(_SELF_CLOSING), max_size=12))
def test_every_element_maps_to_its_own_start_tag(pieces: list[str]) -> None:
    post = parse_text(HEAD + "<div>" + "".join(pieces) + "</div>")
    assert post.tree is not None
    for el in post.tree.iter():
        if isinstance(el.tag, str) and el.tag not in ("html", "body"):
            start, end = post.element_span(el)
            assert post.text[start:end].startswith("<" + el.tag), (el.tag, post.text[start:end])
            assert not post.html.end_unchecked(el, end)


def test_a_comment_ends_at_bang_close_too() -> None:
    # HTML5's comment end bang state, as libxml2 2.14 reads it: "--!>" closes the comment
    assert spans("<div><!--a--!><p class=x>b</p>--><p>d</p></div>")[1:] == [
        ("p", "<p class=x>b</p>"), ("p", "<p>d</p>")]


def test_end_of_body_closes_every_open_element() -> None:
    # libxml2 closes everything at "</body>" and puts what follows after the body
    assert spans("<div><p>a</body><p>b</p></div>")[1:] == [("p", "<p>a"), ("p", "<p>b</p>")]


_NAMES = ["div", "p", "span", "a", "table", "tr", "td", "th", "form", "input", "select", "option", "button", "h1", "h2",
          "li", "ul", "dl", "dt", "dd", "svg", "math", "noscript", "template", "title", "style", "script", "textarea",
          "iframe", "xmp", "pre", "b", "i", "font", "center", "img", "br", "hr", "figure", "section", "aside", "head",
          "frameset", "image", "body", "html", "DIV", "Td"]
_ATTRS = ["", ' class="ad"', " id=x", " a=b/", ' c="d"', "\nhidden", ' data-x="a\nb"', ' x="<p>"']
_TEXTS = ["", "x", "\n", "text here", "&amp;", "<!-- c -->", "<!--d--!>", "<!---->", "<", "</>", "<!DOCTYPE html>"]


def _soup(names: list[str], forms: list[str], attrs: list[str], texts: list[str]) -> st.SearchStrategy[str]:
    """Up to 12 tags of the given names, in the given forms, each followed by a text, in a div."""
    piece = st.builds(lambda n, f, a, t: f.format(n=n, a=a) + t, st.sampled_from(names), st.sampled_from(forms),
                      st.sampled_from(attrs), st.sampled_from(texts))
    return st.lists(piece, min_size=1, max_size=12).map(lambda pieces: "<div>" + "".join(pieces) + "</div>")


def _tag_soup() -> st.SearchStrategy[str]:
    return _soup(_NAMES, ["<{n}{a}>", "</{n}>", "<{n}{a}/>", "<{n}{a} />", "</{n}\n>"], _ATTRS, _TEXTS)


@given(_tag_soup())
def test_the_source_index_reads_tag_soup_as_libxml2_does(html: str) -> None:
    # every element libxml2 builds (bar the implied html and body) has a start tag of its
    # own name in the source; a disagreement would misplace findings and fixes
    post = parse_text(HEAD + html)
    assert post.tree is not None
    for el in post.tree.iter():
        if isinstance(el.tag, str) and el.tag not in ("html", "body"):
            tag = post.html.tag_of(el)
            assert tag is not None and tag.name == el.tag.lower(), (el.tag, tag)


def test_a_misplaced_end_tag_cannot_close_a_stronger_element() -> None:
    # libxml2's end-tag priorities: "</li>" cannot close an open div, so the div (and the
    # li around it) run on; "</td>" may close a div
    assert spans("<div><ul><li>a<div class=x>b</li>c</div>d</ul></div>")[2:] == [
        ("li", "<li>a<div class=x>b</li>c</div>d"), ("div", "<div class=x>b</li>c</div>")]
    assert spans("<table><tr><td><div>x</td></tr></table>")[2:] == [("td", "<td><div>x</td>"), ("div", "<div>x")]


def test_elements_libxml2_gives_content() -> None:
    # HTML5's void embed, source, track and wbr hold what follows them in libxml2 2.14
    assert spans("<div><picture><source srcset=a><img src=b></picture><p>x</p></div>")[1:] == [
        ("picture", "<picture><source srcset=a><img src=b></picture>"), ("source", "<source srcset=a><img src=b>"),
        ("img", "<img src=b>"), ("p", "<p>x</p>")]


def test_implied_ends_are_libxml2s() -> None:
    # libxml2 decides from the current element and the new tag alone: a <ul> ends a <p> but
    # not an <a> inside it; a <figure> (not in its HTML 4 rules) ends nothing
    assert spans("<div><p>a<a>b<ul><li>c</ul></a></p></div>")[1:3] == [
        ("p", "<p>a<a>b<ul><li>c</ul></a></p>"), ("a", "<a>b<ul><li>c</ul></a>")]
    assert spans("<div><p>a<figure>b</figure>c</p></div>")[1:] == [
        ("p", "<p>a<figure>b</figure>c</p>"), ("figure", "<figure>b</figure>")]
    assert spans("<div><ul><li>a<li>b</ul></div>")[2:] == [("li", "<li>a"), ("li", "<li>b")]


_BLOCKS = ["div", "p", "span", "a", "ul", "ol", "li", "table", "tr", "td", "b", "i", "section", "figure", "picture",
           "source", "img", "embed", "wbr", "br", "h2", "form", "blockquote", "iframe", "script", "dl", "dt", "dd"]


def _block_soup() -> st.SearchStrategy[str]:
    return _soup(_BLOCKS, ["<{n}>", "</{n}>", "<{n}/>", '<{n} class="x">'], [""], ["", "x", "\n"])


@given(_block_soup())
def test_an_element_span_holds_its_descendants(html: str) -> None:
    # the span a removal deletes covers every element libxml2 put inside the element
    post = parse_text(HEAD + html)
    assert post.tree is not None
    for el in post.tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        start, end = post.element_span(el)
        for inner in el.iterdescendants():
            tag = post.html.tag_of(inner) if isinstance(inner.tag, str) else None
            assert tag is None or start <= tag.start < end, (el.tag, inner.tag)


_SCRIPT_PARTS = ["<!--", "-->", "<script>", "<SCRIPT >", "</script>", "</Script >", "</script/", "<!-->", "<!--->",
                 "--!>", "<scripts>", "</scripts>", "<", "-", "!", "x", "\n", "<p>", "document.write('"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_SCRIPT_PARTS), max_size=16))
def test_a_script_ends_where_libxml2_ends_it(parts: list[str]) -> None:
    # libxml2 2.14 follows HTML5's escaped states in scripts: "<!-- <script>…</script> -->"
    # is one script (document.write of a script tag), so the span must hold all of it
    from lxml import etree

    html = f"<div><script>{''.join(parts)}</script><p>After.</p></div>"
    root = etree.fromstring(html, etree.HTMLParser())
    script = next(el for el in root.iter() if el.tag == "script")
    start, end = HtmlIndex(html, 0, root).element_span(script)
    inner = html[start + len("<script>"):end]
    assert inner.startswith(script.text or "")
    rest = inner[len(script.text or ""):]
    assert rest == "" or rest.lower().startswith("</script")  # the end tag, or no end at all


def test_removing_a_script_that_writes_a_script_removes_all_of_it() -> None:
    from postcheck.fix import fix_text

    text = ('---\ntitle: "A"\ndate: 2024-03-06T11:00:00+08:00\n---\n'
            '<p>A.</p><script><!-- document.write("<script src=x></script>") --></script><p>B.</p>\n')
    fixed, remaining = fix_text(text, select=["PC304"], now="2024-06-01T00:00:00Z")
    assert fixed.endswith("\n<p>A.</p><p>B.</p>\n") and remaining == []


@pytest.mark.parametrize("lookalike", ["</\u017fcript>", "</scr\u0130pt>", "</\u017fCRIPT >"])
def test_a_script_is_not_ended_by_a_unicode_lookalike_of_its_end_tag(lookalike: str) -> None:
    # Python's case-insensitive matching folds "ſ" to "s" and "İ" to "i"; libxml2 does not
    from postcheck.fix import fix_text

    text = ('---\ntitle: "S"\ndate: 2024-03-06T11:00:00+08:00\n---\n'
            f'<p>One.</p><script>var t = "{lookalike}"; trackVisitor();</script><p>Two.</p>\n')
    fixed, _ = fix_text(text, select=["PC304"], now="2024-06-01T00:00:00Z")
    assert fixed.endswith("\n<p>One.</p><p>Two.</p>\n")
