"""The fix engine: edit selection, the fix loop, atomic writes, diffs (SPEC §5, §7)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postcheck.engine import Engine
from postcheck.fix import (
    MAX_ROUNDS,
    AppliedFix,
    FixWriteError,
    apply_edits,
    choose_fixes,
    fix_file,
    fix_post,
    fix_text,
    is_applicable,
    unified_diff,
    write_atomic,
)
from postcheck.model import Edit, Finding, Fix, Problem, Severity
from postcheck.parse import ParsedPost
from postcheck.rule import Rule, RuleContext, load_rules, rule

from .helpers import NOW

DOC = """Test rule.

## What it does
## Why is this bad?
## Example
## Use instead
## Options
## Fix safety
"""

FRONT = "---\ntitle: A post\ndate: 2021-01-01T00:00:00+08:00\n---\n"


def _fix(start: int, end: int, replacement: str = "", applicability: str = "safe",
         description: str = "test fix") -> Fix:
    return Fix(applicability=applicability, description=description,  # type: ignore[arg-type]
               edits=(Edit(start=start, end=end, replacement=replacement),))


# -- synthetic rules: each finds a marker in the text and fixes it --------------------


def _positions(text: str, needle: str) -> Iterator[int]:
    i = text.find(needle)
    while i >= 0:
        yield i
        i = text.find(needle, i + len(needle))


@rule("TST001", "test-zero-width", fix="safe")
def zero_width(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    for i in _positions(post.text, "\u200b"):
        yield Problem(i, i + 1, "zero-width space", fix=_fix(i, i + 1))


@rule("TST002", "test-ad-block", fix="safe")
def ad_block(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """Removes ``[ad]...[/ad]``: the outer edit around other rules' spans."""
    text = post.text
    i = text.find("[ad]")
    while i >= 0:
        j = text.find("[/ad]", i + 4)
        if j < 0:
            return
        yield Problem(i, j + 5, "ad block", fix=_fix(i, j + 5, description="remove the block"))
        i = text.find("[ad]", j + 5)


