"""PC4: title and body consistency — is the title clean, and does it match the body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from ..model import Edit, Fix, Problem
from ..parse import ParsedPost
from ..rule import RuleContext, RuleOptions, rule
from ._headline import (
    DROP_ZERO_WIDTH,
    MD_ESCAPE,
    QUOTES,
    first_heading,
    heading_text,
    kicker_then,
    normalize_ws,
    shown,
    strip_ellipsis,
)
from ._outlet import TitleSeparators, headline, headline_end, strip_outlet
from ._title import (
    HEAD_CHARS,
    ZERO_WIDTH,
    TitleSource,
    enough_shared,
    has_chars,
    title_source,
    title_tokens,
)
from ._titletext import markup_fixes, whitespace_problems

__all__ = ["TitleSeparators", "normalize_ws", "strip_outlet", "title_tokens"]

# -- shared helpers ------------------------------------------------------------------------




def _blank(text: str) -> bool:
    stripped = text.strip()
    if stripped and stripped[0] not in ZERO_WIDTH:
        return False  # a visible first character: no need to translate
    return not text.translate(DROP_ZERO_WIDTH).strip()


_NON_BLANK_KEY = "\0pc4:non-blank-title"
_MISSING: Any = object()


def _title(post: ParsedPost) -> TitleSource | None:
    """The title source unless the title is blank; worked out once per post for PC401–PC406."""
    cache = post._field_cache
    found = cache.get(_NON_BLANK_KEY, _MISSING)
    if found is _MISSING:
        source = title_source(post)
        found = cache[_NON_BLANK_KEY] = None if source is None or _blank(source.value) else source
    return found  # type: ignore[no-any-return]


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- PC401 ---------------------------------------------------------------------------------


@rule("PC401", "empty-title", severity="error")
def empty_title(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The title is blank.

    ## What it does
    Reports a `title` that is empty or holds only whitespace and zero-width
    characters. (A missing `title` key is a schema violation, PC004.)

    ## Why is this bad?
    The post shows up untitled in indexes and feeds, and its URL slug is often
    derived from the title; an empty title usually means the scraper missed the
    headline element.

    ## Example
    ```yaml
    title: ""
    ```

    ## Use instead
    ```yaml
    title: "消息：天津撤回国资云文件"
    ```

    ## Options
    None.

    ## Fix safety
    No fix: the headline cannot be guessed.
    """
    if title_source(post) is not None and _title(post) is None:  # a string, but blank
        start, end = post.field_span("title")
        yield Problem(start, end, "title is empty", field="title")


# -- PC402 ---------------------------------------------------------------------------------


