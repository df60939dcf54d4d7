"""Markup signatures (``kind = "markup-signatures"``): validation, compilation, matching.

Signatures describe leftover site markup (ad slots, subscription promos, beacons) by
what the parsed tree shows: id and class tokens, attribute names and values, and the
hosts and paths of ``src``/``href`` URLs. Nothing here runs a regex over raw HTML.
Class and id tokens are compared whole (or by whole word parts, so that a class
``header`` or ``download`` never looks like ``ad``; which parts count as words is the
``class-words`` data, :mod:`._classwords`); only long, unambiguous words such as
``paywall`` may be matched inside a token.

The data files are compiled once per process into dict/set tables
(:func:`tables`, through ``RuleData.derived``) so that one walk over the tree checks
every element against every signature in constant time per token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from ..data import DataModel, RuleData, register_kind
from ._classwords import TokenWords, lower_all, token_words

__all__ = [
    "EVENT_HANDLERS",
    "URL_JUNK",
    "URL_KEYS",
    "AttributeValue",
    "Signature",
    "SignatureFile",
    "SignatureTable",
    "tables",
    "url_parts",
]

Code = Literal["PC301", "PC302", "PC303"]


class AttributeValue(DataModel):
    """An attribute whose (case-folded, trimmed) value equals ``value``."""

    name: str
    value: str


def _check_patterns(values: list[str]) -> list[str]:
    """Token patterns: ``exact``, ``prefix*`` or ``prefix#`` (prefix then digits only)."""
    for v in values:
        body = v[:-1] if v[-1:] in "*#" else v
        if not body or "*" in body or "#" in body:
            raise ValueError(f"pattern {v!r}: use 'exact', 'prefix*' or 'prefix#' (digits)")
    return values


class Signature(DataModel):
    """One signature: any of its conditions matching an element is a match."""

    name: str
    source: str = Field(min_length=3, description="where this signature comes from")
    tags: list[str] = Field(default_factory=list, description="only these elements (empty: any)")
    ids: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list, description="whole word parts of id/class tokens")
    substrings: list[str] = Field(default_factory=list, description="long words found inside tokens")
    attributes: list[str] = Field(default_factory=list, description="attribute names (prefix*)")
    attribute_values: list[AttributeValue] = Field(default_factory=list, alias="attribute-values")
    hosts: list[str] = Field(default_factory=list, description="host or parent domain of src/href")
    host_labels: list[str] = Field(default_factory=list, alias="host-labels",
                                   description="first label of the host (subscribe.example.com)")
    path_segments: list[str] = Field(default_factory=list, alias="path-segments",
                                     description="a whole path segment or the fragment of src/href")
    path_substrings: list[str] = Field(default_factory=list, alias="path-substrings",
                                       description="inside the path of src (and data-src)")
    link_texts: list[str] = Field(default_factory=list, alias="link-texts",
                                  description="the whole text of an <a> (case-folded, spaces collapsed)")
    block_texts: list[str] = Field(
        default_factory=list, alias="block-texts",
        description="regexes the whole text of a short paragraph or box must match (case-folded, "
                    "spaces collapsed)")
    block_keys: list[str] = Field(
        default_factory=list, alias="block-keys",
        description="words one of which every block text holds (outside optional parts): only posts "
                    "whose text holds one, in lower case, capitalised or in capitals, are read block by block")
    must_match: list[str] = Field(alias="must-match", min_length=1)
    must_not_match: list[str] = Field(alias="must-not-match", min_length=1)

    @field_validator(
        "tags", "ids", "classes", "words", "substrings", "attributes", "hosts", "host_labels",
        "path_segments", "path_substrings", "link_texts", "block_keys",
    )
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return lower_all(value)

    @field_validator("ids", "classes", "attributes")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return _check_patterns(value)

    @field_validator("substrings", "path_substrings")
    @classmethod
    def _long_enough(cls, value: list[str]) -> list[str]:
        short = [v for v in value if len(v) < 6]
        if short:
            raise ValueError(f"substrings shorter than 6 characters match too much: {short}")
        return value

    @field_validator("block_texts")
    @classmethod
    def _sentences(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"block text {pattern!r}: {exc}") from None
            if pattern != pattern.casefold():
                raise ValueError(f"block text {pattern!r}: write it in lower case (texts are case-folded)")
        return value

    @model_validator(mode="after")
    def _keyed(self) -> Signature:
        unkeyed = [p for p in self.block_texts if not any(key in p for key in self.block_keys)]
        if unkeyed:
            raise ValueError(f"block texts without one of the block-keys {self.block_keys}: {unkeyed}")
        return self

    @model_validator(mode="after")
    def _has_condition(self) -> Signature:
        if not (self.ids or self.classes or self.words or self.substrings or self.attributes
                or self.attribute_values or self.hosts or self.host_labels or self.path_segments
                or self.path_substrings or self.link_texts or self.block_texts):
            raise ValueError(f"signature {self.name!r} has no condition")
        return self


