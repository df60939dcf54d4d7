"""URL helpers for the PC2 provenance rules: validity, IRI → URI, normalization and
tracking-parameter removal that keeps every other byte of the URL as written.

URLs are split with :mod:`urllib.parse` and scanned with ``str.find``; there is no
hand-written URL regex here, so hostile input costs linear time.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from ..data import RuleData, SiteProfile
from ..parse import ParsedPost

__all__ = [
    "DEFAULT_PORTS",
    "apply_deletions",
    "author_site",
    "decode_attribute",
    "host_site",
    "iri_to_uri",
    "normalize_url",
    "owns_host",
    "source_host",
    "source_parts",
    "source_url_is_clean",
    "split_host_path",
    "srcset_urls",
    "tracking_deletions",
    "url_problems",
]

DEFAULT_PORTS = {"http": 80, "https": 443}
# Longest named character reference in the HTML5 table (``&CounterClockwiseContourIntegral;``).
_MAX_ENTITY = 33


# -- per-post facts shared by several rules ------------------------------------------
#
# Kept in the post's small per-post cache (keys that are no front-matter key): the PC1,
# PC2 and PC4 rules each need the source URL's host or the outlet's profile, and most
# posts have nothing to report, so the lookups are most of what those rules cost.

_MISSING: Any = object()
_PARTS = "\0pc:source-parts"
_QUICK = "\0pc:source-quick-split"
_HOST_SITE = "\0pc:host-site"
_AUTHOR_SITE = "\0pc:author-site"


def _quick_split(url: str) -> tuple[str, str, str] | None:
    """``(host, port, path)`` as urlsplit reads them, for the usual URL only.

    ``http(s)://`` in lower case, an ASCII netloc without brackets or ``%``, no tab or
    line break (which urlsplit would delete): then urlsplit's result is plain string
    slicing, done here with three ``find`` calls. None for anything else.
    """
    start = 8 if url.startswith("https://") else 7 if url.startswith("http://") else 0
    if not start or "\t" in url or "\r" in url or "\n" in url:
        return None
    end = len(url)
    for c in "/?#":
        at = url.find(c, start)
        if 0 <= at < end:
            end = at
    netloc = url[start:end]
    if not netloc.isascii() or "[" in netloc or "]" in netloc or "%" in netloc:
        return None
    host, _, port = netloc.rpartition("@")[2].partition(":")
    return host, port, url[end:].partition("#")[0].partition("?")[0]


def split_host_path(url: str) -> tuple[str | None, str] | None:
    """``(hostname, path)`` of ``urlsplit(url)``; None where urlsplit raises ValueError."""
    quick = _quick_split(url)
    if quick is not None:
        return (quick[0].lower() or None), quick[2]
    try:
        parts = urlsplit(url)
        return parts.hostname, parts.path
    except ValueError:
        return None


def _quick_parts(post: ParsedPost) -> tuple[str, str, str] | None:
    """:func:`_quick_split` of the stripped source URL, once per post."""
    cache = post._field_cache
    quick = cache.get(_QUICK, _MISSING)
    if quick is _MISSING:
        url = post.source_url
        quick = cache[_QUICK] = _quick_split(url.strip()) if url else None
    return quick  # type: ignore[no-any-return]


def source_parts(post: ParsedPost) -> tuple[str | None, str] | None:
    """:func:`split_host_path` of the stripped source URL, once per post (None without one)."""
    cache = post._field_cache
    parts = cache.get(_PARTS, _MISSING)
    if parts is _MISSING:
        quick = _quick_parts(post)
        if quick is not None:
            parts = ((quick[0].lower() or None), quick[2])
        else:
            url = post.source_url
            parts = split_host_path(url.strip()) if url else None
        cache[_PARTS] = parts
    return parts  # type: ignore[no-any-return]


def source_url_is_clean(post: ParsedPost) -> bool:
    """True when ``url_problems(post.source_url)`` is certainly empty: plain ASCII without
    spaces or controls (so stripping changes nothing), ``http(s)://``, a host, no port."""
    url = post.source_url
    if not url or not url.isascii() or _ASCII_BAD.search(url) is not None:
        return False
    quick = _quick_parts(post)
    return quick is not None and bool(quick[0]) and not quick[1]


