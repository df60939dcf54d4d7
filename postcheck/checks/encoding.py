"""PC5: text encoding — mojibake, invisible characters, double-escaped entities.

Each rule scans the raw file text once with one compiled regex (the expensive
mojibake heuristics of ftfy only run around a cheap pre-signal) and reports one
finding per affected line of the body, plus one for the title.
"""

from __future__ import annotations

import html.entities
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any

from ..model import Edit, Fix, Problem
from ..parse import ParsedPost
from ..rule import RuleContext, rule
from ._title import TitleSource, meaningful_joiner, title_source

# -- helpers -------------------------------------------------------------------------------


def _body_start(post: ParsedPost) -> int:
    """Where the body starts; without front matter, the whole text (a BOM at 0 is PC009's)."""
    return max(post.body_start, 1 if post.has_bom else 0)


def _by_line(post: ParsedPost, spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Group sorted spans by the file line they start on."""
    groups: list[list[tuple[int, int]]] = []
    if not spans:
        return groups  # and the line map is not built for a clean post
    starts = post.line_starts
    next_line = -1  # offset where the current group's line ends
    for span in spans:
        if span[0] >= next_line:
            index = bisect_right(starts, span[0])
            next_line = starts[index] if index < len(starts) else len(post.text) + 1
            groups.append([])
        groups[-1].append(span)
    return groups


def _edits(text: str, group: list[tuple[int, int]], replace: Callable[[str], str]) -> tuple[Edit, ...]:
    """One edit per occurrence; past a few dozen on a line, one edit over the run of them."""
    if len(group) <= _MAX_EDITS:
        return tuple(Edit(start=a, end=b, replacement=replace(text[a:b])) for a, b in group)
    start, end = group[0][0], group[-1][1]
    out: list[str] = []
    pos = start
    for a, b in group:
        out.append(text[pos:a])
        out.append(replace(text[a:b]))
        pos = b
    out.append(text[pos:end])
    return (Edit(start=start, end=end, replacement="".join(out)),)


_MAX_EDITS = 64

# Elements whose text is code or sample output: a post explaining mojibake or escaping
# shows `Ã©` and `&amp;amp;` there on purpose. In raw-text elements (xmp, plaintext,
# scripts, styles) entities are not decoded at all: `&amp;amp;` there is what is shown, or code.
# (a <textarea> shows its text as typed: the embed code a reader copies)
_CODE_TAGS = ("code", "pre", "kbd", "samp", "xmp", "plaintext", "script", "style", "noembed", "noframes", "textarea")
_CODE_OPEN = re.compile(r"<(?:code|pre|kbd|samp|xmp|plaintext|script|style|noembed|noframes|textarea)[\s>/]",
                        re.IGNORECASE | re.ASCII)


def _outside_code(post: ParsedPost, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans not inside a code element or Markdown code of the body (looked up
    only for posts with hits)."""
    if not spans:
        return spans
    code: list[tuple[int, int]] = list(post.code_fences)
    if _CODE_OPEN.search(post.text, post.body_start) is not None and post.tree is not None:
        code.extend(post.element_span(el) for el in post.tree.iter(*_CODE_TAGS))
    if not code:
        return spans
    code.sort()
    merged: list[tuple[int, int]] = []
    for start, end in code:
        if merged and start < merged[-1][1]:  # nested in (or overlapping) the previous one
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    code = merged
    starts = [a for a, _ in code]
    kept = []
    for a, b in spans:
        i = bisect_right(starts, a) - 1
        if i < 0 or b > code[i][1]:
            kept.append((a, b))
    return kept


def _title_problem(source: TitleSource | None, post: ParsedPost, spans: list[tuple[int, int, str]],
                   message: str, description: str) -> Problem | None:
    """One finding for matches inside the title's value, with a fix through its units."""
    if source is None or not spans:
        return None
    start, end = source.covering(spans)
    fix = source.fix(post, spans, applicability="safe", description=description)
    return Problem(start, end, message, field="title", fix=fix)


def _in_title_span(post: ParsedPost, offset: int) -> bool:
    span = post.value_span("title")
    return span is not None and span[0] <= offset < span[1]


# -- PC501 ---------------------------------------------------------------------------------

# U+FFFD, the GBK/UTF-8 round trip "锟斤拷", and the pre-signal of UTF-8 read as
# Latin-1/CP1252: a lead byte's character followed by a continuation byte's.
_LEAD_CONTINUATION = (
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_MOJIBAKE = re.compile(f"(\ufffd+)|(锟斤拷)|({_LEAD_CONTINUATION})")
# The third alternative alone. Without U+FFFD and '锟' in the text (nearly always) it
# finds the same matches as _MOJIBAKE, whose alternatives never overlap, with one fast
# character-class scan instead of three alternatives tried at every position.
_LATIN_PAIR = re.compile(_LEAD_CONTINUATION)
_WINDOW = 12
def _is_bad(window: str) -> bool:
    # ftfy takes ~40 ms to import; most runs never reach a pre-signal, so import on first use.
    from ftfy import badness

    return bool(badness.is_bad(window))


# Chinese in UTF-8 read as GBK: the first two bytes of the commonest characters come out
# as these rare ones — "，" as 锛, "。" and "、" as 銆, "“" as 鈥, 的 as 鐨, 是 as 鏄, 在 as 鍦
# — and the third byte as "?" or half of the next. Two on a line do not happen in real text.
_GBK_MARKER = re.compile("[锛銆鈥鐨鏄鍦]")


# "“锟斤拷”" in quotes names the phenomenon (an article about it), it is not one.
_OPENING_QUOTES = frozenset("“「『《\"'‘")
_CLOSING_QUOTES = frozenset("”」』》\"'’")


def _gbk_hits(post: ParsedPost) -> list[tuple[int, int, str]]:
    text = post.text
    found = [(m.start(), m.end()) for m in _GBK_MARKER.finditer(text)]
    starts = post.line_starts
    hits = []
    for i, (a, b) in enumerate(found):
        line = bisect_right(starts, a)
        same_line = (i > 0 and bisect_right(starts, found[i - 1][0]) == line) or (
            i + 1 < len(found) and bisect_right(starts, found[i + 1][0]) == line)
        if same_line:
            hits.append((a, b, f"UTF-8 read as GBK ({text[a:b]!r})"))
    return hits


def _capitals_then_quote(text: str, a: int, b: int) -> bool:
    """Is the pair a word in capitals ending in "Ã" or "Ð", then a closing quotation mark
    (“É CAMPEÃ”, „ÞAÐ ER BÚIÐ“)? Read as CP1252 the two make a capital letter, as real
    mojibake of "AVÔ" would; a lone such pair is taken for the text it reads as."""
    return a >= 2 and text[a - 1].isupper() and text[a - 2].isupper() and text[b - 1] in _CLOSING_MARKS and (
        b >= len(text) or not text[b].isalpha()) and _LATIN_PAIR.search(text, max(0, a - _WINDOW), a) is None and \
        _LATIN_PAIR.search(text, b, b + _WINDOW) is None


_CLOSING_MARKS = frozenset("”“’‘»›")


def _capital_then_lower(text: str, a: int, b: int) -> bool:
    """Would the pair decode to a small letter ending a word in capitals? "AMANHÃ»" is
    Portuguese in capitals before a guillemet: such a word does not end in a small "û",
    while real mojibake of "SÃO" reads "SÃƒO" (a capital again), and of "München"
    "MÃ¼nchen" (one capital, then small letters)."""
    if a < 2 or not (text[a - 1].isupper() and text[a - 2].isupper()) or (b < len(text) and text[b].islower()):
        return False
    try:
        decoded = text[a:b].encode("cp1252").decode("utf-8")
    except UnicodeError:
        try:
            decoded = text[a:b].encode("latin-1").decode("utf-8")
        except UnicodeError:
            return False
    return decoded.isalpha() and decoded.islower()


# ftfy is the slow part: past this many pre-signals in one file, the verdict is in.
_MAX_FTFY_CALLS = 200


def _maybe_mojibake(post: ParsedPost) -> bool:
    """False when the post cannot hold a hit of ``_MOJIBAKE``: no U+FFFD, no '锟' and no
    character U+00C0–U+00FF (the only ones UTF-8 encodes with a 0xC3 lead byte, a
    superset of the lead characters U+00C2–U+00F4). Each test is one C-level scan of the
    text or of the bytes read; the regex walks every position with three alternatives,
    ten times slower."""
    text = post.text
    return "\ufffd" in text or "锟" in text or b"\xc3" in post.utf8


def _mojibake_hits(text: str, start: int) -> Iterator[tuple[int, int, str]]:
    budget = _MAX_FTFY_CALLS
    if "\ufffd" in text or "锟" in text:
        matches = ((m.start(), m.end(), m.lastindex) for m in _MOJIBAKE.finditer(text, start))
    else:
        matches = ((m.start(), m.end(), 3) for m in _LATIN_PAIR.finditer(text, start))
    for a, b, kind in matches:
        if kind == 1:
            yield a, b, "U+FFFD replacement character (bytes lost in a bad decode)"
        elif kind == 2:
            if not (a > 0 and text[a - 1] in _OPENING_QUOTES and b < len(text) and text[b] in _CLOSING_QUOTES):
                yield a, b, "'锟斤拷' (U+FFFD bytes decoded as GBK)"
        elif budget > 0 and not _capital_then_lower(text, a, b) and not _capitals_then_quote(text, a, b):
            budget -= 1
            window = text[max(start, a - _WINDOW) : b + _WINDOW]
            if _is_bad(window):
                yield a, b, f"UTF-8 read as Latin-1/CP1252 ({text[a:b]!r})"


@rule("PC501", "mojibake", severity="error")
def mojibake(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The text was decoded with the wrong encoding somewhere along the way.

    ## What it does
    Reports U+FFFD replacement characters, `锟斤拷` (what U+FFFD's bytes look like
    read as GBK), Chinese in UTF-8 read as GBK (two or more of `锛銆鈥鐨鏄鍦`, what
    "，。“的是在" become, on one line), and UTF-8 read as Latin-1 or Windows-1252
    (`Ã©` for `é`, `â€™` for `’`), judged by ftfy's badness heuristics around a cheap
    pre-signal. One finding per affected line. Not reported inside `<code>`, `<pre>`,
    `<kbd>`, `<samp>`, `<textarea>` and Markdown code, where a post about
    encodings shows such text on purpose, nor for a word in capitals ending in `Ã` or
    `Ð` before a closing quotation mark (“É CAMPEÃ”), with no other such pair near it.

    ## Why is this bad?
    The original characters are lost or garbled: names, quotes and numbers in the
    article are wrong, and readers see noise.

    ## Example
    ```text
    赫见病患刺纳粹�d字险失同情
    Itâ€™s a deal
    ```

    ## Use instead
    ```text
    It’s a deal
    ```
    Re-scrape with the page's declared encoding; `ftfy.fix_text` repairs the
    Latin-1/CP1252 kind, but lost U+FFFD bytes cannot be recovered.

    ## Options
    None.

    ## Fix safety
    No fix: U+FFFD has lost the original bytes, and an automatic re-decode can be
    wrong.
    """
    if not post.readable:
        return
    gbk = "锛" in post.text or "銆" in post.text
    latin = _maybe_mojibake(post)
    if not gbk and not latin:
        return
    hits = list(_mojibake_hits(post.text, 0)) if latin else []
    if gbk:
        hits = sorted(hits + _gbk_hits(post))
    for group in _by_line(post, _outside_code(post, [(a, b) for a, b, _ in hits])):
        first = next(h for h in hits if h[0] == group[0][0])
        more = f" and {len(group) - 1} more on this line" if len(group) > 1 else ""
        yield Problem(group[0][0], group[-1][1], f"mojibake: {first[2]}{more}",
                      field="title" if _in_title_span(post, group[0][0]) else None)


# -- PC502 ---------------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]+")
_NAMES = {"\u200b": "ZERO WIDTH SPACE", "\u200c": "ZERO WIDTH NON-JOINER", "\u200d": "ZERO WIDTH JOINER",
          "\u2060": "WORD JOINER", "\ufeff": "ZERO WIDTH NO-BREAK SPACE (BOM)"}


def _maybe_invisible(text: str) -> bool:
    """Five single-character scans (C, memchr-like) beat one regex character class."""
    return ("\u200b" in text or "\u200c" in text or "\u200d" in text or "\u2060" in text
            or "\ufeff" in text)


def _invisible(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Single invisible characters in ``text[start:end]`` that carry no meaning."""
    found: list[tuple[int, int]] = []
    if not _maybe_invisible(text):
        return found
    for m in _INVISIBLE.finditer(text, start, end):
        for i in range(m.start(), m.end()):
            if not meaningful_joiner(text, i):
                found.append((i, i + 1))
    return found


def _describe(text: str, spans: list[tuple[int, int]]) -> str:
    names = list(dict.fromkeys(f"U+{ord(text[a]):04X} {_NAMES[text[a]]}" for a, _ in spans))
    count = f"{len(spans)} invisible characters" if len(spans) > 1 else "invisible character"
    return f"{count}: {', '.join(names)}"


@rule("PC502", "invisible-characters", severity="info", fix="safe")
def invisible_characters(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """Zero-width characters in the title or the text.

    ## What it does
    Reports U+200B ZERO WIDTH SPACE, U+200C/U+200D (non-)joiners, U+2060 WORD JOINER
    and U+FEFF used inside the text, in `title` or in the body; one finding per line.
    Not reported: a ZWJ inside an emoji sequence (👩‍💻), ZWJ/ZWNJ between letters of
    scripts that spell with them (Arabic, Persian, Indic), a zero width space between
    words of Thai, Lao, Tibetan, Myanmar or Khmer (written without spaces, they mark
    word boundaries so), and a byte-order mark at the very start of the file (PC009).

    ## Why is this bad?
    They are invisible but break search, deduplication and word counts
    (`港\\u200b浸大` does not match `港浸大`), and often mark text pasted from
    WeChat or a CMS editor.

    ## Example
    ```yaml
    title: "​真心编辑部 | MCN从业者口述"   # starts with U+200B
    ```

    ## Use instead
    ```yaml
    title: "真心编辑部 | MCN从业者口述"
    ```

    ## Options
    None.

    ## Fix safety
    Safe: only the invisible characters are removed (in the title, through its
    quoting style, including `\\u200b` escapes).
    """
    if not post.readable:
        return
    text = post.text
    source = title_source(post)
    if source is not None and _maybe_invisible(source.value):
        spans = _invisible(source.value, 0, len(source.value))
        problem = _title_problem(source, post, [(a, b, "") for a, b in spans],
                                 f"title has {_describe(source.value, spans)}",
                                 "remove the invisible characters")
        if problem is not None:
            yield problem
    spans = _invisible(text, _body_start(post), len(text))
    for group in _by_line(post, spans):
        fix = Fix(applicability="safe", description="remove the invisible characters",
                  edits=_edits(text, group, lambda _: ""))
        yield Problem(group[0][0], group[-1][1], _describe(text, group), fix=fix)


# -- PC503 ---------------------------------------------------------------------------------


def _not_explained(text: str, group: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The occurrences not shown next to the entity escaped once: "it turns &lt; into
    &amp;lt;" explains escaping, where a page escaped twice has only the latter. (Not for
    &amp;amp;: a twice-escaped query string holds single &amp; nearby.)"""
    kept = []
    for a, b in group:
        single = _escaped_once(text[a:b])
        if single == "&amp;":
            kept.append((a, b))
            continue
        near = _DOUBLE_ESCAPED.sub("\0", text[max(0, a - _EXPLAINED_WITHIN):b + _EXPLAINED_WITHIN])
        if single not in near:
            kept.append((a, b))
    return kept


_EXPLAINED_WITHIN = 40

# The named entities a page's text holds (HTML 4's, which HTML5 kept: &euro;, &eacute;,
# &frac12;) and &apos;; not two-letter ones but &lt; and &gt; (&amp;ne; is too likely
# text: "R&amp;ne;"), nor HTML5's additions (&amp;in; &amp;it; read as words).
_ENTITY_NAMES = sorted({name for name in html.entities.name2codepoint if len(name) > 2} | {"lt", "gt", "apos"},
                       key=lambda name: (-len(name), name))
# An entity escaped twice or more: "&amp;" then any more "amp;" then the entity itself
# (&amp;amp;amp;lt; is &lt; escaped three times). One match per run: its fix unescapes all.
_DOUBLE_ESCAPED = re.compile(
    r"&amp;(?:amp;)*(?:" + "|".join(_ENTITY_NAMES) + r"|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
)


def _escaped_once(run: str) -> str:
    """The entity of a run escaped once: &amp;amp;amp;lt; gives &lt;, &amp;amp; gives &amp;."""
    body = run[1:]
    while body.startswith("amp;") and body != "amp;":
        body = body[4:]
    return "&" + body


def _shown_run(run: str) -> str:
    return run if len(run) <= 40 else f"{run[:20]}…{run[-12:]}"


@rule("PC503", "double-escaped-entity", severity="warning", fix="safe")
def double_escaped_entity(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """An HTML entity escaped twice: `&amp;amp;`, `&amp;lt;`, `&amp;quot;`, `&amp;#39;`.

    ## What it does
    Reports `&amp;` followed by an entity (`amp;`, `lt;`, `gt;`, `quot;`, `apos;`,
    `nbsp;`, any other named entity of HTML 4 but the two-letter ones, such as `euro;`
    or `eacute;`, or a numeric reference) in the body or in `title`; one finding per
    line. Not reported inside `<code>`, `<pre>`, `<kbd>`, `<samp>`, `<textarea>`
    (embed code to copy) and Markdown code, nor next to the entity
    escaped once ("turns &lt; into &amp;lt;"), where a post about escaping shows such
    text on purpose.

    ## Why is this bad?
    The text was HTML-escaped twice along the pipeline; readers see `&amp;` or
    `&#39;` instead of `&` or `'`.

    ## Example
    ```html
    <p>Tom &amp;amp; Jerry</p>
    ```

    ## Use instead
    ```html
    <p>Tom &amp; Jerry</p>
    ```

    ## Options
    None.

    ## Fix safety
    Safe: each occurrence is unescaped to the entity escaped once (`&amp;amp;` →
    `&amp;`, and `&amp;amp;amp;lt;`, escaped three times, → `&lt;`), so a second run
    finds nothing more to change.
    """
    if not post.readable:
        return
    text = post.text
    source = title_source(post)
    if source is not None and "&amp;" in source.value:
        hits = [(m.start(), m.end(), _escaped_once(m.group())) for m in _DOUBLE_ESCAPED.finditer(source.value)]
        shown = ", ".join(dict.fromkeys(_shown_run(m.group()) for m in _DOUBLE_ESCAPED.finditer(source.value)))
        problem = _title_problem(source, post, hits, f"title has a double-escaped entity: {shown}",
                                 "unescape once")
        if problem is not None:
            yield problem
    body_start = _body_start(post)
    # Most posts have no "&" at all: one memchr-speed scan rules them out.
    if "&" not in text or _DOUBLE_ESCAPED.search(text, body_start) is None:
        return
    spans = _outside_code(post, [m.span() for m in _DOUBLE_ESCAPED.finditer(text, body_start)])
    for group in _by_line(post, spans):
        group = _not_explained(text, group)
        if not group:
            continue
        shown = ", ".join(dict.fromkeys(_shown_run(text[a:b]) for a, b in group[:5]))
        fix = Fix(applicability="safe", description="unescape once",
                  edits=_edits(text, group, _escaped_once))
        more = f" ({len(group)} on this line)" if len(group) > 1 else ""
        yield Problem(group[0][0], group[-1][1], f"double-escaped entity: {shown}{more}", fix=fix)