class SignatureFile(DataModel):
    """A ``rules/markup/*.toml`` file: the signatures one rule uses."""

    kind: Literal["markup-signatures"] = "markup-signatures"
    code: Code
    source: str = Field(min_length=3)
    signatures: list[Signature] = Field(min_length=1)


register_kind("markup-signatures", SignatureFile)

def url_parts(url: str) -> tuple[str, list[str], str, str]:
    """(host, path segments, fragment, path) of a URL, all lower-case; never raises."""
    url = url.strip()
    if url.startswith("//"):
        url = "http:" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").strip(".")
    except ValueError:
        return "", [], "", ""
    path = parts.path.lower()
    return host.lower(), [s for s in path.split("/") if s], parts.fragment.lower(), path


@dataclass
class _Patterns:
    exact: dict[str, Signature] = field(default_factory=dict)
    prefixes: list[tuple[str, bool, Signature]] = field(default_factory=list)  # (prefix, digits-only, sig)

    def add(self, pattern: str, sig: Signature) -> None:
        if pattern.endswith("*"):
            self.prefixes.append((pattern[:-1], False, sig))
        elif pattern.endswith("#"):
            self.prefixes.append((pattern[:-1], True, sig))
        else:
            self.exact.setdefault(pattern, sig)

    def find(self, token: str) -> Signature | None:
        sig = self.exact.get(token)
        if sig is not None:
            return sig
        for prefix, digits, psig in self.prefixes:
            if token.startswith(prefix):
                rest = token[len(prefix):]
                if not digits or (rest.isdigit() and rest.isascii()):
                    return psig
        return None


# Real inline event-handler attributes (HTML Living Standard, GlobalEventHandlers and
# WindowEventHandlers). An attribute that merely starts with "on" — `on` from a broken
# alt text, `one`, `only` — is not one.
EVENT_HANDLERS = frozenset(
    "on" + n for n in (
        "abort afterprint animationend animationiteration animationstart auxclick beforeinput "
        "beforematch beforeprint beforetoggle beforeunload blur cancel canplay canplaythrough change "
        "click close contextlost contextmenu contextrestored copy cuechange cut dblclick drag dragend "
        "dragenter dragleave dragover dragstart drop durationchange emptied ended error focus focusin "
        "focusout formdata gotpointercapture hashchange input invalid keydown keypress keyup "
        "languagechange load loadeddata loadedmetadata loadstart lostpointercapture message "
        "messageerror mousedown mouseenter mouseleave mousemove mouseout mouseover mouseup mousewheel "
        "offline online pagehide pagereveal pageshow pageswap paste pause play playing pointercancel "
        "pointerdown pointerenter pointerleave pointermove pointerout pointerover pointerup popstate "
        "progress ratechange rejectionhandled reset resize scroll scrollend securitypolicyviolation "
        "seeked seeking select selectionchange selectstart slotchange stalled storage submit suspend "
        "timeupdate toggle touchcancel touchend touchmove touchstart transitioncancel transitionend "
        "transitionrun transitionstart unhandledrejection unload volumechange waiting wheel"
    ).split()
)
URL_KEYS = ("href", "src", "action", "formaction", "xlink:href", "data")
URL_JUNK = " " + "".join(chr(c) for c in range(0x20))

# Memo tables are cleared past this size: class strings and ids repeat across posts,
# but a long run over unusual markup must not grow them without bound.
_MEMO_LIMIT = 65536
_MISSING = object()
_RUN = re.compile(r"[a-z0-9]+")


