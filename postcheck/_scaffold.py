"""The scraper's scaffolding at the start of a post's body (SPEC §1): the timestamp
comment, the link line repeating the title and the source URL, and its underline."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Scaffold", "read_scaffold"]


@dataclass(frozen=True)
class Scaffold:
    """The scraper's scaffolding at the start of the body (SPEC §1)."""

    timestamp: int | None = None
    timestamp_span: tuple[int, int] | None = None
    link_text: str | None = None
    link_text_span: tuple[int, int] | None = None
    link_url: str | None = None
    link_url_span: tuple[int, int] | None = None
    underline_span: tuple[int, int] | None = None
    html_start: int = 0


_NEWLINE = re.compile(r"\r\n|\r|\n")
_TIMESTAMP_COMMENT = re.compile(r"[ \t\r\n]*<!--[ \t]*(\d{9,13})[ \t]*-->")
_UNDERLINE = re.compile(r"(?:-{2,}|={2,})[ \t]*(?:\r\n|\r|\n|\Z)")
_NO_SPACE = re.compile(r"\S*")
_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")


def _destination(inside: str) -> tuple[int, int] | None:
    """[start, end) of a Markdown link's destination within its parentheses: ``url`` or
    ``<url>``, maybe followed by a title (``"t"``, ``'t'``, ``(t)``); None if it is neither."""
    lead = len(inside) - len(inside.lstrip(" \t"))
    rest = inside[lead:]
    if rest.startswith("<"):
        close = rest.find(">")
        if close < 0:
            return None
        start, end, after = lead + 1, lead + close, rest[close + 1 :]
    else:
        length = _NO_SPACE.match(rest).end()  # type: ignore[union-attr]  # (\S* always matches)
        start, end, after = lead, lead + length, rest[length:]
    after = after.strip(" \t")
    if after and not (len(after) >= 2 and after[0] + after[-1] in ('""', "''", "()")):
        return None
    return start, end


def read_scaffold(text: str, body_start: int) -> Scaffold:
    pos = body_start
    timestamp = timestamp_span = None
    m = _TIMESTAMP_COMMENT.match(text, pos)
    if m:
        timestamp = int(m.group(1))
        timestamp_span = (text.index("<!--", m.start()), m.end())
        pos = m.end()
        nl = _NEWLINE.match(text, pos)
        if nl:
            pos = nl.end()
    link_text = link_url = None
    link_text_span = link_url_span = underline_span = None
    blank = _BLANK_LINES.match(text, pos)
    line_start = blank.end() if blank else pos
    if text.startswith("[", line_start):
        nl = _NEWLINE.search(text, line_start)
        line_end = nl.start() if nl else len(text)
        line = text[line_start:line_end].rstrip(" \t")
        sep = line.rfind("](")
        after = nl.end() if nl else len(text)
        u = _UNDERLINE.match(text, after)
        # The scraper's link line comes after its timestamp comment or over its underline;
        # without either, a first line that is a link is the post's own (a link blog's)
        # one link, the whole line: "[a](x) see [b](y)" is a sentence, not the link line
        destination = _destination(line[sep + 2 : -1]) if sep > 0 and line.endswith(")") else None
        if destination is not None and "](" not in line[1:sep] and (u or timestamp_span is not None):
            link_text = line[1:sep]
            link_text_span = (line_start + 1, line_start + sep)
            url_start = line_start + sep + 2
            link_url_span = (url_start + destination[0], url_start + destination[1])
            link_url = text[link_url_span[0] : link_url_span[1]]
            pos = after
            if u:
                underline_span = (u.start(), u.end())
                pos = u.end()
    return Scaffold(
        timestamp=timestamp,
        timestamp_span=timestamp_span,
        link_text=link_text,
        link_text_span=link_text_span,
        link_url=link_url,
        link_url_span=link_url_span,
        underline_span=underline_span,
        html_start=pos,
    )
