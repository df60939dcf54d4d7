"""PC401–PC406: title and body consistency, on small synthetic posts."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.checks._outlet import TitleSeparators, strip_outlet
from postcheck.checks._outlet import separators as _separators
from postcheck.checks.consistency import title_tokens
from postcheck.config import Config
from postcheck.data import load_rule_data
from postcheck.model import Finding

from .helpers import check, findings


def post(title_line: str, body: str | None = None, *, author: str = "联合早报", link: str | None = None,
         front: str = "---") -> str:
    """A post whose second line is ``title_line`` (so title findings are on line 2)."""
    if body is None:
        shown = link if link is not None else "标题"
        body = (f"<!--1630739820000-->\n[{shown}](https://www.zaobao.com/a)\n------\n\n"
                "<div><p>中国天津国资委一份有关国资云的文件近日被业内热议。</p></div>\n")
    return (f"{front}\n{title_line}\ndate: 2021-01-04T03:38:12Z\nauthor: {author}\n"
            f"from: https://www.zaobao.com/a\n{front}\n{body}")


def apply(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def fixed(code: str, text: str, **kwargs: Any) -> str:
    [finding] = findings(code, text, **kwargs)
    return apply(text, finding)


def front_matter(text: str) -> dict[str, object]:
    return yaml.safe_load(text.split("---\n")[1])  # type: ignore[no-any-return]


# -- PC401 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ['title: ""', "title: '   '", 'title: "\\u200b "', "title:    "])
def test_empty_title(title: str) -> None:
    text = post(title)
    if title.strip() == "title:":
        assert check("PC401", text) == []  # null is a schema violation (PC004), not a blank string
    else:
        assert check("PC401", text) == [("PC401", 2, 8)]


def test_non_empty_title_and_missing_title() -> None:
    assert check("PC401", post('title: "消息：天津撤回国资云文件"')) == []
    assert check("PC401", post("layout: post")) == []


# -- PC402 ---------------------------------------------------------------------------------


def test_doubled_space_double_quoted_cjk() -> None:
    text = post('title: "中国各地洪讯告急  安徽一堤坝爆破泄洪"')
    assert check("PC402", text) == [("PC402", 2, 17)]
    new = fixed("PC402", text)
    assert new == post('title: "中国各地洪讯告急 安徽一堤坝爆破泄洪"')


def test_trailing_spaces_single_quoted() -> None:
    text = post("title: 'It''s over   '")
    assert check("PC402", text) == [("PC402", 2, 19)]
    assert fixed("PC402", text) == post("title: 'It''s over'")


def test_nbsp_plain_and_escaped() -> None:
    text = post("title: 印、孟相争\xa0\xa0中、巴得利？")
    assert check("PC402", text) == [("PC402", 2, 13)]
    assert fixed("PC402", text) == post("title: 印、孟相争 中、巴得利？")
    escaped = post('title: "Mixed 中文\\u00a0title"')
    assert fixed("PC402", escaped) == post('title: "Mixed 中文 title"')


def test_leading_zero_width_and_emoji_zwj() -> None:
    text = post('title: "\u200b真心编辑部 | 做抖音的每一天"')
    assert check("PC402", text) == [("PC402", 2, 9)]
    assert fixed("PC402", text) == post('title: "真心编辑部 | 做抖音的每一天"')
    # A ZWJ that builds one emoji glyph is part of the text.
    assert check("PC402", post('title: "程序员 👩\u200d💻 的一天"')) == []


def test_ideographic_space_and_thin_space_are_typography() -> None:
    assert check("PC402", post('title: "黎智英被捕\u3000泛民要角稱有被抓的心理準備"')) == []
    assert check("PC402", post('title: "Le prix\u2009: 10 €"')) == []


@pytest.mark.parametrize("title", [
    "Taxe sur le numérique\xa0: pourquoi la France veut relever le taux\xa0?",
    "«\xa0Nous resterons\xa0», dit-il\u202f!",
    "Un budget de 10\xa0000 euros, en hausse de 5\xa0%",
])
def test_french_no_break_spaces_are_typography(title: str) -> None:
    assert check("PC402", post(f'title: "{title}"')) == []


@pytest.mark.parametrize("title", [
    "Sněmovna schválila zákon o\xa0dani z\xa0nemovitostí",  # Czech: after one-letter prepositions
    "Rząd w\xa0Polsce i\xa0związki partnerskie",  # Polish (WordPress's Sierotki plugin)
    "Путин на\xa0саммите\xa0— о\xa0переговорах",  # Russian: short prepositions, before a dash
    "Marathon record cut by 5\xa0km split",  # a number and its unit
    "Benzin kostet 2\xa0€, in Rom 40,1\xa0°C",  # currency and degree signs
    "Apple stellt das iPhone\xa015 vor",  # before a number
    "Streit um §\xa0219a",
])
def test_no_break_spaces_of_other_typographies(title: str) -> None:
    assert check("PC402", post(f'title: "{title}"')) == []


def test_other_no_break_spaces_are_still_reported() -> None:
    assert check("PC402", post('title: "Taxe sur le\xa0numérique"')) == [("PC402", 2, 20)]
    assert check("PC402", post('title: "Taxe\xa0\xa0: pourquoi"')) == [("PC402", 2, 13)]


def test_folded_title() -> None:
    text = post("title: >\n  Asian governments are\n  needlessly hampering  vaccination")
    [finding] = findings("PC402", text)
    assert "trailing whitespace" in finding.message and "doubled whitespace" in finding.message
    new = apply(text, finding)
    assert front_matter(new)["title"] == "Asian governments are needlessly hampering vaccination"
    assert new.startswith("---\ntitle: >-\n  ")
    assert check("PC402", new) == []


def test_folded_title_without_trailing_newline_is_clean() -> None:
    assert check("PC402", post("title: >-\n  Asian governments are\n  needlessly hampering")) == []


def test_multiline_double_quoted_fold_kept() -> None:
    text = post('title: "A long  headline\n  that wraps"')
    new = fixed("PC402", text)
    assert new == post('title: "A long headline\n  that wraps"')


def test_toml_front_matter_reports_without_fix() -> None:
    text = post('title = "Doubled  space"', front="+++").replace("date: 2021-01-04T03:38:12Z",
                                                              'date = 2021-01-04T03:38:12Z')
    text = text.replace("author: 联合早报", 'author = "联合早报"').replace(
        "from: https://www.zaobao.com/a\n", 'from = "https://www.zaobao.com/a"\n')
    [finding] = findings("PC402", text)
    assert finding.fix is None


def test_no_fix_when_it_would_change_yaml_meaning() -> None:
    # Dropping the zero-width space would turn the plain scalar into "a: b", a mapping.
    text = post("title: a:\u200b b")
    [finding] = findings("PC402", text)
    assert finding.fix is None


_TITLE_CHARS = st.sampled_from(list("ab中文 \xa0\u3000\u200b'\"#:-&\\") + ["👩\u200d💻"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_TITLE_CHARS, min_size=1, max_size=14).map("".join),
       st.sampled_from(["double", "single"]))
def test_whitespace_fix_property(title: str, style: str) -> None:
    if style == "double":
        rendered = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        rendered = "'" + title.replace("'", "''") + "'"
    text = post(f"title: {rendered}")
    assert front_matter(text)["title"] == title
    for finding in findings("PC402", text):
        assert finding.fix is not None  # quoted titles can always be fixed exactly
        new = apply(text, finding)
        assert new.splitlines()[2:] == text.splitlines()[2:]  # only the title line changed
        assert check("PC402", new) == []


# -- PC403 ---------------------------------------------------------------------------------


def test_entity_in_title() -> None:
    text = post('title: "The case for more state spending on R&amp;D"')
    assert check("PC403", text) == [("PC403", 2, 46)]
    assert fixed("PC403", text) == post('title: "The case for more state spending on R&D"')


def test_numeric_entity_single_quoted() -> None:
    text = post("title: 'its agents&#x27; ineptitude'")
    assert fixed("PC403", text) == post("title: 'its agents'' ineptitude'")


def test_a_reference_to_no_character_is_removed_not_made_a_replacement_character() -> None:
    # html.unescape gives U+FFFD for &#0; and surrogates, which PC501 would then report
    text = post('title: "Hello &#0;world&#xD800; again &#xFFFD;"')
    assert front_matter(fixed("PC403", text))["title"] == "Hello world again \ufffd"


def test_tags_in_title() -> None:
    text = post('title: "<b>独家</b>：科兴员工已接种<br/>疫苗"')
    assert check("PC403", text) == [("PC403", 2, 9)]
    assert front_matter(fixed("PC403", text))["title"] == "独家：科兴员工已接种 疫苗"


def test_stray_end_tags_in_title() -> None:
    text = post('title: "独家</b>：科兴员工已接种疫苗"')
    assert front_matter(fixed("PC403", text))["title"] == "独家：科兴员工已接种疫苗"


@pytest.mark.parametrize("title", [
    "AT&T; earnings", "Why <5G> matters", "Tom & Jerry", "a < b > c",
    # web-development headlines name elements
    "Native lazy loading with <img loading='lazy'> now works in every browser",
    "How the <time> element helps search engines",
    "Use <dialog> and <details> instead of custom modals",
])
def test_not_markup(title: str) -> None:
    assert check("PC403", post(f'title: "{title}"')) == []


# -- PC404 ---------------------------------------------------------------------------------


def test_author_name_suffix() -> None:
    text = post('title: "华尔街恐慌指标再次飙升 | 路透"', author="路透")
    assert check("PC404", text) == [("PC404", 2, 20)]
    [finding] = findings("PC404", text)
    assert finding.fix is not None and finding.fix.applicability == "unsafe"
    assert apply(text, finding) == post('title: "华尔街恐慌指标再次飙升"', author="路透")
    assert "the outlet's name" in finding.message  # 路透 has a site profile


def test_a_suffix_that_is_only_the_author_is_called_so() -> None:
    # no site profile: the name may be a columnist's byline, not an outlet
    text = post('title: "Why are bosses still afraid of it? | Zoe Williams"', author="Zoe Williams")
    [finding] = findings("PC404", text)
    assert "title ends with the author's name ' | Zoe Williams'" in finding.message


def test_site_profile_suffix_chain(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(textwrap.dedent("""\
        kind = "site"
        name = "Example Radio"
        source = "test"
        authors = ["法广测试"]
        title-suffixes = [" – 法国国际广播电台 - RFI", " - RFI"]
        """), encoding="utf-8")
    config = Config.model_validate({"rule-data": [str(tmp_path)]})
    text = post('title: "美中紧张局势再升温  亚股重挫 – 法国国际广播电台 - RFI"', author="法广测试")
    [finding] = findings("PC404", text, config=config)
    assert "法国国际广播电台 - RFI" in finding.message
    assert front_matter(apply(text, finding))["title"] == "美中紧张局势再升温  亚股重挫"


@pytest.mark.parametrize("title,author", [
    ("德国之声 | 周庭为何被称为“民主女神”?", "德国之声"),   # a prefix is an attribution
    ("路透社：字节跳动同意剥离TikTok", "路透"),
    ("路透", "路透"),                                       # nothing would be left
    ("Fusion-Reuters", "Reuters"),
])
def test_not_a_suffix(title: str, author: str) -> None:
    assert check("PC404", post(f'title: "{title}"', author=author)) == []


def test_separator_examples() -> None:
    data = load_rule_data()
    seps = _separators(data)
    entries: list[TitleSeparators] = data.entries("title-separators")
    assert entries
    for entry in entries:
        assert entry.source
        for ex in entry.must_match:
            end = strip_outlet(ex.title, [ex.outlet], seps)
            assert end is not None and ex.title[:end] == ex.strips_to, ex
        for ex in entry.must_not_match:
            assert strip_outlet(ex.title, [ex.outlet], seps) is None, ex


def test_site_profile_suffixes_strip_their_own_examples() -> None:
    data = load_rule_data()
    separators = _separators(data)
    for site in data.sites:
        for suffix in site.title_suffixes:
            head = "一个标题 Headline"
            assert strip_outlet(head + suffix, [suffix], separators) == len(head), (site.name, suffix)


# -- PC405 ---------------------------------------------------------------------------------


def test_title_truncated_against_link_line() -> None:
    text = post('title: "2020-07-29 新闻联播 文字版中央军委举行晋升上将军衔仪式"',
                link="2020-07-29 新闻联播 文字版中央军委举行晋升上将军衔仪式 习近平颁发命令状...")
    assert check("PC405", text) == [("PC405", 8, 2)]
    [finding] = findings("PC405", text)
    assert finding.message.startswith("title is truncated")


LINK_BLOG = ("[The New York Times sues OpenAI over its articles](https://www.nytimes.com/2023/12/27/a.html)\n\n"
             "<p>Five months on, the case is still in discovery.</p>\n")


def test_a_first_line_that_is_a_link_is_the_posts_own_without_the_scrapers_marks() -> None:
    # a link blog (Daring Fireball style) opens with the link it discusses: no timestamp
    # comment before it, no underline under it
    text = post('title: "Five months of NYT v. OpenAI"', body=LINK_BLOG)
    assert check(["PC405", "PC205"], text) == []
    # with the scraper's underline, or after its comment, the line is its link line
    underlined = LINK_BLOG.replace(")\n\n", ")\n------\n\n", 1)
    assert [c for c, _, _ in check(["PC405", "PC205"], post('title: "Five months of NYT v. OpenAI"',
                                                          body=underlined))] == ["PC405", "PC205"]
    commented = "<!--1630739820000-->\n" + LINK_BLOG
    assert [c for c, _, _ in check(["PC405", "PC205"], post('title: "Five months of NYT v. OpenAI"',
                                                          body=commented))] == ["PC405", "PC205"]


def test_link_line_truncated() -> None:
    text = post('title: "Asian governments are needlessly hampering vaccination drives"',
                link="Asian governments are needlessly…")
    [finding] = findings("PC405", text)
    assert finding.message.startswith("the link line's text is truncated")


def test_mismatch_and_ellipsis_inside() -> None:
    text = post('title: "If you’re happy and you know it press the button"',
                link="If you’re happy and you know it... press the button")
    [finding] = findings("PC405", text)
    assert finding.message.startswith("title differs from the link line's text")


@pytest.mark.parametrize("title,link", [
    ("中国面临数十年最严重洪灾  官方消极应对？", "中国面临数十年最严重洪灾 官方消极应对？"),
    ("投诉：上访   ", "投诉：上访"),
    ("R&amp;D spending", "R&D spending"),
    ("[生活] 周杰倫直播秀", "\\[生活\\] 周杰倫直播秀"),
])
def test_whitespace_escapes_and_entities_are_not_mismatches(title: str, link: str) -> None:
    assert check("PC405", post(f'title: "{title}"', link=link)) == []


@pytest.mark.parametrize(("title", "link"), [
    ('„Wir schaffen das“ – zehn Jahre danach', '"Wir schaffen das" – zehn Jahre danach'),  # German quotes
    ("Caf\u00e9 culture returns", "Cafe\u0301 culture returns"),  # é composed, and e + accent
])
def test_the_same_title_typeset_otherwise_is_no_mismatch(title: str, link: str) -> None:
    assert check("PC405", post(f"title: '{title}'", link=link)) == []


def test_the_outlets_name_after_one_of_them_is_no_mismatch() -> None:
    # the link line repeating the page's <title>, outlet and all: the same headline
    assert check("PC405", post('title: "消息：天津撤回国资云文件"', link="消息：天津撤回国资云文件 | 联合早报")) == []
    assert len(check("PC405", post('title: "消息：天津撤回国资云文件"', link="消息：天津撤回 | 联合早报"))) == 1


def test_first_heading_fallback() -> None:
    body = ("\n<article><header><h1 class='t'>挑战「阿波罗」：苏联的月球</h1></header>"
            "<p>正文。</p></article>\n")
    text = post('title: "挑战「阿波罗」：苏联的月球征程"', body=body)
    [finding] = findings("PC405", text)
    assert finding.line == 8 and finding.message.startswith("the body's first heading is truncated")
    # A heading after the text starts is a section heading, not the title.
    later = "\n<div><p>第一段。</p><h2>另一个小标题</h2></div>\n"
    assert check("PC405", post('title: "挑战「阿波罗」"', body=later)) == []


def test_curly_and_straight_quotes_are_not_a_mismatch() -> None:
    body = "\n<h1 class='entry-title'>Don\u2019t call it a \u201ccomeback\u201d</h1><p>Text.</p>\n"
    assert check("PC405", post('title: "Don\'t call it a \\"comeback\\""', body=body)) == []


@pytest.mark.parametrize("title", ["Stop using <br> tags for spacing", "Why </div> breaks layouts",
                                   "The <hr> element, explained"])
def test_a_title_that_names_a_tag_is_no_markup(title: str) -> None:
    assert check("PC403", post(f'title: "{title}"')) == []


def test_leftover_tags_in_a_title_are_still_markup() -> None:
    for title in ("<b>Breaking</b> news", "Breaking</b> news", "Line one<br>line two"):
        assert [c for c, _, _ in check("PC403", post(f'title: "{title}"'))] == ["PC403"], title


@pytest.mark.parametrize(("title", "heading"), [
    ("The Long Way Home: A Family's Journey", "<h1>The Long Way Home:<br>A Family's Journey</h1>"),  # a line break
    ("Verkehrswende", "<h1>Verkehrs&shy;wende</h1>"),  # hyphenation hints
    # a kicker (Dachzeile) over the headline, each in an element of its own
    ("Warum die Bahn so unpünktlich ist",
     '<h1><span class="kicker">Verkehrswende</span> <span>Warum die Bahn so unpünktlich ist</span></h1>'),
])
def test_the_same_headline_laid_out_otherwise_is_no_mismatch(title: str, heading: str) -> None:
    assert check("PC405", post(f'title: "{title}"', body=f"\n{heading}<p>Text of the article.</p>\n")) == []


def test_a_kicker_over_another_headline_is_still_a_mismatch() -> None:
    heading = '<h1><span class="kicker">Verkehrswende</span> <span>Wie die Bahn pünktlich wird</span></h1>'
    text = post('title: "Warum die Bahn so unpünktlich ist"', body=f"\n{heading}<p>Text.</p>\n")
    assert [c for c, _, _ in check("PC405", text)] == ["PC405"]


def test_a_section_heading_opening_the_body_is_not_the_title() -> None:
    body = "\n<h2>At a glance</h2><ul><li>Researchers found traces of the virus.</li></ul>\n"
    assert check("PC405", post('title: "Bird flu found in milk samples"', body=body)) == []
    # an <h1> that differs is still reported, and an <h2> that is the title cut short too
    assert len(findings("PC405", post('title: "Bird flu found in milk samples"', body=body.replace("h2", "h1")))) == 1
    cut = "\n<h2>Bird flu found in</h2><p>Text.</p>\n"
    assert findings("PC405", post('title: "Bird flu found in milk samples"', body=cut))[0].message.startswith(
        "the body's first heading is truncated")


# -- PC406 ---------------------------------------------------------------------------------

_ON_TOPIC = ("<div><p>华为轮值董事长表示，若高通获得美国授权许可，华为乐意使用高通芯片制造手机。"
             "他同时提到，在美国最新的限制措施之后，还没有具体的业务调整计划，仍在评估影响。</p>"
             "<p>此外，他在回应华为是否计划在全球范围内扩大业务时表示，公司将继续投资研发，"
             "并与合作伙伴一起应对供应链挑战。高通方面暂未回应。</p></div>") * 2
_OFF_TOPIC = ("<div><p>安徽一堤坝昨日爆破泄洪，当地民众已迅速撤离，救援队伍连夜赶往现场搬运物资，"
              "多个乡镇的道路被洪水冲毁，电力和通讯一度中断。</p><p>气象部门预计未来三天仍有强降雨，"
              "提醒沿河居民注意防范山体滑坡和城市内涝，各地学校暂停上课，商铺提前关门。</p></div>") * 2


def test_off_topic_body() -> None:
    title = 'title: "华为轮值董事长称若高通获得授权许可 华为乐意用高通芯片制造手机"'
    assert check("PC406", post(title, body=_OFF_TOPIC)) == [("PC406", 2, 8)]
    assert check("PC406", post(title, body=_ON_TOPIC)) == []


def test_a_translated_title_over_a_body_in_another_script_is_not_judged() -> None:
    title = ('title: "Flood forces evacuation of villages as engineers blow up a dam to relieve the swollen river, '
             'while forecasters expect heavier storms, landslides and closed schools across several counties"')
    assert check("PC406", post(title, body=_OFF_TOPIC)) == []
    # the same title over an English body about something else is still off topic
    other = "<div><p>" + "The city council approved a new budget for parks and libraries this week. " * 6 + "</p></div>"
    assert [c for c, _, _ in check("PC406", post(title, body=other))] == ["PC406"]


def test_off_topic_short_title_is_not_judged() -> None:
    assert check("PC406", post('title: "七张图看一周大事"', body=_OFF_TOPIC)) == []


def test_off_topic_option() -> None:
    config = Config.model_validate({"rules": {"off-topic-body": {"min-title-tokens": 3}}})
    assert check("PC406", post('title: "七张图看一周大事"', body=_OFF_TOPIC), config=config) == [
        ("PC406", 2, 8)]


def test_title_tokens_mixed_scripts() -> None:
    assert title_tokens("Tesla 的耀斑 rising") == {"的耀", "耀斑", "tesla", "risin"}


# -- fast paths: the same answers as the general code -----------------------------------


@given(st.text(alphabet="ab \n\u3000中\t", max_size=400), st.integers(min_value=-1, max_value=300))
def test_has_chars_counts_like_split(text: str, count: int) -> None:
    from postcheck.checks._title import has_chars as _has_chars

    assert _has_chars(text, count) == (len("".join(text.split())) >= count)


@given(st.text(alphabet="中文字あア한 ab-,Σ\u4dbf\u3040\uf900", max_size=30))
def test_title_bigrams_are_those_of_each_run(title: str) -> None:
    from postcheck.checks._title import _cjk_patterns

    _CJK_RUN = _cjk_patterns()[0]
    expected = {run[i : i + 2] for run in _CJK_RUN.findall(title) for i in range(len(run) - 1)}
    assert {t for t in title_tokens(title) if _CJK_RUN.fullmatch(t)} >= expected
    assert {t for t in title_tokens(title) if len(t) == 2 and _CJK_RUN.fullmatch(t)} == expected


@settings(max_examples=500)
@given(st.text(alphabet="ab RFI-|–ßSsſK路透", max_size=20))
def test_strip_outlet_last_character_filter(title: str) -> None:
    """The last-character shortcut never hides a match the plain loop would find."""
    from postcheck.checks._outlet import _DEFAULT_SEPARATORS, OutletNames, strip_names

    outlets = ["RFI", "路透", "ss", "K"]
    unfiltered = OutletNames((n, n.casefold()) for n in sorted(outlets, key=len, reverse=True))
    unfiltered.last = frozenset(title.casefold())  # every character the title can end with
    assert strip_outlet(title, outlets, _DEFAULT_SEPARATORS) == strip_names(title, unfiltered, _DEFAULT_SEPARATORS)


def test_site_suffix_fix_also_cuts_the_link_line_that_repeats_the_title() -> None:
    import postcheck

    text = (
        '---\ntitle: "印度新增确诊逾4万起 – 法国国际广播电台 - RFI"\ndate: 2020-07-20T10:00:00+08:00\n'
        "author: 法广\nfrom: https://www.rfi.fr/cn/a\n---\n"
        "[印度新增确诊逾4万起 – 法国国际广播电台 - RFI](https://www.rfi.fr/cn/a)\n------\n\n"
        "<div><p>印度卫生部周一公布的数据显示，过去24小时新增确诊病例超过4万起，再创单日新高，累计确诊病例已经超过110万。</p></div>\n"
    )
    new, remaining = postcheck.fix_text(text, unsafe=True, config={"select": ["PC404", "PC405"]})
    assert 'title: "印度新增确诊逾4万起"\n' in new
    assert "[印度新增确诊逾4万起](https://www.rfi.fr/cn/a)\n" in new
    assert remaining == []
