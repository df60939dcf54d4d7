"""PC501–PC503: text encoding, on small synthetic posts."""

from __future__ import annotations

import pytest
import yaml

from postcheck.model import Finding

from .helpers import check, findings

HEAD = "---\ntitle: {title}\ndate: 2021-01-04T03:38:12Z\nauthor: 法广\n---\n"


def post(body: str, title: str = '"标题"') -> str:
    """Title on line 2; the body starts on line 6."""
    return HEAD.format(title=title) + body


def apply(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


# -- PC501 ---------------------------------------------------------------------------------


def test_replacement_character_in_title_and_body() -> None:
    text = post("<p>犹太医谈矛盾情绪\ufffd\ufffd</p>\n", title='"赫见病患刺纳粹�d字险失同情"')
    assert check("PC501", text) == [("PC501", 2, 16), ("PC501", 6, 12)]
    title_finding = findings("PC501", text)[0]
    assert title_finding.field == "title" and title_finding.fix is None


def test_gbk_roundtrip_mojibake() -> None:
    assert check("PC501", post("<p>锟斤拷锟斤拷</p>\n")) == [("PC501", 6, 4)]


@pytest.mark.parametrize("body", ["<p>Itâ€™s a deal</p>", "<p>cafÃ© crÃ¨me</p>", "<p>MÃ¼nchen</p>"])
def test_utf8_read_as_cp1252(body: str) -> None:
    [finding] = findings("PC501", post(body + "\n"))
    assert "Latin-1/CP1252" in finding.message


@pytest.mark.parametrize("body", [
    "<p>环卫集团里一半是“老×”，负责扫马路</p>",   # × before a curly quote: real text
    "<p>café crème, Müller, naïve — “quoted”</p>",
    "<p>Ångström · 10 × 20 ± 3 °C</p>",
    "<p>中文、English、日本語のテキスト 🙂</p>",
])
def test_clean_text_is_not_mojibake(body: str) -> None:
    assert check("PC501", post(body + "\n")) == []


def test_mojibake_one_finding_per_line() -> None:
    text = post("<p>a\ufffd b\ufffd c\ufffd</p>\n<p>d\ufffd</p>\n")
    assert check("PC501", text) == [("PC501", 6, 5), ("PC501", 7, 5)]


# -- PC502 ---------------------------------------------------------------------------------


def test_zero_width_in_body_fixed() -> None:
    text = post("<p>港\ufeff浸大学生会\u200b署理会长</p>\n")
    [finding] = findings("PC502", text)
    assert (finding.line, finding.column) == (6, 5)
    assert "2 invisible characters" in finding.message
    assert apply(text, finding) == post("<p>港浸大学生会署理会长</p>\n")


def test_zero_width_in_title_escape_fixed() -> None:
    text = post("<p>正文</p>\n", title='"鱼眼观察｜书记掌掴秘书长\\u200b"')
    [finding] = findings("PC502", text)
    assert finding.field == "title" and (finding.line, finding.column) == (2, 21)
    new = apply(text, finding)
    assert new == post("<p>正文</p>\n", title='"鱼眼观察｜书记掌掴秘书长"')
    assert yaml.safe_load(new.split("---\n")[1])["title"] == "鱼眼观察｜书记掌掴秘书长"


@pytest.mark.parametrize("body", [
    "<p>Team 👩\u200d💻 and 🏳️\u200d🌈 flags</p>",          # ZWJ emoji sequences
    "<p>alt=\"💁\u200d♀️\"</p>",
    "<p>می\u200cخواهم بروم</p>",                           # Persian ZWNJ is spelling
    "<p>क्\u200dष</p>",                                     # Devanagari ZWJ
])
def test_meaningful_joiners_are_left_alone(body: str) -> None:
    assert check("PC502", post(body + "\n")) == []


def test_bom_at_start_is_pc009s_but_later_bom_is_ours() -> None:
    text = "\ufeff" + post("<p>正文\ufeff</p>\n")
    assert check("PC502", text) == [("PC502", 6, 6)]
    assert check("PC502", "\ufeff" + post("<p>正文</p>\n")) == []


def test_stray_zwj_outside_emoji_is_reported() -> None:
    assert check("PC502", post("<p>word\u200dword</p>\n")) == [("PC502", 6, 8)]


# -- PC503 ---------------------------------------------------------------------------------


def test_double_escaped_in_body() -> None:
    text = post("<p>Tom &amp;amp; Jerry &amp;#39;s &amp;quot;show&amp;quot; &amp;lt;b&amp;gt;</p>\n")
    [finding] = findings("PC503", text)
    assert (finding.line, finding.column) == (6, 8)
    new = apply(text, finding)
    assert new == post("<p>Tom &amp; Jerry &#39;s &quot;show&quot; &lt;b&gt;</p>\n")
    assert check("PC503", new) == []  # unescaped exactly once


def test_an_entity_escaped_many_times_is_unescaped_in_one_fix() -> None:
    # each level needed a round of fixes, and past ten the fix never converged
    deep = "&amp;" + "amp;" * 11 + "lt;"
    text = post(f"<p>Tom {deep} Jerry &amp;amp;amp; Co</p>\n")
    [finding] = findings("PC503", text)
    assert finding.message.startswith("double-escaped entity: &amp;amp;amp;amp;amp…;amp;amp;lt;, ")
    new = apply(text, finding)
    assert new == post("<p>Tom &lt; Jerry &amp; Co</p>\n")
    assert check("PC503", new) == []
    titled = post("<p>正文</p>\n", title=f"a {deep} b")
    [finding] = findings("PC503", titled)
    assert apply(titled, finding) == post("<p>正文</p>\n", title="a &lt; b")


def test_double_escaped_in_title_plain_and_single_quoted() -> None:
    for title, expected in (("a &amp;amp; b", "a &amp; b"), ("'R&amp;amp;D'", "'R&amp;D'")):
        text = post("<p>正文</p>\n", title=title)
        [finding] = findings("PC503", text)
        assert finding.field == "title"
        assert apply(text, finding) == post("<p>正文</p>\n", title=expected)


def test_any_named_entity_of_a_page_escaped_twice() -> None:
    text = post("<p>Le prix : 5 &amp;euro; pour l&amp;rsquo;&amp;eacute;t&amp;eacute; &amp;frac12;</p>\n")
    [finding] = findings("PC503", text)
    assert apply(text, finding) == post("<p>Le prix : 5 &euro; pour l&rsquo;&eacute;t&eacute; &frac12;</p>\n")


@pytest.mark.parametrize("body", ["<p>Tom &amp; Jerry</p>", "<a href='?a=1&amp;b=2'>x</a>",
                                  "<p>&amp;amplifier</p>",
                                  "<p>R&amp;ne; and Q&amp;in; are not HTML 4 entities</p>"])
def test_single_escapes_are_fine(body: str) -> None:
    assert check("PC503", post(body + "\n")) == []


# -- fast paths: the same answers as the general code -----------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text(alphabet="aé\u00c2\u00c3\u00f4\u00f5\u0080\u00a9\u2019\u201c€™中\ufffd锟斤拷 ", max_size=40))
def test_mojibake_pre_signals_match_the_full_regex(text: str) -> None:
    from postcheck.checks.encoding import _LATIN_PAIR, _MOJIBAKE, _maybe_mojibake
    from postcheck.parse import parse_bytes, parse_text

    full = [(m.start(), m.end(), m.lastindex) for m in _MOJIBAKE.finditer(text)]
    from_bytes = parse_bytes(text.encode("utf-8"), "a.md")  # the pre-signal reads the bytes read
    assert from_bytes.utf8 == parse_text(text, "a.md").utf8
    if not _maybe_mojibake(from_bytes) or not _maybe_mojibake(parse_text(text, "a.md")):
        assert full == []
    if "\ufffd" not in text and "锟" not in text:
        assert [(m.start(), m.end(), 3) for m in _LATIN_PAIR.finditer(text)] == full


@pytest.mark.parametrize("tag", ["code", "pre", "kbd", "samp", "textarea"])
def test_code_that_shows_mojibake_or_escaping_on_purpose_is_left_alone(tag: str) -> None:
    body = (f"<p>So a curly quote turns into <{tag}>â€™</{tag}> and an é into <{tag}>Ã©</{tag}>; "
            f"escaped twice, an ampersand ends up as <{tag}>&amp;amp;amp;</{tag}> in your source.</p>\n")
    assert check(["PC501", "PC503"], post(body)) == []
    # the same text outside the code element is reported
    bold = body.replace(f"<{tag}>", "<b>").replace(f"</{tag}>", "</b>")
    assert [c for c, _, _ in check(["PC501", "PC503"], post(bold))] == ["PC501", "PC503"]


def test_code_elements_do_not_hide_what_is_outside_them() -> None:
    body = "<pre><code>Itâ€™s fine here</code></pre>\n<p>Itâ€™s a deal &amp;amp; more</p>\n"
    assert check(["PC501", "PC503"], post(body)) == [("PC501", 7, 6), ("PC503", 7, 18)]


def test_mojibake_shown_in_a_markdown_code_fence_is_left_alone() -> None:
    body = "<p>Before the fix:</p>\n\n```text\nItâ€™s cafÃ© time &amp;amp; more\n```\n\n<p>Itâ€™s fixed now.</p>\n"
    assert [(c, line) for c, line, _ in check(["PC501", "PC503"], post(body))] == [("PC501", 12)]


@pytest.mark.parametrize("text", [
    "ក្រសួង\u200bសុខាភិបាល\u200bចាប់ផ្តើម",  # Khmer
    "กระทรวง\u200bสาธารณสุข",  # Thai
    "ဝန်ကြီးဌာန\u200bက",  # Myanmar
])
def test_zero_width_space_is_a_word_boundary_in_unspaced_scripts(text: str) -> None:
    assert check(["PC402", "PC502"], post(f"<p>{text}</p>\n", title=f'"{text}"')) == []


def test_zero_width_space_elsewhere_is_still_reported() -> None:
    assert [c for c, _, _ in check("PC502", post("<p>Hello\u200bworld and ក\u200b world</p>\n"))] == ["PC502"]


def test_capitals_before_a_guillemet_are_not_mojibake() -> None:
    # Portuguese: «O FUTURO É AMANHÃ» — "Ã»" would decode to a small "û" inside capitals
    assert check("PC501", post("<p>A palavra de ordem «O FUTURO É AMANHÃ» em faixas e cartazes.</p>\n")) == []
    # mojibake inside capitals decodes to a capital: still reported
    assert [c for c, _, _ in check("PC501", post("<p>A greve em SÃƒO PAULO continua, diz o sindicato.</p>\n"))] \
        == ["PC501"]


@pytest.mark.parametrize("text", ["a manchete dizia “É CAMPEÃ”, com a foto", "„ÞAÐ ER BÚIÐ“, sagði hún"])
def test_a_word_in_capitals_before_a_closing_quote_is_not_mojibake(text: str) -> None:
    assert check("PC501", post(f"<p>{text}.</p>\n")) == []
    # with more such pairs near it, it is read as the mojibake it then is
    assert [c for c, _, _ in check("PC501", post(f"<p>{text} cafÃ© Ã©tÃ©.</p>\n"))] == ["PC501"]


def test_chinese_utf8_read_as_gbk() -> None:
    garbled = "上海易居房地产研究院表示，此次政策调整是在预期之中。".encode().decode("gbk", errors="replace")
    found = findings("PC501", post(f"<p>{garbled}</p>\n"))
    assert [(f.code, f.line) for f in found] == [("PC501", 6)] and "UTF-8 read as GBK" in found[0].message
    # one such rare character alone is no evidence (涓涓 and the like are real words)
    assert check("PC501", post("<p>溪水涓涓，鈥字少见。</p>\n")) == []


def test_a_line_explaining_escaping_is_not_double_escaped() -> None:
    body = "<p>它会把 &lt; 转义为 &amp;lt;，但没有转义引号。</p>\n<p>Tom &amp;amp; Jerry</p>\n"
    assert [(c, line) for c, line, _ in check("PC503", post(body))] == [("PC503", 7)]


def test_the_word_for_mojibake_in_quotes_is_a_topic() -> None:
    body = "<p>“锟斤拷”为何二十年后仍在出现？「锟斤拷」是乱码的代名词。</p>\n<p>坏掉的文字锟斤拷出现在这里。</p>\n"
    assert [(c, line) for c, line, _ in check("PC501", post(body))] == [("PC501", 7)]


@pytest.mark.parametrize("element", ["xmp", "script"])
def test_pc503_leaves_raw_text_elements_alone(element: str) -> None:
    # entities are not decoded there: "&amp;amp;" is what is shown (or code)
    text = ('---\ntitle: "A"\ndate: 2024-03-06T11:00:00+08:00\n---\n'
            f'<p>Text.</p><{element}>a &amp;amp; b</{element}>\n')
    assert check("PC503", text) == []
