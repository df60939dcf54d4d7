"""PC0: structure — can the file be read, and does its front matter fit the schema."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from pydantic import Field

from ..model import Edit, Fix, Problem
from ..parse import MEDIA_TAGS, ParsedPost
from ..rule import RuleContext, RuleOptions, rule


def _issues(post: ParsedPost, code: str) -> Iterator[Problem]:
    for issue in post.issues:
        if issue.code == code:
            yield Problem(issue.start, issue.end, issue.message, field=issue.field)


class UnreadableOptions(RuleOptions):
    pass


@rule("PC001", "unreadable-file", severity="error")
def unreadable_file(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The file cannot be read as text: invalid UTF-8, binary, or too large.

    ## What it does
    Reports files that are not valid UTF-8, that contain NUL bytes (binary data), or
    that are larger than the `max-bytes` setting (5 MB). No other rule runs on them.

    ## Why is this bad?
    Static site generators and downstream tools expect UTF-8 text; a post that is
    not is usually a truncated download, a mis-encoded scrape, or not a post at all.

    ## Example
    A post saved as GB18030 or Latin-1, or an image saved with a `.md` name.

    ## Use instead
    Re-encode the file as UTF-8 (`iconv -f GB18030 -t UTF-8`), or remove it.

    ## Options
    The top-level `max-bytes` setting (default 5,242,880).

    ## Fix safety
    No fix: the right encoding cannot be known for sure.
    """
    return _issues(post, "PC001")


