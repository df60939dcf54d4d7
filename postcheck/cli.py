"""The ``postcheck`` command line (SPEC §5)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .config import Config, ConfigError, load_config
from .engine import Engine, FileResult
from .model import Finding, Severity
from .report import FORMATS, formatter, summarize
from .report.json import write_finding_line
from .report.text import write_statistics
from .rule import PluginError, Rule, load_rules
from .runner import EngineSpec, discover, run_files

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", action="append", metavar="CODES", help="only these rules (codes, prefixes like PC3, or names)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="skip these rules")
    p.add_argument("--extend-select", action="append", metavar="CODES", help="add these rules to the selection")
    p.add_argument("--config", metavar="FILE", help="use this config file instead of searching for one")
    p.add_argument("--now", metavar="DATETIME", help="pin 'now' (ISO 8601) for reproducible date checks; "
                   "also POSTCHECK_NOW")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postcheck",
        description="Validate scraped posts: front matter, dates, provenance, leftover markup, consistency, encoding.",
    )
    parser.add_argument("--version", action="version", version=f"postcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check posts (default: the current folder)")
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--output-file", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    _add_selection(check)
    check.add_argument("--fail-on", choices=[s.value for s in Severity], help="lowest severity that fails the run")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores)")

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    _add_selection(rules)

    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="CODE", help="a rule code or name")
    return parser


def _engine(args: argparse.Namespace) -> tuple[Engine, EngineSpec, Config]:
    config = load_config(args.config)
    if getattr(args, "fail_on", None):
        config = config.with_overrides(fail_on=args.fail_on)
    spec = EngineSpec(
        config=config,
        select=tuple(_codes(args.select)) if args.select else None,
        extend_select=tuple(_codes(args.extend_select) or ()),
        ignore=tuple(_codes(args.ignore) or ()),
        now=args.now,
    )
    return spec.build(), spec, config


@contextmanager
def _output(path: str | None) -> Any:
    if path is None:
        yield sys.stdout
        return
    target = Path(path)
    tmp = target.with_name(f".{target.name}.postcheck-tmp")
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
        yield fh
    os.replace(tmp, target)


def _exit_status(findings: Sequence[Finding], fail_on: Severity, exit_zero: bool) -> int:
    if any(f.context and f.context.get("internal_error") for f in findings):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if any(f.severity.rank >= fail_on.rank for f in findings) else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    engine, spec, config = _engine(args)
    paths, errors = discover(args.paths or ["."], config)
    for message in errors:
        print(f"postcheck: error: {message}", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    fmt = args.format
    collected: list[Any] = []
    findings: list[Finding] = []
    stream: TextIO | None = None
    with _output(args.output_file) as out:
        stream = out if fmt == "jsonl" and not args.statistics else None
        results = run_files(engine, spec, paths, jobs)
        for result in results:
            collected.extend(result.corpus)
            findings.extend(result.findings)
            if stream is not None:
                for f in result.findings:
                    write_finding_line(f, stream)
        corpus_findings = engine.finalize(collected)
        if stream is not None:
            for f in corpus_findings:
                write_finding_line(f, stream)
        if corpus_findings:
            findings.extend(corpus_findings)
            findings.sort(key=Finding.sort_key)
        summary = summarize(findings, len(paths))
        if args.statistics:
            write_statistics(findings, engine.registry, out)
        elif stream is None:
            formatter(fmt)(findings, summary, engine.registry, out)
    return _exit_status(findings, engine.config.fail_on, args.exit_zero)


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


COMMANDS = {"check": cmd_check, "rules": cmd_rules, "explain": cmd_explain}


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="surrogateescape")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        print(f"postcheck: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("postcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
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
