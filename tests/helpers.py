"""Shared test helpers: run selected rules on a text and read back (code, line, col)."""

from __future__ import annotations

from typing import Any

from postcheck.engine import Engine
from postcheck.model import Finding

NOW = "2021-02-01T00:00:00Z"
_ENGINES: dict[tuple[Any, ...], Engine] = {}


def engine(codes: str | list[str], **kwargs: Any) -> Engine:
    select = [codes] if isinstance(codes, str) else list(codes)
    kwargs.setdefault("now", NOW)
    key = (tuple(select), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
    if key not in _ENGINES:
        _ENGINES[key] = Engine(select=select, **kwargs)
    return _ENGINES[key]


def findings(codes: str | list[str], text: str | bytes, path: str | None = "post.md", **kwargs: Any) -> list[Finding]:
    return engine(codes, **kwargs).check_bytes(text, path).findings


def check(
    codes: str | list[str], text: str | bytes, path: str | None = "post.md", **kwargs: Any
) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in findings(codes, text, path, **kwargs)]
