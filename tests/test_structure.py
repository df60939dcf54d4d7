"""PC0 structure rules: one behaviour per test, as (code, line, col)."""

from __future__ import annotations

import pytest

from tests.helpers import check, findings

BODY = "<div><p>" + "This sentence is real article text, long enough to count. " * 2 + "</p></div>\n"
FM = 'title: "A title"\ndate: 2021-01-05T10:00:00+08:00\n'


def post(front: str = FM, body: str = BODY) -> str:
    return f"---\n{front}---\n{body}"


# -- PC001 unreadable-file ---------------------------------------------------------


def test_pc001_invalid_utf8_points_at_the_bad_byte() -> None:
    raw = post().encode() + b"\n<p>caf\xe9</p>\n"
    assert check("PC001", raw) == [("PC001", 7, 7)]


def test_pc001_nul_byte() -> None:
    raw = post(body="<p>a\0b</p>\n").encode()
    assert check("PC001", raw) == [("PC001", 5, 5)]


def test_pc001_nul_in_str_input() -> None:
    assert check("PC001", post(body="<p>a\0b</p>\n")) == [("PC001", 5, 5)]


def test_pc001_too_large() -> None:
    raw = post(body="<p>" + "x" * 6_000_000 + "</p>").encode()
    assert check("PC001", raw) == [("PC001", 1, 1)]


def test_pc001_silent_on_a_good_post() -> None:
    assert check("PC001", post().encode()) == []


def test_unreadable_file_runs_no_other_rule() -> None:
    assert check("PC0", b"\xff\xfe\x00garbage") == [("PC001", 1, 1)]


# -- PC002 missing-front-matter -------------------------------------------------------


def test_pc002_no_fence() -> None:
    assert check("PC002", "# Title\n" + BODY) == [("PC002", 1, 1)]


def test_pc002_dashes_followed_by_text_are_not_a_fence() -> None:
    assert check("PC002", "---text\n" + BODY) == [("PC002", 1, 1)]


def test_pc002_silent_with_front_matter() -> None:
    assert check("PC002", post()) == []


def test_pc002_toml_front_matter_is_front_matter() -> None:
    text = '+++\ntitle = "A title"\ndate = 2021-01-05T10:00:00+08:00\n+++\n' + BODY
    assert check(["PC002", "PC003", "PC004"], text) == []


# -- PC003 invalid-front-matter ---------------------------------------------------------


def test_pc003_yaml_syntax_error_at_its_line() -> None:
    assert check("PC003", post('title: "A\ndate: [1\n')) != []
    assert check("PC003", post('title: a: b\ndate: 2021-01-05\n')) == [("PC003", 2, 9)]


def test_pc003_duplicate_key_at_the_second_key() -> None:
    assert check("PC003", post('title: A\ndate: 2021-01-05\ntitle: B\n')) == [("PC003", 4, 1)]


def test_a_collection_as_key_is_one_finding_not_also_an_alias() -> None:
    found = findings("PC003", post("? [a, b]\n: v\ntitle: x\n"))
    assert [(f.line, f.column) for f in found] == [(2, 3)]
    assert "not a string" in found[0].message


def test_pc003_duplicate_key_sets_field() -> None:
    (f,) = findings("PC003", post('title: A\ndate: 2021-01-05\ntitle: B\n'))
    assert f.field == "title"


def test_pc003_list_front_matter() -> None:
    assert check("PC003", post("- a\n- b\n")) == [("PC003", 2, 1)]


def test_pc003_unclosed() -> None:
    assert check("PC003", "---\ntitle: A\n") == [("PC003", 1, 1)]


def test_pc003_non_string_key() -> None:
    assert check("PC003", post(FM + "on: push\n")) == [("PC003", 4, 1)]


def test_pc003_silent_on_good_front_matter() -> None:
    assert check("PC003", post()) == []


# -- PC004 schema-violation -------------------------------------------------------------


