"""The ``postcheck`` command line (SPEC §5)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO, cast

from . import __version__
from ._store import FindingStore
from ._streams import (
    ERRORS,
    Terminated,
    UsageError,
    detach_stdout,
    open_closed_streams,
    output,
    stop_cleanly_on_sigterm,
)
from ._tally import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Tally
from .config import Config, ConfigError, load_config
from .engine import Engine, FileResult
from .fix import CliFixer
from .model import Finding, Severity
from .report import FORMATS, formatter
from .report.json import LineSink
from .report.text import write_statistics
from .rule import PluginError, Rule, load_rules
from .runner import EngineSpec, discover, read_and_check, run_files


def _codes(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", action="append", metavar="CODES",
                   help="only these rules (codes, prefixes like PC3, or names)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="skip these rules")
    p.add_argument("--extend-select", action="append", metavar="CODES",
                   help="add these rules to the selection")
    p.add_argument("--config", metavar="FILE", help="use this config file instead of searching for one")
    p.add_argument("--now", metavar="DATETIME", help="pin 'now' (ISO 8601) for reproducible date checks; "
                   "also POSTCHECK_NOW")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postcheck",
        description="Validate scraped posts: front matter, dates, provenance, leftover markup, "
        "consistency, encoding.",
    )
    parser.add_argument("--version", action="version", version=f"postcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check posts (default: the current folder)")
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--output-file", "-o", metavar="FILE",
                       help="write the report to FILE instead of stdout")
    _add_selection(check)
    check.add_argument("--fail-on", choices=[s.value for s in Severity],
                       help="lowest severity that fails the run")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores)")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply exclude and .gitignore to files named on the command line too")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="with PATH '-': the name of the post read from stdin (report, per-file-ignores)")
    _add_fix_options(check)
    _add_ci_options(check)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    _add_selection(rules)

    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="CODE", help="a rule code or name")
    _add_baseline_command(sub)
    return parser


def _engine(args: argparse.Namespace) -> tuple[Engine, EngineSpec, Config]:
    config = load_config(args.config)
    if getattr(args, "fail_on", None):
        config = config.with_overrides(fail_on=args.fail_on)
    if getattr(args, "report_unused_suppressions", False):
        config = config.with_overrides(report_unused_suppressions=True)
    for option in ("select", "extend_select", "ignore"):
        given = getattr(args, option, None)
        if given is not None and not _codes(given):
            raise UsageError(f"--{option.replace('_', '-')}: no rule code, prefix or name given")
    spec = EngineSpec(
        config=config,
        select=tuple(_codes(args.select) or ()) if args.select else None,
        extend_select=tuple(_codes(args.extend_select) or ()),
        ignore=tuple(_codes(args.ignore) or ()),
        now=args.now,
    )
    try:
        return spec.build(), spec, config
    except ConfigError as exc:
        raise ConfigError(_naming_the_file(str(exc), args, config)) from None


def _naming_the_file(message: str, args: argparse.Namespace, config: Config) -> str:
    """A setting the engine rejects is named with the file it came from (not when the
    command line gave it)."""
    path = config.config_path
    if not path or message.startswith((path, "--")):  # "--select: …" came from the command line
        return message
    return f"{path}: {message}"


def _discover(args: argparse.Namespace, config: Config) -> list[str]:
    """The files to check; a folder that cannot be read is named in a warning."""
    force = getattr(args, "force_exclude", False) or config.force_exclude
    paths, unreadable = discover(args.paths or ["."], config, force_exclude=force)
    for message in unreadable:
        print(f"postcheck: warning: {message}", file=sys.stderr)
    return paths


def _settle_heap() -> None:
    """Leave the long-lived objects (modules, rules, compiled data) out of garbage collection.

    A run then allocates millions of short-lived objects and almost no cycles: with the
    default thresholds the collector ran every 700 allocations and kept rescanning the
    engine's tables (~4 % of a run). Frozen objects are also not touched by the collector
    in forked workers, so their pages stay shared (the reason ``gc.freeze`` exists).
    """
    import gc

    gc.freeze()  # (no collect first: start-up leaves a few dozen cyclic objects, not worth 7 ms)
    gc.set_threshold(20_000, 10, 10)


def cmd_check(args: argparse.Namespace) -> int:
    if args.exit_zero and args.exit_non_zero_on_fix:
        raise UsageError("--exit-zero and --exit-non-zero-on-fix contradict each other")
    engine, spec, config = _engine(args)
    if "-" in args.paths:
        if args.paths != ["-"]:
            raise UsageError("'-' (stdin) cannot be mixed with other paths")
        from ._stdin import check_stdin

        return check_stdin(engine, args, _baseline(args))
    if args.stdin_filename:
        raise UsageError("--stdin-filename needs the path '-'")
    if getattr(args, "owns_process", False):
        _settle_heap()
    paths = _discover(args, config)
    jobs = _jobs(args)
    fmt = args.format
    collected: list[Any] = []
    tally = Tally(engine.config.fail_on)
    baseline = _baseline(args)
    with output(args.output_file) as out:
        fixer = _fixer(engine, args, out)
        # jsonl streams each file's findings as soon as it is done and keeps none of them;
        # the other reports are written at the end, from a compact store of the findings.
        stream = None
        store = None
        if fmt == "jsonl" and not args.statistics and not args.diff:
            # Our own report file and the real stdout (on a platform that writes "\n" as it
            # is) take cached lines as bytes; a stream someone else made may translate newlines.
            stream = LineSink(out, verbatim=args.output_file is not None
                              or (out is sys.__stdout__ and os.linesep == "\n"))
        elif not args.diff:
            store = FindingStore(lambda path: read_and_check(engine, path).findings)
        # A cached result may come as its stored body (cache.RawResult) when no fixer or
        # baseline needs its findings: the jsonl writer copies its lines and the store keeps
        # the body (building each Finding was half a warm run).
        raw = fixer is None and baseline is None
        try:
            results = _results(engine, spec, paths, jobs, args, config, baseline, fixer, raw)
            for result in results:
                collected.extend(result.corpus)
                if not isinstance(result, FileResult):
                    tally.add_counts(result.path, result.counts)
                    if stream is not None:
                        stream.utf8(result.lines)
                        stream.tick()
                    elif store is not None:
                        store.add(result)
                    continue
                tally.add(result.findings)
                if stream is not None:
                    for f in result.findings:
                        stream.finding(f)
                    stream.tick()
                elif store is not None:
                    store.add(result)
            if baseline is None:
                # Corpus findings are not built one by one until a report reads them: a
                # corpus of many duplicates must not pile up its PC206 findings.
                kept = []
                for problem in engine.corpus_problems(collected):
                    code, name, severity, item, message = problem
                    tally.add_one(item.path, code, severity.value)
                    if stream is not None:
                        stream.corpus_finding(code, name, severity, item, message)
                    elif store is not None:
                        kept.append(problem)
                if store is not None:
                    store.add_corpus(kept)
            else:
                corpus_findings = baseline.filter(engine.finalize(collected))
                tally.add(corpus_findings)
                if stream is not None:
                    for f in corpus_findings:
                        stream.finding(f)
                elif store is not None:
                    store.add_corpus(corpus_findings)
        finally:
            if stream is not None:
                stream.flush()  # also what was written before an error or an interrupt
        summary = tally.summary(len(paths))
        summary.paths = paths
        if store is not None:
            # Written in chunks: one write per line would be a system call each under
            # PYTHONUNBUFFERED, and the whole report in one string is as big as the report.
            sink = LineSink(out)
            text_sink = cast(TextIO, sink)  # the writers use only write()
            if args.statistics:
                write_statistics(store, engine.registry, text_sink, unsafe_fixes=args.unsafe_fixes,
                                 as_json=fmt in ("json", "jsonl"))
            else:
                formatter(fmt)(store, summary, engine.registry, text_sink)
            sink.flush()
    if fixer is not None:
        return _fix_exit_status(fixer, args, tally)
    return tally.exit_status(args.exit_zero)


def _add_fix_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fix", action="store_true",
                   help="apply safe fixes to the files, then report what remains")
    p.add_argument("--unsafe-fixes", action="store_true",
                   help="with --fix or --diff, also apply fixes that may change meaning")
    p.add_argument("--diff", action="store_true",
                   help="print the fixes as a unified diff instead of writing them (exit 1 if any)")
    p.add_argument("--exit-non-zero-on-fix", action="store_true",
                   help="with --fix, exit 1 when a file was changed, even if nothing remains (pre-commit)")


def _fixer(engine: Engine, args: argparse.Namespace, out: TextIO) -> CliFixer | None:
    if not (args.fix or args.diff):
        return None
    return CliFixer(engine, unsafe=args.unsafe_fixes, write=not args.diff,
                    diff_stream=out if args.diff else None, warn=sys.stderr)


def _fix_exit_status(fixer: CliFixer, args: argparse.Namespace, tally: Tally) -> int:
    message = fixer.summary()
    if message:
        print(message, file=sys.stderr)
    status = tally.exit_status(args.exit_zero)
    if args.diff:
        # Like `ruff --diff`: the question is "is there anything to fix?" (unless --exit-zero).
        if status == EXIT_ERROR or args.exit_zero:
            return status
        return EXIT_FINDINGS if fixer.changed_files else EXIT_OK
    if status == EXIT_OK and args.exit_non_zero_on_fix and fixer.changed_files:
        return EXIT_FINDINGS
    return status


def _selected_rules(args: argparse.Namespace) -> list[Rule]:
    engine, _, _ = _engine(args)
    return [a.rule for a in engine.active]


def cmd_rules(args: argparse.Namespace) -> int:
    rules = _selected_rules(args)
    if args.format == "json":
        print(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value, "fix": r.fix,
                           "summary": r.summary} for r in rules], ensure_ascii=False, indent=1))
        return EXIT_OK
    width = max((len(r.name) for r in rules), default=4)
    print(f"{'code':<7} {'name':<{width}} {'severity':<8} {'fix':<6} summary")
    for r in rules:
        print(f"{r.code:<7} {r.name:<{width}} {r.severity.value:<8} {r.fix if r.fix != 'none' else '—':<6} "
              f"{r.summary}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    try:
        registry = load_rules()
    except PluginError as exc:
        raise ConfigError(str(exc)) from None
    wanted = args.rule.strip()
    for r in registry.values():
        if r.code == wanted.upper() or r.name == wanted.lower():
            print(f"# {r.code} {r.name}\n")
            print(f"Severity: {r.severity.value}. Fix: {r.fix if r.fix != 'none' else 'none'}.\n")
            print(r.doc)
            return EXIT_OK
    print(f"postcheck: error: no rule has the code or name {wanted!r}", file=sys.stderr)
    return EXIT_ERROR


# -- CI integration: cache, progress, baseline, unused suppressions ---------------------


def _add_ci_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", metavar="FILE",
                   help="report only findings not recorded in FILE (made by `postcheck baseline`)")
    p.add_argument("--report-unused-suppressions", action="store_true",
                   help="report inline suppression comments that suppress nothing (PC010)")


def _add_baseline_command(sub: Any) -> None:
    p = sub.add_parser("baseline", help="record the current findings, for `check --baseline`")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--output-file", "-o", metavar="FILE",
                   help="write the baseline to FILE (paths relative to its folder) instead of stdout")
    _add_selection(p)
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--force-exclude", action="store_true",
                   help="apply exclude and .gitignore to files named on the command line too")
    p.add_argument("--report-unused-suppressions", action="store_true", help=argparse.SUPPRESS)


def _baseline(args: argparse.Namespace) -> Any:
    path = getattr(args, "baseline", None)
    if not path:
        return None
    from .baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def _results(engine: Engine, spec: EngineSpec, paths: Sequence[str], jobs: int, args: argparse.Namespace,
             config: Config, baseline: Any = None, fixer: CliFixer | None = None, raw: bool = False) -> Any:
    """The per-file results: from the cache where possible, baseline applied, with a progress bar."""
    from .runner import Progress, wants_progress, with_progress

    cache = None
    if not args.no_cache:
        from .cache import open_cache

        now_pinned = bool(args.now or os.environ.get("POSTCHECK_NOW"))
        cache_dir = os.path.join(config.root or os.getcwd(), config.cache_dir)
        cache = open_cache(engine, cache_dir, now_pinned, paths)
    results: Any = run_files(engine, spec, paths, jobs, cache=cache, raw=raw)
    if fixer is not None:
        # Fix first: the baseline then filters what remains after fixing.
        results = (fixer.process(r) for r in results)
    if baseline is not None:
        results = (FileResult(r.path, baseline.filter(r.findings), r.corpus, r.text) for r in results)
    machine = getattr(args, "format", "text") not in ("text",) or bool(getattr(args, "diff", False))
    show = wants_progress(sys.stderr, len(paths), machine)
    return with_progress(results, Progress(len(paths), sys.stderr) if show else None)


def _jobs(args: argparse.Namespace) -> int:
    jobs: int = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    return jobs


def cmd_baseline(args: argparse.Namespace) -> int:
    from .baseline import dump

    engine, spec, config = _engine(args)
    paths = _discover(args, config)
    args.format = "json"  # no progress bar decisions based on a human format
    findings: list[Finding] = []
    collected: list[Any] = []
    for result in _results(engine, spec, paths, _jobs(args), args, config):
        findings.extend(result.findings)
        collected.extend(result.corpus)
    findings.extend(engine.finalize(collected))
    findings.sort(key=Finding.sort_key)
    base_dir = os.path.dirname(os.path.abspath(args.output_file)) if args.output_file else "."
    with output(args.output_file) as out:
        dump(findings, out, base_dir)
    print(f"postcheck: recorded {len(findings)} finding{'s' if len(findings) != 1 else ''} "
          f"in {len({f.path for f in findings})} of {len(paths)} files", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"check": cmd_check, "rules": cmd_rules, "explain": cmd_explain, "baseline": cmd_baseline}


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        open_closed_streams()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors=ERRORS)  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    # Only a run that owns its process (the console script, `python -m postcheck`) tunes
    # the garbage collector; main([...]) called from other code leaves it alone.
    args.owns_process = argv is None
    if args.owns_process:
        stop_cleanly_on_sigterm()
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # a reader gone away shows here, not in the interpreter's last flush
        return status
    except (ConfigError, UsageError) as exc:
        print(f"postcheck: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("postcheck: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("postcheck: terminated", file=sys.stderr)
        return 128 + 15
    except BrokenPipeError:
        detach_stdout()
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never a traceback for users; exit 2 with one line
        if os.environ.get("POSTCHECK_DEBUG"):
            raise
        print(f"postcheck: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
