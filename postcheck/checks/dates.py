"""PC1: dates — is `date` well-formed, plausible, and consistent with the other dates of the post.

The other dates are the file name (Jekyll's ``YYYY-MM-DD-slug.md``), the source URL
(generic ``/YYYY/MM/DD/``, ``YYYYMMDD``, ``YYYY-MM-DD`` and the site profiles'
patterns) and the timestamps embedded in the body (the scraper's leading
``<!--epoch-->`` comment, ``<time datetime>``).

Where the timezone that decides a calendar day is unknown, a day is accepted if it is
the post's day in *any* timezone from UTC−12 to UTC+14: the rules report what is wrong
whatever the zone, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from pydantic import Field, field_validator

from ..data import RuleData, SiteProfile, known_timezone
from ..model import Problem
from ..parse import ParsedPost
from ..rule import NoOptions, RuleContext, RuleOptions, rule
from ._calendar import (
    Duration,
    calendar_days,
    human,
    instants,
    iso,
    offset_in_range,
    plural,
    span_text,
    url_date,
    zone_info,
)
from ._timestamps import embedded_time
from ._urls import host_site, source_host, source_parts


class FutureOptions(RuleOptions):
    grace: Duration = Field(timedelta(days=1), description="how far past now a date may be")


class ImplausibleOptions(RuleOptions):
    min_date: date = Field(date(1995, 1, 1), alias="min-date", description="earliest plausible date")


class FilenameOptions(RuleOptions):
    timezone: str | None = Field(None, description="overrides the repository's `timezone` setting")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_timezone(value)


class UrlDateOptions(RuleOptions):
    tolerance_days: int = Field(1, alias="tolerance-days", ge=0)


class TimestampOptions(RuleOptions):
    tolerance: Duration = Field(timedelta(hours=1))


# -- reading the post's date ---------------------------------------------------------

_BARE_DATE = re.compile(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*")


def _is_bare_date(post: ParsedPost) -> bool:
    """`date: 2021-09-04` names a calendar day: no time, so no timezone to miss."""
    raw = post.fields.get("date")
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return True
    return isinstance(raw, str) and _BARE_DATE.fullmatch(raw) is not None


def _site(post: ParsedPost, data: RuleData, *, by_author: bool = True) -> SiteProfile | None:
    """The outlet: by the source URL's host, else (``by_author``) by `author`.

    A URL's date format belongs to its host: reading a URL with the patterns of the
    outlet named by `author` when the host is another site's would be a guess.
    """
    found = host_site(post, data)
    if found is not None:
        return found
    return data.site_for_author(post.author) if by_author else None


def _date_problem(post: ParsedPost, message: str) -> Problem:
    start, end = post.field_span("date")
    return Problem(start, end, message, field="date")


# -- PC101-PC103 -----------------------------------------------------------------------


@rule("PC101", "naive-date", severity="warning")
def naive_date(post: ParsedPost, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """`date` has a time of day but no timezone.

    ## What it does
    Reports a `date` such as `2021-09-04 10:00:00` that gives a time of day without a
    UTC offset (`Z`, `+08:00`, Jekyll's `+0800`). A bare date (`2021-09-04`) names a
    calendar day and is not reported.

    ## Why is this bad?
    A naive time means a different instant on every machine: Jekyll reads it in the
    build machine's timezone, feeds and sitemaps then publish the wrong instant, and
    the post can move to the previous or next day.

    ## Example
    ```yaml
    date: 2021-09-04 11:38:12
    ```

    ## Use instead
    ```yaml
    date: 2021-09-04 11:38:12 +0800
    ```

    ## Options
    None.

    ## Fix safety
    No fix: the timezone the scraper meant cannot be known.
    """
    d = post.date
    if d is None or d.tzinfo is not None or _is_bare_date(post):
        return
    yield _date_problem(
        post, f"date {d.isoformat(sep=' ')} carries no timezone; add an offset such as +08:00 or Z"
    )


@rule("PC102", "future-date", severity="error", options=FutureOptions)
def future_date(post: ParsedPost, ctx: RuleContext[FutureOptions]) -> Iterator[Problem]:
    """`date` is in the future.

    ## What it does
    Reports a `date` later than now plus `grace` (1 day). "Now" is the time of the run,
    or the value pinned with `--now` / `POSTCHECK_NOW` (for reproducible CI). A date
    without a timezone is read in the repository's `timezone`, else in the zone that
    makes it earliest (UTC+14).

    ## Why is this bad?
    Jekyll and Hugo do not publish future posts by default, so the post silently
    disappears; a future date is also a typical scraper bug (a wrong year, or a time
    zone applied twice).

    ## Example
    ```yaml
    date: 2031-09-04T03:38:12Z
    ```

    ## Use instead
    ```yaml
    date: 2021-09-04T03:38:12Z
    ```

    ## Options
    - `grace` (duration, default `"1 day"`): how far past now a date may be; accepts
      `"36h"`, `"2 days"`, ISO 8601 (`"P1D"`) or seconds.

    ## Fix safety
    No fix: the right date cannot be known.
    """
    d = post.date
    if d is None:
        return
    # An aware date is one instant whatever the zone: no zone lookup.
    earliest = d if d.tzinfo is not None else instants(d, zone_info(ctx.timezone))[0]
    limit = ctx.now + ctx.options.grace
    try:
        late = earliest > limit
    except OverflowError:  # a date at the calendar's ends (0001 or 9999)
        late = earliest.year > limit.year
    if late:
        ahead = earliest - ctx.now
        yield _date_problem(post, f"date {iso(d)} is {human(ahead)} in the future (now is {iso(ctx.now)})")


@rule("PC103", "implausible-date", severity="warning", options=ImplausibleOptions)
def implausible_date(post: ParsedPost, ctx: RuleContext[ImplausibleOptions]) -> Iterator[Problem]:
    """`date` is implausibly old.

    ## What it does
    Reports a `date` whose calendar day (as written) is before `min-date`
    (1995-01-01): earlier than any web news post.

    ## Why is this bad?
    Such dates are nearly always placeholders or parsing accidents: the Unix epoch
    (`1970-01-01`), `0001-01-01`, a two-digit year read as 19xx. The post is then
    sorted to the far end of every archive.

    ## Example
    ```yaml
    date: 1970-01-01T00:00:00Z
    ```

    ## Use instead
    ```yaml
    date: 2021-09-04T03:38:12Z
    ```

    ## Options
    - `min-date` (date, default `1995-01-01`): the earliest plausible date. Set it
      lower for archives of older material.

    ## Fix safety
    No fix: the right date cannot be known.
    """
    d = post.date
    if d is None or d.date() >= ctx.options.min_date:
        return
    yield _date_problem(
        post, f"date {iso(d)} is before {ctx.options.min_date.isoformat()}, the earliest plausible date"
    )


# -- PC104 -------------------------------------------------------------------------------

_FILENAME_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")


@rule("PC104", "filename-date-mismatch", severity="warning", options=FilenameOptions)
def filename_date_mismatch(post: ParsedPost, ctx: RuleContext[FilenameOptions]) -> Iterator[Problem]:
    """The file name's date is not the post's calendar day.

    ## What it does
    For files named the Jekyll way, `YYYY-MM-DD-slug.md`, reports when that day is not
    the calendar day of `date` in the repository's `timezone` (the top-level setting,
    or this rule's `timezone` option). When no timezone is configured, only a day that
    is the post's day in no timezone from UTC−12 to UTC+14 is reported. A date without
    a timezone is taken on its written day.

    ## Why is this bad?
    Jekyll builds the permalink from the file name but sorts and displays by `date`:
    the post appears under one day and links under another, and a second scrape of the
    same article under the right day makes a duplicate.

    ## Example
    `2021-09-05-tianjin.md` with
    ```yaml
    date: 2021-09-04T03:38:12Z
    ```

    ## Use instead
    `2021-09-04-tianjin.md` (or correct `date`).

    ## Options
    - `timezone` (IANA name, default: the repository's `timezone` setting).

    ## Fix safety
    No fix: renaming a file is left to the user.
    """
    d = post.date
    if d is None or not post.path:
        return
    path = post.path
    name = path[max(path.rfind("/"), path.rfind("\\")) + 1 :]  # the base name, either separator
    m = _FILENAME_DATE.match(name)
    if m is None:
        return
    try:
        named = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        yield _date_problem(post, f"file name date {m.group(0)} is not a real calendar date")
        return
    zone_name = ctx.options.timezone or ctx.timezone
    if zone_name is None and named == d.date() and offset_in_range(d):
        return  # the written day is the post's day in its own offset, one of UTC-12..UTC+14
    span = calendar_days(d, zone_info(zone_name))
    if span[0] <= named <= span[1]:
        return
    where = (
        f"in {zone_name}"
        if zone_name and d.tzinfo is not None
        else ("as written" if d.tzinfo is None else "in any timezone from UTC-12 to UTC+14")
    )
    gap = (named - span[1]).days if named > span[1] else (span[0] - named).days
    direction = "after" if named > span[1] else "before"
    yield _date_problem(
        post,
        f"file name date {named.isoformat()} is {plural(gap, 'day')} {direction} the post's date "
        f"{span_text(span)} ({where})",
    )


# -- PC105 -------------------------------------------------------------------------------


def _value_subspan(post: ParsedPost, key: str, text: str) -> tuple[int, int]:
    """Where ``text`` sits inside the value of ``key``; the whole value if it is not literal there."""
    start, end = post.field_span(key)
    index = post.text.find(text, start, end)
    if index < 0:
        return start, end
    return index, index + len(text)


# A path segment of a print edition's article: its URL carries the issue's cover date,
# which a magazine puts days to weeks after the piece goes online.
_PRINT_SEGMENT = re.compile(r"/(?:magazine|print|print-?edition|issues?)/", re.IGNORECASE)
_ISSUE_LEAD_DAYS = 45


@rule("PC105", "source-url-date-mismatch", severity="warning", options=UrlDateOptions)
def source_url_date_mismatch(post: ParsedPost, ctx: RuleContext[UrlDateOptions]) -> Iterator[Problem]:
    """The date in the source URL is not the post's date.

    ## What it does
    Reads a date from the source URL and reports when it is more than `tolerance-days`
    (1) from the post's calendar day in the site's timezone. Dates are read with the
    site profile's patterns (`rules/sites/`, chosen by the URL's host) for formats
    no generic rule can read — month-first `MMDDYYYY`, two-digit years, `MMDD`
    without a year — then with the generic `/YYYY/MM/DD/`, `/YYYY/mon/DD/`
    (`/2024/may/22/`), `YYYY-MM-DD` and 8-digit `YYYYMMDD` patterns, all validated as
    real calendar dates (`20211301` is not a date; an 8-digit run more than a year
    after the post's date is an article id, not a date; a dashed or 8-digit date with
    words of its slug on both sides, `remembering-tiananmen-1989-06-04-34-years-on`, is
    one the headline names). A partial `/YYYY/MM/` is compared by month. Without a site
    timezone, the post's day is taken in any timezone from UTC−12 to UTC+14, so only
    a clear mismatch is reported. A print edition's URL (a `/magazine/`, `/print/`,
    `/print-edition/` or `/issues/` segment, or a profile's `url-date-lead-days`) may
    carry a cover date up to 45 days (or the profile's lead) after the post's.

    ## Why is this bad?
    The URL date is set by the publisher when the article goes out. A post dated days
    away from it usually carries the scrape time of an old article (a feed replaying
    items), the date of another article, or a URL typo — and dated archives, feeds and
    duplicate detection all go wrong.

    ## Example
    ```yaml
    date: 2020-10-16T12:57:01Z
    from: https://www.epochtimes.com/gb/20/10/14/n12473966.htm
    ```

    ## Use instead
    ```yaml
    date: 2020-10-14T12:57:01Z
    from: https://www.epochtimes.com/gb/20/10/14/n12473966.htm
    ```

    ## Options
    - `tolerance-days` (integer, default 1): how many calendar days apart the two may be.

    ## Fix safety
    No fix: either date may be the wrong one.
    """
    d = post.date
    url = post.source_url
    if d is None or not url:
        return
    parts = source_parts(post)
    if parts is None:
        return  # the URL does not split: no date to read
    site = host_site(post, ctx.data)
    zone_name = site.timezone_for(source_host(post)) if site is not None else None
    zone = zone_info(zone_name) if zone_name is not None else None
    span = calendar_days(d, zone)
    found = url_date(url, span[0], site, ctx.data, parts[1])
    if found is None:
        return
    tolerance = ctx.options.tolerance_days
    if found.first > span[1]:
        gap, direction = (found.first - span[1]).days, "after"
        # a print edition's URL carries its issue date, days after the article went online
        lead = site.url_date_lead_days if site is not None and found.how == "generic" else 0
        if found.how == "generic" and _PRINT_SEGMENT.search(parts[1]):
            lead = max(lead, _ISSUE_LEAD_DAYS)  # /magazine/2024/06/10/: a weekly's or a monthly's cover date
        if gap <= tolerance + lead:
            return
    elif found.last < span[0]:
        gap, direction = (span[0] - found.last).days, "before"
    else:
        return
    if gap <= tolerance:
        return
    if d.tzinfo is None:
        where = "as written"
    elif zone is not None:
        where = f"in {zone_name}"
    else:
        where = "in any timezone from UTC-12 to UTC+14"
    start, end = _value_subspan(post, ctx.source_field, found.text)
    yield Problem(
        start,
        end,
        f"source URL {found.label} is {plural(gap, 'day')} {direction} the post's date "
        f"{span_text(span)} ({where})",
        field=ctx.source_field,
    )


# -- PC106 -------------------------------------------------------------------------------


@rule("PC106", "embedded-timestamp-mismatch", severity="warning", options=TimestampOptions)
def embedded_timestamp_mismatch(post: ParsedPost, ctx: RuleContext[TimestampOptions]) -> Iterator[Problem]:
    """A publish time embedded in the body differs from `date`.

    ## What it does
    Compares `date` with the publish time the body carries: the scraper's leading
    `<!--1630739820000-->` comment (epoch seconds or milliseconds), or — when there is
    no such comment — the body's `<time datetime>` elements that stand for the
    publication: full date-times with an offset, outside quoted embeds, agreeing with
    each other, and either marked as the publication time (`pubdate`,
    `itemprop="datePublished"`, in a `<header>`, `<address>` or byline, or classed
    as an entry's date) or, unmarked, ahead of the article's text where a dateline
    stands (not in a sentence, not after a paragraph: there a time is as often an
    event's).
    Reports a difference over `tolerance` (1 hour) and says which is later. A date
    without a timezone is read in the repository's or the site's timezone, else in
    whatever zone from UTC−12 to UTC+14 fits best; a bare date is not compared.

    ## Why is this bad?
    Both were taken from the same article, so a difference means one of them is
    wrong. A known scraper bug shows this way: an article published after the feed was
    read gets the scrape time as `date` while the comment keeps the real publish time,
    hours later.

    ## Example
    ```markdown
    date: 2021-09-04T03:38:12.531Z
    ---
    <!--1630739820000-->
    ```
    (the comment is 2021-09-04T07:17:00Z: 3 h 39 m later than `date`)

    ## Use instead
    ```markdown
    date: 2021-09-04T07:17:00Z
    ---
    <!--1630739820000-->
    ```

    ## Options
    - `tolerance` (duration, default `"1 hour"`): the largest accepted difference;
      accepts `"90m"`, `"2 hours"`, ISO 8601 (`"PT1H"`) or seconds.

    ## Fix safety
    No fix: either time may be the wrong one.
    """
    d = post.date
    if d is None or _is_bare_date(post):
        return
    tolerance = ctx.options.tolerance
    embedded = embedded_time(post, tolerance)
    if embedded is None:
        return
    instant, (start, end), what = embedded
    if d.tzinfo is not None:
        earliest = latest = d  # one instant whatever the zone
    else:
        zone_name = ctx.timezone
        if zone_name is None:
            site = _site(post, ctx.data)
            zone_name = site.timezone if site is not None else None
        earliest, latest = instants(d, zone_info(zone_name))
    try:
        if instant > latest + tolerance:
            delta, direction = instant - latest, "later"
        elif instant < earliest - tolerance:
            delta, direction = earliest - instant, "earlier"
        else:
            return
    except OverflowError:  # a date at the calendar's ends: PC102/PC103 report it
        return
    yield Problem(
        start,
        end,
        f"embedded publish time is {human(delta)} {direction} than date "
        f"({what} {iso(instant)}, date {iso(d)})",
    )
