"""Value types: the default post schema, findings, fixes and severities.

Findings are values, never exceptions (pydantic's error shape: a stable code, a
field path, a message and context data).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Applicability",
    "Edit",
    "Finding",
    "Fix",
    "Location",
    "Post",
    "Problem",
    "Severity",
]


class Severity(enum.StrEnum):
    """How bad a finding is; ordered ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}

Applicability = Literal["safe", "unsafe"]


class Edit(BaseModel):
    """Replace ``text[start:end]`` of the original file text with ``replacement``.

    Offsets count characters of the decoded file (a BOM counts as one character).
    """

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    replacement: str = ""


class Fix(BaseModel):
    """A set of edits that together repair one finding."""

    model_config = ConfigDict(frozen=True)

    applicability: Applicability
    description: str
    edits: tuple[Edit, ...] = ()


class Location(BaseModel):
    """1-based line and column (in characters) of a span in the file."""

    model_config = ConfigDict(frozen=True)

    line: int
    column: int
    end_line: int
    end_column: int


class Problem:
    """What a rule yields: a span of the file text and a message.

    The engine, not the rule, turns it into a :class:`Finding` with code, name,
    severity and line/column. ``fingerprint`` identifies the offending content for
    baselines (defaults to the spanned text).
    """

    __slots__ = ("start", "end", "message", "field", "fix", "context", "fingerprint")

    def __init__(
        self,
        start: int,
        end: int,
        message: str,
        *,
        field: str | None = None,
        fix: Fix | None = None,
        context: dict[str, Any] | None = None,
        fingerprint: str | None = None,
    ) -> None:
        self.start = start
        self.end = max(start, end)
        self.message = message
        self.field = field
        self.fix = fix
        self.context = context
        self.fingerprint = fingerprint

    def __repr__(self) -> str:
        return f"Problem({self.start}, {self.end}, {self.message!r})"


class Finding(BaseModel):
    """One reported problem in one file."""

    model_config = ConfigDict(frozen=True)

    code: str
    rule: str
    severity: Severity
    message: str
    path: str | None = None
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    field: str | None = None
    fix: Fix | None = None
    context: dict[str, Any] | None = None
    fingerprint: str = ""

    @property
    def location(self) -> Location:
        return Location(
            line=self.line, column=self.column, end_line=self.end_line, end_column=self.end_column
        )

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path or "", self.line, self.column, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        """The SPEC §5 JSON shape of a finding."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "field": self.field,
            "fix": (
                {"applicability": self.fix.applicability, "description": self.fix.description}
                if self.fix is not None
                else None
            ),
        }


# RSS's pubDate (RFC 822/2822), which RSS-to-blog bots copy as it is and Jekyll (Ruby's
# Time.parse) and Hugo read: "Thu, 30 May 2024 10:00:00 +0000"
_RFC2822 = re.compile(r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d(?::\d\d)? (?:[+-]\d{4}|[A-Z]{1,3})")


def _jekyll_datetime(value: Any) -> Any:
    """Accept Jekyll's ``2021-09-04 10:00:00 +0800`` and RSS's ``Thu, 30 May 2024 10:00:00
    +0000`` besides ISO 8601 / RFC 3339."""
    if isinstance(value, str):
        text = value.strip()
        if _RFC2822.fullmatch(text):
            try:
                return parsedate_to_datetime(text)  # naive for "-0000" (zone unknown), as RFC 2822 says
            except (ValueError, TypeError, IndexError):
                return value
        # "YYYY-MM-DD HH:MM[:SS[.f]] +HHMM" / "+HH:MM": drop the space before the offset
        # and add the colon pydantic expects.
        if len(text) > 19 and text[-6] == " " and text[-5] in "+-" and text[-4:].isdigit():
            text = f"{text[:-6]}{text[-5:-2]}:{text[-2:]}"
        elif len(text) > 19 and text[-7] == " " and text[-6] in "+-" and text[-3] == ":":
            text = text[:-7] + text[-6:]
        elif text.endswith(" UTC") or text.endswith(" GMT"):
            text = text[:-4] + "Z"
        return text
    return value


PostDate = Annotated[datetime, BeforeValidator(_jekyll_datetime)]


def _scalar_text(value: Any) -> Any:
    """YAML reads an unquoted ``title: 2023`` or a tag ``1.5`` as a number; Jekyll and Hugo
    show it as the text it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _terms(value: Any) -> Any:
    """Tags or categories: Jekyll reads ``categories: jekyll update`` (the default post's)
    as the space-separated list it is; numbers among them (``[G7, 2024]``) are text."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [_scalar_text(v) for v in value]
    return value


Text = Annotated[str, BeforeValidator(_scalar_text)]
Terms = Annotated[list[str], BeforeValidator(_terms)]


class Post(BaseModel):
    """The default schema of a scraped post's front matter (SPEC §2).

    Point ``schema = "package.module:Model"`` at a subclass or a model of your own.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    title: Text
    date: PostDate
    author: str | None = None
    source: str | None = Field(default=None, alias="from")
    tags: Terms | None = None
    categories: Terms | None = None
    layout: str | None = None


def _plain(cls: type[Any], fields: tuple[str, ...]) -> bool:
    """Whether ``cls`` can be built from its ``__dict__`` alone, as ``model_construct`` would."""
    return (tuple(cls.__pydantic_fields__) == fields and not cls.__pydantic_post_init__
            and not cls.__pydantic_root_model__ and cls.model_config.get("extra") != "allow"
            and cls.__new__ is object.__new__ and not cls.__private_attributes__)


# model_construct costs ~7 us a call (alias and default handling for every field); a warm
# run builds tens of thousands of models, so when the classes are plain pydantic models
# they are built the way model_construct ends up building them, directly.
_FAST_MODELS = (_plain(Finding, tuple(Finding.model_fields)) and _plain(Fix, ("applicability", "description", "edits"))
                and _plain(Edit, ("start", "end", "replacement")))
_new = object.__new__
_set = object.__setattr__


def fast_construct(cls: type[Any], values: dict[str, Any]) -> Any:
    """``cls.model_construct(**values)`` for values that are already valid, ~10x cheaper."""
    if not _FAST_MODELS:
        return cls.model_construct(**values)
    m = _new(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", set(values))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m