@dataclass
class SignatureTable:
    """Compiled signatures of one rule code: dicts and short lists, built once.

    Matching is memoised per attribute name, per (tag, id) and per (tag, class
    string), since those repeat massively across the posts of one site. URLs are
    mostly unique, so they go through a cheap pre-filter instead: every host, host
    label and path segment a URL can match is a whole run of ``[a-z0-9]`` characters
    in the lower-cased URL, so a URL sharing no such run with any signature (and
    holding no path substring) cannot match.
    """

    code: str
    ids: _Patterns = field(default_factory=_Patterns)
    classes: _Patterns = field(default_factory=_Patterns)
    attributes: _Patterns = field(default_factory=_Patterns)
    words: dict[str, Signature] = field(default_factory=dict)
    substrings: list[tuple[str, Signature]] = field(default_factory=list)
    values: dict[tuple[str, str], Signature] = field(default_factory=dict)
    hosts: dict[str, Signature] = field(default_factory=dict)
    host_labels: dict[str, Signature] = field(default_factory=dict)
    path_segments: dict[str, Signature] = field(default_factory=dict)
    path_substrings: list[tuple[str, Signature]] = field(default_factory=list)
    tags: dict[int, frozenset[str]] = field(default_factory=dict)  # id(sig) -> allowed tags
    value_names: set[str] = field(default_factory=set)
    link_texts: dict[str, Signature] = field(default_factory=dict)
    block_texts: list[tuple[re.Pattern[str], Signature]] = field(default_factory=list)
    block_keys: set[str] = field(default_factory=set)  # what a post's text must hold for any to match
    token_words: TokenWords = field(default_factory=TokenWords)  # how class/id tokens hold words
    _names: dict[str, Signature | None] = field(default_factory=dict, repr=False)
    _tokens: dict[tuple[str, str, str], Signature | None] = field(default_factory=dict, repr=False)
    _name_sets: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict, repr=False)
    _anchors: frozenset[str] | None = field(default=None, repr=False)  # None: no pre-filter
    _url_conditions: bool = field(default=False, repr=False)
    _compiled: bool = field(default=False, repr=False)
    _block_key_search: Callable[[str], re.Match[str] | None] | None = field(default=None, repr=False)

    def add(self, sig: Signature) -> None:
        self._compiled = False
        if sig.tags:
            self.tags[id(sig)] = frozenset(sig.tags)
        for p in sig.ids:
            self.ids.add(p, sig)
        for p in sig.classes:
            self.classes.add(p, sig)
        for p in sig.attributes:
            self.attributes.add(p, sig)
        for w in sig.words:
            self.words.setdefault(w, sig)
        self.substrings.extend((s, sig) for s in sig.substrings)
        for av in sig.attribute_values:
            self.values.setdefault((av.name.lower(), av.value.strip().lower()), sig)
            self.value_names.add(av.name.lower())
        for h in sig.hosts:
            self.hosts.setdefault(h.strip("."), sig)
        for h in sig.host_labels:
            self.host_labels.setdefault(h, sig)
        for s in sig.path_segments:
            self.path_segments.setdefault(s, sig)
        self.path_substrings.extend((s, sig) for s in sig.path_substrings)
        for t in sig.link_texts:
            self.link_texts.setdefault(" ".join(t.split()), sig)
        for pattern in sig.block_texts:
            self.block_texts.append((re.compile(pattern), sig))
        if sig.block_texts:
            self.block_keys.update(sig.block_keys)
            self._block_key_search = None

    def _compile(self) -> None:
        self._names.clear()
        self._tokens.clear()
        self._name_sets.clear()
        whole = [*self.hosts, *self.host_labels, *self.path_segments]
        self._url_conditions = bool(whole or self.path_substrings)
        anchors: set[str] | None = set()
        for s in whole:
            runs = _RUN.findall(s)
            if not runs:  # nothing ASCII to anchor on: always take the exact path
                anchors = None
                break
            assert anchors is not None
            anchors.add(max(runs, key=len))
        self._anchors = frozenset(anchors) if anchors is not None else None
        self._compiled = True

    def _allowed(self, sig: Signature | None, tag: str) -> Signature | None:
        if sig is None:
            return None
        allowed = self.tags.get(id(sig))
        return sig if allowed is None or tag in allowed else None

    def _token(self, token: str, patterns: _Patterns, tag: str) -> Signature | None:
        """The signature a token matches; ``token`` as written, so that camelCase shows
        its words (``topAdBanner``)."""
        lower = token.lower()
        found = self._allowed(patterns.find(lower), tag)
        if found is not None:
            return found
        if self.words:
            for part in self.token_words.counted(token):
                found = self._allowed(self.words.get(part), tag)
                if found is not None:
                    return found
        for sub, sig in self.substrings:
            if sub in lower:
                found = self._allowed(sig, tag)
                if found is not None:
                    return found
        return None

    def url_may_match(self, url: str) -> bool:
        """False only when :meth:`match_url` surely finds nothing (a cheap pre-filter)."""
        if not self._compiled:
            self._compile()
        if not self._url_conditions:
            return False
        if self._anchors is None:
            return True
        runs = _url_runs(url)
        if runs is None:
            return True
        u, found = runs
        for sub, _ in self.path_substrings:
            if sub in u:
                return True
        return not self._anchors.isdisjoint(found)

    def match_url(self, url: str, tag: str, *, paths: bool = True) -> Signature | None:
        host, segments, fragment, path = url_parts(url)
        if host:
            probe = host
            while probe:
                found = self._allowed(self.hosts.get(probe), tag)
                if found is not None:
                    return found
                _, _, probe = probe.partition(".")
            label = host.split(".", 1)[0]
            found = self._allowed(self.host_labels.get(label), tag)
            if found is not None:
                return found
        if not paths:
            return None
        for i, seg in enumerate(segments):
            if i and segments[i - 1] in _TAXONOMY_SEGMENTS:
                continue  # /tag/subscriptions/: the archive of the stories about it
            found = self._allowed(self.path_segments.get(seg), tag)
            if found is None and i == len(segments) - 1 and "." in seg:
                # a page's file name: /subscription.html is the /subscription page
                stem, _, extension = seg.rpartition(".")
                if extension in _PAGE_EXTENSIONS:
                    found = self._allowed(self.path_segments.get(stem), tag)
            if found is not None:
                return found
        if fragment:
            found = self._allowed(self.path_segments.get(fragment), tag)
            if found is not None:
                return found
        for sub, sig in self.path_substrings:
            if sub in path:
                found = self._allowed(sig, tag)
                if found is not None:
                    return found
        return None

    def match_link_text(self, text: str) -> Signature | None:
        if not self.link_texts or len(text) > 80:
            return None
        return self._allowed(self.link_texts.get(" ".join(text.split()).casefold()), "a")

    def may_hold_block_texts(self, text: str) -> bool:
        """Does ``text`` hold a block key (lower case, capitalised or in capitals)? One
        search without IGNORECASE: with it, an alternation of words is several times slower."""
        if self._block_key_search is None:
            variants = {v for key in self.block_keys for v in (key, key[:1].upper() + key[1:], key.upper())}
            self._block_key_search = re.compile("|".join(map(re.escape, sorted(variants)))).search
        return self._block_key_search(text) is not None

    def match_block_text(self, text: str) -> Signature | None:
        """The signature whose block-text pattern the whole ``text`` matches (case-folded,
        spaces collapsed)."""
        for pattern, sig in self.block_texts:
            if pattern.fullmatch(text):
                return sig
        return None

    def attribute_name(self, name: str) -> Signature | None:
        """The signature whose attribute-name pattern ``name`` matches (any tag), memoised."""
        found = self._names.get(name, _MISSING)
        if found is _MISSING:
            found = self.attributes.find(name)
            if len(self._names) >= _MEMO_LIMIT:
                self._names.clear()
            self._names[name] = found
        return found  # type: ignore[return-value]

    def attribute_names(self, names: tuple[str, ...]) -> frozenset[str]:
        """Those of ``names`` that an attribute-name pattern matches (memoised: the same
        attribute lists recur on every image and link)."""
        found = self._name_sets.get(names)
        if found is None:
            found = frozenset(n for n in names if self.attribute_name(n) is not None)
            if len(self._name_sets) >= _MEMO_LIMIT:
                self._name_sets.clear()
            self._name_sets[names] = found
        return found

    def _memo_token(self, kind: str, tag: str, value: str) -> Signature | None:
        key = (kind, tag, value)
        found = self._tokens.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        if kind == "id":
            found = self._token(value.strip(), self.ids, tag)
        else:
            found = None
            for token in self.token_words.atomic([t for t in value.split() if not _TAXONOMY_CLASS.match(t)]):
                found = self._token(token, self.classes, tag)
                if found is not None:
                    break
        if len(self._tokens) >= _MEMO_LIMIT:
            self._tokens.clear()
        self._tokens[key] = found
        return found

    def match(self, tag: str, attrs: Mapping[str, str]) -> Signature | None:
        """The first signature that matches an element (tag lower-case), else None."""
        if not self._compiled:
            self._compile()
        for name, value in attrs.items():
            found = self._allowed(self.attribute_name(name), tag)
            if found is not None:
                return found
            if name in self.value_names:
                found = self._allowed(self.values.get((name, value.strip().lower())), tag)
                if found is not None:
                    return found
        ident = attrs.get("id")
        if ident:
            found = self._memo_token("id", tag, ident)
            if found is not None:
                return found
        classes = attrs.get("class")
        if classes:
            found = self._memo_token("class", tag, classes)
            if found is not None:
                return found
        if self._url_conditions:
            for key in _URL_ATTRIBUTES:
                url = attrs.get(key)
                if url and self.url_may_match(url):
                    found = self.match_url(url, tag)
                    if found is not None:
                        return found
        return None