def test_pc004_impossible_date_at_the_value() -> None:
    assert check("PC004", post('title: A\ndate: 2021-02-30\n')) == [("PC004", 3, 7)]
    (f,) = findings("PC004", post('title: A\ndate: 2021-02-30\n'))
    assert f.field == "date"


def test_pc004_missing_title() -> None:
    (f,) = findings("PC004", post('date: 2021-01-05\n'))
    assert (f.code, f.line, f.column, f.field) == ("PC004", 2, 1, "title")


def test_pc004_wrong_type_in_a_list_has_a_dotted_field() -> None:
    (f,) = findings("PC004", post(FM + "tags: [a, [b]]\n"))
    assert (f.line, f.field) == (4, "tags.1")


def test_pc004_accepts_the_date_forms_of_the_spec() -> None:
    for date in ("2021-09-04T03:38:12.531Z", "2021-09-04 10:00:00 +0800", "2021-09-04",
                 "'2021-09-04T10:00:00+08:00'"):
        assert check("PC004", post(f"title: A\ndate: {date}\n")) == [], date


def test_pc004_accepts_rss_pub_dates() -> None:
    # RSS's pubDate as bots copy it: Jekyll and Hugo read it
    for date in ("Thu, 30 May 2024 10:00:00 +0000", "30 May 2024 10:00 +0200", "Thu, 30 May 2024 10:00:00 GMT"):
        assert check("PC004", post(f"title: A\ndate: {date}\n")) == [], date
    assert check("PC004", post("title: A\ndate: Thu, 31 Feb 2024 10:00:00 +0000\n")) == [("PC004", 3, 7)]


@pytest.mark.parametrize("fields", [
    "title: 2023\ndate: 2024-01-01\n",  # YAML reads an unquoted year as a number
    "title: A\ndate: 2024-01-01\ntags: [year-in-review, 2023]\n",
    "title: A\ndate: 2024-01-01\ncategories: jekyll update\n",  # Jekyll's own default post
])
def test_pc004_reads_titles_and_terms_as_jekyll_does(fields: str) -> None:
    assert check("PC004", post(fields)) == []


def test_pc004_terms_as_jekyll_splits_them() -> None:
    from postcheck.model import Post

    meta = Post.model_validate({"title": 1984, "date": "2024-01-01", "categories": "jekyll update", "tags": [2.5]})
    assert (meta.title, meta.categories, meta.tags) == ("1984", ["jekyll", "update"], ["2.5"])
    # a mapping or a boolean is still no text
    assert check("PC004", post("title: true\ndate: 2024-01-01\n")) == [("PC004", 2, 8)]


# -- PC005 unknown-field ----------------------------------------------------------------


def test_pc005_unknown_key_with_suggestion() -> None:
    (f,) = findings("PC005", post(FM + "tittle: x\n"))
    assert (f.code, f.line, f.column, f.field) == ("PC005", 4, 1, "tittle")
    assert "'title'" in f.message


def test_pc005_declared_keys_and_source_field_are_known() -> None:
    text = post(FM + "author: X\nfrom: https://example.com/a\ntags: [a]\ncategories: [b]\nlayout: post\n")
    assert check("PC005", text) == []


def test_pc005_configured_source_field() -> None:
    from postcheck.config import Config

    text = post(FM + "source_url: https://example.com/a\n")
    assert check("PC005", text) == [("PC005", 4, 1)]
    assert check("PC005", text, config=Config.model_validate({"source-field": "source_url"})) == []


def test_pc005_jekyll_and_hugo_page_variables_are_known() -> None:
    from postcheck.config import Config

    text = post(FM + "permalink: /a/\npublished: true\nexcerpt: x\nlast_modified_at: 2021-01-06\ndraft: false\n"
                "lastmod: 2021-01-06\nslug: a\n")
    assert check("PC005", text) == []
    strict = Config.model_validate({"rules": {"PC005": {"allow": []}}})
    assert len(check("PC005", text, config=strict)) == 7
    # a typo of one is still a typo, with the right suggestion
    (f,) = findings("PC005", post(FM + "permlink: /a/\n"))
    assert "did you mean 'permalink'?" in f.message


