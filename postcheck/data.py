"""Loads and validates the rule data of the top-level ``rules/`` folder.

Signatures and site knowledge are data, not code (SPEC §4). Every ``*.toml`` file
under a rule-data folder declares its ``kind``; each kind has a pydantic model that
validates it on load. Kinds are registered with :func:`register_kind` (the checks
modules register theirs; plugins may add more). Entries carry ``examples`` that
must and must not match, which the test-suite runs.

Compiled forms (host sets, token tables, regexes) are built once per process with
:meth:`RuleData.derived`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "DataError",
    "DataModel",
    "RuleData",
    "SiteProfile",
    "builtin_data_dir",
    "load_rule_data",
    "register_kind",
]

T = TypeVar("T")


def known_timezone(value: str | None) -> str | None:
    """Validate an IANA timezone name (tzdata ships them, so no system zone files are needed)."""
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
    return value


class DataError(Exception):
    """A rule-data file is invalid; the message names the file and the key."""


class DataModel(BaseModel):
    """Base of every rule-data model: unknown keys are errors, aliases and names both load."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class UrlDatePattern(DataModel):
    """A site-specific way of writing the publication date in its URLs.

    ``regex`` is matched (``search``) against the URL's percent-decoded path; it must
    define the named groups ``month`` and ``day``, and usually ``year`` (4 digits, or 2
    digits read as the century closest to the post's date; without ``year`` the year
    closest to the post's date is taken). Examples in ``must-match`` may end with
    ``" -> 2020-07-24"`` (or ``" -> --07-24"`` for a date without a year): the date the
    pattern must read from that URL.
    """

    regex: str
    description: str = ""
    must_match: list[str] = Field(default_factory=list, alias="must-match")
    must_not_match: list[str] = Field(default_factory=list, alias="must-not-match")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"regex does not compile: {exc}") from exc
        if not {"month", "day"} <= set(pattern.groupindex):
            raise ValueError("regex needs the named groups 'month' and 'day' (and usually 'year')")
        return value

    @model_validator(mode="after")
    def _examples_hold(self) -> UrlDatePattern:
        from urllib.parse import unquote, urlsplit

        pattern = re.compile(self.regex)
        for example in self.must_match:
            url = example.split(" -> ", 1)[0].strip()
            if pattern.search(unquote(urlsplit(url).path)) is None:
                raise ValueError(f"must-match example does not match: {url!r}")
        for url in self.must_not_match:
            if pattern.search(unquote(urlsplit(url).path)) is not None:
                raise ValueError(f"must-not-match example matches: {url!r}")
        return self


