"""Site profiles (rules/sites/*.toml): every example holds, and bad profiles fail to load."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from postcheck.checks._calendar import url_date
from postcheck.data import DataError, RuleData, SiteProfile, builtin_data_dir, load_rule_data

SITES_DIR = builtin_data_dir() / "sites"


def _data() -> RuleData:
    return load_rule_data([SITES_DIR], builtin=False)


SITES: list[SiteProfile] = _data().sites
IDS = [s.name for s in SITES]


def test_one_profile_per_file() -> None:
    files = sorted(SITES_DIR.glob("*.toml"))
    assert len(files) == len(SITES) >= 15


@pytest.mark.parametrize("site", SITES, ids=IDS)
def test_profile_says_where_its_knowledge_comes_from(site: SiteProfile) -> None:
    assert site.source.strip()
    assert site.authors and site.hosts and site.https is not None


@pytest.mark.parametrize("site", SITES, ids=IDS)
def test_author_examples(site: SiteProfile) -> None:
    data = _data()
    assert site.examples.get("authors"), "give at least one author example"
    for author in site.examples["authors"]:
        assert data.site_for_author(author) is site, author
    for author in site.examples.get("not-authors", []):
        assert data.site_for_author(author) is not site, author


@pytest.mark.parametrize("site", SITES, ids=IDS)
def test_host_examples(site: SiteProfile) -> None:
    data = _data()
    assert site.examples.get("hosts"), "give at least one host example"
    for host in site.examples["hosts"]:
        assert data.site_for_host(host) is site, host
    for host in site.examples.get("not-hosts", []):
        assert data.site_for_host(host) is not site, host


@pytest.mark.parametrize("site", SITES, ids=IDS)
def test_url_date_pattern_examples(site: SiteProfile) -> None:
    data = _data()
    for pattern in site.url_date_patterns:
        regex = re.compile(pattern.regex)
        assert pattern.must_match and pattern.must_not_match, "each pattern needs both kinds of examples"
        for example in pattern.must_match:
            url, _, expected = (part.strip() for part in example.partition(" -> "))
            assert regex.search(unquote(urlsplit(url).path)), url
            if not expected:
                continue
            if expected.startswith("--"):  # month and day, no year
                month, day = (int(x) for x in expected[2:].split("-"))
                found = url_date(url, date(2020, 6, 15), site, data)
                assert found is not None and (found.first.month, found.first.day) == (month, day), url
            else:
                want = date.fromisoformat(expected)
                found = url_date(url, want, site, data)
                assert found is not None and found.first == found.last == want, url
        for url in pattern.must_not_match:
            assert not regex.search(unquote(urlsplit(url).path)), url


@pytest.mark.parametrize("site", SITES, ids=IDS)
def test_title_suffixes_start_with_a_separator(site: SiteProfile) -> None:
    for suffix in site.title_suffixes:
        assert re.match(r"\s*[-–—|｜:]\s", suffix), suffix


def test_no_author_or_host_is_claimed_twice() -> None:
    authors = Counter(a.strip().casefold() for s in SITES for a in s.authors)
    hosts = Counter(h for s in SITES for h in s.hosts)
    assert [a for a, n in authors.items() if n > 1] == []
    assert [h for h, n in hosts.items() if n > 1] == []


def test_every_outlet_of_the_shared_corpus_has_a_profile() -> None:
    data = _data()
    for author in ["联合早报", "(臺)中央社CNA", "法广", "路透", "大纪元", "美国之音", "德国之声", "BBC",
                   "自由亚洲电台", "RTI 中央廣播電臺", "纽约时报", "经济学人en", "金融时报", "中国数字时代",
                   "Solidot"]:  # fmt: skip
        assert data.site_for_author(author) is not None, author


# -- validation on load --------------------------------------------------------------------

GOOD = 'kind = "site"\nname = "X"\nauthors = ["X"]\nhosts = ["x.example"]\n'


def _load(tmp_path: Path, text: str) -> RuleData:
    (tmp_path / "x.toml").write_text(text, encoding="utf-8")
    return load_rule_data([tmp_path], builtin=False)


def test_minimal_profile_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, GOOD).sites[0].generic_url_dates is True


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('timezone = "Mars/Olympus"\n', "unknown timezone"),
        ("unknown-key = 1\n", "unknown-key"),
        ("[[url-date-patterns]]\nregex = '(?P<month>[0-9]{2})('\n", "does not compile"),
        ("[[url-date-patterns]]\nregex = '(?P<year>[0-9]{4})'\n", "named groups"),
        (
            "[[url-date-patterns]]\nregex = '/(?P<month>[0-9]{2})(?P<day>[0-9]{2})/'\n"
            'must-match = ["https://x.example/news/"]\n',
            "must-match example does not match",
        ),
        (
            "[[url-date-patterns]]\nregex = '/(?P<month>[0-9]{2})(?P<day>[0-9]{2})/'\n"
            'must-not-match = ["https://x.example/0724/"]\n',
            "must-not-match example matches",
        ),
        ('[examples]\nauthors = ["Y"]\n', "not one of the profile's authors"),
        ('[examples]\nnot-hosts = ["www.x.example"]\n', "is one of the profile's hosts"),
        ('[examples]\nfoo = ["Y"]\n', "unknown example keys"),
        ('timezone = "Asia/Tokyo"\ntimezone-hosts = ["y.example"]\n', "is not one of the profile's hosts"),
        ('timezone-hosts = ["x.example"]\n', "timezone-hosts without a timezone"),
    ],
)
def test_bad_profiles_fail_to_load_naming_the_problem(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        _load(tmp_path, GOOD + extra)


def test_a_timezone_can_hold_for_some_hosts_only(tmp_path: Path) -> None:
    site = _load(tmp_path, GOOD + 'timezone = "Asia/Shanghai"\ntimezone-hosts = ["cn.x.example"]\n').sites[0]
    assert site.timezone_for("cn.x.example") == site.timezone_for("m.cn.x.example") == "Asia/Shanghai"
    assert site.timezone_for("www.x.example") is None and site.timezone_for(None) is None
    (tmp_path / "all").mkdir()
    assert _load(tmp_path / "all", GOOD + 'timezone = "Asia/Tokyo"\n').sites[0].timezone_for("www.x.example") \
        == "Asia/Tokyo"


def test_nytimes_url_dates_are_read_in_the_editions_own_calendar() -> None:
    from tests.helpers import check

    def post(url: str) -> str:
        return (f"---\ntitle: T\ndate: 2024-05-16T21:30:00-04:00\nauthor: The New York Times\nfrom: {url}\n"
                "---\n<p>x</p>\n")

    # 21:30 in New York is the 17th in Shanghai: the www. URL's 15th is one New York day off
    assert check("PC105", post("https://www.nytimes.com/2024/05/15/nyregion/columbia.html")) == []
    # the Chinese edition's URL days are Beijing's: two days off
    assert [c for c, _, _ in check("PC105", post("https://cn.nytimes.com/world/20240515/columbia/"))] == ["PC105"]


def _pc105(author: str, date: str, url: str) -> list[str]:
    from tests.helpers import check

    text = f"---\ntitle: T\ndate: {date}\nauthor: {author}\nfrom: {url}\n---\n<p>x</p>\n"
    return [c for c, _, _ in check("PC105", text)]


def test_a_print_issue_date_two_days_ahead_is_the_economists_habit() -> None:
    # online on Thursday, dated Saturday's issue; three days ahead is still reported
    assert _pc105("The Economist", "2024-02-29T20:45:12Z", "https://www.economist.com/x/2024/03/02/slug") == []
    assert _pc105("The Economist", "2020-12-16T17:09:58Z", "https://www.economist.com/x/2020/12/19/slug") == ["PC105"]
    # an earlier URL date is not a print issue's
    assert _pc105("The Economist", "2024-03-02T10:00:00Z", "https://www.economist.com/x/2024/02/28/slug") == ["PC105"]


def test_blogger_slugs_made_of_a_titles_digits_are_not_dates() -> None:
    url = "https://wqw2010.blogspot.com/2023/12/20231215.html"
    assert _pc105("维权网", "2023-12-08T10:00:00+08:00", url) == []
    assert _pc105("维权网", "2024-01-08T10:00:00+08:00", url) == ["PC105"]  # the month folder still counts
