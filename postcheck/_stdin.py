"""``postcheck check -``: one post read from standard input, as ruff and markdownlint do.

For editors and pipelines (``curl … | postcheck check - --stdin-filename _posts/x.md``).
``--stdin-filename`` names the post in the report and for ``per-file-ignores`` and date
rules that read the file name. With ``--fix`` the fixed post goes to stdout and what
remains is reported on stderr; with ``--diff`` the diff goes to the report.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ._discovery import is_excluded, shown
from ._fixio import unified_diff
from ._streams import UsageError, output
from ._tally import EXIT_FINDINGS, EXIT_OK, Tally
from .engine import Engine
from .fix import fix_post
from .model import Finding
from .report import Summary, formatter
from .report.text import write_statistics

__all__ = ["check_stdin"]

def check_stdin(engine: Engine, args: argparse.Namespace, baseline: Any = None) -> int:
    if sys.stdin is None:
        raise UsageError("'-' reads the post from stdin, which is closed")
    name = shown(args.stdin_filename) if args.stdin_filename else "-"
    # All of it, whatever its size: with --fix it comes back out, and a post over the size
    # limit must come back whole (unchecked beyond its PC001).
    raw = sys.stdin.buffer.read()
    if args.stdin_filename and (args.force_exclude or engine.config.force_exclude) \
            and is_excluded(args.stdin_filename, engine.config):
        if args.fix and not args.diff:
            _write_post(raw)  # excluded, as ruff does: passed through, nothing reported
        return EXIT_OK
    if args.fix or args.diff:
        return _fix(engine, args, name, raw, baseline)
    result = engine.check_bytes(raw, name)
    findings = [*result.findings, *engine.finalize(result.corpus)]
    if baseline is not None:
        findings = baseline.filter(findings)
    with output(args.output_file) as out:
        _report(engine, args, name, findings, out)
    return _status(engine, args, findings)


def _report(engine: Engine, args: argparse.Namespace, name: str, findings: list[Finding], out: TextIO) -> None:
    if args.statistics:
        write_statistics(findings, engine.registry, out, unsafe_fixes=args.unsafe_fixes,
                         as_json=args.format in ("json", "jsonl"))
    else:
        formatter(args.format)(findings, _summary(engine, name, findings), engine.registry, out)


def _write_post(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _fix(engine: Engine, args: argparse.Namespace, name: str, raw: bytes, baseline: Any) -> int:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # nothing a fix can do: the post goes through unchanged, with its PC001
    if text is None or len(raw) > engine.limits.max_bytes:
        fixed, remaining, changed = raw, engine.check_bytes(raw, name).findings, False
    else:
        outcome = fix_post(engine, text, name, unsafe=args.unsafe_fixes)
        fixed = outcome.text.encode("utf-8", "surrogatepass")
        remaining, changed = [*outcome.errors, *outcome.result.findings], outcome.changed
    if baseline is not None:
        remaining = baseline.filter(remaining)
    if args.diff:
        with output(args.output_file) as out:
            out.write(unified_diff(raw.decode("utf-8", "surrogateescape"),
                                   fixed.decode("utf-8", "surrogateescape"), name))
        if args.exit_zero or _tally(engine, remaining).internal_error:
            return _status(engine, args, remaining)
        return EXIT_FINDINGS if changed else EXIT_OK
    _write_post(fixed)
    # The post is on stdout: what remains goes to the report file, or beside it on stderr,
    # in the format asked for (as ruff does).
    if args.output_file:
        with output(args.output_file) as out:
            _report(engine, args, name, remaining, out)
    else:
        _report(engine, args, name, remaining, sys.stderr)
    status = _status(engine, args, remaining)
    if status == EXIT_OK and changed and args.exit_non_zero_on_fix:
        return EXIT_FINDINGS
    return status


def _tally(engine: Engine, findings: list[Finding]) -> Tally:
    tally = Tally(engine.config.fail_on)
    tally.add(findings)
    return tally


def _summary(engine: Engine, name: str, findings: list[Finding]) -> Summary:
    summary = _tally(engine, findings).summary(files=1)
    summary.paths = [name]
    return summary


def _status(engine: Engine, args: argparse.Namespace, findings: list[Finding]) -> int:
    return _tally(engine, findings).exit_status(args.exit_zero)