@rule("PC402", "title-whitespace", severity="warning", fix="safe")
def title_whitespace(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The title has stray whitespace: at its ends, doubled, no-break or zero-width.

    ## What it does
    Reports leading or trailing whitespace, runs of two or more spaces, no-break
    spaces (U+00A0), line breaks and tabs, and zero-width characters (U+200B–U+200D,
    U+2060, U+FEFF) in `title`. A single ideographic space (U+3000) between CJK
    phrases is normal typography and is left alone, as are a single no-break space
    where typography puts one (French before `: ; ! ? » %` and after `«`; before a
    number, as in `10 000` or `iPhone 15`; between a number and its unit, `2 €`;
    Czech, Slovak and Polish after a one-letter word; Russian after a word of one or
    two letters; before a dash), a zero-width joiner
    inside an emoji sequence or between letters of a script that spells with it, and a
    zero width space between words of Thai, Lao, Tibetan, Myanmar or Khmer (their word
    boundary).

    ## Why is this bad?
    Such titles come from copying the page's `<title>` with its layout whitespace.
    They break exact-match deduplication and search, and render with visible gaps.

    ## Example
    ```yaml
    title: "中国各地洪讯告急  安徽一堤坝爆破泄洪 "
    ```

    ## Use instead
    ```yaml
    title: "中国各地洪讯告急 安徽一堤坝爆破泄洪"
    ```

    ## Options
    None.

    ## Fix safety
    Safe: the fix edits only the characters at fault inside the title's value, keeps
    its quoting style (plain, `'…'`, `"…"`, block scalar) and is offered only when the
    edited front matter reads back as exactly the cleaned title.
    """
    source = _title(post)
    if source is None:
        return
    fixes, kinds = whitespace_problems(source.value)
    if not fixes:
        return
    start, end = source.covering(fixes)
    fix = source.fix(post, fixes, applicability="safe", description="clean the title's whitespace")
    yield Problem(start, end, f"title has {', '.join(kinds)}", field="title", fix=fix)


# -- PC403 ---------------------------------------------------------------------------------

@rule("PC403", "title-markup", severity="warning", fix="safe")
def title_markup(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The title holds HTML entities or tags.

    ## What it does
    Reports character references (`&amp;`, `&#x27;`, `&quot;`) and HTML tags (`<b>…</b>`,
    a stray `</i>`, `<br/>`) in `title`. Only real entity names and HTML element names
    count: `AT&T;` or `<5G>` are left alone, and so are a start tag without its end tag
    ("How the `<time>` element works" names an element; leftover formatting comes in
    pairs), an end tag of a block element without its start tag ("Why `</div>` breaks
    layouts"), and a line break that is a word of its own ("Stop using `<br>` tags").

    ## Why is this bad?
    `title` is plain text. Generators escape it again, so readers see
    `R&amp;D` or `<em>`, and searches for the real words miss the post.

    ## Example
    ```yaml
    title: "The case for more state spending on R&amp;D"
    ```

    ## Use instead
    ```yaml
    title: "The case for more state spending on R&D"
    ```

    ## Options
    None.

    ## Fix safety
    Safe: entities are unescaped once and tags removed (`<br>` becomes a space),
    editing only those characters of the title's value in its own quoting style.
    """
    source = _title(post)
    if source is None:
        return
    if "&" not in source.value and "<" not in source.value:
        return
    fixes = markup_fixes(source.value)
    if not fixes:
        return
    shown = ", ".join(dict.fromkeys(source.value[a:b] for a, b, _ in fixes[:5]))
    start, end = source.covering(fixes)
    fix = source.fix(post, fixes, applicability="safe", description="unescape entities and strip tags")
    yield Problem(start, end, f"title contains HTML markup: {_shorten(shown)}", field="title", fix=fix)


# -- PC404 ---------------------------------------------------------------------------------


@rule("PC404", "title-site-suffix", severity="warning", fix="unsafe")
def title_site_suffix(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The title ends with the outlet's name.

    ## What it does
    Reports a `title` that ends with a separator (` - `, ` – `, ` | `, …; the list
    lives in `rules/title-separators.toml`) followed by the outlet's name: one of the
    `title-suffixes` of the site profile chosen by `author`, the profile's name, or
    the `author` value itself (then the message says "the author's name": without a
    profile it may be a columnist's byline). Chains such as ` – 法国国际广播电台 - RFI`
    are stripped as a whole. A name at the start of the title (`德国之声 | …`, a reposting
    channel's attribution) is not a suffix.

    ## Why is this bad?
    The scraper copied the page's `<title>` instead of the headline. The suffix
    repeats the `author` field, clutters listings and defeats deduplication across
    outlets.

    ## Example
    ```yaml
    title: "美中紧张局势再升温 亚股重挫 – 法国国际广播电台 - RFI"
    author: 法广
    ```

    ## Use instead
    ```yaml
    title: "美中紧张局势再升温 亚股重挫"
    author: 法广
    ```

    ## Options
    None; extend a site profile's `title-suffixes` or the separators in `rules/`.

    ## Fix safety
    Unsafe: a headline may really end with a name (a quote's speaker, a column), so
    the removal deserves a look.
    """
    source = _title(post)
    if source is None:
        return
    title = source.value
    end = headline_end(post, ctx, title)
    if end is None:
        return
    suffix = title[end:].rstrip()
    start, stop = source.range(end, len(title))
    fix = source.fix(post, [(end, len(title), "")], applicability="unsafe",
                     description=f"remove {suffix.strip()!r} from the title")
    link = post.scaffold
    if fix is not None and link.link_text == title and link.link_text_span is not None:
        # The link line repeats the title: cut the same suffix there, or the fix would
        # leave the two disagreeing (a new PC405).
        link_start, link_end = link.link_text_span
        fix = Fix(applicability=fix.applicability, description=f"{fix.description} and the link line",
                  edits=(*fix.edits, Edit(start=link_start + end, end=link_end, replacement="")))
    # Without a site profile the name is only the `author` value: a columnist's byline
    # ("… | Zoe Williams") as often as an outlet.
    whose = "the outlet's name" if ctx.data.site_for_author(post.author) is not None else "the author's name"
    yield Problem(start, stop, f"title ends with {whose} {suffix!r}", field="title", fix=fix)


# -- PC405 ---------------------------------------------------------------------------------

@rule("PC405", "title-body-mismatch", severity="warning")
def title_body_mismatch(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The title repeated in the body differs from `title`.

    ## What it does
    Compares `title` with the title the scraper repeated at the top of the body: the
    text of the link line (`[Title](https://source/url)`), else the body's first
    heading when no text precedes it. Both sides are compared after whitespace
    normalization (whitespace itself is PC402's business; a `<br>` reads as a space,
    soft hyphens as nothing), Markdown escapes and HTML entities resolved, curly and
    straight quotes alike. A heading made of a kicker and the title, each in an
    element of its own, holds the title, and so does one that adds the outlet's name
    after a separator (a title suffix is PC404's). When one is a prefix of the
    other (give or take a trailing `...`), the message says which side was cut short.
    A first heading below `<h1>` is compared only for such a cut: it is as often a
    section ("At a glance") as the headline repeated.

    ## Why is this bad?
    The two come from the same page; a difference means one of them was truncated
    (a length limit in the feed or the bot) or taken from another element, so the
    post's headline is not the article's.

    ## Example
    ```markdown
    title: "If you’re happy and you know it press the button"
    ...
    [If you’re happy and you know it... press the button](https://…)
    ```

    ## Use instead
    The same headline in both places, in full.

    ## Options
    None.

    ## Fix safety
    No fix: which of the two is right needs a look at the source page.
    """
    source = _title(post)
    if source is None:
        return
    scaffold = post.scaffold
    if scaffold.link_text is not None and scaffold.link_text_span is not None:
        link_text = scaffold.link_text
        other = MD_ESCAPE.sub(r"\1", link_text) if "\\" in link_text else link_text
        if other == source.value:
            return  # the same text compares equal after any normalization
        where = "the link line's text"
        start, end = scaffold.link_text_span
        heading = None
    else:
        heading = first_heading(post)
        if heading is None:
            return
        other = heading_text(heading)
        if kicker_then(heading, source.value):
            return
        where = "the body's first heading"
        start = end = -1  # the heading's start tag, looked for only when there is a finding
    # compared with quotes made straight, shown as written (the same length: slices agree)
    title_shown, other_shown = shown(source.value), shown(other)
    title, body_title = title_shown.translate(QUOTES), other_shown.translate(QUOTES)
    if not title or not body_title or title == body_title:
        return
    if headline(post, ctx, other) == headline(post, ctx, source.value):
        return  # the same headline, one of them with the outlet's name after it (PC404's business)
    bare_title, bare_other = strip_ellipsis(title), strip_ellipsis(body_title)
    if bare_title == bare_other:
        if len(title) < len(body_title):
            message = f"title is truncated: {where} ends with an ellipsis at the same point"
        else:
            message = f"{where} is truncated: the title ends with an ellipsis at the same point"
    elif body_title.startswith(bare_title):
        message = (f"title is truncated: {where} continues after it with "
                   f"{_shorten(other_shown[len(bare_title):].strip(), 40)!r}")
    elif title.startswith(bare_other):
        message = (f"{where} is truncated: the title continues after it with "
                   f"{_shorten(title_shown[len(bare_other):].strip(), 40)!r}")
    elif heading is not None and heading.tag != "h1":
        # An <h2> opening the body is as often a section ("At a glance", "Key points") as
        # the headline repeated: only a truncated copy of the title says it is the latter.
        return
    else:
        message = f"title differs from {where}: {_shorten(other_shown)!r}"
    if heading is not None:
        start, end = post.start_tag_span(heading)
    yield Problem(start, end, message)


# -- PC406 ---------------------------------------------------------------------------------


def _script(ch: str) -> str:
    """A coarse script of a letter: Latin, Cyrillic, Greek, Arabic, Hebrew, CJK (Han, kana,
    Hangul), or another ("other" letters are never compared)."""
    cp = ord(ch)
    if cp < 0x250:
        return "latin"
    if 0x370 <= cp < 0x400:
        return "greek"
    if 0x400 <= cp < 0x530:
        return "cyrillic"
    if 0x590 <= cp < 0x600:
        return "hebrew"
    if 0x600 <= cp < 0x900:
        return "arabic"
    if 0x3040 <= cp < 0xA000 or 0xAC00 <= cp < 0xD7B0 or 0xF900 <= cp < 0xFB00 or 0x20000 <= cp < 0x30000:
        return "cjk"
    return "other"


def _other_script(title: str, body: str) -> bool:
    """Is the body written in another script than the title (a translated headline over the
    original article)? Shared words cannot tell then whether they are about the same thing."""
    letters = [_script(c) for c in title if c.isalpha()]
    if not letters:
        return False
    main = max(set(letters), key=letters.count)
    if main == "other":
        return False
    sample = [c for c in body[:_SCRIPT_SAMPLE] if c.isalpha()]
    return bool(sample) and sum(1 for c in sample if _script(c) == main) < 0.05 * len(sample)


_SCRIPT_SAMPLE = 4000


class OffTopicOptions(RuleOptions):
    min_overlap: float = Field(default=0.05, alias="min-overlap", ge=0.0, le=1.0)
    min_title_tokens: int = Field(default=14, alias="min-title-tokens", ge=1)
    min_body_chars: int = Field(default=200, alias="min-body-chars", ge=0)


_MAX_TITLE_CHARS = 400
@rule("PC406", "off-topic-body", severity="warning", options=OffTopicOptions)
def off_topic_body(post: ParsedPost, ctx: RuleContext[OffTopicOptions]) -> Iterator[Problem]:
    """The title shares almost nothing with the body text.

    ## What it does
    Splits the headline (outlet suffix removed) into tokens — character bigrams for
    Chinese, Japanese and Korean, 5-letter word stems otherwise — and reports the post
    when fewer than `min-overlap` of them occur in the visible body text. Titles with
    fewer than `min-title-tokens` tokens and bodies shorter than `min-body-chars` are
    not judged: short headlines and teasers legitimately share no words with the text.
    Nor is a body written in another script than the title (a translated headline
    over the original Japanese article).

    ## Why is this bad?
    The extractor grabbed the wrong element (a sidebar, a related article, a cookie
    notice): the post's text is not the article its title announces.

    ## Example
    A title about a Huawei ruling over a body about flood relief in Anhui.

    ## Use instead
    Re-scrape the article body.

    ## Options
    `min-overlap` (float, default 0.05), `min-title-tokens` (int, default 14),
    `min-body-chars` (int, default 200). The defaults give no false positive on a
    corpus of 4,195 real posts, where on-topic photo galleries and quote-titled
    podcasts share no token with titles of up to 13 tokens.

    ## Fix safety
    No fix.
    """
    source = _title(post)
    if source is None:
        return
    opts = ctx.options
    # Real headlines are short; the cap bounds the work on a hostile megabyte title.
    tokens = title_tokens(headline(post, ctx, source.value[:_MAX_TITLE_CHARS]))
    if len(tokens) < opts.min_title_tokens:
        return
    body = post.visible_text
    if not has_chars(body, opts.min_body_chars):
        return
    if enough_shared(body[:HEAD_CHARS], tokens, opts.min_overlap):
        return
    lowered = body.lower()
    shared = sum(1 for t in tokens if t in lowered)
    overlap = shared / len(tokens)
    if overlap < opts.min_overlap and not _other_script(source.value, body):
        start, end = post.field_span("title")
        yield Problem(start, end, f"title shares {shared} of {len(tokens)} tokens ({overlap:.0%}) with the "
                      f"body text (min-overlap is {opts.min_overlap:.0%})", field="title")
