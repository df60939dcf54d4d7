"""URL helpers for the PC2 provenance rules: validity, IRI → URI, normalization and
tracking-parameter removal that keeps every other byte of the URL as written.

URLs are split with :mod:`urllib.parse` and scanned with ``str.find``; there is no
hand-written URL regex here, so hostile input costs linear time.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable, Iterable
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = [
    "DEFAULT_PORTS",
    "TrackingMatcher",
    "apply_deletions",
    "decode_attribute",
    "iri_to_uri",
    "normalize_url",
    "srcset_urls",
    "tracking_deletions",
    "url_problems",
]

DEFAULT_PORTS = {"http": 80, "https": 443}
# Longest named character reference in the HTML5 table (``&CounterClockwiseContourIntegral;``).
_MAX_ENTITY = 33


class TrackingMatcher:
    """Decides whether a query key is a tracking parameter: exact names and ``prefix*`` entries."""

    def __init__(self, names: Iterable[str], ignore: Iterable[str] = ()) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        for name in names:
            name = name.strip().lower()
            if name.endswith("*"):
                prefixes.append(name[:-1])
            elif name:
                exact.add(name)
        ignored = {n.strip().lower() for n in ignore}
        self.exact = frozenset(exact - ignored)
        self.prefixes = tuple(sorted(p for p in set(prefixes) if p + "*" not in ignored))
        self.ignored = frozenset(n for n in ignored if not n.endswith("*"))
        self._prefilter: re.Pattern[str] | None = None

    def __call__(self, key: str) -> bool:
        key = unquote(key).strip().lower()
        if not key or key in self.ignored:
            return False
        if key in self.exact:
            return True
        return any(key.startswith(p) for p in self.prefixes)

    def literals(self) -> list[str]:
        """Lower-case strings one of which every matching key starts with."""
        return sorted(self.exact | set(self.prefixes))

    @property
    def prefilter(self) -> re.Pattern[str]:
        """Finds text that may hold a matching key: a query separator (``?``, ``&``, ``;``,
        or ``&`` written as a character reference), then a key's start, ``_`` possibly
        percent-encoded. One linear scan anchored on separators instead of a search per
        name; a text without a hit has nothing to report."""
        if self._prefilter is None:
            names = sorted(
                {v for lit in self.literals() for v in (lit, lit.replace("_", "%5f"))}, key=len, reverse=True
            )
            alternatives = "|".join(re.escape(n) for n in names) or "(?!)"
            self._prefilter = re.compile(rf"[?&;](?:amp;|#38;|#x26;)?(?:{alternatives})", re.IGNORECASE)
        return self._prefilter


# -- validity ------------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F


_ASCII_BAD = re.compile(r"[\x00-\x20\x7f]")


def url_problems(url: str) -> list[str]:
    """Why ``url`` is not a clean absolute http(s) URL (empty list when it is)."""
    problems: list[str] = []
    # The usual URL is plain ASCII without spaces: skip the per-character scans.
    if not url.isascii() or _ASCII_BAD.search(url) is not None:
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


def normalize_url(url: str, *, scheme: bool = True) -> str:
    """A comparison key: percent-encoding, host case, default port, trailing slash,
    query order and fragment do not matter; with ``scheme=False`` neither does http vs https."""
    text = url.strip()
    try:
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