@rule("PC002", "missing-front-matter", severity="error")
def missing_front_matter(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The file does not start with a `---` front-matter block.

    ## What it does
    Reports posts whose first line is not `---` (or Hugo's `+++`, or a JSON `{`
    front matter), so they carry no title, date or source URL.

    ## Why is this bad?
    Jekyll, Hugo and Astro treat such a file as a plain page or skip it; every
    provenance and date check needs the front matter.

    ## Example
    ```markdown
    # Some title
    <div>article</div>
    ```

    ## Use instead
    ```markdown
    ---
    title: Some title
    date: 2021-09-04T03:38:12Z
    ---
    <div>article</div>
    ```

    ## Options
    None.

    ## Fix safety
    No fix: the values cannot be guessed.
    """
    return _issues(post, "PC002")


@rule("PC003", "invalid-front-matter", severity="error")
def invalid_front_matter(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The front matter cannot be read as a mapping of string keys.

    ## What it does
    Reports YAML (or TOML/JSON) syntax errors at their line and column, front matter
    that is a list or a scalar instead of a mapping, duplicate keys, keys that YAML
    reads as non-strings (`on:`, `1:`, `null:`), aliases (alias bombs), nesting past
    32 levels, front matter over 256 KB, and a `---` block that is never closed.

    ## Why is this bad?
    Generators either fail on such a file or silently read something else (a
    duplicate key keeps only one value; `on:` becomes `true`).

    ## Example
    ```yaml
    ---
    title: "A"
    title: "B"
    ---
    ```

    ## Use instead
    ```yaml
    ---
    title: "B"
    ---
    ```

    ## Options
    None.

    ## Fix safety
    No fix.
    """
    return _issues(post, "PC003")


@rule("PC004", "schema-violation", severity="error")
def schema_violation(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """A front-matter value does not fit the post schema.

    ## What it does
    Validates the front matter with the pydantic schema (the default `Post`, or the
    model named by the `schema` setting) and reports one finding per validation
    error, at the line of the offending key, with `field` set to the error's path.
    The default schema reads values as Jekyll and Hugo do: a `date` in ISO 8601 / RFC
    3339, Jekyll's `2021-09-04 10:00:00 +0800`, RSS's `Thu, 30 May 2024 10:00:00
    +0000` or a bare date; a number where text belongs (`title: 2023`, a tag `2024`)
    as its text; `categories: jekyll update` as two categories.

    ## Why is this bad?
    A missing title or an impossible date (`2021-02-30`) breaks feeds, sorting and
    every rule that relies on the value.

    ## Example
    ```yaml
    date: 2021-02-30
    ```

    ## Use instead
    ```yaml
    date: 2021-02-28T10:00:00+08:00
    ```

    ## Options
    The top-level `schema` and `source-field` settings.

    ## Fix safety
    No fix.
    """
    for error in post.schema_errors:
        if error.get("type") == "extra_forbidden":
            continue  # PC005 reports keys the schema does not declare
        loc = tuple(error.get("loc") or ())
        field = ".".join(str(p) for p in loc) or None
        key = str(loc[0]) if loc else None
        if error.get("type") == "missing" or key is None:
            start = end = post.field_span("")[0] if key is None else _missing_at(post)
        else:
            start, end = post.field_span(key)
        message = f"{field}: {error.get('msg', 'invalid value')}" if field else str(error.get("msg"))
        yield Problem(start, end, message, field=field, context={"type": error.get("type")})


def _missing_at(post: ParsedPost) -> int:
    return post.fm_span[0] if post.fm_span else post.body_start


def _declared_keys(post: ParsedPost) -> set[str]:
    keys: set[str] = set()
    for name, info in post.schema.model_fields.items():
        keys.add(info.alias or name)
        keys.add(name)
    return keys


# Front-matter variables that Jekyll (with its common plugins: jekyll-seo-tag,
# jekyll-redirect-from, jekyll-last-modified-at) and Hugo define for every page:
# a blog that publishes scraped posts uses them, and none of them is a typo.
GENERATOR_KEYS = (
    "permalink", "published", "excerpt", "excerpt_separator", "category", "last_modified_at", "image",
    "description", "lang", "redirect_from", "redirect_to", "sitemap", "comments", "toc", "render_with_liquid",
    "aliases", "audio", "build", "cascade", "draft", "expiryDate", "headless", "images", "isCJKLanguage",
    "keywords", "lastmod", "linkTitle", "markup", "menu", "menus", "outputs", "params", "publishDate",
    "resources", "series", "slug", "summary", "translationKey", "type", "url", "videos", "weight",
    # jekyll-seo-tag's, and what RSS-to-blog bots copy from the feed item beside the source URL
    "canonical_url", "link", "guid", "feed", "original_url",
)


class UnknownFieldOptions(RuleOptions):
    allow: list[str] = Field(default_factory=lambda: list(GENERATOR_KEYS))


@rule("PC005", "unknown-field", severity="warning", options=UnknownFieldOptions)
def unknown_field(post: ParsedPost, ctx: RuleContext[UnknownFieldOptions]) -> Iterator[Problem]:
    """A front-matter key that the schema does not declare.

    ## What it does
    Reports top-level keys that are not fields of the post schema and suggests the
    closest declared key (a typo such as `tittle` or `categroies`). The page variables
    Jekyll and Hugo define (`permalink`, `published`, `excerpt`, `draft`, `lastmod`,
    `slug`, `params`, …) are known too, as are the feed item's `link`, `guid`, `feed`
    and `original_url` that RSS-to-blog bots copy.

    ## Why is this bad?
    A misspelt key is silently ignored by the site generator: the post loses its
    title, tags or source URL without any error.

    ## Example
    ```yaml
    tittle: "消息：天津撤回国资云文件"
    ```

    ## Use instead
    ```yaml
    title: "消息：天津撤回国资云文件"
    ```

    ## Options
    - `allow` (list of keys, default: Jekyll's and Hugo's page variables, and the
      feed item's `link`, `guid`, `feed`, `original_url` that RSS bots copy): keys that
      are not unknown although the schema does not declare them; `allow = []` reports
      every undeclared key. Declare typed fields in your own schema
      (`schema = "pkg.mod:Model"`).

    ## Fix safety
    No fix: a rename could be wrong.
    """
    if not post.front_matter_ok:
        return
    declared = _declared_keys(post)
    allow = ctx.options.allow
    known: list[str] | None = None  # for suggestions, built at the first unknown key
    for key in post.fields:
        if key in declared or key == ctx.source_field or key in allow:
            continue
        if known is None:
            known = sorted(declared | set(allow) | {ctx.source_field})
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        start, end = post.key_span(key) or post.field_span(key)
        yield Problem(start, end, f"unknown front-matter key {key!r}{hint}", field=key)


def _has_media(post: ParsedPost) -> bool:
    """An image, a video, an embed: in the HTML, or written in Markdown (``![alt](url)``)
    or as a Hugo shortcode (``{{< youtube id >}}``) in a post's own source."""
    root = post.tree
    if root is not None and next(root.iter(*MEDIA_TAGS), None) is not None:
        return True
    text = post.text
    fences = post.code_fences
    for looked_at, m in enumerate(_MEDIA_START.finditer(text, post.html_start)):
        if looked_at >= _MEDIA_CANDIDATES:
            break  # (each candidate is read a bounded length: hostile text costs no more)
        if _MARKDOWN_MEDIA.match(text, m.start()) and not any(a <= m.start() < b for a, b in fences):
            return True
    return False


_MEDIA_START = re.compile(r"!\[|\{\{[<%]")
_MARKDOWN_MEDIA = re.compile(
    r"!\[[^\]\n]{0,500}\]\([ \t]*\S|\{\{[<%][ \t]*(?:youtube|vimeo|figure|tweet|x|instagram|gist|video|audio|img"
    r"|image)\b"
)
_MEDIA_CANDIDATES = 200


class ThinBodyOptions(RuleOptions):
    min_chars: int = Field(default=50, alias="min-chars", ge=0)


def _body_span(post: ParsedPost) -> tuple[int, int]:
    """From the body's first non-blank character (a finding points at content) to its end."""
    text = post.text
    end = len(text.rstrip())
    start = min(_LEADING_SPACE.match(text, post.html_start).end(), end)  # type: ignore[union-attr]
    return start, max(start, end)


_LEADING_SPACE = re.compile(r"\s*+")


def _content_dropped(post: ParsedPost) -> bool:
    """libxml2 dropped part of the body (PC008): its visible text is not the file's."""
    return post.tree is not None and bool(post.html_limit_errors)


@rule("PC006", "empty-body", severity="error")
def empty_body(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The body has no visible text and no media.

    ## What it does
    Reports posts whose body, once markup, comments and the scraper's scaffolding
    (timestamp comment, link line, underline) are removed, holds no text and no
    image, video, audio or embed (an HTML element, or in a post's own source a
    Markdown image `![alt](url)` or a Hugo media shortcode such as `{{< youtube … >}}`).

    ## Why is this bad?
    An empty post is a failed scrape: the extractor missed the article (paywall,
    changed layout, script-rendered page) and the archive now holds a blank page.

    ## Example
    ```markdown
    [Title](https://example.com/a)
    ------

    <div><div id="dfp-ad-top"></div></div>
    ```

    ## Use instead
    Re-scrape the article, or drop the post.

    ## Options
    None.

    ## Fix safety
    No fix.
    """
    if post.front_matter_ok is False and not post.fields and any(i.code == "PC003" for i in post.issues):
        return
    if post.visible_chars(1) == 0 and not _has_media(post) and not _content_dropped(post):
        start, end = _body_span(post)
        yield Problem(start, end, "body has no visible text and no media")


@rule("PC007", "thin-body", severity="warning", options=ThinBodyOptions)
def thin_body(post: ParsedPost, ctx: RuleContext[ThinBodyOptions]) -> Iterator[Problem]:
    """The body's visible text is shorter than `min-chars`.

    ## What it does
    Counts the non-whitespace characters of the visible text (markup, comments and
    the scraper's scaffolding removed) and reports bodies shorter than `min-chars`
    that are not empty (empty ones are PC006) and carry no media (as PC006 counts it).

    ## Why is this bad?
    A two-line body is usually a teaser, a paywall stub or a failed extraction.

    ## Example
    ```html
    <div><p>Subscribe to read.</p></div>
    ```

    ## Use instead
    Scrape the full article text.

    ## Options
    `min-chars` (int, default 50).

    ## Fix safety
    No fix.
    """
    length = post.visible_chars(ctx.options.min_chars)
    if 0 < length < ctx.options.min_chars and not _has_media(post) and not _content_dropped(post):
        start, end = _body_span(post)
        yield Problem(start, end, f"body has only {length} visible characters (min-chars is "
                      f"{ctx.options.min_chars})")


@rule("PC008", "body-over-limits", severity="error")
def body_over_limits(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The body exceeds what can be checked faithfully.

    ## What it does
    Reports bodies that the HTML parser would silently truncate or flatten: nesting
    past 256 levels, a tag with over 1,000 attributes, a text node or attribute value
    over 1 MB, or more than 65,535 lines.

    ## Why is this bad?
    Past these limits libxml2 drops content or line numbers; the other rules would
    then judge a different document than the one on disk. Real articles never come
    close, so such a body is garbage or an attack.

    ## Example
    `<div><div><div>…` nested 300 levels deep.

    ## Use instead
    Re-extract the article; real article HTML is shallow.

    ## Options
    None.

    ## Fix safety
    No fix.
    """
    limits = post.limits
    text = post.text
    start, _ = _body_span(post)
    newlines = text.count("\n")
    if newlines >= limits.max_lines or text.count("\r") >= limits.max_lines:
        lines = len(post.line_starts)
        if lines > limits.max_lines:
            yield Problem(start, start, f"file has {lines:,} lines, over the {limits.max_lines:,}-line limit")
    post.tree  # noqa: B018 - parsing fills html_limit_errors, oversized_tags, long_nodes
    for line, message in post.html_limit_errors:
        at = _html_line_offset(post, line)
        if "depth" in message.lower():
            what = f"HTML nests deeper than {limits.max_html_depth} levels"
        else:
            what = "a text node or attribute value is too large"
        yield Problem(at, at, f"{what}; the parser drops the rest of the body ({message.strip()})")
    # Found on the raw text by the parser, which kept libxml2 from seeing these attributes.
    for tag_start, _, count in post.oversized_tags:
        yield Problem(tag_start, tag_start, f"a start tag has {count:,} attributes, over the "
                      f"{limits.max_attributes:,} limit; they were not checked")
    for node_start, node_end, kind in post.long_nodes:
        what = "start tag (attribute values)" if kind == "tag" else "text between tags"
        yield Problem(node_start, node_start, f"{what} of {node_end - node_start:,} characters, over the "
                      f"{limits.max_node_chars:,}-character limit")


def _html_line_offset(post: ParsedPost, line: int) -> int:
    """Offset of the start of a line counted (like libxml2) from the start of the HTML."""
    text = post.text
    offset = post.html_start
    for _ in range(max(line - 1, 0)):
        nl = text.find("\n", offset)
        if nl < 0:
            break
        offset = nl + 1
    return offset


@rule("PC009", "byte-order-mark", severity="warning", fix="safe")
def byte_order_mark(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """The file starts with a UTF-8 byte-order mark.

    ## What it does
    Reports a U+FEFF byte-order mark at the very start of the file.

    ## Why is this bad?
    Jekyll and other generators look for `---` as the first bytes; with a BOM in
    front they miss the front matter and publish the YAML as text.

    ## Example
    The bytes `EF BB BF 2D 2D 2D` at the start of the file.

    ## Use instead
    The file starting directly with `---`.

    ## Options
    None.

    ## Fix safety
    Safe: removing the BOM changes no character of the content.
    """
    if post.has_bom:
        yield Problem(0, 1, "file starts with a UTF-8 byte-order mark",
                      fix=Fix(applicability="safe", description="remove the byte-order mark",
                              edits=(Edit(start=0, end=1, replacement=""),)))