def source_host(post: ParsedPost) -> str | None:
    """``urlsplit(source_url.strip()).hostname``, None without a URL or when it does not split."""
    parts = source_parts(post)
    return None if parts is None else parts[0]


def host_site(post: ParsedPost, data: RuleData) -> SiteProfile | None:
    """The profile that lists the source URL's host (``data.site_for_host``)."""
    cache = post._field_cache
    memo = cache.get(_HOST_SITE)
    if memo is None or memo[0] is not data:
        memo = cache[_HOST_SITE] = (data, data.site_for_host(source_host(post)))
    return memo[1]  # type: ignore[no-any-return]


def author_site(post: ParsedPost, data: RuleData) -> SiteProfile | None:
    """The profile chosen by `author` (``data.site_for_author``)."""
    cache = post._field_cache
    memo = cache.get(_AUTHOR_SITE)
    if memo is None or memo[0] is not data:
        memo = cache[_AUTHOR_SITE] = (data, data.site_for_author(post.author))
    return memo[1]  # type: ignore[no-any-return]


def _host_sets(data: RuleData) -> dict[int, frozenset[str]]:
    return {id(site): frozenset(site.hosts) for site in data.sites}


def owns_host(data: RuleData, profile: SiteProfile, host: str) -> bool:
    """``profile.owns_host(host)``: the host or one of its parent domains is a profile host.

    ``host.endswith("." + h)`` for some profile host ``h`` means ``h`` is what follows
    one of the host's dots, so a set lookup per dot replaces the scan of every host.
    """
    hosts = data.derived("pc2:host-sets", _host_sets).get(id(profile))
    if hosts is None:  # a profile from elsewhere
        return bool(profile.owns_host(host))
    name = host.lower().strip(".")
    while True:
        if name in hosts:
            return True
        dot = name.find(".")
        if dot < 0:
            return False
        name = name[dot + 1 :]


# -- validity ------------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F


_ASCII_BAD = re.compile(r"[\x00-\x20\x7f]")


def url_problems(url: str) -> list[str]:
    """Why ``url`` is not a clean absolute http(s) URL (empty list when it is)."""
    problems: list[str] = []
    # The usual URL is plain ASCII without spaces: skip the per-character scans.
    if url.isascii() and _ASCII_BAD.search(url) is None:
        quick = _quick_split(url)  # url.strip() is url: no ASCII whitespace in it
        if quick is not None and quick[0] and not quick[1]:
            return problems  # http(s), a host and no port: nothing to report
    else:
        if any(ch == " " or (ch.isspace() and not _is_control(ch)) for ch in url):
            problems.append("spaces")
        if any(_is_control(ch) for ch in url):
            problems.append("control characters")
        if any(ord(ch) > 0x7F and not _is_control(ch) and not ch.isspace() for ch in url):
            problems.append("raw non-ASCII characters")
    parts = _split(url.strip())
    if parts is None:
        problems.insert(0, "unparsable")
    elif parts.scheme.lower() not in DEFAULT_PORTS:
        problems.insert(0, "not http(s)")
    elif not parts.hostname:
        problems.insert(0, "no host")
    else:
        try:
            _ = parts.port  # raises on a port that is not a number in range
        except ValueError:
            problems.insert(0, "bad port")
    return problems


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None