@rule("TST003", "test-quote-pair", fix="safe")
def quote_pair(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """``<<x>>`` -> ``«x»``: one fix made of two edits, applied together or not at all."""
    text = post.text
    i = text.find("<<")
    while i >= 0:
        j = text.find(">>", i + 2)
        if j < 0:
            return
        fix = Fix(applicability="safe", description="typographic quotes",
                  edits=(Edit(start=i, end=i + 2, replacement="«"),
                         Edit(start=j, end=j + 2, replacement="»")))
        yield Problem(i, j + 2, "ascii quotes", fix=fix)
        i = text.find("<<", j + 2)


@rule("TST004", "test-unsafe-upper", fix="unsafe")
def unsafe_upper(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    for i in _positions(post.text, "todo"):
        yield Problem(i, i + 4, "lower-case todo", fix=_fix(i, i + 4, "TODO", "unsafe"))


@rule("TST005", "test-insert-space", fix="safe")
def insert_space(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """A pure insertion: a space before each "!" that lacks one."""
    text = post.text
    for i in _positions(text, "!"):
        if i > 0 and text[i - 1] != " ":
            yield Problem(i, i + 1, "no space before !", fix=_fix(i, i, " "))


@rule("TST006", "test-pilcrow", fix="safe")
def pilcrow(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """Replaces "¶" with a line break written "\\n": CRLF files must get CRLF."""
    for i in _positions(post.text, "¶"):
        yield Problem(i, i + 1, "pilcrow", fix=_fix(i, i + 1, "\n"))


@rule("TST901", "test-never-converges", fix="safe")
def never_converges(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    if "grow" in post.text:
        yield Problem(0, 0, "always more", fix=_fix(0, 0, "x"))


@rule("TST902", "test-no-op", fix="safe")
def no_op(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    for i in _positions(post.text, "same"):
        yield Problem(i, i + 4, "no-op", fix=_fix(i, i + 4, "same"))


@rule("TST903", "test-ping-pong", fix="safe")
def ping_pong(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    for word, other in (("ping", "pong"), ("pong", "ping")):
        for i in _positions(post.text, word):
            yield Problem(i, i + 4, word, fix=_fix(i, i + 4, other))


@rule("TST904", "test-bad-fix", fix="safe")
def bad_fix(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    if "bad" in post.text:
        yield Problem(0, 1, "edit past the end", fix=_fix(0, len(post.text) + 5))


SYNTHETIC: dict[str, Rule] = {r.code: r for r in (zero_width, ad_block, quote_pair, unsafe_upper,
                                                  insert_space, pilcrow, never_converges, no_op, ping_pong,
                                                  bad_fix)}
GOOD = ["PC009", "TST001", "TST002", "TST003", "TST004", "TST005", "TST006"]
_REGISTRY = {**load_rules(), **SYNTHETIC}
ENGINE = Engine(rules=_REGISTRY, select=GOOD, now=NOW)
ENGINE_ALL = Engine(now=NOW)  # every real rule: whatever fixes exist today


def _engine(*codes: str) -> Engine:
    return Engine(rules=_REGISTRY, select=list(codes), now=NOW)


def _finding(code: str, fix: Fix | None) -> Finding:
    return Finding(code=code, rule="r", severity=Severity.WARNING, message=code, fix=fix)


# -- edit selection and application -------------------------------------------------


def test_apply_edits_keeps_everything_else() -> None:
    assert apply_edits("abcdef", [Edit(start=4, end=5, replacement="E"), Edit(start=0, end=1)]) == "bcdEf"
    both = [Edit(start=1, end=1, replacement="X"), Edit(start=1, end=2, replacement="Y")]
    assert apply_edits("abc", both) == "aXYc"
    with pytest.raises(ValueError):
        apply_edits("abc", [Edit(start=0, end=2), Edit(start=1, end=3)])


def test_applicability() -> None:
    assert is_applicable(_fix(0, 1), unsafe=False)
    assert not is_applicable(_fix(0, 1, applicability="unsafe"), unsafe=False)
    assert is_applicable(_fix(0, 1, applicability="unsafe"), unsafe=True)
    assert not is_applicable(None, unsafe=True)
    assert not is_applicable(Fix(applicability="safe", description="nothing"), unsafe=True)


def test_outer_edit_wins_whatever_the_order() -> None:
    inner = _finding("A", _fix(5, 6))
    outer = _finding("B", _fix(2, 10))
    for order in ([inner, outer], [outer, inner]):
        chosen, invalid = choose_fixes(order, 20)
        assert [f.code for f in chosen] == ["B"] and not invalid


def test_partial_overlap_is_deterministic_and_disjoint_fixes_go_together() -> None:
    a = _finding("A", _fix(0, 5))
    b = _finding("B", _fix(3, 6))
    c = _finding("C", _fix(6, 8))  # touches B, overlaps nothing
    chosen, _ = choose_fixes([b, c, a], 10)
    assert sorted(f.code for f in chosen) == ["A", "C"]
    assert choose_fixes([a, b, c], 10)[0] == choose_fixes([c, b, a], 10)[0]


def test_a_fix_is_all_or_nothing() -> None:
    pair = _finding("P", Fix(applicability="safe", description="pair",
                             edits=(Edit(start=0, end=1), Edit(start=8, end=9))))
    wide = _finding("W", _fix(7, 19))
    chosen, _ = choose_fixes([pair, wide], 20)
    assert [f.code for f in chosen] == ["W"]  # the pair's second edit collides: none of it is applied


def test_insertions() -> None:
    one = _finding("A", _fix(3, 3, "x"))
    same_point = _finding("B", _fix(3, 3, "y"))
    inside = _finding("C", _fix(1, 5))
    boundary = _finding("D", _fix(3, 6))
    assert len(choose_fixes([one, same_point], 10)[0]) == 1
    assert [f.code for f in choose_fixes([one, inside], 10)[0]] == ["C"]
    assert sorted(f.code for f in choose_fixes([one, boundary], 10)[0]) == ["A", "D"]


def test_unsafe_fixes_only_when_asked() -> None:
    text = FRONT + "a todo here\n"
    assert fix_text(text, engine=ENGINE)[0] == text
    fixed, left = fix_text(text, engine=ENGINE, unsafe=True)
    assert fixed == FRONT + "a TODO here\n"
    assert not [f for f in left if f.code == "TST004"]


# -- the loop ------------------------------------------------------------------------


def test_bom_is_removed_and_nothing_else_changes() -> None:
    text = "\ufeff" + FRONT.replace("title: A post", "title: 'A post'  # quoted, commented") + "body\n"
    fixed, left = fix_text(text, select=["PC009"], now=NOW)
    assert fixed == text[1:]
    assert left == []
    raw, _ = fix_text(text.encode("utf-8"), select=["PC009"], now=NOW)
    assert raw == text[1:].encode("utf-8")


def test_undecodable_bytes_come_back_unchanged() -> None:
    raw = b"---\ntitle: \xff\n---\n"
    fixed, left = fix_text(raw, select=["PC001", "PC009"], now=NOW)
    assert fixed == raw and [f.code for f in left] == ["PC001"]


def test_overlapping_fixes_take_several_rounds() -> None:
    text = FRONT + "x [ad]a\u200bb <<c[/ad] d>> e!\n"
    outcome = fix_post(ENGINE, text)
    assert outcome.text == FRONT + "x  <<c d>> e !\n" or outcome.text == FRONT + "x  d>> e !\n"
    assert not [f for f in outcome.findings if is_applicable(f.fix, False)]
    assert outcome.rounds >= 1


def test_losers_are_fixed_in_a_later_round() -> None:
    # "<<" ... ">>" partly inside the ad block: the block goes first, the rest re-checked.
    text = FRONT + "<<a [ad]>>[/ad] b>>\n"
    outcome = fix_post(ENGINE, text)
    assert outcome.text == FRONT + "«a  b»\n"
    assert outcome.rounds == 2
    assert [(a.round, a.code) for a in outcome.applied] == [(1, "TST002"), (2, "TST003")]


def test_crlf_stays_crlf() -> None:
    text = ("\ufeff" + FRONT + "one¶two\u200b\nthree\n").replace("\n", "\r\n")
    fixed, _ = fix_text(text, engine=ENGINE)
    assert fixed == (FRONT + "one\ntwo\nthree\n").replace("\n", "\r\n")
    lf, _ = fix_text(text.replace("\r\n", "\n"), engine=ENGINE)
    assert lf == FRONT + "one\ntwo\nthree\n"


def test_final_newline_kept_and_not_added() -> None:
    assert fix_text(FRONT + "end\u200b", engine=ENGINE)[0] == FRONT + "end"
    assert fix_text(FRONT + "end\u200b\n", engine=ENGINE)[0] == FRONT + "end\n"


def _internal(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in findings if f.context and f.context.get("internal_error")]


def test_non_converging_fix_is_an_internal_error_naming_the_rule() -> None:
    outcome = fix_post(_engine("TST901"), FRONT + "grow\n")
    errors = _internal(outcome.findings)
    assert len(errors) == 1 and errors[0][0] == "TST901"
    assert "test-never-converges" in errors[0][1] and f"{MAX_ROUNDS} rounds" in errors[0][1]
    assert outcome.rounds == MAX_ROUNDS


def test_no_op_and_cyclic_fixes_stop_early() -> None:
    outcome = fix_post(_engine("TST902"), FRONT + "same\n")
    assert outcome.text == FRONT + "same\n" and outcome.rounds == 0
    assert [c for c, _ in _internal(outcome.findings)] == ["TST902"]
    outcome = fix_post(_engine("TST903"), FRONT + "ping\n")
    assert outcome.rounds == 1
    assert [c for c, m in _internal(outcome.findings)] == ["TST903"]


def test_invalid_fix_is_reported_not_applied() -> None:
    outcome = fix_post(_engine("TST904", "TST001"), FRONT + "bad\u200b\n")
    assert outcome.text == FRONT + "bad\n"
    assert [c for c, m in _internal(outcome.findings) if "invalid fix" in m] == ["TST904"]


def test_suppressed_findings_are_not_fixed() -> None:
    text = FRONT + "<!-- postcheck: disable TST001 -->\na\u200bb\n"
    assert fix_text(text, engine=_engine("TST001"))[0] == text


# -- files ---------------------------------------------------------------------------


def test_fix_file_writes_atomically_and_keeps_the_mode(tmp_path: Any) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(("\ufeff" + FRONT + "body\r\n").encode())
    os.chmod(path, 0o640)
    done = fix_file(ENGINE, str(path))
    assert done.written and done.error is None and done.fixed == 1
    assert path.read_bytes() == (FRONT + "body\r\n").encode()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["post.md"]  # no temporary file left behind
    again = fix_file(ENGINE, str(path))
    assert not again.changed and not again.written


def test_a_post_whose_name_is_near_the_limit_can_be_fixed(tmp_path: Any) -> None:
    # CJK titles make file names of 230+ bytes; the temporary name beside it must still fit
    name = "2020-07-23-" + "新闻联播文字版" * 11 + ".md"  # 245 bytes
    path = tmp_path / name
    try:
        path.write_bytes(("\ufeff" + FRONT + "body\n").encode())
    except OSError:
        pytest.skip("the file system refuses a name this long")
    done = fix_file(ENGINE, str(path))
    assert done.written and done.error is None
    assert os.listdir(tmp_path) == [name]


def test_no_write_for_diff(tmp_path: Any) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(("\ufeff" + FRONT).encode())
    done = fix_file(ENGINE, str(path), write=False)
    assert done.changed and not done.written
    assert path.read_bytes() == ("\ufeff" + FRONT).encode()
    assert done.diff().startswith(f"--- {path}\n+++ {path}\n")


@rule("TST905", "test-touches-file", fix="safe")
def touches_file(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """Simulates another program saving the file while postcheck works on it."""
    if post.path and "\u200b" in post.text:
        with open(post.path, "a", encoding="utf-8") as fh:
            fh.write("edited by someone else\n")
        i = post.text.index("\u200b")
        yield Problem(i, i + 1, "zw", fix=_fix(i, i + 1))


def test_file_changed_between_read_and_write_is_left_alone(tmp_path: Any) -> None:
    path = tmp_path / "post.md"
    path.write_text(FRONT + "a\u200bb\n", encoding="utf-8")
    engine = Engine(rules={**_REGISTRY, "TST905": touches_file}, select=["TST905"], now=NOW)
    done = fix_file(engine, str(path))
    assert not done.written and done.error and "changed on disk" in done.error
    assert path.read_text(encoding="utf-8") == FRONT + "a\u200bb\nedited by someone else\n"


def test_write_atomic_refuses_changed_content(tmp_path: Any) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(b"new content")
    with pytest.raises(FixWriteError, match="changed on disk"):
        write_atomic(str(path), b"fixed", expected=b"old content")
    assert path.read_bytes() == b"new content"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_is_never_written_through(tmp_path: Any) -> None:
    target = tmp_path / "real.md"
    target.write_bytes(("\ufeff" + FRONT).encode())
    link = tmp_path / "link.md"
    link.symlink_to(target)
    done = fix_file(ENGINE, str(link))
    assert not done.written and done.error and "symbolic link" in done.error
    assert link.is_symlink() and target.read_bytes() == ("\ufeff" + FRONT).encode()


# -- diffs ---------------------------------------------------------------------------

HAVE_PATCH = shutil.which("patch") is not None


def _patched(old: str, diff: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "f")
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(old)
        proc = subprocess.run(["patch", "-s", "-f", "--no-backup-if-mismatch", path], input=diff.encode(),
                              capture_output=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()


def test_unified_diff_shape() -> None:
    assert unified_diff("a\n", "a\n", "x.md") == ""
    d = unified_diff("a\nb", "a\nc", "dir/my post.md")
    assert d.startswith('--- "dir/my post.md"\n+++ "dir/my post.md"\n@@')
    assert d.endswith("+c\n\\ No newline at end of file\n")


@pytest.mark.skipif(not HAVE_PATCH, reason="GNU patch not installed")
@pytest.mark.parametrize("old,new", [
    ("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n"),
    ("a\nb", "a\nb\n"),
    ("a\nb\n", "a\nb"),
    ("x\r", "y\r"),
    ("a\rb\x0cc\u2028d\ne\n", "a\rb\x0cc\u2028D\ne\n"),
    ("\ufeff---\r\nx\r\n", "---\r\nx\r\n"),
])
def test_diff_applies_with_patch(old: str, new: str) -> None:
    assert _patched(old, unified_diff(old, new, "f")) == new


# -- properties on generated posts ---------------------------------------------------

_WORDS = st.sampled_from(["word", "新闻", "todo", "!", " ", "\u200b", "[ad]", "[/ad]", "<<", ">>", "¶", "x!",
                          "\n", "\n", "\r", "é", "&amp;", "<p>", "</p>"])
# Real fix-producing patterns: whatever rules exist today fire on some of these.
_REAL = st.sampled_from([
    "\u200b", "\u2060", "&amp;amp;", "&amp;quot;",
    '<div id="div-gpt-ad-1234-0"><p>ad</p></div>', '<ins class="adsbygoogle"></ins>',
    '<img src="https://pixel.example/p.gif" width="1" height="1">', "<script>track()</script>",
    '<a href="https://ex.com/a?utm_source=x&amp;id=2">link</a>', '<p onclick="x()">t</p>',
    "<p>Some article text that is long enough to count as a body.</p>", "<div></div>", "新闻内容",
    '<img data-src="https://ex.com/i.jpg" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
    '<div class="subscribe-box"><a href="https://ex.com/subscribe">Subscribe now</a></div>',
    '<iframe src="https://ads.example.com/ad"></iframe>', "<div><span></span></div>",
])


@st.composite
def posts(draw: st.DrawFn, words: st.SearchStrategy[str] = _WORDS) -> str:
    bom = "\ufeff" if draw(st.booleans()) else ""
    title = draw(st.sampled_from(["A post", "A\u200b post", " A  post ", "A &amp; B", "标题", "标题 - RFI"]))
    author = draw(st.sampled_from(["Example", "RFI"]))
    url = draw(st.sampled_from(["https://example.com/2021/01/01/a.html", "http://www.rfi.fr/cn/a 1.html",
                                "https://example.com/a?utm_source=x&id=1", "http://example.com/a.html"]))
    body = "".join(draw(st.lists(words, max_size=25)))
    text = (f"{bom}---\ntitle: \"{title}\"\ndate: 2021-01-01T00:00:00+08:00\nauthor: {author}\n"
            f"from: {url}\n---\n<!--1609430400000-->\n"
            f"[{title}]({url})\n------\n\n<div>{body}</div>")
    if draw(st.booleans()):
        text += "\n"
    if draw(st.booleans()):
        text = text.replace("\r", "").replace("\n", "\r\n")
    return text


def _map_back(span: tuple[int, int], edits: tuple[Edit, ...]) -> tuple[int, int]:
    """A span of a round's output as the span of its input it came from, widened to
    cover every edit it touches."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))

    def one(pos: int, is_end: bool) -> int:
        shift = 0
        hit: int | None = None
        for e in ordered:
            out_start = e.start + shift
            out_end = out_start + len(e.replacement)
            if out_start <= pos <= out_end:
                if hit is None or is_end:
                    hit = e.end if is_end else e.start
            elif out_end < pos:
                pass
            else:
                break
            shift += len(e.replacement) - (e.end - e.start)
        return hit if hit is not None else pos - shift

    return one(span[0], False), one(span[1], True)


def _touched(applied: list[AppliedFix]) -> list[tuple[int, int]]:
    """Every span of the original text that some applied edit came from."""
    spans: list[tuple[int, int]] = []
    for r in sorted({a.round for a in applied}, reverse=True):
        edits = tuple(e for a in applied if a.round == r for e in a.edits)
        spans = [_map_back(s, edits) for s in spans] + [(e.start, e.end) for e in edits]
    return spans


def _untouched_kept(original: str, fixed: str, spans: list[tuple[int, int]]) -> bool:
    """The text outside the spans appears in ``fixed`` in order, first and last piece anchored."""
    cuts = sorted(spans)
    pieces: list[str] = []
    pos = 0
    for start, end in cuts:
        pieces.append(original[pos:max(pos, start)])
        pos = max(pos, end)
    pieces.append(original[pos:])
    if not fixed.startswith(pieces[0]) or not fixed.endswith(pieces[-1]):
        return False
    at = len(pieces[0])
    for piece in pieces[1:-1]:
        found = fixed.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return at <= len(fixed) - len(pieces[-1]) if len(pieces) > 1 else fixed == original


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(posts(), st.booleans())
def test_property_fixing_twice_equals_fixing_once(text: str, unsafe: bool) -> None:
    once, _ = fix_text(text, engine=ENGINE, unsafe=unsafe)
    twice, _ = fix_text(once, engine=ENGINE, unsafe=unsafe)
    assert twice == once


@PROPERTY
@given(posts(), st.booleans())
def test_property_only_reported_spans_change(text: str, unsafe: bool) -> None:
    outcome = fix_post(ENGINE, text, unsafe=unsafe)
    assert _untouched_kept(text, outcome.text, _touched(outcome.applied))
    first = ENGINE.check_bytes(text).findings
    reported = {(e.start, e.end) for f in first if f.fix and is_applicable(f.fix, unsafe)
                for e in f.fix.edits}
    assert {(e.start, e.end) for a in outcome.applied if a.round == 1 for e in a.edits} <= reported


@PROPERTY
@given(posts(), st.booleans())
def test_property_nothing_fixable_left_and_endings_kept(text: str, unsafe: bool) -> None:
    outcome = fix_post(ENGINE, text, unsafe=unsafe)
    assert not _internal(outcome.findings)
    again = ENGINE.check_bytes(outcome.text).findings
    assert not [f for f in again if is_applicable(f.fix, unsafe)]
    assert outcome.text.endswith("\n") == text.endswith("\n")
    if "\r\n" in text and "\n" not in text.replace("\r\n", ""):  # a CRLF file stays CRLF
        assert "\n" not in outcome.text.replace("\r\n", "")


@pytest.mark.skipif(not HAVE_PATCH, reason="GNU patch not installed")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts(), st.booleans())
def test_property_diff_applied_with_patch_equals_fix(text: str, unsafe: bool) -> None:
    fixed, _ = fix_text(text, engine=ENGINE, unsafe=unsafe)
    diff = unified_diff(text, fixed, "post.md")
    assert (diff == "") == (fixed == text)
    if diff:
        assert _patched(text, diff) == fixed


@PROPERTY
@given(posts(_REAL | _WORDS), st.booleans())
def test_property_real_rules(text: str, unsafe: bool) -> None:
    outcome = fix_post(ENGINE_ALL, text, unsafe=unsafe)
    assert not _internal(outcome.findings), _internal(outcome.findings)
    assert _untouched_kept(text, outcome.text, _touched(outcome.applied))
    assert fix_text(outcome.text, engine=ENGINE_ALL, unsafe=unsafe)[0] == outcome.text
    assert not [f for f in ENGINE_ALL.check_bytes(outcome.text).findings if is_applicable(f.fix, unsafe)]


# -- the command line ----------------------------------------------------------------

BOM_POST = ("\ufeff---\ntitle: A post\ndate: 2021-01-01T00:00:00+08:00\n---\n"
            "<p>A body that is long enough not to be thin, with several words in it.</p>\n")


def _cli(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from postcheck.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-cache", "--now", NOW, *argv])
    return code, out.getvalue(), err.getvalue()


def test_cli_diff_writes_nothing_and_exits_1(tmp_path: Any) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(BOM_POST.replace("\n", "\r\n").encode())
    code, out, err = _cli("--diff", "--select", "PC009", str(path))
    assert code == 1
    assert out.startswith(f"--- {path}\n+++ {path}\n@@ -1,4 +1,4 @@\n-\ufeff---\r\n+---\r\n")
    assert "Would fix 1 finding in 1 file." in err
    assert path.read_bytes() == BOM_POST.replace("\n", "\r\n").encode()
    path.write_bytes(BOM_POST[1:].encode())
    assert _cli("--diff", "--select", "PC009", str(path))[:2] == (0, "")


def test_cli_fix_and_exit_non_zero_on_fix(tmp_path: Any) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(BOM_POST.replace("\n", "\r\n").encode())
    code, out, err = _cli("--fix", "--select", "PC009", str(path))
    assert (code, "Fixed 1 finding in 1 file." in err) == (0, True)
    assert "All checks passed" in out
    assert path.read_bytes() == BOM_POST[1:].replace("\n", "\r\n").encode()  # CRLF stays CRLF
    path.write_bytes(BOM_POST.encode())
    assert _cli("--fix", "--exit-non-zero-on-fix", "--select", "PC009", str(path))[0] == 1
    assert _cli("--fix", "--exit-non-zero-on-fix", "--select", "PC009", str(path))[0] == 0  # nothing left


def test_cli_json_carries_the_fix(tmp_path: Any) -> None:
    import json

    path = tmp_path / "a.md"
    path.write_bytes(BOM_POST.encode())
    code, out, _ = _cli("--format", "json", "--select", "PC009", str(path))
    [finding] = json.loads(out)["findings"]
    assert finding["fix"] == {"applicability": "safe", "description": "remove the byte-order mark"}


@pytest.mark.skipif(not HAVE_PATCH, reason="GNU patch not installed")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts(_REAL | _WORDS), st.booleans())
def test_property_cli_diff_applied_with_patch_equals_fix(text: str, unsafe: bool) -> None:
    extra = ["--unsafe-fixes"] if unsafe else []
    with tempfile.TemporaryDirectory() as folder:
        a, b = os.path.join(folder, "a.md"), os.path.join(folder, "b.md")
        for p in (a, b):
            with open(p, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        code, diff, _ = _cli("--diff", *extra, a)
        assert code in (0, 1)
        _, _, err = _cli("--fix", *extra, b)
        with open(b, encoding="utf-8", newline="") as fh:
            fixed = fh.read()
        assert (code == 1) == (fixed != text) == bool(diff), err
        if diff:
            assert _patched(text, diff) == fixed


_ARTICLE = ["<p>" + f"Paragraph {i} of the article, which readers came for and no fix may take away. " * 2 + "</p>"
            for i in range(4)]
_FURNITURE = ['<div class="ad-slot"></div>', '<iframe src="https://googleads.g.doubleclick.net/x"/>',
              '<div class="subscribe-box"><a href="/subscribe">Subscribe</a></div>', '<script/>', "<style/>",
              '<img src="blank.gif" data-src="https://img.example.com/a.jpg">', '<p onclick="x()">t</p>',
              '<a href="https://e.com/?utm_source=x&amp;id=1">l</a>', "<div></div>", "<span></span>", "</body>",
              "<!-- c --!>", '<section id="imu"><div id="dfp-ad-imu1"></div></section>', "<div>", "</div>", "<br/>",
              '<ins class="adsbygoogle"/>', '<div class="ad-slot"/>', "<title/>", '<a href=x onclick="y()"/>']


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FURNITURE), max_size=8), st.randoms(use_true_random=False))
def test_safe_fixes_keep_every_article_paragraph(furniture: list[str], rnd: Any) -> None:
    pieces = list(_ARTICLE)
    for item in furniture:
        pieces.insert(rnd.randint(0, len(pieces)), item)
    text = "---\ntitle: A title\ndate: 2021-01-05T10:00:00+08:00\n---\n<div>" + "".join(pieces) + "</div>\n"
    fixed, _ = fix_text(text, engine=ENGINE_ALL)
    for paragraph in _ARTICLE:
        assert paragraph in fixed


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"), reason="no POSIX signal masks")
def test_a_signal_while_the_temporary_file_is_made_leaves_no_file(tmp_path: Any, monkeypatch: Any) -> None:
    import signal

    from postcheck._fixio import make_temp

    class Stop(BaseException):
        pass

    def stop(signum: int, frame: Any) -> None:
        raise Stop

    real = tempfile.mkstemp

    def mkstemp_then_signalled(**kwargs: Any) -> tuple[int, str]:
        made = real(**kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the name is not yet the caller's
        return made

    previous = signal.signal(signal.SIGTERM, stop)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_signalled)
    try:
        with pytest.raises(Stop):
            make_temp(str(tmp_path / "post.md"))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, 70_000, 200_000])
def test_reads_a_file_whole_or_one_byte_past_the_limit(tmp_path: Path, size: int) -> None:
    from postcheck._fixio import read_regular

    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    path = tmp_path / "post.md"
    path.write_bytes(data)
    # at most limit + 1 bytes: one past the limit says the file is too large
    assert read_regular(str(path), 10) == data[:11]
    assert read_regular(str(path), 1_000_000) == data
