"""SPEC §7: no input ends as a traceback, a hang or a memory blow-up.

Every hostile input below runs through *all* registered rules, must finish well
inside a generous time bound (a hang guard, not a benchmark) and must end as
findings: the structure code it is expected to get, and no rule's internal error.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postcheck.model import Finding
from postcheck.parse import parse_bytes, parse_text
from tests.helpers import findings

HANG_GUARD_S = 5.0
FM = 'title: "A title"\ndate: 2021-01-05T10:00:00+08:00\n'
BODY = "<div><p>" + "Some real article text that is long enough to count as a body. " * 2 + "</p></div>\n"


def post(front: str = FM, body: str = BODY) -> str:
    return f"---\n{front}---\n{body}"


def run_all(text: str | bytes, path: str = "post.md") -> list[Finding]:
    start = time.perf_counter()
    result = findings("ALL", text, path)
    elapsed = time.perf_counter() - start
    assert elapsed < HANG_GUARD_S, f"took {elapsed:.1f}s"
    internal = [f for f in result if f.context and f.context.get("internal_error")]
    assert internal == [], internal
    return result


def codes(text: str | bytes) -> list[str]:
    return [f.code for f in run_all(text)]


def structure(text: str | bytes) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in run_all(text) if f.code.startswith("PC0")]


# -- front matter -------------------------------------------------------------------


def test_yaml_alias_bomb() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = post(FM + "\n".join(lines) + "\n")
    assert structure(text) == [("PC003", 4, 4)]


def test_python_object_tag_is_never_constructed(tmp_path: os.PathLike[str]) -> None:
    marker = os.path.join(os.fspath(tmp_path), "pwned")
    front = (f'title: !!python/object/apply:os.system ["touch {marker}"]\n'
             "date: 2021-01-05\n"
             "x: !!python/name:os.system\n")
    assert structure(post(front)) == [("PC003", 2, 8)]
    assert not os.path.exists(marker)


def test_duplicate_keys() -> None:
    assert structure(post(FM + 'title: "Other"\n')) == [("PC003", 4, 1)]


@pytest.mark.parametrize("front", ["- a\n- b\n", "just a string\n", "42\n", "[1, 2]\n"])
def test_list_or_scalar_front_matter(front: str) -> None:
    assert [c for c, _, _ in structure(post(front))] == ["PC003"]


def test_empty_front_matter_misses_title_and_date() -> None:
    found = [(f.code, f.field) for f in run_all("---\n---\n" + BODY) if f.code.startswith("PC0")]
    assert sorted(found) == [("PC004", "date"), ("PC004", "title")]


@pytest.mark.parametrize("key", ["on", "1", "null", "yes", "~", "2021-01-01"])
def test_non_string_keys(key: str) -> None:
    assert structure(post(FM + f"{key}: x\n")) == [("PC003", 4, 1)]


def test_reserved_looking_key_is_just_unknown() -> None:
    text = post(FM + "content: x\nbody: y\n")
    assert structure(text) == [("PC005", 4, 1), ("PC005", 5, 1)]
    parsed = parse_text(text)
    assert parsed.fields["content"] == "x" and parsed.title == "A title"


def test_impossible_date() -> None:
    found = [(f.code, f.line, f.column, f.field) for f in run_all(post('title: A\ndate: 2021-02-30\n'))
             if f.code.startswith("PC0")]
    assert found == [("PC004", 3, 7, "date")]


@pytest.mark.parametrize("where", ["date: {n}\ntitle: A\n", FM + "count: {n}\n"])
def test_five_thousand_digit_integer(where: str) -> None:
    found = codes(post(where.format(n="9" * 5000)))
    assert {"PC003", "PC004"} & set(found)


@pytest.mark.parametrize("deep", [
    "x: " + "[" * 2000 + "]" * 2000 + "\n",
    "x: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n",
    "x: " + "- " * 2000 + "a\n",
    "x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 2001)),
])
def test_two_thousand_deep_yaml(deep: str) -> None:
    assert [c for c, _, _ in structure(post(FM + deep))] == ["PC003"]


def test_tab_indentation_has_line_and_column() -> None:
    assert structure(post(FM + "tags:\n\t- a\n")) == [("PC003", 5, 1)]


def test_toml_and_json_front_matter_errors() -> None:
    assert [c for c, _, _ in structure('+++\ntitle = "A\n+++\n' + BODY)] == ["PC003"]
    assert [c for c, _, _ in structure('{\n"title": "A", "title": "B"\n}\n' + BODY)] == ["PC003"]


def test_deeply_nested_toml_is_pc003_not_a_crash() -> None:
    deep = "x = " + "[" * 2000 + "]" * 2000 + "\n"
    assert structure('+++\ntitle = "t"\ndate = 2024-01-01\n' + deep + "+++\n" + BODY) == [("PC003", 2, 1)]


def test_a_lone_surrogate_escape_in_json_front_matter_is_pc003() -> None:
    # "\ud800" alone decodes to half a character, which no report can be written with
    text = '{\n"title": "C", "date": "2024-03-06", "from": "https://x.org/\\ud800"\n}\n' + BODY
    assert [c for c, _, _ in structure(text)] == ["PC003"]
    paired = '{\n"title": "C \\ud83d\\ude00", "date": "2024-03-06T10:00:00+08:00"\n}\n' + BODY
    assert "PC003" not in [c for c, _, _ in structure(paired)]  # an escaped pair is one emoji


def test_a_control_character_in_yaml_is_located_on_one_line() -> None:
    [found] = [f for f in run_all(post('title: "a\x01"\ndate: 2024-03-06\n')) if f.code == "PC003"]
    assert (found.line, found.column) == (2, 10)
    assert "\n" not in found.message and "U+0001" in found.message


@pytest.mark.parametrize("fmt", ["json", "toml", "yaml"])
def test_thousands_of_keys(fmt: str) -> None:
    n = 15_000
    if fmt == "json":
        keys = ",\n".join(f'"k{i}": {i}' for i in range(n))
        text = "{\n" + keys + ',\n"title": "t", "date": "2021-01-05"\n}\n'
    elif fmt == "toml":
        text = "+++\n" + "".join(f"k{i} = {i}\n" for i in range(n)) + 'title = "t"\ndate = 2021-01-05\n+++\n'
    else:
        text = "---\n" + "".join(f"k{i}: {i}\n" for i in range(n)) + "title: t\ndate: 2021-01-05\n---\n"
    found = [f for f in run_all(text + BODY) if f.code == "PC005"]
    assert len(found) == n and found[-1].line == n + 1


@pytest.mark.parametrize("fence", [("---\n", "---\n"), ("+++\n", "+++\n"), ("{\n", "}\n")])
def test_front_matter_over_the_size_limit(fence: tuple[str, str]) -> None:
    filler = {"---\n": "x: 1\n", "+++\n": "x = 1\n", "{\n": '"x": 1,\n'}[fence[0]] * 60_000
    line = 1 if fence[0] == "{\n" else 2  # JSON front matter starts with its brace
    assert structure(fence[0] + filler + fence[1] + BODY) == [("PC003", line, 1)]


# -- encodings and line endings --------------------------------------------------------


def test_invalid_utf8() -> None:
    assert structure(post().encode() + b"<p>\xc3\x28</p>\n") == [("PC001", 6, 4)]


def test_bom_is_reported_and_front_matter_still_read() -> None:
    raw = b"\xef\xbb\xbf" + post().encode()
    assert structure(raw) == [("PC009", 1, 1)]
    assert parse_bytes(raw).title == "A title"


def test_crlf_lines_are_exact() -> None:
    text = post('title: A\ndate: 2021-02-30\n', "<p>Subscribe.</p>\n").replace("\n", "\r\n")
    assert structure(text) == [("PC004", 3, 7), ("PC007", 5, 1)]


def test_lone_cr_lines_are_exact() -> None:
    text = post('title: A\ndate: 2021-02-30\n', "<p>Subscribe.</p>\n").replace("\n", "\r")
    assert structure(text) == [("PC004", 3, 7), ("PC007", 5, 1)]


@pytest.mark.parametrize("text", ["---", "---\n", "---\r\n", "--- \n\n"])
def test_only_a_fence(text: str) -> None:
    assert structure(text) == [("PC003", 1, 1)]


def test_no_front_matter() -> None:
    assert structure("Hello\n" + BODY) == [("PC002", 1, 1)]


def test_empty_file() -> None:
    assert "PC002" in codes(b"")
    assert "PC002" in codes("")


def test_nul_in_body() -> None:
    assert structure(post(body="<p>a\0b</p>\n").encode()) == [("PC001", 5, 5)]


def test_nul_in_yaml() -> None:
    assert structure(post('title: "A\0"\ndate: 2021-01-05\n').encode()) == [("PC001", 2, 10)]


def test_random_binary() -> None:
    raw = bytes(range(256)) * 40
    assert [c for c, _, _ in structure(raw)] == ["PC001"]


def test_png_named_md() -> None:
    raw = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
    assert [c for c, _, _ in structure(raw)] == ["PC001"]


# -- HTML ---------------------------------------------------------------------------------


def test_300_deep_html() -> None:
    body = "<div>" * 300 + "text at the bottom of the well" + "</div>" * 300 + "\n"
    assert "PC008" in codes(post(body=body))


def test_deep_html_is_not_reported_empty() -> None:
    # libxml2 drops what is past its depth limit; the body is not empty, it is unreadable.
    body = "<div>" * 300 + "text at the bottom of the well " * 5 + "</div>" * 300 + "\n"
    found = codes(post(body=body))
    assert "PC008" in found and "PC006" not in found and "PC007" not in found


def test_multi_megabyte_attribute() -> None:
    body = BODY + '<img alt="' + "a" * 3_000_000 + '" src="x.jpg">\n'
    assert "PC008" in codes(post(body=body))


@pytest.mark.parametrize("attr", ["a{i}", 'a{i}="v"', "a{i}=v"])
def test_tag_with_40000_attributes(attr: str) -> None:
    body = BODY + "<p " + " ".join(attr.format(i=i) for i in range(40_000)) + ">x</p>\n"
    assert structure(post(body=body)) == [("PC008", 6, 1)]


def test_repeated_attribute_names() -> None:
    body = BODY + "<p " + "a " * 40_000 + ">x</p>\n"
    assert structure(post(body=body)) == [("PC008", 6, 1)]


def test_xxe_doctype_reads_no_file(tmp_path: os.PathLike[str]) -> None:
    secret = os.path.join(os.fspath(tmp_path), "secret.txt")
    with open(secret, "w") as fh:
        fh.write("MARKER-7f3a9c")
    for body in (
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<p>&xxe; {BODY}</p>\n',
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret}">]>\n<r>&xxe;</r>\n',
        f'<!DOCTYPE r SYSTEM "{secret}">\n<p>&xxe;</p>' + BODY,
    ):
        text = post(body=body)
        result = run_all(text)
        assert "MARKER" not in repr([f.model_dump() for f in result])
        parsed = parse_text(text)
        assert "MARKER" not in parsed.visible_text
        tree = parsed.tree
        if tree is not None:
            from lxml import etree

            assert b"MARKER" not in etree.tostring(tree)


def test_meta_charset_does_not_change_decoding() -> None:
    body = '<meta charset="iso-8859-1"><meta http-equiv="Content-Type" content="text/html; charset=gbk">' \
           "<p>日本語のテキスト — naïve café</p>\n"
    parsed = parse_text(post(body=body))
    assert "日本語のテキスト — naïve café" in parsed.visible_text


_PIECES = ["<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<!-- c -->", "<?pi x?>", "&amp;", "&nbsp;", "&bogus;",
           "😀", "é", " ", "\n", "\t", "text", "<br>", "<img src=x>", "<table><tr><td>c</td></tr></table>",
           "<textarea>t<b></textarea>", "<fb:like>f</fb:like>", "\r\n", "<xmp>x<p></xmp>", "&#0;", "<![CDATA[d]]>"]


@given(st.lists(st.sampled_from(_PIECES), max_size=20))
def test_visible_text_is_every_text_node(pieces: list[str]) -> None:
    # without script/style/template, visible_text is serialised by libxml2 in one call:
    # it must be the text of every text node, as itertext() gives it
    parsed = parse_text(post(body="".join(pieces) + "<p>end</p>\n"))
    tree = parsed.tree
    assert tree is not None
    assert parsed.visible_text == "".join(t for t in tree.itertext() if isinstance(t, str))


def test_comment_only_body() -> None:
    assert structure(post(body="<!-- nothing left -->\n")) == [("PC006", 5, 1)]


def test_over_70000_lines() -> None:
    assert structure(post(body="<p>x</p>\n" * 70_000)) == [("PC008", 5, 1)]


def test_huge_text_node_one_line() -> None:
    run_all(post(body="<p>" + "word " * 900_000 + "</p>"))


def test_unclosed_everything() -> None:
    run_all(post(body="<div><p><a href='x" + "<span" * 5000 + "<!-- <script><![CDATA[" + "<table><tr>" * 500))


@pytest.mark.parametrize("body", [
    '<time datetime="2021-01-05T10:00:00+08:00"></time>' * 50_000,  # each time read once, not per time
    "<p>" + 'On <time datetime="2021-01-05T10:00:00+08:00">5 Jan</time> ' * 20_000 + "</p>",
    "<div>" * 200 + "<p></p>" * 5_000 + '<time datetime="2021-01-05T10:00:00+08:00"></time>',
])
def test_many_time_elements(body: str) -> None:
    run_all(post(body=body))


def test_ad_slots_among_markdown_blocks_parse_the_body_a_bounded_number_of_times() -> None:
    # each removal's Markdown check may parse the whole body: the parses of a post are
    # bounded in number and in characters read (markdown-it reads about 1 MB a second)
    from postcheck.engine import Engine
    from postcheck.parse import _MARKDOWN_PARSES

    text = post(body='<div id="dfp-ad-x">ad</div>\n\n* x\n\n' * 4_000)  # 140 kB
    engine = Engine(select=["PC301"])
    parsed = engine.parse(text.encode(), "post.md")
    found = engine.check_post(parsed).findings
    assert len(found) == 4_000
    assert parsed._field_cache[_MARKDOWN_PARSES] * (len(text) - parsed.body_start) <= 1_000_000


@pytest.mark.parametrize("body", [
    "<!-- postcheck: disable x " * 40_000,
    "<!-- postcheck: disable x " * 40_000 + "-->",
    ("<!-- postcheck: disable PC007 -->" + "<!-- postcheck: enable -->") * 20_000,
    "<!-- postcheck: disable " + "PC007 " * 150_000 + "-->",
    "<!-- postcheck: disable-next-line PC007 -->\n" * 50_000,
])
def test_hostile_suppression_comments(body: str) -> None:
    run_all(post(body=body))


def test_suppression_comment_is_bounded_but_real_ones_work() -> None:
    real = "<!-- postcheck: disable PC007 thin-body unknown-field PC005 -->\n<p>Short.</p>\n"
    assert [c for c in codes(post(body="<!-- postcheck: disable x " * 1000 + real)) if c == "PC007"] == []


# -- pathological strings for backtracking ------------------------------------------------

NASTY = [
    " " * 50_000 + "x",
    "-" * 50_000 + "!",
    " - " * 20_000,
    " | " * 20_000 + "|",
    "a" * 50_000 + "!",
    "&amp;" * 20_000 + "&",
    "&#" + "1" * 50_000,
    "<" * 50_000,
    "<b" * 30_000,
    "\u3000" * 30_000 + "。",
    "\u200b" * 30_000,
    "Ã" * 30_000,
    "2021-" * 20_000,
    "1" * 50_000,
    "锟斤拷" * 10_000,
    "\\" * 50_000,
    "[" * 50_000,
    "](" * 30_000,
]
NASTY_URLS = [
    "https://" + "a." * 25_000,
    "https://example.com/" + "%" * 50_000,
    "https://example.com/" + "%2" * 30_000,
    "https://example.com/?" + "utm_source=x&" * 5_000,
    "https://example.com/" + "2021/" * 10_000,
    "https://example.com/" + "1" * 50_000,
    "http://" + ":" * 50_000,
    "https://example.com/" + "a/" * 25_000 + " ",
    "javascript:" * 5_000,
    "https://" + "[" * 30_000,
]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("i", range(len(NASTY)))
def test_pathological_title_and_body(i: int) -> None:
    nasty = NASTY[i]
    front = f"title: {_quoted(nasty)}\ndate: 2021-01-05T10:00:00+08:00\nauthor: {_quoted(nasty[:2000])}\n"
    body = (f"[{nasty}](https://example.com/a)\n------\n\n"
            f"<div><p>{nasty}</p><a href=\"{nasty[:5000]}\">x</a></div>\n")
    run_all(post(front, body))


@pytest.mark.parametrize("i", range(len(NASTY_URLS)))
def test_pathological_source_url(i: int) -> None:
    url = NASTY_URLS[i]
    front = FM + f"author: BBC News\nfrom: {_quoted(url)}\n"
    body = f"<!--1630739820000-->\n[A title]({url})\n------\n\n<div><p><a href=\"{url}\">x</a>" \
           f"<img src=\"{url}\" data-src=\"{url}\"><iframe src=\"{url}\"></iframe></p>{BODY}</div>\n"
    run_all(post(front, body), path="2021-01-05-" + "a" * 200 + ".md")


def test_pathological_file_name() -> None:
    run_all(post(), path="2021-" * 2000 + ".md")


# -- properties -----------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "---\n", "---\r\n", "+++\n", "{\n", "\n", "\r", "\r\n", "\ufeff", "\0", "\t", " ",
    "title: ", "date: ", "from: ", "author: ", "2021-02-30", "2021-09-04T03:38:12Z", "https://a.b/c?utm_source=x",
    "&x", "*x", "!!python/object:x", "[", "]", "{", "}", ":", "- ", "'", '"', "#",
    "<!--1630739820000-->\n", "[T](https://a.b/)\n------\n", "<div>", "</div>", "<p ", ">", "<!--", "-->",
    "<script>", "<img src=x data-src=y>", "<![CDATA[", "<?xml ?>", "&amp;amp;", "Ã©", "\u200b", "\ufffd",
    "<!-- postcheck: disable PC007 -->", "<!-- postcheck: disable-next-line ALL -->", "\u2028", "\x85",
    "\n```\n", "\n~~~~html\n", "   ```", "`", "\n\n",
])
TEXTS = st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=40).map("".join)
BYTES = st.lists(st.one_of(FRAGMENTS.map(lambda s: s.encode("utf-8")), st.binary(max_size=12)),
                 max_size=40).map(b"".join)


def _line_count(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text)) + 1


def _assert_in_file(result: list[Finding], text: str) -> None:
    lines = _line_count(text)
    for f in result:
        assert 1 <= f.line <= lines, f
        assert 1 <= f.end_line <= lines, f
        assert f.column >= 1 and f.end_column >= 1, f
        assert (f.end_line, f.end_column) >= (f.line, f.column), f


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_any_text_gives_findings_inside_the_file(text: str) -> None:
    import postcheck

    result = postcheck.check_text(text, "post.md", now="2021-02-01T00:00:00Z")
    assert not [f for f in result if f.context and f.context.get("internal_error")]
    _assert_in_file(result, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BYTES)
def test_any_bytes_give_findings_inside_the_file(raw: bytes) -> None:
    import postcheck

    result = postcheck.check_text(raw, "post.md", now="2021-02-01T00:00:00Z")
    assert not [f for f in result if f.context and f.context.get("internal_error")]
    _assert_in_file(result, raw.decode("utf-8", "replace"))


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab\n\r \u3042"), max_size=60), st.lists(st.integers(-3, 70), max_size=12))
def test_line_col_before_and_after_the_line_index_agree(text: str, offsets: list[int]) -> None:
    # The first answers count newlines directly; later ones use the line index.
    direct = parse_text(text, "a.md")
    indexed = parse_text(text, "a.md")
    indexed.line_starts  # noqa: B018 - built up front
    for offset in offsets:
        assert direct.line_col(offset) == indexed.line_col(offset)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<p>", "</p>", "<div class='a'>", "x", "中", " ", "\n", "\u3000", "\xa0",
                                 "<!--c-->", "&amp;", "é"]), max_size=30))
def test_tree_from_bytes_read_equals_tree_from_text(pieces: list[str]) -> None:
    # parse_bytes hands lxml the bytes it read; parse_text encodes the text: same tree.
    from lxml import etree

    from postcheck._body import _PARSER

    text = "---\ntitle: t\n---\n" + "".join(pieces)
    post = parse_text(text, "a.md")
    body = text[post.html_start :]
    expected = etree.fromstring(body.encode("utf-8"), _PARSER) if body.strip() else None
    for tree in (post.tree, parse_bytes(text.encode("utf-8"), "a.md").tree):
        assert (tree is None) == (expected is None)
        if tree is not None and expected is not None:
            assert etree.tostring(tree, encoding=str) == etree.tostring(expected, encoding=str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["\n```\n", "\n~~~\n", "```", "\n", "\r", "\r\n", "\n\n", "    ", "<div>", "</div>",
                                 "<script>x</script>", '<div id="div-gpt-ad-1"></div>', "<p>text</p>", "中",
                                 "<img src=x onclick=y>", "&amp;amp;", "Ã©"]), max_size=30))
def test_code_fences_keep_every_finding_exact(pieces: list[str]) -> None:
    # fences mask "<" for the parser and the source index; what is reported outside them
    # must still point at its own markup
    text = post(body="".join(pieces))
    parsed = parse_text(text, "post.md")
    fences = parsed.code_fences
    for f in run_all(text):
        if f.code in ("PC301", "PC304", "PC305"):
            offset = parsed.line_starts[f.line - 1] + f.column - 1
            assert not any(a <= offset < b for a, b in fences), f
            assert text[offset] == "<" or text[offset].isalpha(), f  # a start tag or an attribute


def test_an_article_under_many_nested_ad_words_is_read_once_not_per_level() -> None:
    # each nested match asks whether it holds text: counted only as far as needed
    body = '<div class="ad-box">' * 250 + "<p>" + "word " * 200_000 + "</p>" + "</div>" * 250 + "\n"
    assert [f.code for f in run_all(post(body=body)) if f.code == "PC301"] == []