def _pct(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def iri_to_uri(url: str) -> str | None:
    """Percent-encode spaces and non-ASCII (RFC 3987 §3.1), IDNA-encode a non-ASCII host.

    Every other character is kept as written, so the result points where the IRI
    pointed. None when that cannot be done faithfully (control characters, lone
    surrogates, a host IDNA rejects, or a result that is still not an http(s) URL).
    """
    text = url.strip()
    if any(_is_control(ch) for ch in text):
        return None
    parts = _split(text)
    if parts is None or parts.scheme.lower() not in DEFAULT_PORTS or not parts.netloc:
        return None
    at = text.find("//") + 2
    if not text.startswith(parts.netloc, at):
        return None
    userinfo, sep, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.partition(":") if not hostport.startswith("[") else (hostport, "", "")
    try:
        if any(ord(ch) > 0x7F for ch in host):
            host = host.encode("idna").decode("ascii")
        encoded = [
            text[:at],
            _encode_chars(userinfo),
            sep,
            host,
            colon,
            _encode_chars(port),
            _encode_chars(text[at + len(parts.netloc) :]),
        ]
    except UnicodeError:
        return None
    result = "".join(encoded)
    if url_problems(result):
        return None
    return result


def _encode_chars(text: str) -> str:
    return "".join(_pct(ch) if ch.isspace() or ord(ch) > 0x7F else ch for ch in text)


# -- normalization -------------------------------------------------------------------


# URLs made only of these characters, with no query, fragment or percent-escape, are what
# w3lib's canonicalize_url returns unchanged (it would cost ~60 µs a post to ask it).
_ALREADY_CANONICAL = re.compile(r"[A-Za-z0-9\-._~:/@!$&'()*+,=]*")


def _plain_authority(url: str) -> bool:
    """No port, no user info and no dot segments: nothing canonicalize_url would rewrite."""
    _, sep, rest = url.partition("://")
    authority = rest.partition("/")[0]
    return bool(sep) and ":" not in authority and "@" not in authority and "/." not in rest


def _canonical_key(text: str, scheme: bool) -> str | None:
    """``normalize_url`` of an http(s) URL that passed the canonical guard, by slicing.

    The guard leaves no query, fragment, port, user info or escape, so urlsplit would
    cut at ``://`` and the next ``/`` and urlunsplit would join the pieces back: ~1 µs
    instead of ~5. None (take the urlsplit path) for another scheme and for an empty
    host, where urlunsplit folds a path starting with ``//`` into the authority.
    """
    head = text[:8].lower()
    if head.startswith("https://"):
        name, rest = "https", text[8:]
    elif head.startswith("http://"):
        name, rest = "http", text[7:]
    else:
        return None
    host, slash, path = rest.partition("/")
    if not host:
        return None
    path = (slash + path).rstrip("/") or "/"
    return f"{name}://{host.lower()}{path}" if scheme else f"//{host.lower()}{path}"


def normalize_url(url: str, *, scheme: bool = True) -> str:
    """A comparison key: percent-encoding, host case, default port, trailing slash,
    query order and fragment do not matter; with ``scheme=False`` neither does http vs https."""
    text = url.strip()
    if text.isascii() and _ALREADY_CANONICAL.fullmatch(text) and _plain_authority(text):
        quick = _canonical_key(text, scheme)
        if quick is not None:
            return quick
    else:
        try:
            from w3lib.url import canonicalize_url  # imports urllib.request: only when needed

            text = canonicalize_url(text)
        except (ValueError, UnicodeError):
            pass
    parts = _split(text)
    if parts is None:
        return text
    netloc = parts.netloc.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port == DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = netloc.rpartition(":")[0]
    path = parts.path.rstrip("/") or "/"
    result = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))
    if not scheme:
        result = result.partition(":")[2]
    return result


# -- tracking parameters -------------------------------------------------------------


def _query_bounds(url: str) -> tuple[int, int] | None:
    q = url.find("?")
    if q < 0:
        return None
    hash_at = url.find("#")
    if 0 <= hash_at < q:
        return None
    return q + 1, (len(url) if hash_at < 0 else hash_at)


