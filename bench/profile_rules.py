"""Where postcheck's time goes: each parse phase and each active rule, per post. Not a test.

    .venv/bin/python bench/profile_rules.py                      # ../shared/corpus/waimei, all rules
    .venv/bin/python bench/profile_rules.py FOLDER --select PC3 --limit 1000
    .venv/bin/python bench/profile_rules.py --cprofile 30        # also cProfile's top 30 functions

For every post the lazy parts of :class:`ParsedPost` are forced one by one and timed
(so a rule is not charged for a tree another rule would have built anyway), then the
shared per-post scans of the check modules, then ``Engine.check_post`` runs with each
active rule's ``check`` (and ``collect`` for corpus rules) wrapped in a timer. "engine"
is what ``check_post`` adds around the rules (findings, line/column, suppressions,
sorting), timed by running it once more with every rule replaying what it just found
(subtracting the rules' times from a timed run would charge the timers to the engine).
The in-process floor (YAML C loader + lxml on the same text) is printed for scale.
A phase marked "unused" is not touched by the selected rules in a normal run.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import dataclasses
import os
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import yaml  # noqa: E402
from _common import DEFAULT_SOURCE, NOW  # noqa: E402
from floor import posts, split  # noqa: E402
from lxml import etree  # noqa: E402

from postcheck.engine import Engine  # noqa: E402
from postcheck.parse import ParsedPost  # noqa: E402
from postcheck.rule import CorpusRule, Rule  # noqa: E402
from postcheck.runner import _read as read_post  # noqa: E402

_PARSE = "parse: decode, front matter, YAML"
Phase = tuple[str, Callable[[ParsedPost], Any], Callable[[ParsedPost], bool]]


def phases(engine: Engine) -> list[Phase]:
    """(label, force it, was it built?) for each lazy part of a post, in dependency order."""
    out: list[Phase] = [
        ("parse: schema validation", lambda p: p.meta, lambda p: p._meta_errors is not None),
        ("parse: line index", lambda p: p.line_starts, lambda p: p._line_starts is not None),
        ("parse: scaffold", lambda p: p.scaffold, lambda p: p._scaffold is not None),
        ("parse: lxml tree (+ limit scans)", lambda p: p.tree, lambda p: p._tree_parsed),
        ("parse: html index", lambda p: p.html, lambda p: p._html_index is not None),
        ("parse: visible text", lambda p: p.visible_text, lambda p: p._visible_text is not None),
    ]
    # Scans shared by several rules of one check module, cached per post; optional, as
    # check modules change.
    try:
        from postcheck.checks import _scan

        out.append(
            (
                "shared: markup scan (_scan.scan)",
                lambda p: _scan.scan(p, engine.data),
                lambda p: p in _scan._CACHE,
            )
        )
    except (ImportError, AttributeError):
        pass
    try:
        from postcheck.checks import _title

        out.append(("shared: title source (_title)", _title.title_source, lambda p: p in _title._CACHE))
    except (ImportError, AttributeError):
        pass
    return out


def profile(engine: Engine, paths: list[str]) -> None:
    plist = phases(engine)
    times: dict[str, float] = defaultdict(float)
    used: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parser = etree.HTMLParser(encoding="utf-8", no_network=True)
    clock = time.process_time  # CPU time: other processes on the machine do not inflate it
    # The same engine with each rule's check (and collect) wrapped in a timer, so that one
    # real check_post gives both the rules' times and what the engine adds around them.
    # What each rule found in the current post, replayed to time the engine alone: the
    # timers around ~40 rules cost more than the engine's own work, so "engine" is not
    # "check_post minus the rules" but check_post again with every rule answering at once.
    found_by_code: dict[str, list[Any]] = {}
    collected_by_code: dict[str, Any] = {}

    def timed_rule(r: Rule) -> Rule:
        key = f"rule {r.code} {r.name}"

        def check(post: ParsedPost, ctx: Any) -> list[Any]:
            t = clock()
            found = list(r.check(post, ctx))
            times[key] += clock() - t
            counts[key] += len(found)
            found_by_code[r.code] = found
            return found

        if not isinstance(r, CorpusRule):
            return dataclasses.replace(r, check=check)

        def collect(post: ParsedPost, ctx: Any) -> Any:
            t = clock()
            try:
                collected_by_code[r.code] = r.collect(post, ctx)
                return collected_by_code[r.code]
            finally:
                times[key] += clock() - t

        return dataclasses.replace(r, check=check, collect=collect)

    def replayed_rule(r: Rule) -> Rule:
        code = r.code

        def check(post: ParsedPost, ctx: Any) -> Any:
            return iter(found_by_code.get(code, ()))

        if not isinstance(r, CorpusRule):
            return dataclasses.replace(r, check=check)
        return dataclasses.replace(r, check=check, collect=lambda post, ctx: collected_by_code.get(code))

    timed = copy.copy(engine)
    timed.active = [dataclasses.replace(a, rule=timed_rule(a.rule)) for a in engine.active]
    replay = copy.copy(engine)
    replay.active = [dataclasses.replace(a, rule=replayed_rule(a.rule)) for a in engine.active]
    for path in paths:
        t = clock()
        raw = read_post(engine, path)  # as the CLI reads (read(n) would allocate n bytes first)
        times["read"] += clock() - t

        # Which lazy parts a normal run builds, on a separate post object.
        plain = engine.parse(raw, path)
        t = clock()
        engine.check_post(plain)
        times["(plain check_post, for the total)"] += clock() - t
        for label, _force, built in plist:
            used[label] += bool(built(plain))
        del plain

        t = clock()
        post = engine.parse(raw, path)
        times[_PARSE] += clock() - t
        for label, force, _built in plist:
            t = clock()
            try:
                force(post)
            except Exception:  # noqa: BLE001 - a phase that fails here fails in the rules too
                pass
            times[label] += clock() - t
        found_by_code.clear()
        collected_by_code.clear()
        timed.check_post(post)
        t = clock()
        replay.check_post(post)
        times["engine (findings, suppressions, sort)"] += clock() - t

        t = clock()
        text = raw.decode("utf-8", "replace")
        fm, body = split(text)
        if fm is not None:
            try:
                yaml.load(fm, Loader=loader)  # noqa: S506 - the C *safe* loader
            except yaml.YAMLError:
                pass
        if body.strip():
            try:
                etree.fromstring(body.encode("utf-8"), parser)
            except etree.LxmlError:
                pass
        times["(floor: decode, split, YAML C, lxml)"] += clock() - t

    n = len(paths)
    plain_total = times.pop("(plain check_post, for the total)")
    floor_total = times.pop("(floor: decode, split, YAML C, lxml)")
    total = sum(times.values())
    print(
        f"{n:,} posts, {len(engine.active)} active rules; sum of parts {total:.2f} s ({1e6 * total / n:,.0f} us/post)"
    )
    print(
        f"plain read + Engine.check_bytes: {plain_total + times['read'] + times[_PARSE]:.2f} s;"
        f" in-process floor {floor_total + times['read']:.2f} s"
    )
    print(f"\n{'part':<52} {'total s':>8} {'share':>6} {'us/post':>8} {'found':>7}  note")
    for label, spent in sorted(times.items(), key=lambda kv: -kv[1]):
        note = ""
        if label in used and used[label] < n:
            note = "unused" if used[label] == 0 else f"built for {used[label]:,} posts"
        shown = f"{counts[label]:>7,}" if label in counts else f"{'':>7}"
        print(f"{label[:52]:<52} {spent:8.3f} {100 * spent / total:5.1f}% {1e6 * spent / n:8.0f} {shown}  {note}")


def cprofile(engine: Engine, paths: list[str], top: int, dump: str | None, cli: list[str] | None = None) -> None:
    def run() -> None:
        if cli is not None:  # the whole command: discovery, engine, corpus pass, output
            from postcheck.cli import main

            with open(os.devnull, "w") as sink:
                saved, sys.stdout = sys.stdout, sink
                try:
                    main(cli)
                finally:
                    sys.stdout = saved
            return
        for path in paths:
            engine.check_bytes(read_post(engine, path), path)

    prof = cProfile.Profile()
    prof.runcall(run)
    if dump:
        prof.dump_stats(dump)
    for order in ("tottime", "cumulative"):
        print(f"\ncProfile, {len(paths):,} posts, top {top} by {order}:")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.strip_dirs().sort_stats(order).print_stats(top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=DEFAULT_SOURCE)
    ap.add_argument("--select", help="comma-separated codes/prefixes/names (default: the default rule set)")
    ap.add_argument("--limit", type=int, help="only the first N posts")
    ap.add_argument("--cprofile", type=int, metavar="TOP", help="also run cProfile and print the top functions")
    ap.add_argument("--dump", metavar="FILE", help="write cProfile's stats here (for snakeviz, pstats)")
    ap.add_argument("--no-parts", action="store_true", help="skip the per-part table (only cProfile)")
    ap.add_argument(
        "--cli",
        action="store_true",
        help="cProfile the whole `postcheck check --jobs 1 --no-cache --format jsonl` instead",
    )
    a = ap.parse_args()
    engine = Engine(select=a.select.split(",") if a.select else None, now=NOW)
    paths = posts(a.folder)[: a.limit] if a.limit else posts(a.folder)
    if not a.no_parts:
        profile(engine, paths)
    if a.cprofile:
        cli = None
        if a.cli:
            cli = [
                "check",
                a.folder,
                "--jobs",
                "1",
                "--no-cache",
                "--format",
                "jsonl",
                "--exit-zero",
                "--now",
                NOW,
            ]
            cli += ["--select", a.select] if a.select else []
        cprofile(engine, paths, a.cprofile, a.dump, cli)
    return 0


if __name__ == "__main__":
    sys.exit(main())