def test_pc005_what_rss_bots_copy_from_the_feed_item_is_known() -> None:
    text = post(FM + "link: https://example.com/a\nguid: https://example.com/?p=12\nfeed: https://example.com/feed\n"
                "original_url: https://example.com/a\ncanonical_url: https://example.com/a\n")
    assert check("PC005", text) == []


def test_pc005_toml_table_is_reported_at_its_header() -> None:
    text = '+++\ntitle = "T"\ndate = 2021-01-05T10:00:00Z\n\n[extras]\n  x = 1\n+++\n<p>Body text.</p>\n'
    assert check("PC005", text) == [("PC005", 5, 2)]


# -- PC006 empty-body -------------------------------------------------------------------


def test_pc006_only_scaffolding_and_an_empty_ad_slot() -> None:
    body = ("<!--1630739820000-->\n[A title](https://example.com/a)\n------\n\n"
            '<div><div id="dfp-ad-top"></div></div>\n')
    assert check("PC006", post(body=body)) == [("PC006", 9, 1)]


def test_pc006_media_is_content() -> None:
    assert check("PC006", post(body='<div><img src="https://example.com/a.jpg"></div>\n')) == []


@pytest.mark.parametrize("body", [
    "![Sunset over the Bosphorus](/img/sunset.jpg)\n",  # a photo post in Markdown
    "![](/img/sunset.jpg)\n",
    "{{< youtube dQw4w9WgXcQ >}}\n",  # a Hugo shortcode
])
def test_pc006_pc007_media_written_in_markdown_is_content(body: str) -> None:
    assert check(["PC006", "PC007"], post(body=body)) == []


def test_pc007_markdown_media_in_a_code_fence_is_text() -> None:
    body = "```\n![x](y.png)\n```\n"
    assert [c for c, _, _ in check(["PC006", "PC007"], post(body=body))] == ["PC007"]


def test_pc006_empty_body() -> None:
    assert check("PC006", post(body="")) == [("PC006", 4, 4)]  # the end of the closing fence


# -- PC007 thin-body --------------------------------------------------------------------


def test_pc007_short_text() -> None:
    assert check("PC007", post(body="<p>Subscribe to read.</p>\n")) == [("PC007", 5, 1)]


def test_pc007_scaffolding_does_not_count() -> None:
    body = "[" + "A long title repeated by the scraper " * 3 + "](https://example.com/a)\n------\n\n<p>Short.</p>\n"
    assert check("PC007", post(body=body)) == [("PC007", 8, 1)]


def test_pc007_silent_on_long_and_on_empty_bodies() -> None:
    assert check("PC007", post()) == []
    assert check("PC007", post(body="<div></div>\n")) == []


def test_pc007_min_chars_option() -> None:
    from postcheck.config import Config

    cfg = Config.model_validate({"rules": {"thin-body": {"min-chars": 5}}})
    assert check("PC007", post(body="<p>Subscribe to read.</p>\n"), config=cfg) == []
    cfg = Config.model_validate({"rules": {"PC007": {"min_chars": 500}}})
    assert check("PC007", post(), config=cfg) == [("PC007", 5, 1)]


# -- PC008 body-over-limits -------------------------------------------------------------


def test_pc008_deep_nesting() -> None:
    body = "<div>" * 300 + "deep text" + "</div>" * 300 + "\n"
    assert [c for c, _, _ in check("PC008", post(body=body))] == ["PC008"]


def test_pc008_shallow_is_fine() -> None:
    body = "<div>" * 100 + "text" + "</div>" * 100 + "\n"
    assert check("PC008", post(body=body)) == []


def test_pc008_too_many_lines() -> None:
    assert check("PC008", post(body="<p>x</p>\n" * 70_000)) == [("PC008", 5, 1)]