class SiteProfile(DataModel):
    """What we know of one outlet (``kind = "site"``)."""

    kind: str = "site"
    name: str
    source: str = Field(default="", description="where this knowledge comes from")
    authors: list[str] = Field(default_factory=list, description="values of `author` naming this outlet")
    hosts: list[str] = Field(default_factory=list, description="hosts the outlet publishes on")
    https: bool | None = None
    timezone: str | None = None
    timezone_hosts: list[str] = Field(
        default_factory=list,
        alias="timezone-hosts",
        description="the hosts (and their subdomains) whose URL dates follow `timezone`; empty: all of them",
    )
    url_date_patterns: list[UrlDatePattern] = Field(default_factory=list, alias="url-date-patterns")
    url_date_lead_days: int = Field(
        default=0,
        ge=0,
        alias="url-date-lead-days",
        description="how many days after the post a URL's date may be on purpose (a print issue's date)",
    )
    title_suffixes: list[str] = Field(default_factory=list, alias="title-suffixes")
    generic_url_dates: bool | Literal["month"] = Field(
        default=True,
        alias="generic-url-dates",
        description='also read URL dates with the generic patterns (false when ids look like dates; "month" '
                    "to read only a /YYYY/MM/ folder, when slugs hold other dates)",
    )
    examples: dict[str, list[str]] = Field(
        default_factory=dict,
        description="authors / not-authors / hosts / not-hosts this profile must and must not claim",
    )

    @field_validator("examples")
    @classmethod
    def _example_keys(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = set(value) - _EXAMPLE_KEYS
        if unknown:
            raise ValueError(f"unknown example keys {sorted(unknown)} (known: {sorted(_EXAMPLE_KEYS)})")
        return value

    @model_validator(mode="after")
    def _examples_hold(self) -> SiteProfile:
        names = {a.strip().casefold() for a in self.authors}
        for author in self.examples.get("authors", []):
            if author.strip().casefold() not in names:
                raise ValueError(f"examples.authors: {author!r} is not one of the profile's authors")
        for author in self.examples.get("not-authors", []):
            if author.strip().casefold() in names:
                raise ValueError(f"examples.not-authors: {author!r} is one of the profile's authors")
        for host in self.examples.get("hosts", []):
            if not self.owns_host(host):
                raise ValueError(f"examples.hosts: {host!r} is not one of the profile's hosts")
        for host in self.examples.get("not-hosts", []):
            if self.owns_host(host):
                raise ValueError(f"examples.not-hosts: {host!r} is one of the profile's hosts")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_timezone(value)

    @field_validator("hosts", "timezone_hosts")
    @classmethod
    def _lower_hosts(cls, value: list[str]) -> list[str]:
        return [h.lower().strip(".") for h in value]

    @model_validator(mode="after")
    def _timezone_hosts_owned(self) -> SiteProfile:
        for host in self.timezone_hosts:
            if not self.owns_host(host):
                raise ValueError(f"timezone-hosts: {host!r} is not one of the profile's hosts")
        if self.timezone_hosts and self.timezone is None:
            raise ValueError("timezone-hosts without a timezone")
        return self

    def timezone_for(self, host: str | None) -> str | None:
        """The timezone of the outlet's calendar on ``host`` (None: not known there)."""
        if not self.timezone_hosts:
            return self.timezone
        name = (host or "").lower().strip(".")
        if any(name == h or name.endswith("." + h) for h in self.timezone_hosts):
            return self.timezone
        return None

    def owns_host(self, host: str) -> bool:
        """True when ``host`` is one of the profile's hosts or a subdomain of one."""
        host = host.lower().strip(".")
        return any(host == h or host.endswith("." + h) for h in self.hosts)


_EXAMPLE_KEYS = frozenset({"authors", "not-authors", "hosts", "not-hosts"})

_KINDS: dict[str, type[DataModel]] = {"site": SiteProfile}


def register_kind(kind: str, model: type[BaseModel]) -> None:
    """Declare a data kind and the pydantic model that validates its files."""
    existing = _KINDS.get(kind)
    if existing is not None and existing is not model:
        if existing.__name__ != model.__name__:
            raise DataError(f"rule-data kind {kind!r} is already registered")
    _KINDS[kind] = model  # type: ignore[assignment]


def builtin_data_dir() -> Path:
    """The built-in ``rules/`` folder: inside the wheel, or next to the source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise DataError(f"the built-in rule data is missing (looked in {here / '_rules'} and {here.parent / 'rules'})")


class RuleData:
    """All loaded rule-data entries, grouped by kind."""

    def __init__(self, entries: dict[str, list[Any]], digest: str, files: Sequence[Path] = ()) -> None:
        self._entries = entries
        self.digest = digest
        self.files = tuple(files)
        self._derived: dict[str, Any] = {}

    def entries(self, kind: str) -> list[Any]:
        return self._entries.get(kind, [])

    @property
    def sites(self) -> list[SiteProfile]:
        return self.entries("site")

    def derived(self, key: str, build: Callable[[RuleData], T]) -> T:
        """A compiled form of the data, built once per process and data set."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[key] = build(self)
            return value

    def site_for_author(self, author: str | None) -> SiteProfile | None:
        """The profile whose ``authors`` names this author exactly (after trimming)."""
        if not author:
            return None
        table = self.derived("sites-by-author", _sites_by_author)
        return table.get(author.strip().casefold())

    def site_for_host(self, host: str | None) -> SiteProfile | None:
        """The profile that lists this host (or a parent domain of it)."""
        if not host:
            return None
        table: dict[str, SiteProfile] = self.derived("sites-by-host", _sites_by_host)
        host = host.lower().strip(".")
        while host:
            found = table.get(host)
            if found is not None:
                return found
            _, _, host = host.partition(".")
        return None


def _sites_by_author(data: RuleData) -> dict[str, SiteProfile]:
    table: dict[str, SiteProfile] = {}
    for site in data.sites:
        for author in site.authors:
            table.setdefault(author.strip().casefold(), site)
    return table


def _sites_by_host(data: RuleData) -> dict[str, SiteProfile]:
    table: dict[str, SiteProfile] = {}
    for site in data.sites:
        for host in site.hosts:
            table.setdefault(host, site)
    return table


def _iter_files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(p for p in d.rglob("*.toml") if p.is_file()))
        else:
            raise DataError(f"rule-data path {d} does not exist")
    return files


def _load_file(path: Path) -> tuple[str, list[Any]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{path}: cannot read rule data: {exc}") from exc
    kind = raw.get("kind")
    if not isinstance(kind, str):
        raise DataError(f"{path}: missing top-level 'kind' (one of {', '.join(sorted(_KINDS))})")
    model = _KINDS.get(kind)
    if model is None:
        raise DataError(f"{path}: unknown kind {kind!r} (known: {', '.join(sorted(_KINDS))})")
    try:
        return kind, [model.model_validate(raw)]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise DataError(f"{path}: {loc}: {first['msg']}") from exc


@lru_cache(maxsize=8)
def _load_cached(paths: tuple[Path, ...]) -> RuleData:
    entries: dict[str, list[Any]] = {}
    digest = hashlib.blake2b(digest_size=16)
    files = _iter_files(paths)
    for f in files:
        digest.update(str(f.name).encode())
        digest.update(f.read_bytes())
        kind, models = _load_file(f)
        entries.setdefault(kind, []).extend(models)
    return RuleData(entries, digest.hexdigest(), files)


def load_rule_data(extra: Sequence[str | Path] = (), *, builtin: bool = True) -> RuleData:
    """The built-in rule data plus the user's ``rule-data`` folders, validated."""
    dirs = ([builtin_data_dir()] if builtin else []) + [Path(p).resolve() for p in extra]
    return _load_cached(tuple(dirs))
