"""Calendar helpers of the PC1 date rules: durations, instants, calendar days, dates in URLs.

Kept apart from the rules (``dates.py``) so each module stays readable; nothing here
knows about findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator

from ..data import RuleData, SiteProfile

# The extreme offsets in use: a calendar day "in some timezone" spans these.
_WEST = timezone(timedelta(hours=-12))
_EAST = timezone(timedelta(hours=14))
# Dates read from URLs by the generic patterns must fall in these years: an 8-digit id
# such as 54241026 is not a date.
_GENERIC_YEARS = range(1970, 2100)
# URL paths longer than this are cut before matching (site patterns are user data).
_MAX_PATH = 2048

# -- durations in options ------------------------------------------------------------

_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)\s*", re.IGNORECASE)
_UNIT_NAMES = (
    (1, ("", "s", "sec", "secs", "second", "seconds")),
    (60, ("m", "min", "mins", "minute", "minutes")),
    (3600, ("h", "hr", "hrs", "hour", "hours")),
    (86400, ("d", "day", "days")),
    (604800, ("w", "week", "weeks")),
)
_UNITS = {name: seconds for seconds, names in _UNIT_NAMES for name in names}


def _duration(value: Any) -> Any:
    """Accept ``"1 day"``, ``"90m"``, ``"2h"`` besides what pydantic reads (seconds, ISO 8601)."""
    if isinstance(value, str):
        m = _DURATION.fullmatch(value)
        if m and m.group(2).lower() in _UNITS:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


@lru_cache(maxsize=64)
def zone_info(name: str | None) -> ZoneInfo | None:
    return ZoneInfo(name) if name else None


def instants(d: datetime, zone: ZoneInfo | None) -> tuple[datetime, datetime]:
    """The earliest and latest instant a date can mean (one instant unless it is naive)."""
    if d.tzinfo is not None:
        return d, d
    if zone is not None:
        local = d.replace(tzinfo=zone)
        return local, local
    return d.replace(tzinfo=_EAST), d.replace(tzinfo=_WEST)


def calendar_days(d: datetime, zone: ZoneInfo | None) -> tuple[date, date]:
    """The calendar days a date falls on: in ``zone``, else in any zone (naive: as written)."""
    if d.tzinfo is None:
        return d.date(), d.date()
    if zone is not None:
        day = _day_in(d, zone)
        return day, day
    return _day_in(d, _WEST), _day_in(d, _EAST)


_WEST_MOST = timedelta(hours=-12)
_EAST_MOST = timedelta(hours=14)


def offset_in_range(d: datetime) -> bool:
    """Naive, or aware with an offset from UTC-12 to UTC+14: then ``d.date()`` lies within
    ``calendar_days(d, None)`` (its day in UTC-12 is no later, in UTC+14 no earlier)."""
    offset = d.utcoffset()
    return offset is None or _WEST_MOST <= offset <= _EAST_MOST


def _day_in(d: datetime, zone: timezone | ZoneInfo) -> date:
    try:
        return d.astimezone(zone).date()
    except OverflowError:  # 0001-01-01 or 9999-12-31 moved past the calendar's ends
        return d.date()


def iso(d: datetime) -> str:
    text = d.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def span_text(span: tuple[date, date]) -> str:
    lo, hi = span
    return lo.isoformat() if lo == hi else f"{lo.isoformat()}..{hi.isoformat()}"


def plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def human(delta: timedelta) -> str:
    """``3 h 39 m``, ``2 d 4 h``, ``45 m``: rounded to the minute."""
    minutes = int(round(abs(delta).total_seconds() / 60))
    d, rest = divmod(minutes, 1440)
    h, m = divmod(rest, 60)
    if d:
        return f"{d} d {h} h" if h else f"{d} d"
    if h:
        return f"{h} h {m} m" if m else f"{h} h"
    return f"{m} m"


def epoch(value: int) -> datetime | None:
    """Seconds or milliseconds since 1970: 11+ digits are milliseconds (as seconds they
    would be past the year 2286; as milliseconds, 11 digits are 1970 to 1973)."""
    seconds = value / 1000 if value >= 10_000_000_000 else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def time_instant(value: str) -> datetime | None:
    """A `<time datetime>` value with a time of day and an offset; others cannot be compared."""
    text = value.strip()
    if len(text) < 16 or "T" not in text.upper():
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    if parsed.timetz().replace(tzinfo=None) == time(0, 0):
        # Midnight stands for "that day" (print editions, date-only widgets).
        return None
    return parsed


# -- dates in URLs ----------------------------------------------------------------------


class UrlDate(NamedTuple):
    """A date read from a URL: one day, or a whole month for `/YYYY/MM/`.

    A named tuple: immutable like a frozen dataclass, and several times cheaper to
    build (one is built for nearly every post).
    """

    first: date
    last: date
    text: str
    how: Literal["site", "generic"]

    @property
    def label(self) -> str:
        if self.first == self.last:
            return f"date {self.first.isoformat()}"
        return f"month {self.first.isoformat()[:7]}"


@dataclass(frozen=True)
class _CompiledSite:
    patterns: tuple[re.Pattern[str], ...]
    generic: bool | Literal["month"]


# Each part a whole path segment: "/2020/08/29.html" or "/2021/01/8名" are a month and a slug.
_GENERIC_YMD_PATH = re.compile(r"/([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})(?=/|$)")
# A month not followed by a day segment: "/2021/02/30/" is an impossible date, not February.
_GENERIC_YM_PATH = re.compile(r"/([0-9]{4})/([0-9]{2})(?=/|$)(?!/[0-9]{1,2}(?:/|$))")
_GENERIC_DASHED = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")
# A run of exactly eight digits, YYYYMMDD.
_GENERIC_COMPACT = re.compile(r"(?<![0-9])([0-9]{4})([0-9]{2})([0-9]{2})(?![0-9])")
# The Guardian's /2024/may/22/: the month's English abbreviation, each part a segment.
_GENERIC_NAMED_MONTH = re.compile(
    r"/([0-9]{4})/(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/([0-9]{1,2})(?=/|$)", re.IGNORECASE)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
# In order: at one position, an earlier pattern's date wins.
_GENERIC_FULL = (_GENERIC_YMD_PATH, _GENERIC_NAMED_MONTH, _GENERIC_DASHED, _GENERIC_COMPACT)
_COMPACT_AHEAD = timedelta(days=366)
# Every generic pattern (full date or month) needs a 4-digit year: without one, skip them.
_FOUR_DIGITS = re.compile(r"[0-9]{4}")


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _first_generic(path: str, near: date) -> UrlDate | None:
    """The leftmost real full date by the generic patterns (at one position the earlier
    pattern wins). Each pattern's matches come in order (``search`` from the previous
    match's end, as ``finditer`` does), so each stops at its first real date, or once it
    is past the best position found so far.

    A bare 8-digit run more than a year after the post's day is taken for the id it
    most likely is (TASS numbers its articles 20731105): an article is not published
    years after it was posted, while an old article scraped again is common."""
    best: UrlDate | None = None
    best_at = len(path) + 1
    latest = near + _COMPACT_AHEAD if near <= date.max - _COMPACT_AHEAD else date.max
    for pattern in _GENERIC_FULL:
        m = pattern.search(path)
        while m is not None and m.start() < best_at:
            year = int(m.group(1))
            if year in _GENERIC_YEARS:
                month = m.group(2)
                day = _real(year, int(month) if month.isdigit() else _MONTHS[month.lower()], int(m.group(3)))
                if day is not None and pattern is _GENERIC_COMPACT and day > latest:
                    day = None
                if day is not None and pattern in _SLUG_PATTERNS and _inside_a_slug(path, m):
                    day = None  # a date the headline names: remembering-tiananmen-1989-06-04-34-years-on
                if day is not None:
                    best, best_at = UrlDate(day, day, m.group(0), "generic"), m.start()
                    break
            m = pattern.search(path, m.end())
    return best


_SLUG_PATTERNS = (_GENERIC_DASHED, _GENERIC_COMPACT)  # (the others are whole path segments)


def _inside_a_slug(path: str, m: re.Match[str]) -> bool:
    """Do words of its path segment come both before and after the date?"""
    start = path.rfind("/", 0, m.start()) + 1
    end = path.find("/", m.end())
    return bool(_LETTER.search(path, start, m.start())) and bool(
        _LETTER.search(path, m.end(), len(path) if end < 0 else end))


_LETTER = re.compile(r"[^\W\d_]")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode_run(m: re.Match[str]) -> str:
    return bytes.fromhex(m.group().replace("%", "")).decode("utf-8", "replace")


def unquote_path(text: str) -> str:
    """``urllib.parse.unquote(text, errors="replace")``, decoding each run of escapes at once.

    unquote decodes the bytes of each ASCII stretch together; an escape run ends at a
    literal character, and a literal ASCII byte ends any unfinished UTF-8 sequence the
    same way, so run-by-run decoding gives the same text, in C instead of a Python
    loop over every ``%``.
    """
    if "%" not in text:
        return text
    return _PERCENT_RUN.sub(_decode_run, text)


def _generic_month(path: str) -> UrlDate | None:
    for m in _GENERIC_YM_PATH.finditer(path):
        year, month = int(m.group(1)), int(m.group(2))
        if year in _GENERIC_YEARS and 1 <= month <= 12:
            first = date(year, month, 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            return UrlDate(first, last, m.group(0), "generic")
    return None


def _site_date(m: re.Match[str], near: date) -> UrlDate | None:
    groups = m.groupdict()
    try:
        month, day = int(groups["month"]), int(groups["day"])
    except (TypeError, ValueError):
        return None
    year_text = groups.get("year")
    if year_text:
        year = int(year_text)
        if len(year_text) <= 2:
            # Two-digit year: the century that puts it closest to the post's year.
            year = min((c + year for c in (1900, 2000, 2100)), key=lambda y: abs(y - near.year))
        candidates = [_real(year, month, day)]
    else:
        # No year: the year that puts the date closest to the post's day.
        candidates = [_real(y, month, day) for y in (near.year - 1, near.year, near.year + 1)]
    real = [c for c in candidates if c is not None]
    if not real:
        return None
    best = min(real, key=lambda c: abs((c - near).days))
    return UrlDate(best, best, m.group(0), "site")


def _compile_sites(data: RuleData) -> dict[int, _CompiledSite]:
    return {
        id(site): _CompiledSite(
            tuple(re.compile(p.regex) for p in site.url_date_patterns), site.generic_url_dates
        )
        for site in data.sites
    }


def url_date(url: str, near: date, site: SiteProfile | None, data: RuleData,
             raw_path: str | None = None) -> UrlDate | None:
    """The publication date a URL states, if any.

    The site profile's patterns come first (formats such as month-first `MMDDYYYY`,
    two-digit years, or `MMDD` without a year, which need ``near`` — the post's day —
    to pick the year); then the generic `/YYYY/MM/DD/`, `/YYYY/mon/DD/`, `YYYY-MM-DD`
    and 8-digit `YYYYMMDD` (the leftmost real date wins); then a partial `/YYYY/MM/`.
    ``raw_path`` is the URL's path when the caller has split it already.
    """
    if raw_path is None:
        try:
            raw_path = urlsplit(url.strip()).path
        except ValueError:
            return None
    path = unquote_path(raw_path)
    if len(path) > _MAX_PATH:
        path = path[:_MAX_PATH]
    generic: bool | Literal["month"] = True
    if site is not None:
        compiled = data.derived("dates:site-patterns", _compile_sites).get(id(site))
        if compiled is not None:
            generic = compiled.generic
            for pattern in compiled.patterns:
                for m in pattern.finditer(path):
                    found = _site_date(m, near)
                    if found is not None:
                        return found
    if not generic or _FOUR_DIGITS.search(path) is None:
        return None
    if generic == "month":
        return _generic_month(path)
    return _first_generic(path, near) or _generic_month(path)
