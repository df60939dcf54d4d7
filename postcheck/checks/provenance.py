"""PC2: source-URL provenance — is the source URL valid, clean, on the outlet's hosts,
consistent with the link line, and unique in the run."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from ..model import Edit, Fix, Problem
from ..parse import ParsedPost
from ..rule import CorpusItem, RuleContext, corpus_rule, rule
from ._tracking import (
    TrackingOptions,
    TrackingParameter,
    TrackingParameterList,
    body_tracking,
    default_matcher,
    keys_phrase,
    matcher_for,
    may_have_query,
)
from ._urls import (
    apply_deletions,
    author_site,
    iri_to_uri,
    normalize_url,
    owns_host,
    source_host,
    source_url_is_clean,
    tracking_deletions,
    url_problems,
)

__all__ = [
    "TrackingParameter",
    "TrackingParameterList",
    "TrackingOptions",
    "duplicate_source_url",
    "insecure_source_url",
    "invalid_source_url",
    "source_host_mismatch",
    "source_link_mismatch",
    "tracking_parameters",
]

# -- spans -----------------------------------------------------------------------------


def _show(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _value_offset(post: ParsedPost, key: str, value: str) -> int | None:
    """Offset of ``value`` as written in the front matter, when it is written verbatim
    (plain or quoted without escapes); None when an edit could not be exact."""
    span = post.value_span(key)
    if span is None:
        return None
    raw = post.text[span[0] : span[1]]
    if raw == value:
        return span[0]
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" and raw[1:-1] == value:
        return span[0] + 1
    return None


def _link_offset(post: ParsedPost) -> int | None:
    scaffold = post.scaffold
    if scaffold.link_url is None or scaffold.link_url_span is None:
        return None
    start, end = scaffold.link_url_span
    raw = post.text[start:end]
    lead = len(raw) - len(raw.lstrip())
    return start + lead if raw[lead:].startswith(scaffold.link_url) else None


def _deletions(base: int, spans: list[tuple[int, int]]) -> list[Edit]:
    return [Edit(start=base + a, end=base + b, replacement="") for a, b in spans]


# -- PC201 -----------------------------------------------------------------------------

_STRUCTURE = {
    "unparsable": "cannot be parsed as a URL",
    "not http(s)": "is not an absolute http(s) URL",
    "no host": "has no host",
    "bad port": "has an invalid port",
}


@rule("PC201", "invalid-source-url", severity="error", fix="unsafe")
def invalid_source_url(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The source URL is not a valid absolute http(s) URL.

    ## What it does
    Checks the source field (`from` by default, see `source-field`): it must be an
    absolute `http://` or `https://` URL with a host, without spaces, raw non-ASCII
    characters (an IRI rather than a URI) or control characters.

    ## Why is this bad?
    The source URL is the post's provenance. Tools that fetch, compare or link it
    (feed readers, archivers, `curl`, YAML consumers that re-serialise it) disagree on
    how to handle spaces and raw Unicode; a relative or non-http URL cannot be
    followed at all.

    ## Example
    ```yaml
    from: https://www.dw.com/zh/香港单日确诊破百例 全球病亡例破60万/a-54237428
    ```

    ## Use instead
    ```yaml
    from: https://www.dw.com/zh/%E9%A6%99%E6%B8%AF...%20...%E4%B8%87/a-54237428
    ```

    ## Options
    None (the field is the top-level `source-field` setting).

    ## Fix safety
    Unsafe: the fix percent-encodes spaces and non-ASCII characters as UTF-8 and
    IDNA-encodes a non-ASCII host (IRI → URI, RFC 3987 §3.1). The URL points at the
    same resource, but it is provenance, so a person should confirm the change. No fix
    is offered for control characters or URLs that are not http(s).
    """
    url = post.source_url
    if url is None or source_url_is_clean(post):
        return
    problems = url_problems(url)
    if not problems:
        return
    structural = [_STRUCTURE[p] for p in problems if p in _STRUCTURE]
    chars = [p for p in problems if p not in _STRUCTURE]
    if structural:
        message = f"source URL {structural[0]}: {_show(url)!r}"
        if chars:
            message += f" (it also contains {' and '.join(chars)})"
    else:
        message = f"source URL contains {' and '.join(chars)}: {_show(url)}"
    start, end = post.field_span(ctx.source_field)
    fix = None
    fixed = iri_to_uri(url) if not structural else None
    base = _value_offset(post, ctx.source_field, url)
    if fixed is not None and base is not None and fixed != url:
        fix = Fix(
            applicability="unsafe",
            description="percent-encode the source URL (IRI → URI)",
            edits=(Edit(start=base, end=base + len(url), replacement=fixed),),
        )
    yield Problem(start, end, message, field=ctx.source_field, fix=fix)