def _pieces(url: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the query's pieces, split at ``&`` and ``;`` (empty pieces included)."""
    pieces: list[tuple[int, int]] = []
    i = start
    while True:
        amp = url.find("&", i, end)
        semi = url.find(";", i, end)
        cuts = [c for c in (amp, semi) if c >= 0]
        j = min(cuts) if cuts else end
        pieces.append((i, j))
        if j >= end:
            return pieces
        i = j + 1


def tracking_deletions(
    url: str, is_tracking: Callable[[str], bool]
) -> tuple[list[str], list[tuple[int, int]]]:
    """The tracking keys found in ``url`` and the spans to delete to remove them.

    Removing a piece removes one separator with it; when every piece goes, the ``?``
    goes too. Nothing else changes: no re-encoding, no reordering. No keys → no spans.
    """
    bounds = _query_bounds(url)
    if bounds is None:
        return [], []
    start, end = bounds
    pieces = _pieces(url, start, end)
    keys: list[str] = []
    removed: list[bool] = []
    for a, b in pieces:
        eq = url.find("=", a, b)
        key = url[a : (b if eq < 0 else eq)]
        hit = is_tracking(key)
        removed.append(hit)
        if hit:
            keys.append(unquote(key))
    if not keys:
        return [], []
    if all(removed):
        return keys, [(start - 1, end)]
    spans: list[tuple[int, int]] = []
    first_kept = removed.index(False)
    for i, (a, b) in enumerate(pieces):
        if removed[i]:
            spans.append((a - 1, b) if i > 0 else (a, b))
        elif i == first_kept and i > 0:
            spans.append((a - 1, a))  # the query now starts with this piece: drop its separator
    return keys, _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def apply_deletions(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    pos = 0
    for a, b in spans:
        out.append(text[pos:a])
        pos = b
    out.append(text[pos:])
    return "".join(out)


# -- HTML attribute values -----------------------------------------------------------


def decode_attribute(raw: str) -> tuple[str, list[int]]:
    """Decode character references of a raw attribute value, keeping the raw offset
    of every decoded character (``offsets[len(decoded)] == len(raw)``).

    Named references are decoded only with their ``;``, numeric ones with or without:
    in attribute values HTML keeps ``&para=1`` literal, which is what query strings need.
    """
    out: list[str] = []
    offsets: list[int] = []
    i = 0
    n = len(raw)
    while i < n:
        amp = raw.find("&", i)
        if amp < 0:
            amp = n
        for k in range(i, amp):
            out.append(raw[k])
            offsets.append(k)
        if amp >= n:
            break
        decoded, length = _reference(raw, amp)
        for ch in decoded:
            out.append(ch)
            offsets.append(amp)
        i = amp + length
    offsets.append(n)
    return "".join(out), offsets


def _reference(raw: str, at: int) -> tuple[str, int]:
    """The text a reference at ``raw[at] == "&"`` stands for, and its raw length."""
    n = len(raw)
    j = at + 1
    if j < n and raw[j] == "#":
        j += 1
        hexa = j < n and raw[j] in "xX"
        if hexa:
            j += 1
        digits_start = j
        digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
        while j < n and raw[j] in digits and j - digits_start < 8:
            j += 1
        if j == digits_start:
            return "&", 1
        code = int(raw[digits_start:j], 16 if hexa else 10)
        if j < n and raw[j] == ";":
            j += 1
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return "\ufffd", j - at
        return chr(code), j - at
    semi = raw.find(";", j, min(n, j + _MAX_ENTITY))
    if semi > j:
        value = html.entities.html5.get(raw[j : semi + 1])
        if value is not None:
            return value, semi + 1 - at
    return "&", 1


def srcset_urls(value: str) -> list[tuple[int, int]]:
    """Spans of the URLs of a ``srcset`` value (each candidate: URL, then descriptors)."""
    spans: list[tuple[int, int]] = []
    n = len(value)
    i = 0
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        start = i
        while i < n and not value[i].isspace():
            i += 1
        end = i
        while end > start and value[end - 1] == ",":
            end -= 1
        if end > start:
            spans.append((start, end))
        if end < i:  # the URL ended with a comma: no descriptors
            continue
        while i < n and value[i] != ",":
            i += 1
    return spans
