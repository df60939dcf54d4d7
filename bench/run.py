"""Benchmark postcheck against the parse floor, itself and other tools. Not a test.

    .venv/bin/python bench/run.py --posts 20000            # all of it (several minutes)
    .venv/bin/python bench/run.py --posts 4195 --only floor,jobs --repeat 5

Builds corpus copies of ../shared/corpus/waimei under /tmp/postcheck-bench (never in
the repository), then measures, each command in a fresh subprocess, best of
``--repeat`` runs by wall time:

- floor ratio: ``postcheck check --jobs 1 --no-cache --format jsonl`` over the parse
  floor (``bench/floor.py``: read, split, YAML C loader, lxml), with start-up (whole
  processes) and without it (minus the same command on an empty folder), and in CPU time;
- jobs-2 speed-up: ``--jobs 1`` over ``--jobs 2`` wall time;
- memory: peak RSS (``getrusage(RUSAGE_CHILDREN)``) at ``--posts`` and at a tenth of it
  (jsonl, the target; and the default text format, whose report is written at the end);
- cache: cold (empty cache folder) over warm (the same run again);
- markdownlint-cli2 and trafilatura (when installed, see ``bench/tools.py``) over
  postcheck ``--jobs 1`` on the same ``--tool-posts`` posts.

Timings on a busy machine are noisy: the best of N is reported and the load average
printed; CPU-time ratios are steadier than wall-time ones when cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402 - after the path set-up
    DEFAULT_OUT,
    DEFAULT_SOURCE,
    Sample,
    best_of,
    build_corpus,
    compile_bytecode,
    empty_folder,
    load_average,
    postcheck_cmd,
)
from floor import floor_cmd  # noqa: E402
from tools import (  # noqa: E402
    MARKDOWNLINT_HINT,
    TRAFILATURA_HINT,
    has_trafilatura,
    markdownlint_command,
    trafilatura_cmd,
)

PARTS = ("floor", "jobs", "memory", "cache", "tools")
TARGETS = {
    "floor": ("<=", 2.0, "postcheck / floor, one core (aim 1.5x)"),
    "jobs": (">=", 1.7, "--jobs 1 / --jobs 2 wall time"),
    "memory": ("<=", 1.5, "peak RSS big / small (--format jsonl)"),
    "memory-text": ("", 0.0, "peak RSS big / small, --format text (no target: the report is written at the end)"),
    "cache": (">=", 20.0, "cold / warm wall time"),
    "markdownlint": (">=", 1.0, "markdownlint-cli2 / postcheck --jobs 1"),
    "trafilatura": (">=", 1.0, "trafilatura extraction / postcheck --jobs 1"),
}


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, Sample]] = []
        self.ratios: list[tuple[str, float, str]] = []  # (target key, value, detail)

    def add(self, label: str, posts: int, s: Sample) -> Sample:
        self.rows.append((label, posts, s))
        rate = f"{posts / s.wall:8,.0f}" if posts else "       -"
        print(
            f"  {label:<44} {posts:>7,} {s.wall:8.2f} {s.cpu:8.2f} {rate} {s.maxrss_kb / 1024:8.1f}",
            flush=True,
        )
        return s

    def ratio(self, key: str, value: float, detail: str = "") -> None:
        self.ratios.append((key, value, detail))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=20000, help="posts in the big corpus (default 20000)")
    ap.add_argument("--small", type=int, help="posts in the small corpus for memory (default posts/10)")
    ap.add_argument("--tool-posts", type=int, help="posts for the tool comparison (default: the small corpus)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for each timing (default 3)")
    ap.add_argument("--cache-jobs", type=int, default=1, help="--jobs for the cold/warm cache runs (default 1)")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    ap.add_argument("--source", default=DEFAULT_SOURCE, help="folder of posts to copy")
    ap.add_argument("--out", default=DEFAULT_OUT, help="where corpus copies and the cache go")
    ap.add_argument("--json", metavar="FILE", help="also write every measurement and ratio as JSON")
    a = ap.parse_args()
    parts = {p.strip() for p in a.only.split(",") if p.strip()}
    if parts - set(PARTS):
        ap.error(f"--only: unknown part(s) {', '.join(sorted(parts - set(PARTS)))}")
    small_n = a.small or max(1, a.posts // 10)
    tool_n = a.tool_posts or small_n
    os.makedirs(a.out, exist_ok=True)
    cwd = a.out  # no pyproject.toml / postcheck.toml above it, so postcheck runs with its defaults

    t0 = time.perf_counter()
    compile_bytecode()
    big = build_corpus(a.posts, a.out, a.source)
    small = build_corpus(small_n, a.out, a.source) if "memory" in parts else None
    tool = build_corpus(tool_n, a.out, a.source, globbable=True) if "tools" in parts else None
    empty = empty_folder(a.out)
    print(f"corpora ready in {time.perf_counter() - t0:.1f} s under {a.out}")
    print(f"load average at start: {load_average()}; best of {a.repeat} runs each")
    print(f"  {'measurement':<44} {'posts':>7} {'wall s':>8} {'cpu s':>8} {'posts/s':>8} {'RSS MiB':>8}")

    rep = Report()
    nocache = ["--format", "jsonl", "--no-cache"]
    j1 = [*nocache, "--jobs", "1"]
    rel = os.path.relpath  # short paths in postcheck's output
    pc1: Sample | None = None
    pc0 = rep.add(
        "postcheck start-up (empty folder, --jobs 1)",
        0,
        best_of(3, postcheck_cmd(rel(empty, cwd), *j1), cwd=cwd),
    )

    if parts & {"floor", "jobs", "memory"}:
        pc1 = rep.add(
            "postcheck --jobs 1 --no-cache",
            a.posts,
            best_of(a.repeat, postcheck_cmd(rel(big, cwd), *j1), cwd=cwd),
        )
    if "floor" in parts and pc1 is not None:
        fl0 = rep.add("floor start-up (empty folder)", 0, best_of(3, floor_cmd(empty)))
        fl = rep.add("floor (read, split, YAML C, lxml)", a.posts, best_of(a.repeat, floor_cmd(big)))
        work = json.loads(best_of(1, floor_cmd(big), keep_stdout=True).stdout)["seconds"]
        rep.ratio(
            "floor",
            (pc1.wall - pc0.wall) / max(fl.wall - fl0.wall, 1e-9),
            f"without start-up; with start-up {pc1.wall / fl.wall:.2f}x; CPU time {pc1.cpu / fl.cpu:.2f}x; "
            f"floor's own timer {work:.2f} s",
        )
    if "jobs" in parts and pc1 is not None:
        pc2 = rep.add(
            "postcheck --jobs 2 --no-cache",
            a.posts,
            best_of(a.repeat, postcheck_cmd(rel(big, cwd), *nocache, "--jobs", "2"), cwd=cwd),
        )
        rep.ratio(
            "jobs",
            pc1.wall / pc2.wall,
            f"CPU time jobs 2 / jobs 1 {pc2.cpu / pc1.cpu:.2f}x (parallel overhead); on 2 idle cores "
            f"at most {2 * pc1.cpu / pc2.cpu:.2f}x",
        )
    if "memory" in parts and pc1 is not None and small is not None:
        ps = rep.add(
            "postcheck --jobs 1 --no-cache (small)",
            small_n,
            best_of(a.repeat, postcheck_cmd(rel(small, cwd), *j1), cwd=cwd),
        )
        rep.ratio(
            "memory",
            pc1.maxrss_kb / ps.maxrss_kb,
            f"{pc1.maxrss_kb / 1024:.0f} MiB at {a.posts:,} / {ps.maxrss_kb / 1024:.0f} MiB at {small_n:,}",
        )
        text = ["--format", "text", "--no-cache", "--jobs", "1"]
        tb = rep.add("postcheck --format text --jobs 1 --no-cache", a.posts,
                     best_of(1, postcheck_cmd(rel(big, cwd), *text), cwd=cwd))
        ts = rep.add("postcheck --format text ... (small)", small_n,
                     best_of(1, postcheck_cmd(rel(small, cwd), *text), cwd=cwd))
        rep.ratio(
            "memory-text",
            tb.maxrss_kb / ts.maxrss_kb,
            f"{tb.maxrss_kb / 1024:.0f} MiB at {a.posts:,} / {ts.maxrss_kb / 1024:.0f} MiB at {small_n:,}",
        )
    if "cache" in parts:
        _cache(rep, a.repeat, a.cache_jobs, rel(big, cwd), a.posts, cwd, pc0, pc1)
    if "tools" in parts and tool is not None:
        try:
            _tools(rep, a.repeat, tool, tool_n, cwd, j1)
        except RuntimeError as exc:  # a tool that fails must not lose the other figures
            print(f"  tool comparison failed: {exc}")

    print(f"load average at end: {load_average()}")
    print("\nratios (target in brackets):")
    for key, value, detail in rep.ratios:
        op, target, what = TARGETS[key]
        if not op:
            print(f"  {key:<13} {value:7.2f}x  {'':<16}{what}")
        else:
            ok = value <= target if op == "<=" else value >= target
            print(f"  {key:<13} {value:7.2f}x  [{op} {target}x] {'ok  ' if ok else 'MISS'}  {what}")
        if detail:
            print(f"  {'':<13} {detail}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(
                {
                    "posts": a.posts,
                    "small": small_n,
                    "tool_posts": tool_n,
                    "repeat": a.repeat,
                    "measurements": [
                        {"label": label, "posts": n, **s.__dict__, "stdout": None, "stderr": None}
                        for label, n, s in rep.rows
                    ],
                    "ratios": {k: v for k, v, _ in rep.ratios},
                },
                fh,
                indent=1,
            )
    return 0


def _cache(rep: Report, repeat: int, jobs: int, folder: str, n: int, cwd: str, pc0: Sample, pc1: Sample | None) -> None:
    """Cold (empty cache folder) then warm (the same run again), in pairs, best of each."""
    cache_dir = os.path.join(cwd, ".postcheck_cache")
    cmd = postcheck_cmd(folder, "--format", "jsonl", "--jobs", str(jobs))
    colds, warms = [], []
    for _ in range(max(1, repeat)):
        shutil.rmtree(cache_dir, ignore_errors=True)
        # Each warm run follows its cold run at once: the cache key includes a digest of
        # postcheck's source, so an edit between the two (in a busy checkout) is a miss.
        colds.append(best_of(1, cmd, cwd=cwd))
        warms.append(best_of(1, cmd, cwd=cwd))
    shutil.rmtree(cache_dir, ignore_errors=True)
    cold = rep.add(f"postcheck cold cache --jobs {jobs}", n, min(colds, key=lambda s: s.wall))
    warm = rep.add(f"postcheck warm cache --jobs {jobs}", n, min(warms, key=lambda s: s.wall))
    detail = f"warm without start-up {warm.wall - pc0.wall:.2f} s; CPU time {cold.cpu / warm.cpu:.1f}x"
    if pc1 is not None:
        detail += f"; cold (with cache writes) / --no-cache {cold.wall / pc1.wall:.2f}x"
    if warm.cpu > cold.cpu / 2:
        detail += "; the warm runs MISSED the cache (postcheck's source changed during the run?)"
    rep.ratio("cache", cold.wall / warm.wall, detail)


def _tools(rep: Report, repeat: int, folder: str, n: int, cwd: str, j1: list[str]) -> None:
    pc = rep.add(
        "postcheck --jobs 1 --no-cache (tool posts)",
        n,
        best_of(repeat, postcheck_cmd(os.path.relpath(folder, cwd), *j1), cwd=cwd),
    )
    mdl = markdownlint_command()
    if mdl is None:
        print(f"  (markdownlint-cli2 not installed, skipped: {MARKDOWNLINT_HINT})")
    else:
        parent, name = os.path.split(folder)
        s = rep.add(
            "markdownlint-cli2 (default rules)",
            n,
            best_of(repeat, [*mdl, f"{name}/**/*.md"], cwd=parent, ok_codes=(0, 1)),
        )
        rep.ratio("markdownlint", s.wall / pc.wall, f"CPU time {s.cpu / pc.cpu:.2f}x")
    if not has_trafilatura():
        print(f"  (trafilatura not installed, skipped: {TRAFILATURA_HINT})")
    else:
        s = rep.add("trafilatura.extract of each body", n, best_of(repeat, trafilatura_cmd(folder)))
        rep.ratio("trafilatura", s.wall / pc.wall, f"CPU time {s.cpu / pc.cpu:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