# -- PC202 -----------------------------------------------------------------------------


@rule("PC202", "insecure-source-url", severity="info", fix="unsafe")
def insecure_source_url(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The source URL uses `http://` although the site serves https.

    ## What it does
    When the site profile chosen by `author` (`rules/sites/*.toml`) says `https =
    true`, reports a source URL that starts with `http://` on one of the profile's
    hosts (a feed proxy or another site says nothing of the outlet's https).

    ## Why is this bad?
    The http URL only redirects to the https one: links and duplicate detection work
    on two spellings of one article, and following it leaks the request in clear.

    ## Example
    ```yaml
    author: RFI
    from: http://www.rfi.fr/cn/中国/20200720-...
    ```

    ## Use instead
    ```yaml
    author: RFI
    from: https://www.rfi.fr/cn/中国/20200720-...
    ```

    ## Options
    None; the `https` key of the site profile decides.

    ## Fix safety
    Unsafe: the fix rewrites the scheme to `https` (and the link line's when it repeats
    the source URL). The profile says the site serves https, but the URL is provenance.
    """
    url = post.source_url
    if url is None:
        return
    profile = author_site(post, ctx.data)
    if profile is None or profile.https is not True:
        return
    lead = len(url) - len(url.lstrip())
    if url[lead : lead + 7].lower() != "http://":
        return
    host = source_host(post)
    if not host or not owns_host(ctx.data, profile, host):
        return
    start, end = post.field_span(ctx.source_field)
    edits: list[Edit] = []
    base = _value_offset(post, ctx.source_field, url)
    if base is not None:
        edits.append(Edit(start=base + lead, end=base + lead + 4, replacement="https"))
        link = post.scaffold.link_url
        link_base = _link_offset(post)
        if (
            link
            and link_base is not None
            and link[:7].lower() == "http://"
            and (link == url or normalize_url(link) == normalize_url(url))
        ):
            edits.append(Edit(start=link_base, end=link_base + 4, replacement="https"))
    fix = Fix(applicability="unsafe", description="use https", edits=tuple(edits)) if edits else None
    yield Problem(
        start,
        end,
        f"source URL uses http:// but {profile.name} serves https",
        field=ctx.source_field,
        fix=fix,
    )


# -- PC203 -----------------------------------------------------------------------------


@rule("PC203", "tracking-parameters", severity="warning", options=TrackingOptions, fix="safe")
def tracking_parameters(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """A URL carries analytics or ad-click tracking parameters.

    ## What it does
    Looks for tracking parameters (`utm_*`, `fbclid`, `gclid`, `dclid`, `gbraid`,
    `wbraid`, `msclkid`, `mc_cid`, `mc_eid`, `igshid`, `yclid`, `_hsenc`, `_hsmi`,
    `mkt_tok`, …) in the query of the source URL, of the link line, and of every URL
    attribute of the body's HTML (`href`, `src`, `srcset`, `data-src`, `poster`, …).
    The list is data: `rules/tracking-parameters.toml`, where every entry says who
    uses the parameter and which public list (ClearURLs, AdGuard URL Tracking
    Protection, Firefox query stripping) it comes from. Names that sites also use for
    content (`source`, `ref`, `from`, `spm`, …) are deliberately not in it.

    ## Why is this bad?
    They identify a campaign, a newsletter subscriber or an ad click, not the page:
    they leak who shared the link, split analytics and defeat duplicate detection.

    ## Example
    ```html
    <a href="https://example.com/offer/?utm_source=zb&amp;utm_medium=web&amp;id=3">
    ```

    ## Use instead
    ```html
    <a href="https://example.com/offer/?id=3">
    ```

    ## Options
    - `extend-parameters` (list, default `[]`): more keys; `name*` matches a prefix.
    - `ignore-parameters` (list, default `[]`): keys of the list not to report.

    ## Fix safety
    The fix removes only the matching `key=value` pieces (with one separator each, and
    the `?` when nothing is left) and leaves every other character of the URL as it
    was; in HTML it edits the raw attribute text, `&amp;` included. Safe in body
    links; unsafe in the source URL and the link line, because they are provenance.
    The source URL's fix also fixes the link line when it repeats the source URL;
    a link line with a URL of its own gets its own finding.
    """
    matcher = matcher_for(ctx)
    if not may_have_query(post) or not matcher.may_match(post.text):
        return
    link_done = False
    url = post.source_url
    if url:
        keys, spans = tracking_deletions(url, matcher)
        if keys:
            edits: list[Edit] = []
            base = _value_offset(post, ctx.source_field, url)
            if base is not None:
                edits = _deletions(base, spans)
                link = post.scaffold.link_url
                link_base = _link_offset(post)
                # the link line repeating the source URL is fixed with it (one provenance)
                if link is not None and link_base is not None and link.strip() == url.strip():
                    link_keys, link_spans = tracking_deletions(link, matcher)
                    if link_keys:
                        edits += _deletions(link_base, link_spans)
                        link_done = True
            start, end = post.field_span(ctx.source_field)
            where = "the source URL and the link line" if link_done else "the source URL"
            fix = (
                Fix(
                    applicability="unsafe",
                    description=f"remove the tracking parameters from {where}",
                    edits=tuple(edits),
                )
                if edits
                else None
            )
            yield Problem(
                start,
                end,
                f"source URL carries tracking {keys_phrase(keys)}",
                field=ctx.source_field,
                fix=fix,
            )
    link = post.scaffold.link_url
    link_base = _link_offset(post)
    if link and not link_done and link_base is not None:
        keys, spans = tracking_deletions(link, matcher)
        if keys:
            fix = Fix(
                applicability="unsafe",
                description="remove the tracking parameters from the link line",
                edits=tuple(_deletions(link_base, spans)),
            )
            yield Problem(
                link_base,
                link_base + len(link),
                f"link line URL carries tracking {keys_phrase(keys)}",
                fix=fix,
            )
    yield from body_tracking(post, matcher)


# -- PC204 -----------------------------------------------------------------------------

_ACRONYM = re.compile(r"\s*[A-Z]{2,5}\s*")
# second-level labels under a country's domain that name no one (bbc.co.uk, epochtimes.com.tw)
_GENERIC_SECOND_LEVEL = frozenset({"com", "co", "org", "net", "gov", "edu", "ac", "or", "ne", "go"})
_NAME_CHARS = 5  # shorter names are acronyms that unrelated outlets share (ft.com, ft.lk)


def _site_name(host: str) -> str | None:
    """The name a host is registered under, without its top-level domain: epochtimes for
    www.epochtimes.de and epochtimes.com.tw."""
    labels = host.lower().strip(".").split(".")[:-1]
    if len(labels) >= 2 and labels[-1] in _GENERIC_SECOND_LEVEL:
        labels.pop()
    return labels[-1] if labels else None


def _national_edition(host: str, hosts: Sequence[str]) -> bool:
    """Is the host one of the outlet's names under another country's domain (the Epoch
    Times' epochtimes.de beside epochtimes.com)? Not for short names (see _NAME_CHARS)."""
    country = host.lower().strip(".").rpartition(".")[2]
    if len(country) != 2 or not country.isalpha():
        return False  # example.net beside example.com is anyone's
    name = _site_name(host)
    return name is not None and len(name) >= _NAME_CHARS and any(_site_name(h) == name for h in hosts)


@rule("PC204", "source-host-mismatch", severity="error")
def source_host_mismatch(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The source URL's host is not one of the outlet's hosts.

    ## What it does
    Picks the site profile by `author` (`rules/sites/*.toml`). Reports the source URL
    when that profile lists hosts and the URL's host is neither one of them, nor a
    subdomain of one, nor the same name under another country's domain (a national
    edition: `epochtimes.de` beside `epochtimes.com`; names of five letters or more,
    since shorter ones are acronyms that unrelated outlets share), or when the host
    belongs to another outlet's profile. An author
    that is a bare acronym (`RTI`, `CDT`) names many organisations: with it, only a host
    of another known outlet is reported.

    ## Why is this bad?
    The post claims to come from one outlet but points at another site: a mislabelled
    author, a scraper that followed a redirect or syndication link, or a post filed
    under the wrong feed.

    ## Example
    ```yaml
    author: 联合早报
    from: https://www.bbc.com/zhongwen/simp/world-53496291
    ```

    ## Use instead
    ```yaml
    author: BBC
    from: https://www.bbc.com/zhongwen/simp/world-53496291
    ```

    ## Options
    None; add hosts to the site profile (`hosts = [...]`) for mirrors and new domains.

    ## Fix safety
    No fix: either the author or the URL is wrong, and only a person can tell which.
    """
    url = post.source_url
    if not url:
        return
    profile = author_site(post, ctx.data)
    if profile is None:
        return
    host = source_host(post)
    if not host or owns_host(ctx.data, profile, host):
        return
    other = ctx.data.site_for_host(host)
    start, end = post.field_span(ctx.source_field)
    if other is not None and other is not profile:
        message = f"source host {host} belongs to {other.name}, but the author is {profile.name}"
    elif profile.hosts and not _ACRONYM.fullmatch(post.author or "") and not _national_edition(host, profile.hosts):
        # (RTI is Radio Taiwan International and RTI International at www.rti.org)
        message = f"source host {host} is not a host of {profile.name} ({', '.join(profile.hosts)})"
    else:
        return
    yield Problem(start, end, message, field=ctx.source_field)


# -- PC205 -----------------------------------------------------------------------------


@rule("PC205", "source-link-mismatch", severity="warning")
def source_link_mismatch(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The body's link line points somewhere else than the source URL.

    ## What it does
    Compares the URL of the link line under the timestamp comment (`[Title](url)`)
    with the source URL after normalization: percent-encoding (`中国` = `%E4%B8%AD%E5%9B%BD`,
    `%e4` = `%E4`), host case, default ports, a trailing slash, the order of query
    parameters and the fragment do not count.

    ## Why is this bad?
    Both claim to be where the post came from; when they differ, one of them is stale
    or was rewritten by a redirect, and readers follow a different link than the one
    the front matter records.

    ## Example
    ```markdown
    from: https://www.zaobao.com/realtime/china/story20200724-1071568
    ...
    [Title](https://www.zaobao.com/realtime/china/story20200723-1071318)
    ```

    ## Use instead
    The same URL in both places (any percent-encoding).

    ## Options
    None.

    ## Fix safety
    No fix: which of the two is right cannot be known.
    """
    scaffold = post.scaffold
    link = scaffold.link_url
    url = post.source_url
    span = scaffold.link_url_span
    if not link or not url or span is None:
        return
    if link == url.strip() or normalize_url(link) == normalize_url(url):
        return
    if "&" in link and normalize_url(html.unescape(link)) == normalize_url(url):
        return  # Markdown reads entities in a link's URL (?a=1&amp;b=2 is ?a=1&b=2)
    base = _link_offset(post)
    start = base if base is not None else span[0]
    yield Problem(
        start,
        start + len(link),
        f"link line points at {_show(link)} but the source URL is {_show(url.strip())}",
    )


# -- PC206 -----------------------------------------------------------------------------


def _entry_fragment(url: str) -> str:
    """The fragment when it names one entry of a page, else "". An entry's anchor holds
    digits or a bang (a live blog's ``#block-6658d2b38f08``, an ``#update-3``, a ``#!/``
    route), or it is a word slug on a live page (the New York Times' and the Washington
    Post's ``/live/…#jury-reaches-verdict``). ``#comments`` or ``#top`` point into the same
    article."""
    fragment = url.partition("#")[2].strip()
    if not fragment:
        return ""
    if fragment.startswith("!") or any(c.isdigit() for c in fragment):
        return "#" + fragment
    if fragment.lower() not in _IN_PAGE and _LIVE_PATH.search(url.partition("#")[0].partition("?")[0]):
        return "#" + fragment
    return ""


# a path segment of a live page: /live/, /liveblog/, /live-news/, /…-live-updates/
_LIVE_PATH = re.compile(r"/(?:[^/]*-)?(?:live|live-?blog|live-news|live-updates)(?:/|$)", re.IGNORECASE)
# anchors every page has, live or not: they name a place in the page, not an entry
_IN_PAGE = frozenset({"comments", "comment", "respond", "top", "main", "content", "main-content", "maincontent",
                      "article", "story", "skip", "footer", "header", "nav", "menu", "search", "share"})


def _collect_source(post: ParsedPost, ctx: RuleContext[Any]) -> tuple[Any, int, int] | None:
    url = post.source_url
    if not url or not url.strip():
        return None
    _, spans = tracking_deletions(url, default_matcher(ctx.data))
    key = normalize_url(apply_deletions(url, spans), scheme=False) + _entry_fragment(url)
    # A digest keeps the run-wide index small whatever the URL's length.
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    start, end = post.field_span(ctx.source_field)
    return digest, start, end


@corpus_rule("PC206", "duplicate-source-url", severity="warning", collect=_collect_source)
def duplicate_source_url(
    index: dict[Any, list[CorpusItem]], ctx: RuleContext[Any]
) -> Iterator[tuple[CorpusItem, str]]:
    """Another post of the same run has the same source URL.

    ## What it does
    Groups the posts of one run by normalized source URL (percent-encoding, host case,
    default port, trailing slash, query order, http vs https and tracking parameters do
    not count, nor does a fragment unless it names one entry of the page, as a live
    blog's `#block-6658d2b38f08` or `/live/…#jury-reaches-verdict` does) and reports
    every post of a group of two or more, naming the others. One pass over the posts,
    grouped by key: cheap for 100,000 posts and the same with `--jobs`.

    ## Why is this bad?
    The same article scraped twice — often with a retouched title or a date a day
    apart — is published twice and counted twice downstream.

    ## Example
    `2020-07-23-a.md` and `2020-07-24-b.md` both with
    `from: https://www.zaobao.com/realtime/china/story20200724-1071568`.

    ## Use instead
    Keep one of them (usually the later, more complete version) and delete the other.

    ## Options
    None.

    ## Fix safety
    No fix: which copy to keep is an editorial choice.
    """
    for items in index.values():
        if len(items) < 2:
            continue
        for item in items:
            others = [o.path for o in items[:5] if o is not item][:3]
            more = len(items) - 1 - len(others)
            named = ", ".join(others) + (f" and {more} more" if more > 0 else "")
            yield item, f"same source URL as {named}"