_URL_ATTRIBUTES = ("href", "src", "data-src", "data-original")
_PAGE_EXTENSIONS = frozenset({"html", "htm", "shtml", "php", "asp", "aspx", "jsp"})
# WordPress's post classes name the post's taxonomy terms and type, whatever they are
# about (<article class="post type-post status-publish category-newsletter tag-donations">):
# the article or the related post they mark is no promo
_TAXONOMY_SEGMENTS = frozenset({"tag", "tags", "topic", "topics", "category", "categories", "subject", "subjects",
                                "keyword", "keywords", "label", "labels", "theme", "themes"})
_TAXONOMY_CLASS = re.compile(r"(?:category|tag|format|status|type|post_tag)-", re.IGNORECASE)

# The same URL goes through the pre-filter of every table (the PC301 and PC302 scan,
# then PC303, all within one post): its lower-cased form and runs are worked out once.
# Small, and only for URLs of ordinary length: a `data:` URI can be megabytes.
_URL_RUNS: dict[str, tuple[str, list[str]] | None] = {}
_URL_RUNS_LIMIT = 4096
_URL_RUNS_LONGEST = 2048


def _url_runs(url: str) -> tuple[str, list[str]] | None:
    """(lower-cased URL, its ``[a-z0-9]`` runs); None when the runs cannot be trusted."""
    found = _URL_RUNS.get(url, _MISSING)
    if found is _MISSING:
        u = url.lower()
        # urlsplit drops tabs and newlines, joining the runs around them
        found = None if "\t" in u or "\n" in u or "\r" in u else (u, _RUN.findall(u))
        if len(url) <= _URL_RUNS_LONGEST:
            if len(_URL_RUNS) >= _URL_RUNS_LIMIT:
                _URL_RUNS.clear()
            _URL_RUNS[url] = found
    return found  # type: ignore[return-value]


def compile_tables(data: RuleData) -> dict[str, SignatureTable]:
    result: dict[str, SignatureTable] = {}
    words = token_words(data)
    for entry in data.entries("markup-signatures"):
        table = result.setdefault(entry.code, SignatureTable(entry.code, token_words=words))
        for sig in entry.signatures:
            table.add(sig)
    return result


def tables(data: RuleData) -> dict[str, SignatureTable]:
    """The compiled tables by rule code (built once per process and data set)."""
    return data.derived("markup-signature-tables", compile_tables)


def all_signatures(data: RuleData) -> Iterable[tuple[str, Signature]]:
    for entry in data.entries("markup-signatures"):
        for sig in entry.signatures:
            yield entry.code, sig
