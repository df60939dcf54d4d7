"""PC2 source-URL provenance rules, the URL helpers and the tracking-parameter data."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.checks import provenance
from postcheck.checks._tracking import TrackingMatcher
from postcheck.checks._urls import (
    apply_deletions,
    decode_attribute,
    iri_to_uri,
    normalize_url,
    srcset_urls,
    tracking_deletions,
    url_problems,
)
from postcheck.config import Config
from postcheck.data import builtin_data_dir
from postcheck.engine import Engine
from postcheck.model import Finding
from postcheck.rule import CorpusItem
from tests.helpers import NOW, check, findings

DATA_FILE = builtin_data_dir() / "tracking-parameters.toml"
BODY = "<div><p>" + "This sentence is real article text, long enough to count. " * 2 + "</p></div>\n"


def post(
    source: str | None = "https://example.com/news/1",
    *,
    link: str | None = None,
    body: str = BODY,
    author: str | None = None,
    raw_source: str | None = None,
) -> str:
    fm = 'title: "A title"\ndate: 2021-01-05T10:00:00+08:00\n'
    if author is not None:
        fm += f"author: {author}\n"
    if raw_source is not None:
        fm += f"from: {raw_source}\n"
    elif source is not None:
        fm += f"from: {source}\n"
    scaffold = "<!--1609812000000-->\n"
    if link is not None:
        scaffold += f"[A title]({link})\n------\n\n"
    return f"---\n{fm}---\n{scaffold}{body}"


def fixed(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: -e.start):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def default_matcher() -> TrackingMatcher:
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    return TrackingMatcher(p["name"] for p in data["parameters"])


# -- rule data -------------------------------------------------------------------------


def test_data_file_validates_and_every_entry_has_provenance() -> None:
    data = provenance.TrackingParameterList.model_validate(tomllib.loads(DATA_FILE.read_text("utf-8")))
    assert len(data.parameters) > 20
    for p in data.parameters:
        assert p.source.strip() and p.owner.strip(), p.name
        assert p.must_match and p.must_not_match, p.name


def test_data_examples_hold() -> None:
    data = provenance.TrackingParameterList.model_validate(tomllib.loads(DATA_FILE.read_text("utf-8")))
    for p in data.parameters:
        alone = TrackingMatcher([p.name])
        for url in p.must_match:
            assert tracking_deletions(url, alone)[0], (p.name, url)
        for url in p.must_not_match:
            assert not tracking_deletions(url, alone)[0], (p.name, url)


@pytest.mark.parametrize(
    "name", ["source", "ref", "from", "spm", "s", "si", "feature", "id", "smid", "s_cid"]
)
def test_ambiguous_names_are_not_in_the_default_list(name: str) -> None:
    assert not default_matcher()(name)


@pytest.mark.parametrize(
    "name",
    [
        "utm_source",
        "UTM_Campaign",
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "utm%5Fsource",
    ],
)
def test_well_known_names_are_in_the_default_list(name: str) -> None:
    assert default_matcher()(name)


def test_bad_parameter_name_is_rejected() -> None:
    with pytest.raises(ValueError):
        provenance.TrackingParameter(name="utm source", owner="x", source="y")


# -- PC201 invalid-source-url ---------------------------------------------------------


def test_pc201_spaces_and_cjk_with_fix_to_the_percent_encoded_url() -> None:
    text = post("https://www.dw.com/zh/香港单日 确诊/a-54237428")
    [f] = findings("PC201", text)
    assert (f.line, f.column, f.field) == (4, 7, "from")
    assert "spaces and raw non-ASCII" in f.message
    assert f.fix is not None and f.fix.applicability == "unsafe"
    out = fixed(text, f)
    assert (
        "from: https://www.dw.com/zh/%E9%A6%99%E6%B8%AF%E5%8D%95%E6%97%A5%20%E7%A1%AE%E8%AF%8A/a-54237428\n"
        in out
    )
    assert check("PC201", out) == []


def test_pc201_raw_non_ascii_only() -> None:
    assert check("PC201", post("http://www.rfi.fr//cn/中国/20200720-abc")) == [("PC201", 4, 7)]


def test_pc201_quoted_value_keeps_its_quotes() -> None:
    text = post(raw_source='"https://example.com/a b"')
    [f] = findings("PC201", text)
    assert 'from: "https://example.com/a%20b"\n' in fixed(text, f)


def test_pc201_keeps_existing_escapes_and_other_bytes() -> None:
    assert iri_to_uri("https://Example.com/%e4x y?q=é&r=1#frag ment") == (
        "https://Example.com/%e4x%20y?q=%C3%A9&r=1#frag%20ment"
    )


def test_pc201_idna_host() -> None:
    assert iri_to_uri("http://例子.测试/路径") == "http://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a",
        "/news/1",
        "example.com/news",
        "https:///path",
        "http://[::1/",
        "https://example.com:99999/",
    ],
)
def test_pc201_not_an_absolute_http_url_has_no_fix(url: str) -> None:
    [f] = findings("PC201", post(raw_source=f"'{url}'"))
    assert f.fix is None


def test_pc201_control_characters_have_no_fix() -> None:
    [f] = findings("PC201", post(raw_source='"https://example.com/a\\tb"'))
    assert "control characters" in f.message and f.fix is None


def test_pc201_silent_on_clean_and_missing_urls() -> None:
    assert check("PC201", post("https://example.com/%E4%B8%AD?q=1#x")) == []
    assert check("PC201", post(None)) == []


def test_url_problems_reports_each_kind() -> None:
    assert url_problems("https://example.com/") == []
    assert url_problems("https://example.com/a b") == ["spaces"]
    assert url_problems("mailto:a@b") == ["not http(s)"]


# -- PC202 / PC204 with a site profile --------------------------------------------------


@pytest.fixture(scope="module")
def site_engine_kwargs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("sites")
    (root / "data").mkdir()
    (root / "data" / "example.toml").write_text(
        'kind = "site"\nname = "Example News"\nauthors = ["Example", "EXN"]\nhosts = ["example.com"]\nhttps = true\n'
        'source = "test"\n',
        encoding="utf-8",
    )
    (root / "data" / "other.toml").write_text(
        'kind = "site"\nname = "Other Daily"\nauthors = ["Other"]\nhosts = ["other.org"]\nsource = "test"\n',
        encoding="utf-8",
    )
    return {"config": Config.model_validate({"rule-data": ["data"], "root": str(root)})}


def test_pc202_http_on_an_https_site_fixes_source_and_link_line(
    site_engine_kwargs: dict[str, Any],
) -> None:
    text = post("http://www.example.com/a", link="http://www.example.com/a", author="Example")
    [f] = findings("PC202", text, **site_engine_kwargs)
    assert (f.code, f.line, f.severity.value) == ("PC202", 5, "info")
    out = fixed(text, f)
    assert "from: https://www.example.com/a\n" in out and "(https://www.example.com/a)" in out


def test_pc202_says_nothing_of_another_host(site_engine_kwargs: dict[str, Any]) -> None:
    # a feed proxy's URL under the outlet's name: the outlet's https says nothing of it
    assert check("PC202", post("http://feedproxy.example.net/~r/a", author="Example"), **site_engine_kwargs) == []


def test_pc202_silent_on_https_or_unknown_sites(site_engine_kwargs: dict[str, Any]) -> None:
    assert check("PC202", post("https://www.example.com/a", author="Example"), **site_engine_kwargs) == []
    assert check("PC202", post("http://other.org/a", author="Other"), **site_engine_kwargs) == []
    assert check("PC202", post("http://example.com/a", author="Nobody"), **site_engine_kwargs) == []


def test_pc204_host_of_another_outlet(site_engine_kwargs: dict[str, Any]) -> None:
    [f] = findings("PC204", post("https://www.other.org/a", author="Example"), **site_engine_kwargs)
    assert (f.line, f.column) == (5, 7) and "Other Daily" in f.message


def test_pc204_host_not_listed(site_engine_kwargs: dict[str, Any]) -> None:
    [f] = findings("PC204", post("https://mirror.example.net/a", author="Example"), **site_engine_kwargs)
    assert "not a host of Example News" in f.message


def test_pc204_subdomains_and_unknown_authors_pass(site_engine_kwargs: dict[str, Any]) -> None:
    assert check("PC204", post("https://cn.example.com/a", author="Example"), **site_engine_kwargs) == []
    assert check("PC204", post("https://other.org/a", author="Someone"), **site_engine_kwargs) == []


@pytest.mark.parametrize("url", ["https://www.example.de/a", "https://example.co.uk/a", "https://www.example.com.tw/a"])
def test_pc204_a_national_edition_is_the_outlets(site_engine_kwargs: dict[str, Any], url: str) -> None:
    assert check("PC204", post(url, author="Example"), **site_engine_kwargs) == []


@pytest.mark.parametrize("url", [
    "https://www.example.net/a",  # another generic domain: anyone's
    "https://www.examples.de/a", "https://example.de.example.org/a",
])
def test_pc204_other_names_and_domains_are_not_national_editions(site_engine_kwargs: dict[str, Any],
                                                                 url: str) -> None:
    assert [c for c, _, _ in check("PC204", post(url, author="Example"), **site_engine_kwargs)] == ["PC204"]


def test_pc204_short_names_are_acronyms_unrelated_outlets_share(tmp_path: Any) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ft.toml").write_text(
        'kind = "site"\nname = "Financial Times"\nauthors = ["Financial Times"]\nhosts = ["ft.com"]\n'
        'source = "test"\n', encoding="utf-8")
    config = Config.model_validate({"rule-data": ["data"], "root": str(tmp_path)})
    # the Daily FT of Colombo is at ft.lk
    found = check("PC204", post("https://www.ft.lk/news/a", author="Financial Times"), config=config)
    assert [c for c, _, _ in found] == ["PC204"]


def test_pc204_a_bare_acronym_is_ambiguous_unless_the_host_is_another_outlets(
    site_engine_kwargs: dict[str, Any],
) -> None:
    # "RTI" is Radio Taiwan International and RTI International: an unknown host is no evidence
    assert check("PC204", post("https://www.exn.org/a", author="EXN"), **site_engine_kwargs) == []
    [f] = findings("PC204", post("https://www.other.org/a", author="EXN"), **site_engine_kwargs)
    assert "Other Daily" in f.message


# -- PC203 tracking-parameters ---------------------------------------------------------

PROMO = (
    "<div><p>" + "Article text that is long enough to be an article body. " * 2 + "</p>"
    '<a href="https://subscribe.example.com/promo/?utm_campaign=x99&utm_medium=pub&utm_source=zb'
    '&utm_content=endofarticle" target="_blank">Subscribe</a></div>\n'
)


def test_pc203_body_link_safe_fix_removes_the_whole_query() -> None:
    text = post(body=PROMO)
    [f] = findings("PC203", text)
    assert (f.line, f.column) == (7, PROMO.index("https://subscribe") + 1)
    assert f.fix is not None and f.fix.applicability == "safe"
    assert "utm_campaign, utm_medium, utm_source, utm_content" in f.message
    out = fixed(text, f)
    assert 'href="https://subscribe.example.com/promo/" target' in out
    assert check("PC203", out) == []


def test_pc203_amp_entities_in_attributes_are_edited_raw() -> None:
    body = (
        '<p><a href="https://t.example/v/1?u_code=d9&amp;utm_campaign=share&amp;app=m&amp;utm_medium=ios'
        '&amp;source=h5">video</a> ' + "text " * 20 + "</p>\n"
    )
    text = post(body=body)
    [f] = findings("PC203", text)
    assert 'href="https://t.example/v/1?u_code=d9&amp;app=m&amp;source=h5"' in fixed(text, f)


def test_pc203_numeric_amp_and_semicolon_separators() -> None:
    body = '<p><img src="https://cdn.example/i.jpg?w=3&#38;fbclid=IwAR;h=2"> ' + "text " * 20 + "</p>\n"
    text = post(body=body)
    [f] = findings("PC203", text)
    assert 'src="https://cdn.example/i.jpg?w=3;h=2"' in fixed(text, f)


def test_pc203_srcset_candidates() -> None:
    body = (
        '<p><img srcset="https://cdn.example/a.jpg?gclid=1 1x, '
        'https://cdn.example/b.jpg?x=1&amp;mc_eid=2 2x">' + "text " * 20 + "</p>\n"
    )
    text = post(body=body)
    [f] = findings("PC203", text)
    assert 'srcset="https://cdn.example/a.jpg 1x, https://cdn.example/b.jpg?x=1 2x"' in fixed(text, f)


def test_pc203_source_url_unsafe_fix_also_cleans_the_link_line() -> None:
    url = "https://example.com/a?id=3&utm_source=rss#top"
    text = post(url, link=url)
    [f] = findings("PC203", text)
    assert (f.line, f.field, f.fix.applicability if f.fix else None) == (4, "from", "unsafe")
    out = fixed(text, f)
    assert "from: https://example.com/a?id=3#top\n" in out and "(https://example.com/a?id=3#top)" in out


def test_pc203_link_line_alone() -> None:
    text = post("https://example.com/a", link="https://example.com/a?fbclid=x")
    [f] = findings("PC203", text)
    assert f.line == 7 and f.fix is not None and f.fix.applicability == "unsafe"


def test_pc203_silent_on_lookalikes_and_encoded_redirect_targets() -> None:
    body = (
        '<p><a href="https://l.facebook.com/l.php?u=http%3A%2F%2Fx.cn%2F%3Ffbclid%3DIwAR0&amp;h=AT2">a</a>'
        '<a href="https://example.com/?source=h5&amp;ref=home&amp;spm=a2">b</a>'
        '<a href="https://example.com/utm_source/#utm_medium=x">c</a>' + "text " * 20 + "</p>\n"
    )
    assert check("PC203", post(body=body)) == []


def test_pc203_options_extend_and_ignore() -> None:
    body = '<p><a href="https://example.com/?smid=share&amp;fbclid=1">a</a>' + "text " * 20 + "</p>\n"
    config = Config.model_validate(
        {"rules": {"PC203": {"extend-parameters": ["smid"], "ignore-parameters": ["fbclid"]}}}
    )
    [f] = findings("PC203", post(body=body), config=config)
    assert "parameter smid" in f.message


# tracking removal, unit level

MATCH = TrackingMatcher(["utm_*", "fbclid", "gclid"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/p?utm_source=x", "https://a.example/p"),
        ("https://a.example/p?utm_source=x#frag", "https://a.example/p#frag"),
        ("https://a.example/p?a=1&utm_source=x&b=2", "https://a.example/p?a=1&b=2"),
        ("https://a.example/p?utm_source=x&a=1", "https://a.example/p?a=1"),
        ("https://a.example/p?utm_source=&a=&utm_medium", "https://a.example/p?a="),
        ("https://a.example/p?fbclid=1&fbclid=2&a=1&fbclid=3", "https://a.example/p?a=1"),
        ("https://a.example/p?a=1;gclid=2;b=3", "https://a.example/p?a=1;b=3"),
        ("https://a.example/p?&a=1&&utm_id=2&", "https://a.example/p?&a=1&&"),
        ("https://a.example/p?b=2&a=1", "https://a.example/p?b=2&a=1"),
        ("https://a.example/p#?utm_source=x", "https://a.example/p#?utm_source=x"),
    ],
)
def test_tracking_removal_cases(url: str, expected: str) -> None:
    _, spans = tracking_deletions(url, MATCH)
    assert apply_deletions(url, spans) == expected


_key = st.sampled_from(["utm_source", "utm_x", "fbclid", "gclid", "a", "id", "q", "source", "utmost", ""])
_value = st.text(alphabet="abc%=+/?:é 19", max_size=6)
_piece = st.one_of(st.builds(lambda k, v: f"{k}={v}", _key, _value), _key)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(_piece, max_size=8),
    seps=st.lists(st.sampled_from(["&", ";"]), min_size=8, max_size=8),
    fragment=st.one_of(st.none(), st.text(alphabet="ab?&=utm_", max_size=8)),
)
def test_tracking_removal_properties(pieces: list[str], seps: list[str], fragment: str | None) -> None:
    query = "".join((seps[i - 1] if i else "") + p for i, p in enumerate(pieces))
    url = (
        "https://a.example/p"
        + (f"?{query}" if pieces else "")
        + (f"#{fragment}" if fragment is not None else "")
    )
    keys, spans = tracking_deletions(url, MATCH)
    out = apply_deletions(url, spans)
    tracked = [p for p in pieces if MATCH(p.split("=", 1)[0])]
    if not tracked:
        assert out == url and not spans  # nothing to remove: byte-identical
    else:
        kept = [(seps[i - 1] if i else "", p) for i, p in enumerate(pieces) if not MATCH(p.split("=", 1)[0])]
        rebuilt = "".join((sep if j else "") + p for j, (sep, p) in enumerate(kept))
        expected = "https://a.example/p" + (f"?{rebuilt}" if kept else "")
        expected += f"#{fragment}" if fragment is not None else ""
        assert out == expected
        assert len(keys) == len(tracked)
    again_keys, again_spans = tracking_deletions(out, MATCH)
    assert again_keys == [] and again_spans == []  # idempotent


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_url_helpers_never_raise(text: str) -> None:
    url_problems(text)
    iri_to_uri(text)
    normalize_url(text)
    normalize_url(text, scheme=False)
    tracking_deletions(text, MATCH)
    srcset_urls(text)
    decoded, offsets = decode_attribute(text)
    assert len(offsets) == len(decoded) + 1 and offsets == sorted(offsets) and offsets[-1] == len(text)


def test_iri_to_uri_result_is_clean_and_stable() -> None:
    for url in ["https://example.com/新闻 一/?q=值#片段", "http://www.rfi.fr//cn/中国/a　b"]:
        out = iri_to_uri(url)
        assert out is not None and url_problems(out) == [] and iri_to_uri(out) == out
        assert normalize_url(out) == normalize_url(url)


def test_decode_attribute_keeps_raw_offsets() -> None:
    decoded, offsets = decode_attribute("a&amp;b&#38;c&#x26;d&para=1&bogus;")
    assert decoded == "a&b&c&d&para=1&bogus;"
    assert offsets[1] == 1 and offsets[2] == 6 and offsets[3] == 7


def test_hostile_long_url_is_linear() -> None:
    url = "https://a.example/?" + "&" * 200_000 + "utm_source=1" + "a=" * 100_000
    keys, spans = tracking_deletions(url, MATCH)
    assert keys == ["utm_source"]
    assert url_problems("http://" + "[" * 100_000) == ["unparsable"]


# -- PC205 source-link-mismatch -------------------------------------------------------


def test_pc205_percent_encoding_host_case_port_and_slash_do_not_count() -> None:
    src = "http://www.rfi.fr//cn/中国/20200720-abc"
    link = "http://WWW.rfi.fr:80//cn/%E4%B8%AD%E5%9B%BD/20200720-abc/"
    assert check("PC205", post(src, link=link)) == []
    assert check("PC205", post("https://a.example/%e4%b8%ad", link="https://a.example/%E4%B8%AD")) == []


def test_pc205_entities_in_the_link_lines_url_are_read_as_markdown_reads_them() -> None:
    src = "https://a.example/a?id=4&lang=en"
    assert check("PC205", post(src, link="https://a.example/a?id=4&amp;lang=en")) == []
    assert len(check("PC205", post(src, link="https://a.example/a?id=5&amp;lang=en"))) == 1


@pytest.mark.parametrize("link", ['https://example.com/news/1 "A title"', "<https://example.com/news/1>",
                                  " https://example.com/news/1 "])
def test_pc205_a_link_lines_destination_is_read_as_markdown_reads_it(link: str) -> None:
    # a title after the URL, or the URL in angle brackets (CommonMark)
    assert check("PC205", post(link=link)) == []


def test_a_line_of_two_links_is_no_link_line() -> None:
    text = post(link="https://example.com/news/1) see [other](https://other.example/b?utm_source=x")
    assert check(["PC205", "PC405"], text) == []
    [f] = findings("PC203", text.replace("from: https://example.com/news/1", "from: https://example.com/news/1?fbclid=1"))
    assert f.fix is not None and all(e.start < text.index("<!--") for e in f.fix.edits)  # the front matter only


def test_pc203_the_link_line_is_fixed_with_the_source_url_only_when_it_repeats_it() -> None:
    same = post("https://example.com/a?fbclid=1", link="https://example.com/a?fbclid=1")
    [f] = findings("PC203", same)
    assert f.fix is not None and len(f.fix.edits) == 2
    assert f.fix.description == "remove the tracking parameters from the source URL and the link line"
    other = post("https://example.com/a?fbclid=1", link="https://other.example/b?utm_source=x")
    source, line = findings("PC203", other)
    assert source.fix is not None and source.fix.description == "remove the tracking parameters from the source URL"
    assert len(source.fix.edits) == 1 and line.message == "link line URL carries tracking parameter utm_source"


def test_pc205_different_article_fires_at_the_link_url() -> None:
    text = post("https://a.example/story-1", link="https://a.example/story-2")
    assert check("PC205", text) == [("PC205", 7, 11)]


def test_pc205_needs_both_urls() -> None:
    assert check("PC205", post(None, link="https://a.example/x")) == []
    assert check("PC205", post("https://a.example/x")) == []


# -- PC206 duplicate-source-url ----------------------------------------------------------


def _run_corpus(texts: dict[str, str]) -> list[Finding]:
    e = Engine(select=["PC206"], now=NOW)
    results = [e.check_bytes(t, p) for p, t in texts.items()]
    return e.finalize([c for r in results for c in r.corpus])


def test_pc206_both_posts_of_a_pair_are_reported_naming_the_other() -> None:
    out = _run_corpus(
        {
            "a.md": post("https://a.example/story-1"),
            "b.md": post("http://A.example:80/story-1/?utm_source=rss"),
            "c.md": post("https://a.example/story-2"),
        }
    )
    assert [(f.path, f.line, f.column) for f in out] == [("a.md", 4, 7), ("b.md", 4, 7)]
    assert out[0].message == "same source URL as b.md" and out[1].message == "same source URL as a.md"


def test_pc206_large_groups_name_a_few_and_count_the_rest() -> None:
    out = _run_corpus({f"{i:02}.md": post("https://a.example/same") for i in range(6)})
    assert len(out) == 6
    assert out[0].message == "same source URL as 01.md, 02.md, 03.md and 2 more"


def test_pc206_percent_encoding_variants_are_duplicates() -> None:
    out = _run_corpus(
        {"a.md": post("https://a.example/中国"), "b.md": post("https://a.example/%E4%B8%AD%E5%9B%BD")}
    )
    assert len(out) == 2


def test_pc206_live_blog_entries_are_different_posts() -> None:
    live = "https://www.example.com/live/2024/may/30/verdict-latest"
    out = _run_corpus({"a.md": post(live + "#block-6658d2b38f08"), "b.md": post(live + "#block-6658e9c18f08"),
                       "c.md": post(live + "#comments"), "d.md": post(live)})
    assert [f.path for f in out] == ["c.md", "d.md"]  # "#comments" is the same article


@pytest.mark.parametrize("live", [
    "https://www.nytimes.com/live/2024/05/30/nyregion/trump-trial-verdict",
    "https://www.example.com/politics/2024/05/30/trump-verdict-live-updates/",
    "https://edition.example.com/world/live-news/election-results",
])
def test_pc206_word_anchors_on_a_live_page_are_entries(live: str) -> None:
    out = _run_corpus({"a.md": post(live + "#jury-reaches-verdict"), "b.md": post(live + "#what-happens-next"),
                       "c.md": post(live + "#comments"), "d.md": post(live)})
    assert [f.path for f in out] == ["c.md", "d.md"]


def test_pc206_word_anchors_elsewhere_are_the_same_article() -> None:
    page = "https://www.example.com/2024/05/30/delivery-drivers-strike"
    out = _run_corpus({"a.md": post(page + "#what-happens-next"), "b.md": post(page + "#background")})
    assert [f.path for f in out] == ["a.md", "b.md"]


def test_pc206_no_source_no_key() -> None:
    assert _run_corpus({"a.md": post(None), "b.md": post(None)}) == []


def test_pc206_scales_linearly() -> None:
    index: dict[Any, list[CorpusItem]] = {f"k{i}": [] for i in range(100_000)}
    assert list(provenance.duplicate_source_url.finalize(index, None)) == []  # type: ignore[arg-type]


# -- documentation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        provenance.invalid_source_url,
        provenance.insecure_source_url,
        provenance.tracking_parameters,
        provenance.source_host_mismatch,
        provenance.source_link_mismatch,
        provenance.duplicate_source_url,
    ],
)
def test_rules_are_documented(rule: object) -> None:
    assert rule.missing_doc_sections() == []  # type: ignore[attr-defined]


def test_severities_follow_the_spec() -> None:
    got = {
        r.code: r.severity.value
        for r in (
            provenance.invalid_source_url,
            provenance.insecure_source_url,
            provenance.tracking_parameters,
            provenance.source_host_mismatch,
            provenance.source_link_mismatch,
            provenance.duplicate_source_url,
        )
    }
    assert got == {
        "PC201": "error",
        "PC202": "info",
        "PC203": "warning",
        "PC204": "error",
        "PC205": "warning",
        "PC206": "warning",
    }


def test_seed_example_gets_pc203_on_line_15_only() -> None:
    seed = sorted(Path(__file__).resolve().parents[2].joinpath("shared", "examples").glob("*.md"))
    if not seed:
        pytest.skip("shared examples not available")
    result = findings(["PC201", "PC203", "PC204", "PC205"], seed[0].read_bytes(), seed[0].name)
    assert {f.code for f in result} == {"PC203"}
    assert all(f.line == 15 and "utm_" in f.message for f in result)


_html_sep = st.sampled_from(["&", "&amp;", "&#38;", "&#x26;", ";"])


@settings(max_examples=100, deadline=None)
@given(
    pieces=st.lists(_piece.filter(lambda p: "&" not in p), min_size=1, max_size=6),
    seps=st.lists(_html_sep, min_size=6, max_size=6),
)
def test_tracking_removal_in_html_attributes_edits_only_the_pieces(
    pieces: list[str], seps: list[str]
) -> None:
    def attribute(items: list[tuple[str, str]]) -> str:
        return "".join((sep if j else "") + p for j, (sep, p) in enumerate(items))

    items = [(seps[i - 1] if i else "", p.replace('"', "")) for i, p in enumerate(pieces)]
    body = f'<p><a href="https://a.example/p?{attribute(items)}">x</a> ' + "text " * 20 + "</p>\n"
    text = post(body=body)
    found = findings("PC203", text)
    kept = [(sep, p) for sep, p in items if not default_matcher()(p.split("=", 1)[0])]
    if len(kept) == len(items):
        assert found == []
        return
    [f] = found
    href = "https://a.example/p" + (f"?{attribute(kept)}" if kept else "")
    out = fixed(text, f)
    assert out == text.replace(body, f'<p><a href="{href}">x</a> ' + "text " * 20 + "</p>\n")
    assert check("PC203", out) == []


# -- fast paths: the same answers as the general code -----------------------------------


@functools.cache
def _engine() -> Engine:
    return Engine(select=["PC2"])

_URL_PIECES = ["http://", "https://", "HTTP://", "ftp://", "//", "/", "?", "#", "@", ":", "[", "]", "%",
               "%41", ".", "a", "B", "中", "8080", "99999", " ", "\t", "\n", "-", "x.com", "user:pw@"]


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(_URL_PIECES), max_size=8).map("".join))
def test_split_host_path_is_urlsplit(url: str) -> None:
    from urllib.parse import urlsplit

    from postcheck.checks._urls import split_host_path

    try:
        parts = urlsplit(url)
        expected: tuple[str | None, str] | None = (parts.hostname, parts.path)
    except ValueError:
        expected = None
    assert split_host_path(url) == expected


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(_URL_PIECES), max_size=8).map("".join))
def test_clean_source_url_has_no_problems(url: str) -> None:
    from postcheck.checks._urls import source_url_is_clean

    post = _engine().parse(f"---\ntitle: t\nfrom: {url!r}\n---\n<p>x</p>\n")
    if post.source_url is not None and source_url_is_clean(post):
        assert url_problems(post.source_url) == []


def test_prefilter_case_variants_are_exact() -> None:
    """The documented IGNORECASE equivalents of ASCII letters are all the prefilter knows."""
    import re

    from postcheck.checks._tracking import _char_class

    letters = re.compile("[a-z]", re.IGNORECASE)
    found = {chr(c) for c in range(0x110000) if letters.fullmatch(chr(c))}
    assert found - set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == set("\u0130\u0131\u017f\u212a")
    for ch in "ikst_%5":
        cls = re.compile(_char_class(ch))
        same = {c for c in [*found, *"_%5"] if re.fullmatch(re.escape(ch), c, re.IGNORECASE)}
        assert {c for c in [*found, *"_%5"] if cls.fullmatch(c)} == same


_PREFILTER_PIECES = ["?", "&", ";", "amp;", "AMP;", "#38;", "#X26;", "utm_", "UTM_", "ut", "fbclid", "FBclid",
                     "_ga", "_GL", "%5fga", "%5Fhsenc", "mkt_tok", "\u212akt_tok", "\u0130tm_", "ſ", "x", "=", "1"]


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(_PREFILTER_PIECES), max_size=6).map("".join))
def test_prefilter_matches_like_an_ignorecase_alternation(text: str) -> None:
    import re

    matcher = provenance.default_matcher(_engine().data)
    names = sorted({v for lit in matcher.literals() for v in (lit, lit.replace("_", "%5f"))}, key=len, reverse=True)
    alternatives = "|".join(map(re.escape, names))
    reference = re.compile(rf"[?&;](?:amp;|#38;|#x26;)?(?:{alternatives})", re.IGNORECASE)
    expected = reference.search(text) is not None
    assert (matcher.prefilter.search(text) is not None) == expected
    assert matcher.may_match(text) == expected


def test_tracking_reported_without_a_literal_question_mark() -> None:
    """A `?` written as a character reference still makes a query (lxml decodes it)."""
    body = '<p><a href="https://example.com/a&#63;utm_source=x&amp;id=3">a</a></p>\n'
    text = "---\ntitle: t\nfrom: https://example.com/a\n---\n" + body
    assert [f.code for f in findings("PC203", text)] == ["PC203"]


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"https?://[a-zA-Z0-9.-]{1,20}(/[A-Za-z0-9\-._~:@!$&'()*+,;=%?#]{0,12}){0,4}",
                     fullmatch=True))
def test_plain_urls_skip_canonicalisation_without_changing_the_key(url: str) -> None:
    from w3lib.url import canonicalize_url

    from postcheck.checks import _urls

    slow = _urls.normalize_url(canonicalize_url(url))  # w3lib's answer, then our own normalising
    assert _urls.normalize_url(url) == slow


def _split_key(text: str, scheme: bool) -> str:
    """normalize_url's urlsplit path for a URL w3lib would leave unchanged (the reference)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(text)
    path = parts.path.rstrip("/") or "/"
    result = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
    return result.partition(":")[2] if not scheme else result


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"(?i:https?)://[a-zA-Z0-9.\-_~!$&'()*+,=]{0,12}(/{1,3}[A-Za-z0-9\-._~:@!$&'()*+,=]{0,8}){0,4}",
                     fullmatch=True), st.booleans())
def test_canonical_key_by_slicing_equals_urlsplit(url: str, scheme: bool) -> None:
    from postcheck.checks import _urls

    assert _urls._ALREADY_CANONICAL.fullmatch(url)
    if not _urls._plain_authority(url):
        return
    quick = _urls._canonical_key(url, scheme)
    if quick is not None:
        assert quick == _split_key(url, scheme)
    assert _urls.normalize_url(url, scheme=scheme) == _split_key(url, scheme)
