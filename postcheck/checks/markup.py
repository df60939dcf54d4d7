"""PC3: leftover markup — ad slots, paywall promos, beacons, active content, lazy images.

Scraped bodies carry the site's furniture. The rules here find it on the parsed
tree (ids, class tokens, attribute names, URL hosts), using signatures kept as data
in ``rules/markup/*.toml``; the shared walk is in :mod:`._scan`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from ..model import Problem
from ..parse import ParsedPost
from ..rule import RuleContext, RuleOptions, rule
from ._edits import (
    REREAD,
    SAFE_PROSE_CHARS,
    SAFE_PROSE_PARAGRAPHS,
    attribute_edit,
    empty_in_source,
    markdown_safe,
    prose,
    removal_edit,
    removal_fix,
    removal_span,
    runs_past_its_source,
    safe_fix,
    unsafe_fix,
)
from ._lazy import LAZY_KEYS, SRCSET_KEYS, first_candidate, lazy_fix, looks_like_url, placeholder
from ._scan import scan
from ._signatures import EVENT_HANDLERS, URL_JUNK, URL_KEYS, tables, url_parts
from ._units import Element, Unit, one_by_one
from ._wording import RUNNING_TEXT_TAGS, in_running_text

__all__ = ["active_content", "ad_slot", "empty_container", "lazy_image", "paywall_promo", "tracking_pixel"]


def _describe(item: Element) -> str:
    attrs = item.attrs
    if attrs.get("id"):
        return f'<{item.tag} id="{attrs["id"][:60]}">'
    if attrs.get("class"):
        return f'<{item.tag} class="{attrs["class"].strip()[:60]}">'
    for key in ("href", "src", "data-src"):
        if attrs.get(key):
            return f'<{item.tag} {key}="{attrs[key][:60]}">'
    return f"<{item.tag}>"


def _unit_problem(post: ParsedPost, unit: Unit, label: str) -> Problem:
    start, _ = post.start_tag_span(unit.element.el)
    spans = [removal_span(post, item) for item in (unit.element, *unit.extra)]
    last = unit.extra[-1] if unit.extra else unit.element
    last_span = spans[-1]
    end = last_span[1] if last_span is not None else post.element_span(last.el)[1]
    inner = _describe(unit.matched)
    where = "" if unit.matched is unit.element else f" in {_describe(unit.element)}"
    copies = f" and {len(unit.extra)} more cop{'y' if len(unit.extra) == 1 else 'ies'}" if unit.extra else ""
    message = f"leftover {label} {inner}{where}{copies} ({unit.reason})"
    fix = None
    # A promo link inside a sentence: removing it would break the sentence.
    if all(s is not None for s in spans) and not _inline(unit.element):
        first_span = spans[0]
        assert first_span is not None and last_span is not None
        removal, kept = markdown_safe(post, removal_edit(post, first_span[0], last_span[1], unit.element))
        edits = (removal,)
        chars, paragraphs = prose(tuple(item.el for item in (unit.element, *unit.extra)))
        unclosed = any(runs_past_its_source(post, item) for item in (unit.element, *unit.extra))
        if chars > SAFE_PROSE_CHARS or paragraphs > SAFE_PROSE_PARAGRAPHS or unclosed:
            # more prose than an ad's label or a promo's pitch: perhaps article text the
            # slot swallowed (an unclosed ad container holds the rest of the article)
            fix = unsafe_fix("remove the element and the text it holds", edits)
        elif not kept:
            fix = unsafe_fix(f"remove the element{REREAD}", edits)
        else:
            fix = safe_fix("remove the element", edits)
    return Problem(start, end, message, fix=fix, context={"signature": unit.reason})


@rule("PC301", "ad-slot", severity="error", fix="safe")
def ad_slot(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """An ad-server slot or ad container was left in the article.

    ## What it does
    Matches elements against the ad signatures in `rules/markup/ads.toml`: ad-server
    slot ids (`dfp-ad-*`, `div-gpt-ad-*`, `gpt-ad-slot-N`), ad container classes
    (`mpu-ad`, `o-ads`, `m-block-ad`, `adsbygoogle`, `innity-*`), ad attributes
    (`data-o-ads-*`, `data-dfp`), taboola/outbrain widgets and iframes served by ad
    hosts, and the label a slot shows left as a paragraph or box of its own
    ("Advertisement", "Story continues below advertisement", "Anzeige": the whole
    text, `block-texts`). Class and id tokens are compared as whole tokens or whole
    word parts, so `header` or `download` never look like `ad`. One finding per outermost ad element
    (a wrapper that holds nothing but the slot is part of it), from its start tag to
    its end tag. Malformed start tags such as `<divclass="m-block-ad "…>` are read
    from the raw source.

    Article wording in markup is not an ad: a heading's id or anchor, whoever named
    it (`<h2 id="what-advertising-still-does-well">`, `<h2 id="werbung-fuer-kinder">`,
    MediaWiki's `<span class="mw-headline" id="Advertising">`), ids a CMS makes of a
    section's or an entry's own words, footnote ids,
    generated hashes (`wp-container-62b5ad4c91e07`, `css-ad1q3z`), atomic CSS, flag
    icons, captioned figures and tables, and elements holding article-length
    paragraphs are left alone.

    ## Why is this bad?
    Empty ad slots and their labels ("Advertisement", "广告") end up in feeds,
    search indexes and training data as noise, and tell readers the post was scraped.

    ## Example
    ```html
    <p>Text.</p><section id="imu"><div id="dfp-ad-imu1"></div></section><p>More.</p>
    ```

    ## Use instead
    ```html
    <p>Text.</p><p>More.</p>
    ```

    ## Options
    None. Add signatures with a `rule-data` folder holding a `kind = "markup-signatures"`
    file with `code = "PC301"`.

    ## Fix safety
    Safe: removes the element's exact source span (and whitespace only it used). An
    element that holds article paragraphs besides the ad is never removed whole; when
    the source span cannot be verified the finding has no fix. A slot holding more prose
    than an ad's label (over 150 characters outside links, or two paragraphs) gets an
    unsafe fix: that may be article text the slot swallowed (an unclosed ad container
    holds the rest of the article). So does a slot the source never closes that holds
    text or media, and a removal after which Markdown would read the text around it
    differently (the slot opened the HTML block that holds the text after it, or joins
    `[text]` and `(url)` into a link in a paragraph); when text follows the slot on its
    line, an empty comment `<!---->` left in its place keeps that line HTML and the fix
    safe.
    """
    for unit in scan(post, ctx.data).units:
        if unit.code == "PC301":
            yield _unit_problem(post, unit, "ad slot")


@rule("PC302", "paywall-promo", severity="error", fix="safe")
def paywall_promo(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """A subscription, paywall, newsletter or donation promo was left in the article.

    ## What it does
    Matches the promo signatures in `rules/markup/paywall.toml` — promo links to
    subscription and donation hosts or paths, paywall images, sign-up boxes
    (`o-self-promo`, newsletter boxes) — sign-up forms (a form or box around an
    e-mail input), and short paragraphs or boxes whose whole text is a site's call to
    action ("Sign up to our weekly newsletter here", Le Monde's "La suite est réservée
    aux abonnés.", DW's "欢迎订阅德国之声…播客", "本文为…会员专享内容"; `block-texts`
    patterns, read only in posts whose text holds the start of one). Article text that
    talks about subscriptions is not a finding (a sentence must be the whole paragraph,
    under 120 characters), nor are links to one article (a newsletter's post cited in
    a sentence), links to another site than the post's source (documentation
    on subscriptions, a charity's donate page) unless to a sign-up form that is not
    named in a sentence (another writer's newsletter cited by its name is), links within
    the page, heading anchors (any id on a heading or right inside one), charts or
    tables about donations or members that offer nothing to click, and boxes whose
    class names a topic (`newsletter-item`, `paywall-timeline`, `donation-steps`)
    rather than an action (`newsletter-signup`, `subscribe-box`) when they offer
    nothing to click, fill in or load.

    ## Why is this bad?
    The promo belongs to the site, not to the article; republished, it advertises
    someone else's subscription and may link to dead checkout pages.

    ## Example
    ```html
    <p>Text.</p><a href="https://subscribe.example.com/offer"><img src="/paywall.png"></a>
    ```

    ## Use instead
    ```html
    <p>Text.</p>
    ```

    ## Options
    None. Extend with `code = "PC302"` signature files.

    ## Fix safety
    Safe when the promo is a block of its own (removed with its exact span). A promo
    link inside a sentence is reported without a fix, since removing it would leave a
    broken sentence. A promo holding more prose than a pitch (over 150 characters
    outside links and buttons, or two paragraphs) gets an unsafe fix, as does a removal
    after which Markdown would read the lines around it differently (see PC301).
    """
    for unit in scan(post, ctx.data).units:
        if unit.code == "PC302":
            yield _unit_problem(post, unit, "promo")


def _inline(item: Element) -> bool:
    return item.tag in RUNNING_TEXT_TAGS and in_running_text(item.el)


@rule("PC303", "tracking-pixel", severity="warning", fix="safe")
def tracking_pixel(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """A tracking beacon, tracking redirect or tracking attribute was left in the article.

    ## What it does
    Reports 1×1 images, images and links served by the beacon and tracking-redirect
    hosts of `rules/markup/beacons.toml`, and tracking attributes (`pinger-seen`,
    `data-trackable`, …). A responsive image (`srcset`, `sizes`, or a style that
    sizes it to its container, as Next.js writes `width="0" height="0"` on every
    photo) is no 1×1 image.

    ## Why is this bad?
    Beacons report every reader of the republished post to a third party; the
    attributes are residue of the site's analytics scripts.

    ## Example
    ```html
    <img src="https://pixel.example.com/b.gif" width="1" height="1"><img src="a.jpg" pinger-seen="true">
    ```

    ## Use instead
    ```html
    <img src="a.jpg">
    ```

    ## Options
    None. Extend with `code = "PC303"` signature files.

    ## Fix safety
    Safe: beacon images are removed, tracking attributes are removed from their start
    tag. Tracking redirect links are reported without a fix (unwrapping the target is a
    judgement call). A removal after which Markdown would read the lines around it
    differently is unsafe (see PC301).
    """
    table = tables(ctx.data).get("PC303")
    result = scan(post, ctx.data)
    for item in result.elements:
        attrs = item.attrs
        if item.tag == "img" and _is_pixel(attrs, table):
            start, end = post.start_tag_span(item.el)
            fix = removal_fix(post, item, "beacon image")
            yield Problem(start, end, f"tracking pixel {_describe(item)}", fix=fix)
            continue
        if table is None:
            continue
        if item.tag == "a" and attrs.get("href") and table.url_may_match(attrs["href"]):
            sig = table.match_url(attrs["href"], "a", paths=False)
            if sig is not None:
                start, end = post.start_tag_span(item.el)
                yield Problem(start, end, f"link through tracking redirect {url_parts(attrs['href'])[0]} "
                              f"({sig.name})")
        names = table.attribute_names(tuple(attrs))
        if names:
            start, end = post.start_tag_span(item.el)
            edits = attribute_edit(post, item, set(names))
            fix = safe_fix("remove the tracking attributes", tuple(edits)) if edits else None
            listed = ", ".join(sorted(names))
            yield Problem(start, end, f"tracking attribute {listed} on <{item.tag}>", fix=fix)


def _is_pixel(attrs: dict[str, str], table: Any) -> bool:
    return one_by_one(attrs) or _from_a_beacon_host(attrs, table)


def _from_a_beacon_host(attrs: dict[str, str], table: Any) -> bool:
    src = attrs.get("src", "")
    return bool(table is not None and src and table.url_may_match(src)
                and table.match_url(src, "img", paths=False) is not None)


class ActiveContentOptions(RuleOptions):
    allowed_embeds: list[str] | None = Field(
        default=None, alias="allowed-embeds",
        description="hosts whose iframes are allowed; when unset, iframes are not reported",
    )


_EVENT_HANDLERS = EVENT_HANDLERS
_URL_KEYS = URL_KEYS


# What a browser runs (the HTML standard's JavaScript MIME type essences, and "module");
# any other type makes the script element a data block.
_SCRIPT_TYPES = frozenset({
    "", "module", "text/javascript", "application/javascript", "application/ecmascript", "application/x-javascript",
    "application/x-ecmascript", "text/ecmascript", "text/javascript1.0", "text/javascript1.1", "text/javascript1.2",
    "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript", "text/livescript",
    "text/x-ecmascript", "text/x-javascript",
})


def _runs(script_type: str | None) -> bool:
    if script_type is None:
        return True
    return script_type.split(";", 1)[0].strip().lower() in _SCRIPT_TYPES


@rule("PC304", "active-content", severity="error", options=ActiveContentOptions, fix="safe")
def active_content(post: ParsedPost, ctx: RuleContext[ActiveContentOptions]) -> Iterator[Problem]:
    """Scripts, inline event handlers or `javascript:` URLs were left in the article.

    ## What it does
    Reports `<script>` elements that run (not data blocks such as MathJax's
    `type="math/tex"` or `application/ld+json`), real inline event-handler attributes (`onclick`,
    `onload`, … — not an attribute named `on` left by a broken alt text, nor Vue's
    `@click`), and `javascript:` URLs. `<iframe>`s are reported only when the
    `allowed-embeds` option lists hosts and the iframe's host is not among them:
    content embeds (video, podcasts, documents, social posts) are article content.

    ## Why is this bad?
    Republished scripts run with the republishing site's privileges; handlers and
    `javascript:` links are dead or dangerous outside their original page.

    ## Example
    ```html
    <p onclick="track()">Text</p><script src="https://widgets.example.com/w.js"></script>
    ```

    ## Use instead
    ```html
    <p>Text</p>
    ```

    ## Options
    `allowed-embeds` (list of hosts, default unset): report iframes from other hosts.

    ## Fix safety
    Safe: scripts and disallowed iframes are removed with their exact span; handler
    attributes and `javascript:` URL attributes are removed from their start tag. A
    removal after which Markdown would read the lines around it differently is unsafe
    (see PC301).
    """
    allowed = ctx.options.allowed_embeds
    allowed_hosts = {h.lower().strip(".") for h in allowed} if allowed is not None else None
    for item in scan(post, ctx.data).elements:
        if item.tag == "script":
            if not _runs(item.attrs.get("type")):
                continue  # a data block (math/tex, application/ld+json, a template) never runs
            start, end = post.start_tag_span(item.el)
            span = removal_span(post, item)
            yield Problem(start, span[1] if span else end, f"script {_describe(item)}",
                          fix=removal_fix(post, item, "script"))
            continue
        if item.tag == "iframe" and allowed_hosts is not None:
            host = url_parts(item.attrs.get("src", ""))[0]
            if not _host_allowed(host, allowed_hosts):
                start, end = post.start_tag_span(item.el)
                yield Problem(start, end, f"iframe from {host or 'no host'} is not in allowed-embeds",
                              fix=removal_fix(post, item, "iframe"))
                continue
        attrs = item.attrs
        # most elements (every link and image) have neither: no generator for them
        bad = [] if _EVENT_HANDLERS.isdisjoint(attrs) else sorted(k for k in attrs if k in _EVENT_HANDLERS)
        bad_urls = [k for k in _URL_KEYS if k in attrs and _is_javascript_url(attrs[k])]
        bad_urls.sort()
        if bad or bad_urls:
            start, end = post.start_tag_span(item.el)
            edits = attribute_edit(post, item, set(bad) | set(bad_urls))
            fix = safe_fix("remove the attributes", tuple(edits)) if edits else None
            what = ", ".join([f"event handler {k}" for k in bad]
                             + [f"javascript: URL in {k}" for k in bad_urls])
            yield Problem(start, end, f"{what} on <{item.tag}>", fix=fix)


def _host_allowed(host: str, allowed: set[str]) -> bool:
    while host:
        if host in allowed:
            return True
        _, _, host = host.partition(".")
    return False


_URL_JUNK = URL_JUNK


def _is_javascript_url(value: str | None) -> bool:
    if not value or value.lstrip(_URL_JUNK)[:1] not in ("j", "J"):
        return False
    # browsers ignore leading whitespace/control characters and embedded tabs/newlines
    cleaned = "".join(ch for ch in value[:64] if ch not in "\t\n\r").lstrip(_URL_JUNK).lower()
    return cleaned.startswith("javascript:")


@rule("PC305", "lazy-image", severity="warning", fix="safe")
def lazy_image(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """An image's real URL is only in `data-src`/`data-original` (lazy loading).

    ## What it does
    Reports `<img>` elements with a `data-src`-style attribute holding a URL and a
    `src` that is missing, empty, a `data:` URI or a placeholder (`blank.gif`,
    `spacer.gif`, `placeholder.png`, `1x1.gif`, …). A lazy `data-srcset` counts
    when the image has no `srcset` that loads; its first candidate is the URL.

    ## Why is this bad?
    Without the site's lazy-loading script the image never loads: the post shows a
    blank or a grey box.

    ## Example
    ```html
    <img class="lazyload" data-src="https://img.example.com/photo.jpg">
    ```

    ## Use instead
    ```html
    <img class="lazyload" src="https://img.example.com/photo.jpg" data-src="https://img.example.com/photo.jpg">
    ```

    ## Options
    None.

    ## Fix safety
    Safe: sets `src` to the `data-src` value as written (inserting the attribute or
    replacing the placeholder's value), or to a `data-srcset`'s first candidate;
    nothing else changes. No fix when a placeholder `srcset` is there too: browsers
    show it whatever `src` says.
    """
    for item in scan(post, ctx.data).elements:
        if item.tag != "img":
            continue
        key = next((k for k in LAZY_KEYS if looks_like_url(item.attrs.get(k))), None)
        if key is None:
            continue
        real = item.attrs[key]
        placeholder_srcset = False
        if key in SRCSET_KEYS:
            if looks_like_url(item.attrs.get("srcset")):
                continue  # the image loads from its own srcset
            real = first_candidate(real)
            # a browser shows a placeholder srcset (a data: GIF) whatever src says: setting src
            # would fix nothing, and rewriting the srcset is left to the author
            placeholder_srcset = "srcset" in item.attrs
        src = item.attrs.get("src")
        if src is not None and not placeholder(src, real):
            continue
        start, end = post.start_tag_span(item.el)
        yield Problem(start, end, f"lazy image: the URL is only in {key} "
                      f"({'no src' if src is None else 'src is a placeholder'})",
                      fix=None if placeholder_srcset else lazy_fix(post, item, key))


@rule("PC306", "empty-container", severity="info", fix="safe")
def empty_container(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """An element with no text, no media and no meaningful attributes.

    ## What it does
    Reports containers left behind where something was removed: a `div`, `section`,
    `aside`, `article`, `figure`, `figcaption`, `header`, `footer`, `center` or `p`
    holding nothing but markup whitespace, or a `span`/`font` holding no character at
    all. The element must have no attribute with a value (a `class`, `id` or `style`
    may be a CSS hook: icon fonts, layout spacers), and may contain only other such
    empty containers and comments; nested empty wrappers are reported once, at the
    outermost. The element must be closed by its own end tag in the source (an
    element the parser closed early, like a `<p>` before a `<div>`, is not empty in
    the source). `&nbsp;` and other typed spaces count as content: an author's spacer
    paragraph is not a leftover, nor is a span CSS draws where it stands (a legend's
    swatch opening a list item, a toggle's knob in a label).

    ## Why is this bad?
    Harmless to readers but noise for diffs, word counts and later cleanup; often a
    sign that something was removed from the article.

    ## Example
    ```html
    <p>Text.</p><div><span></span></div><p>More.</p>
    ```

    ## Use instead
    ```html
    <p>Text.</p><p>More.</p>
    ```

    ## Options
    None.

    ## Fix safety
    Safe: removes the element's exact source span; unsafe when Markdown would then read
    the lines around it differently (see PC301).
    """
    for item in scan(post, ctx.data).empty_roots:
        span = removal_span(post, item)
        tag = post.html.tag_of(item.el)
        if span is None or tag is None or not empty_in_source(post.text[tag.end:span[1]], item):
            continue
        start, _ = post.start_tag_span(item.el)
        removal, kept = markdown_safe(post, removal_edit(post, *span, item))
        fix = safe_fix("remove the empty element", (removal,)) if kept else \
            unsafe_fix(f"remove the empty element{REREAD}", (removal,))
        yield Problem(start, span[1], f"empty container {_describe(item)}", fix=fix)
