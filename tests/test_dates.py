"""PC1 date rules, on small synthetic posts: one behaviour per test, as (code, line, col)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postcheck.checks._calendar import human, url_date
from postcheck.checks.dates import FutureOptions, TimestampOptions
from postcheck.config import Config
from postcheck.data import load_rule_data
from tests.helpers import check, findings

BODY = "<div><p>Article text that is long enough to be a real post body.</p></div>\n"
LATER = "2021-09-10T00:00:00Z"  # a "now" after every date used below


def post(
    date_value: str = "2021-09-04T03:38:12.531Z",
    url: str | None = "https://example.com/news/story-1",
    *,
    author: str = "Example News",
    comment: str | None = None,
    body: str = BODY,
) -> str:
    """Lines: 1 ---, 2 title, 3 date, 4 author, 5 from, 6 ---, 7 comment (if any), then the link line."""
    front = f'---\ntitle: "A title"\ndate: {date_value}\nauthor: {author}\n'
    if url is not None:
        front += f"from: {url}\n"
    front += "---\n"
    scaffold = f"<!--{comment}-->\n" if comment is not None else ""
    if url is not None:
        scaffold += f"[A title]({url})\n------\n\n"
    return front + scaffold + body


def config(**rules: Mapping[str, object]) -> Config:
    return Config.model_validate({"rules": rules})


# -- PC101 naive-date -------------------------------------------------------------------


def test_pc101_time_without_offset() -> None:
    assert check("PC101", post("2021-09-04 10:00:00")) == [("PC101", 3, 7)]


def test_pc101_iso_without_offset() -> None:
    assert check("PC101", post("2021-09-04T10:00:00")) == [("PC101", 3, 7)]


@pytest.mark.parametrize(
    "value",
    ["2021-09-04T03:38:12Z", "2021-09-04T11:38:12+08:00", "2021-09-04 11:38:12 +0800", '"2021-09-04"'],
)
def test_pc101_silent_with_offset_or_bare_date(value: str) -> None:
    assert check("PC101", post(value)) == []


def test_pc101_bare_date_is_a_day_not_a_naive_time() -> None:
    assert check("PC101", post("2021-09-04")) == []


def test_pc101_silent_when_date_is_invalid() -> None:
    assert check("PC101", post("not a date")) == []


# -- PC102 future-date ------------------------------------------------------------------


def test_pc102_future_date_is_an_error() -> None:
    found = findings("PC102", post("2031-09-04T03:38:12Z"))
    assert [(f.code, f.line, f.column, f.severity.value) for f in found] == [("PC102", 3, 7, "error")]
    assert "in the future" in found[0].message


def test_pc102_within_grace() -> None:
    # now is 2021-02-01T00:00:00Z; grace 1 day
    assert check("PC102", post("2021-02-01T20:00:00Z")) == []
    assert check("PC102", post("2021-02-02T01:00:00Z")) == [("PC102", 3, 7)]


def test_pc102_grace_option() -> None:
    cfg = config(PC102={"grace": "2 hours"})
    assert check("PC102", post("2021-02-01T03:00:00Z"), config=cfg) == [("PC102", 3, 7)]
    cfg = config(**{"future-date": {"grace": "P3D"}})
    assert check("PC102", post("2021-02-03T00:00:00Z"), config=cfg) == []


def test_pc102_now_is_pinned() -> None:
    assert check("PC102", post("2021-09-04T03:38:12Z"), now="2021-09-05T00:00:00Z") == []
    assert check("PC102", post("2021-09-04T03:38:12Z"), now="2021-09-01T00:00:00Z") == [("PC102", 3, 7)]


def test_pc102_naive_date_is_given_the_benefit_of_the_doubt() -> None:
    # Read in UTC+14 it is 2021-02-01T19:00Z, inside the grace period.
    assert check("PC102", post("2021-02-02 09:00:00")) == []


def test_pc102_bad_grace_is_a_config_error() -> None:
    with pytest.raises(ValueError):
        FutureOptions.model_validate({"grace": "soon"})


# -- PC103 implausible-date ---------------------------------------------------------------


def test_pc103_epoch_placeholder() -> None:
    assert check("PC103", post("1970-01-01T00:00:00Z")) == [("PC103", 3, 7)]


def test_pc103_min_date_itself_is_fine() -> None:
    assert check("PC103", post("1995-01-01T00:00:00Z")) == []


def test_pc103_min_date_option() -> None:
    cfg = config(PC103={"min-date": "1990-01-01"})
    assert check("PC103", post("1994-06-01T00:00:00Z"), config=cfg) == []
    assert check("PC103", post("1989-06-01T00:00:00Z"), config=cfg) == [("PC103", 3, 7)]


# -- PC104 filename-date-mismatch -----------------------------------------------------------


def test_pc104_mismatch_in_every_timezone() -> None:
    text = post("2021-09-04T03:38:12Z")
    assert check("PC104", text, path="_posts/2021-09-06-slug.md") == [("PC104", 3, 7)]


def test_pc104_day_that_is_right_in_some_timezone_is_accepted_without_config() -> None:
    # 23:30 UTC is already the next day from UTC+1 eastwards.
    text = post("2021-09-04T23:30:00Z")
    assert check("PC104", text, path="2021-09-05-slug.md") == []
    assert check("PC104", text, path="2021-09-04-slug.md") == []


def test_pc104_repository_timezone_decides() -> None:
    text = post("2021-09-04T23:30:00Z")
    shanghai = Config(timezone="Asia/Shanghai")
    assert check("PC104", text, path="2021-09-05-slug.md", config=shanghai) == []
    assert check("PC104", text, path="2021-09-04-slug.md", config=shanghai) == [("PC104", 3, 7)]
    utc = Config(timezone="UTC")
    assert check("PC104", text, path="2021-09-05-slug.md", config=utc) == [("PC104", 3, 7)]


def test_pc104_rule_option_overrides_repository_timezone() -> None:
    cfg = Config.model_validate({"timezone": "UTC", "rules": {"PC104": {"timezone": "Asia/Tokyo"}}})
    assert check("PC104", post("2021-09-04T23:30:00Z"), path="2021-09-05-slug.md", config=cfg) == []


def test_pc104_naive_date_is_taken_as_written() -> None:
    assert check("PC104", post("2021-09-04 23:30:00"), path="2021-09-05-slug.md") == [("PC104", 3, 7)]
    assert check("PC104", post("2021-09-04 23:30:00"), path="2021-09-04-slug.md") == []


def test_pc104_impossible_file_name_date() -> None:
    found = findings("PC104", post("2021-02-28T03:00:00Z"), path="2021-02-30-slug.md")
    assert [(f.line, f.column) for f in found] == [(3, 7)]
    assert "not a real calendar date" in found[0].message


def test_pc104_leap_day_file_name() -> None:
    assert check("PC104", post("2020-02-29T12:00:00Z"), path="2020-02-29-leap.md") == []


def test_pc104_other_file_names_are_not_checked() -> None:
    assert check("PC104", post(), path="BBC__2014-09-24-slug.md") == []
    assert check("PC104", post(), path="slug.md") == []
    assert check("PC104", post(), path=None) == []


# -- PC105 source-url-date-mismatch ----------------------------------------------------------

FROM = 5  # the `from:` line of post()


def col(url: str, part: str) -> int:
    return len("from: ") + url.index(part) + 1


def test_pc105_generic_year_month_day_path() -> None:
    url = "https://example.com/2021/09/01/slug"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "/2021/09/01"))]


def test_pc105_within_tolerance() -> None:
    assert check("PC105", post(url="https://example.com/2021/09/03/slug")) == []
    assert check("PC105", post(url="https://example.com/2021/09/05/slug")) == []


@pytest.mark.parametrize("section", ["magazine", "print", "print-edition", "issues"])
def test_pc105_a_print_editions_url_carries_the_issues_later_date(section: str) -> None:
    # a weekly's or a monthly's cover date, days or weeks after the piece goes online
    assert check("PC105", post(url=f"https://example.com/{section}/2021/09/13/slug")) == []
    assert check("PC105", post(url=f"https://example.com/{section}/archive/2021/10/slug/678512/")) == []
    # but not before it, nor months after it
    assert len(check("PC105", post(url=f"https://example.com/{section}/2021/08/20/slug"))) == 1
    assert len(check("PC105", post(url=f"https://example.com/{section}/2021/12/13/slug"))) == 1
    assert len(check("PC105", post(url="https://example.com/news/2021/09/13/slug"))) == 1


def test_pc105_a_month_written_as_a_word() -> None:
    url = "https://www.example.com/world/2021/aug/20/slug"  # The Guardian's URLs
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "/2021/aug/20"))]
    assert check("PC105", post(url="https://www.example.com/world/2021/Sep/4/slug")) == []
    assert check("PC105", post(url="https://www.example.com/world/2021/aug/32/slug")) == []  # no such day


def test_pc105_a_date_the_headline_names_inside_its_slug_is_not_the_urls_date() -> None:
    assert check("PC105", post(url="https://example.com/remembering-tiananmen-1989-06-04-34-years-on/")) == []
    assert check("PC105", post(url="https://example.com/news/the-19890604-protests-revisited")) == []
    # a date opening or closing the slug is the publisher's
    assert len(check("PC105", post(url="https://example.com/news/2021-08-20-harbour-terminal-opens"))) == 1
    assert len(check("PC105", post(url="https://example.com/news/harbour-terminal-opens-2021-08-20"))) == 1


def test_pc105_tolerance_option() -> None:
    cfg = config(PC105={"tolerance-days": 3})
    assert check("PC105", post(url="https://example.com/2021/09/01/slug"), config=cfg) == []


def test_pc105_compact_and_dashed_dates() -> None:
    url = "https://example.com/realtime/story20210901-1190229"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "20210901"))]
    url = "https://example.com/a/some-story-2021-08-30/123.html"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "2021-08-30"))]


def test_pc105_message_states_the_gap_and_direction() -> None:
    (found,) = findings("PC105", post(url="https://example.com/2021/09/10/slug"))
    assert (
        "source URL date 2021-09-10 is 6 days after the post's date 2021-09-03..2021-09-04" in found.message
    )


def test_pc105_impossible_url_dates_are_not_dates() -> None:
    assert check("PC105", post(url="https://example.com/story20211301-1")) == []
    assert check("PC105", post(url="https://example.com/2021/02/30/slug")) == []
    assert check("PC105", post(url="https://example.com/a-54241026")) == []


def test_pc105_an_eight_digit_id_years_ahead_is_not_a_date() -> None:
    # TASS numbers its articles: 20731105 reads as 5 Nov 2073
    assert check("PC105", post(url="https://tass.ru/obschestvo/20731105")) == []
    # a dated path years ahead is still a date (only bare 8-digit runs are ambiguous)
    url = "https://example.com/2031/09/03/slug"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "/2031"))]
    # an old article scraped again: its 8-digit date years before the post is reported
    url = "https://example.com/realtime/story20150901-1190229"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "20150901"))]


def test_pc105_leap_days() -> None:
    assert check("PC105", post("2020-02-29T12:00:00Z", url="https://example.com/2020/02/29/x")) == []
    # 2021 has no February 29th: not a date, nothing to compare
    assert check("PC105", post("2021-03-05T12:00:00Z", url="https://example.com/story20210229")) == []
    url = "https://example.com/story20200229"
    assert check("PC105", post("2020-03-05T12:00:00Z", url=url)) == [("PC105", FROM, col(url, "2020"))]


def test_pc105_partial_year_month_compares_the_month() -> None:
    assert check("PC105", post(url="https://example.com/2021/09/slug/")) == []
    assert check("PC105", post("2021-09-01T12:00:00Z", url="https://example.com/2021/08/slug/")) == []
    url = "https://example.com/2021/08/slug/"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "/2021/08"))]


def test_pc105_slug_digits_after_a_month_are_not_a_day() -> None:
    # Blogspot-style slugs made of a title's digits: "/2021/09/29.html" is a month and a slug.
    assert check("PC105", post(url="https://blog.example.com/2021/09/29.html")) == []
    assert check("PC105", post(url="https://example.com/2021/09/8%E5%90%8D/")) == []


def test_pc105_percent_encoded_path_is_decoded() -> None:
    url = "https://example.com/cn/%E4%B8%AD%E5%9B%BD/20210801-slug"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "20210801"))]


def test_pc105_site_timezone_decides_the_day() -> None:
    # 23:30 UTC is 07:30 the next day in Singapore (UTC+8).
    late = "2021-09-03T23:30:00Z"
    assert check("PC105", post(late, url="https://www.zaobao.com/realtime/story20210905-1")) == []
    url = "https://www.zaobao.com/realtime/story20210902-1"
    assert check("PC105", post(late, url=url)) == [("PC105", FROM, col(url, "2021"))]
    # Unknown site: the post's day in any timezone (09-03 or 09-04) is accepted.
    assert check("PC105", post(late, url="https://example.com/story20210902-1")) == []
    url = "https://example.com/story20210906-1"
    assert check("PC105", post(late, url=url)) == [("PC105", FROM, col(url, "2021"))]


def test_pc105_month_first_site_pattern() -> None:
    url = "https://www.rfa.org/mandarin/yataibaodao/hj-08302021104805.html"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "-08302021"))]
    assert check("PC105", post(url="https://www.rfa.org/mandarin/yataibaodao/hj-09042021104805.html")) == []
    # The same digits elsewhere are not month-first: 08302021 is no YYYYMMDD date.
    assert check("PC105", post(url="https://example.com/x/hj-08302021104805.html")) == []


def test_pc105_two_digit_year_site_pattern() -> None:
    assert check("PC105", post(url="https://www.epochtimes.com/gb/21/9/4/n13200000.htm")) == []
    url = "https://www.epochtimes.com/gb/21/8/4/n13200000.htm"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "/gb/"))]


def test_pc105_month_day_without_year_across_new_year() -> None:
    new_year = "2021-01-01T02:00:00Z"
    url = "https://cn.reuters.com/article/markets-close-1231-thur-idCNKBS29A0AB"
    assert check("PC105", post(new_year, url=url)) == []
    url = "https://cn.reuters.com/article/markets-close-1228-idCNKBS29A0AB"
    (found,) = findings("PC105", post(new_year, url=url))
    assert "2020-12-28 is 4 days before" in found.message


def test_pc105_site_without_generic_dates() -> None:
    # DW's article ids are numbers, not dates.
    assert check("PC105", post(url="https://www.dw.com/zh/slug/a-20210801")) == []
    url = "https://example.com/zh/slug/a-20210801"
    assert check("PC105", post(url=url)) == [("PC105", FROM, col(url, "2021"))]


def test_pc105_author_profile_does_not_read_another_hosts_url() -> None:
    # The author names the RFA profile, but the URL is another site's: generic reading only.
    url = "https://example.com/x/hj-08302021104805.html"
    assert check("PC105", post(url=url, author="自由亚洲电台")) == []


def test_pc105_no_url_or_no_date_in_url() -> None:
    assert check("PC105", post(url=None)) == []
    assert check("PC105", post(url="https://example.com/news/story-1")) == []
    assert check("PC105", post(url="https://example.com/news?date=20210801")) == []


def test_pc105_user_site_profile(tmp_path: Path) -> None:
    (tmp_path / "mysite.toml").write_text(
        'kind = "site"\nname = "Mine"\nhosts = ["mine.example"]\ntimezone = "UTC"\n'
        "[[url-date-patterns]]\n"
        "regex = '/d(?P<day>[0-9]{2})(?P<month>[0-9]{2})(?P<year>[0-9]{2})/'\n"
        'must-match = ["https://mine.example/d010821/x"]\n',
        encoding="utf-8",
    )
    cfg = Config.model_validate({"rule-data": [str(tmp_path)]})
    url = "https://mine.example/d010821/x"
    assert check("PC105", post(url=url), config=cfg) == [("PC105", FROM, col(url, "/d01"))]
    assert check("PC105", post(url="https://mine.example/d040921/x"), config=cfg) == []


@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2098, 12, 31)))
def test_generic_patterns_read_back_any_date(day: date) -> None:
    data = load_rule_data(builtin=False)
    for url in (
        f"https://example.com/{day:%Y/%m/%d}/slug",
        f"https://example.com/story{day:%Y%m%d}-1",
        f"https://example.com/slug-{day:%Y-%m-%d}",
    ):
        found = url_date(url, day, None, data)
        assert found is not None and found.first == found.last == day


@given(st.text(max_size=300))
def test_url_date_never_raises(text: str) -> None:
    url_date("https://example.com/" + text, date(2021, 1, 1), None, load_rule_data(builtin=False))


# -- PC106 embedded-timestamp-mismatch --------------------------------------------------------

SEED_DATE = "2021-09-04T03:38:12.531Z"
SEED_MS = "1630739820000"  # 2021-09-04T07:17:00Z


def test_pc106_millisecond_comment_later_than_date() -> None:
    found = findings("PC106", post(SEED_DATE, comment=SEED_MS), now=LATER)
    assert [(f.code, f.line, f.column) for f in found] == [("PC106", 7, 1)]
    assert "embedded publish time is 3 h 39 m later than date" in found[0].message


def test_pc106_second_comment_is_the_same_instant() -> None:
    assert check("PC106", post(SEED_DATE, comment=SEED_MS[:-3])) == [("PC106", 7, 1)]


def test_pc106_an_eleven_digit_comment_is_milliseconds_before_1973() -> None:
    # 1972-03-14T05:00:00Z: as seconds, the value would be in the year 4169
    assert check("PC106", post("1972-03-14T05:00:00Z", comment="69397200000")) == []


def test_pc106_earlier_direction() -> None:
    (found,) = findings("PC106", post("2021-09-04T09:17:00Z", comment=SEED_MS))
    assert "2 h later" not in found.message and "2 h earlier than date" in found.message


def test_pc106_within_tolerance() -> None:
    assert check("PC106", post("2021-09-04T07:50:00Z", comment=SEED_MS)) == []
    assert check("PC106", post("2021-09-04T15:17:00+08:00", comment=SEED_MS)) == []


def test_pc106_tolerance_option() -> None:
    cfg = config(PC106={"tolerance": "4h"})
    assert check("PC106", post(SEED_DATE, comment=SEED_MS), config=cfg) == []
    assert TimestampOptions.model_validate({"tolerance": "90m"}).tolerance == timedelta(minutes=90)
    assert TimestampOptions.model_validate({"tolerance": "PT2H"}).tolerance == timedelta(hours=2)
    assert TimestampOptions.model_validate({"tolerance": 60}).tolerance == timedelta(seconds=60)


def test_pc106_no_comment_no_time_element() -> None:
    assert check("PC106", post(SEED_DATE)) == []


def test_pc106_naive_date_read_in_the_sites_timezone() -> None:
    # 11:38 in Singapore is 03:38 UTC: 3 h 39 m before the comment.
    naive = "2021-09-04 11:38:12"
    text = post(naive, url="https://www.zaobao.com/realtime/story20210904-1", comment=SEED_MS)
    assert check("PC106", text) == [("PC106", 7, 1)]
    text = post("2021-09-04 15:17:00", url="https://www.zaobao.com/realtime/story20210904-1", comment=SEED_MS)
    assert check("PC106", text) == []


def test_pc106_naive_date_without_a_timezone_fits_any_offset() -> None:
    assert check("PC106", post("2021-09-04 03:38:12", comment=SEED_MS)) == []
    # No offset from UTC-12 to UTC+14 brings these within an hour.
    assert check("PC106", post("2021-09-05 23:00:00", comment=SEED_MS)) == [("PC106", 7, 1)]


def test_pc106_bare_date_is_not_compared() -> None:
    assert check("PC106", post("2021-09-01", comment=SEED_MS)) == []


def test_pc106_time_element_when_there_is_no_comment() -> None:
    body = '<div><p>Text of the article.</p><time datetime="2021-09-04T07:17:00Z">4 Sep</time></div>\n'
    found = findings("PC106", post(SEED_DATE, body=body))
    assert [(f.line, f.column) for f in found] == [(10, body.index("<time") + 1)]
    assert "<time datetime>" in found[0].message and "later than date" in found[0].message


@pytest.mark.parametrize(
    "times",
    [
        # disagreeing times: related stories, not the post's own
        '<time datetime="2021-09-04T07:17:00Z">a</time><time datetime="2021-08-01T07:17:00Z">b</time>',
        # a quoted embed (tweet, Instagram post) has its own time
        '<blockquote><p>x</p><time datetime="2021-09-04T07:17:00Z">a</time></blockquote>',
        # day precision only
        '<time datetime="2021-09-06">6 Sep</time>',
        '<time datetime="2021-09-06T00:00:00Z">6 Sep</time>',
        # no offset
        '<time datetime="2021-09-04T07:17:00">a</time>',
        '<time datetime="yesterday">a</time>',
        # an event in running text: a kick-off, a correction's date
        '<p>Der BVB gastiert um <time datetime="2021-09-05T18:30:00+02:00">18.30 Uhr</time> in München.</p>',
        '<p><em>Correction <time datetime="2021-09-05T14:30:00-04:00">Sep 5</time>:</em> an earlier version</p>',
        # an event's time, as it says itself
        '<span itemprop="startDate"><time itemprop="startDate" datetime="2021-09-13T19:00:00+02:00">13 Sep</time>'
        '</span>',
    ],
)
def test_pc106_time_elements_that_do_not_say_when_the_post_was_published(times: str) -> None:
    assert check("PC106", post(SEED_DATE, body=f"<div><p>Text.</p>{times}</div>\n")) == []


def test_pc106_a_time_after_the_article_text_that_says_nothing_is_not_the_publication() -> None:
    # a meetup's "When:" box after the announcement (a WordPress export: no scraper comment)
    body = ('<p>Our next meetup is about property-based testing with Hypothesis.</p>'
            '<div><b>When:</b> <time datetime="2021-09-13T19:00:00+02:00">13 September, 19:00</time></div>\n')
    assert check("PC106", post(SEED_DATE, body=body)) == []
    # (WordPress classes every post's <article> "status-publish": no byline for that)
    article = f'<article class="post type-post status-publish hentry">{body.strip()}</article>\n'
    assert check("PC106", post(SEED_DATE, body=article)) == []
    # the same time ahead of the text, where a dateline stands, or marked as the entry's date
    dateline = '<div><time datetime="2021-09-13T19:00:00+02:00">13 September</time></div>'
    assert [c for c, _, _ in check("PC106", post(SEED_DATE, body=dateline + body))] == ["PC106"]
    meta = '<div class="entry-meta"><time datetime="2021-09-13T19:00:00+02:00">13 September</time></div>'
    assert [c for c, _, _ in check("PC106", post(SEED_DATE, body=body + meta))] == ["PC106"]


@pytest.mark.parametrize("times", [
    '<p class="byline">By A. Writer, <time datetime="2021-09-05T18:30:00Z">5 Sep</time></p>',
    '<p>Posted <time pubdate datetime="2021-09-05T18:30:00Z">5 Sep</time></p>',
    '<p><time itemprop="datePublished" datetime="2021-09-05T18:30:00Z">5 Sep</time> — story</p>',
    '<header><time datetime="2021-09-05T18:30:00Z">5 Sep</time></header>',
    '<p><time datetime="2021-09-05T18:30:00Z">Updated 5 Sep 18:30</time></p>',
])
def test_pc106_publication_times_in_bylines_and_headers_count(times: str) -> None:
    assert [c for c, _, _ in check("PC106", post(SEED_DATE, body=f"<div>{times}<p>Text.</p></div>\n"))] == ["PC106"]


def test_pc106_comment_wins_over_time_elements() -> None:
    body = '<div><time datetime="2021-09-01T07:17:00Z">1 Sep</time><p>Text.</p></div>\n'
    assert [c for c, _, _ in check("PC106", post("2021-09-04T07:00:00Z", body=body))] == ["PC106"]
    assert check("PC106", post("2021-09-04T07:00:00Z", comment=SEED_MS, body=body)) == []


def test_human_durations() -> None:
    assert human(timedelta(hours=3, minutes=38, seconds=47)) == "3 h 39 m"
    assert human(timedelta(minutes=-75)) == "1 h 15 m"
    assert human(timedelta(days=2, hours=4, minutes=10)) == "2 d 4 h"
    assert human(timedelta(minutes=45)) == "45 m"


# -- the family together ----------------------------------------------------------------------


def test_seed_like_post_gets_only_pc106() -> None:
    text = post(
        SEED_DATE,
        url="https://www.zaobao.com/realtime/china/story20210904-1190229",
        author="联合早报",
        comment=SEED_MS,
    )
    assert check("PC1", text, path="2021-09-04-zaobao-tianjin-cloud.md", now=LATER) == [("PC106", 7, 1)]


def test_clean_post_gets_nothing() -> None:
    text = post(
        "2021-09-04T07:17:00Z",
        url="https://www.zaobao.com/realtime/china/story20210904-1190229",
        author="联合早报",
        comment=SEED_MS,
    )
    assert check("PC1", text, path="2021-09-04-slug.md", now=LATER) == []


def test_post_without_front_matter_date() -> None:
    assert check("PC1", "---\ntitle: x\n---\n<p>text</p>\n", now=LATER) == []


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59"],
)
def test_dates_at_the_ends_of_the_calendar_do_not_break_the_rules(value: str) -> None:
    for url in ("https://example.com/9999/12/31/x", "https://cn.reuters.com/article/x-1231-idCNKBS29A0AB"):
        for path in ("0001-01-01-x.md", "9999-12-31-x.md"):
            found = findings("PC1", post(value, url=url, comment="9999999999999"), path=path)
            assert not any((f.context or {}).get("internal_error") for f in found), value


# -- fast paths: the same answers as the general code -----------------------------------


@given(st.lists(st.sampled_from(["%", "%E4", "%B8", "%AD", "%2F", "%41", "%zz", "%%", "%F0%9F", "%C3", "a", "/",
                                 "4", "中", "\ud800", "-"]), max_size=10).map("".join))
def test_unquote_path_is_unquote(text: str) -> None:
    from urllib.parse import unquote

    from postcheck.checks._calendar import unquote_path

    assert unquote_path(text) == unquote(text, errors="replace")


def _generic_reference(path: str, near: date) -> object:
    """The generic full-date reading as first written: every candidate, sorted by position
    (a bare 8-digit run more than 366 days after ``near`` is no date)."""
    import re

    from postcheck.checks import _calendar as cal

    found = []
    for pattern in (cal._GENERIC_YMD_PATH, cal._GENERIC_DASHED):
        for m in pattern.finditer(path):
            found.append((m.start(), m.group(0), m.group(1), m.group(2), m.group(3)))
    for m in re.finditer("[0-9]+", path):
        if len(m.group(0)) == 8:
            run = m.group(0)
            found.append((m.start(), run, run[:4], run[4:6], run[6:]))
    dates = []
    for pos, text, y, mo, d in found:
        if not text.startswith("/"):  # a dashed or 8-digit date with letters of its segment on both sides is no date
            segment_start = path.rfind("/", 0, pos) + 1
            segment_end = path.find("/", pos + len(text))
            before = path[segment_start:pos]
            after = path[pos + len(text):len(path) if segment_end < 0 else segment_end]
            if any(c.isalpha() for c in before) and any(c.isalpha() for c in after):
                continue
        if int(y) in cal._GENERIC_YEARS:
            day = cal._real(int(y), int(mo), int(d))
            if day is not None and len(text) == 8 and text.isdigit() and (day - near).days > 366:
                day = None
            if day is not None:
                dates.append((pos, day, text))
    dates.sort(key=lambda item: item[0])
    return (dates[0][1], dates[0][2]) if dates else None


@given(st.lists(st.sampled_from(["/", "-", "2020", "1969", "07", "7", "24", "31", "13", "20200724", "202007241",
                                 "0", "a", "_"]), max_size=10).map("".join),
       st.sampled_from([date(2019, 7, 23), date(2019, 7, 24), date(2020, 7, 24), date(1, 1, 1), date(9999, 12, 31)]))
def test_first_generic_date_is_the_leftmost(path: str, near: date) -> None:
    from postcheck.checks._calendar import _first_generic

    found = _first_generic(path, near)
    assert (None if found is None else (found.first, found.text)) == _generic_reference(path, near)