def test_pc008_many_valueless_attributes() -> None:
    body = "<p>ok</p>\n<p " + " ".join(f"a{i}" for i in range(1500)) + ">x</p>\n"
    assert check("PC008", post(body=body)) == [("PC008", 6, 1)]


def test_pc008_many_valued_attributes() -> None:
    body = "<p>ok</p>\n<p " + " ".join(f'a{i}="v"' for i in range(1500)) + ">x</p>\n"
    assert check("PC008", post(body=body)) == [("PC008", 6, 1)]


def test_pc008_a_thousand_attributes_is_allowed() -> None:
    body = "<p " + " ".join(f"a{i}" for i in range(1000)) + ">x</p>\n"
    assert check("PC008", post(body=body)) == []


def test_pc008_huge_attribute() -> None:
    body = "<p>ok</p>\n" + '<img alt="' + "a" * 1_200_000 + '">\n'
    assert [(c, ln) for c, ln, _ in check("PC008", post(body=body))] == [("PC008", 6)]


# -- PC009 byte-order-mark --------------------------------------------------------------


def test_pc009_bom_and_front_matter_still_read() -> None:
    text = "\ufeff" + post()
    assert check("PC0", text) == [("PC009", 1, 1)]
    assert check("PC0", text.encode("utf-8")) == [("PC009", 1, 1)]


def test_pc009_fix_removes_exactly_the_bom() -> None:
    (f,) = findings("PC009", "\ufeff" + post())
    assert f.fix is not None and f.fix.applicability == "safe"
    assert [(e.start, e.end, e.replacement) for e in f.fix.edits] == [(0, 1, "")]


def test_pc009_silent_without_bom() -> None:
    assert check("PC009", post()) == []


# -- inline suppression, using structure codes -------------------------------------------


THIN = "<p>Subscribe to read.</p>\n"


def test_disable_rest_of_file() -> None:
    assert check("PC007", post(body="<!-- postcheck: disable PC007 -->\n" + THIN)) == []


def test_disable_by_name_and_prefix() -> None:
    assert check("PC007", post(body="<!-- postcheck: disable thin-body -->\n" + THIN)) == []
    assert check("PC007", post(body="<!-- postcheck: disable PC0 -->\n" + THIN)) == []


def test_disable_only_the_named_code() -> None:
    # the comment works anywhere in the file, a YAML comment included
    text = post(FM + "# <!-- postcheck: disable PC005 -->\ntittle: x\n", THIN)
    assert check(["PC005", "PC007"], text) == [("PC007", 7, 1)]


def test_disable_applies_after_the_comment_only() -> None:
    text = post(FM + "tittle: x\n", "<!-- postcheck: disable PC005 -->\n" + BODY)
    assert check("PC005", text) == [("PC005", 4, 1)]


def test_disable_next_line() -> None:
    text = post(FM + "# <!-- postcheck: disable-next-line PC005 -->\ntittle: x\n")
    assert check("PC005", text) == []


def test_disable_next_line_covers_one_line_only() -> None:
    text = post(FM + "# <!-- postcheck: disable-next-line PC005 -->\ntittle: x\nsubtitle: y\n")
    assert check("PC005", text) == [("PC005", 6, 1)]


def test_disable_next_line_in_the_body() -> None:
    body = "<!-- postcheck: disable-next-line PC007 -->\n" + THIN
    assert check("PC007", post(body=body)) == [("PC007", 5, 1)]  # the finding starts on the comment's line
    body = "<p>Short.</p>\n<!-- postcheck: disable-next-line thin-body -->\n<p>x</p>\n"
    assert check("PC007", post(body=body)) == [("PC007", 5, 1)]


def test_disable_other_code_does_not_suppress() -> None:
    assert check("PC007", post(body="<!-- postcheck: disable PC301 -->\n" + THIN)) == [("PC007", 5, 1)]
