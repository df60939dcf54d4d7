"""The parse floor: the work any checker of these posts must do. Not a test.

Read each file, decode it, split the front matter, load the YAML with the C loader
and parse the body with lxml. ``bench/run.py`` runs this in a subprocess next to
``postcheck check`` on the same posts; run alone it compares the two quickly:

    python bench/floor.py ../shared/corpus/waimei            # one core, default rules
    python bench/floor.py ../shared/corpus/waimei --repeat 3 --select PC0
    python bench/floor.py --work FOLDER                       # just the floor; prints JSON

Both sides are timed as whole processes (start-up included) and again without
start-up (the same command on an empty folder, subtracted).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

import yaml
from lxml import etree

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_EXTENSIONS = (".md", ".markdown", ".html")


def posts(folder: str) -> list[str]:
    """Every post under ``folder``, sorted (postcheck also walks and sorts)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        found.extend(os.path.join(dirpath, f) for f in filenames if f.endswith(_EXTENSIONS))
    return sorted(found)


def split(text: str) -> tuple[str | None, str]:
    """(front matter or None, body)."""
    m = _FENCE.match(text)
    return (m.group(1), text[m.end() :]) if m else (None, text)


def floor(paths: list[str]) -> float:
    """Seconds to read, split, YAML-load and lxml-parse every path."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parser = etree.HTMLParser(encoding="utf-8", no_network=True)
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        fm, body = split(text)
        if fm is not None:
            yaml.load(fm, Loader=loader)  # noqa: S506 - the C *safe* loader
        if body.strip():
            etree.fromstring(body.encode("utf-8"), parser)
    return time.perf_counter() - start


def work(folder: str) -> dict[str, float]:
    start = time.perf_counter()
    paths = posts(folder)
    listed = time.perf_counter() - start
    return {"posts": len(paths), "seconds": listed + floor(paths)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--work", action="store_true", help="only run the floor over FOLDER and print JSON")
    ap.add_argument("--repeat", type=int, default=1, help="take the best of N runs of each")
    ap.add_argument("--select", help="passed to postcheck (default: all rules)")
    a = ap.parse_args()
    if a.work:
        json.dump(work(a.folder), sys.stdout)
        return 0

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import DEFAULT_OUT, best_of, compile_bytecode, empty_folder, postcheck_cmd

    compile_bytecode()

    empty = empty_folder(DEFAULT_OUT)
    extra = ["--select", a.select] if a.select else []
    pc_args = ["--format", "jsonl", "--no-cache", "--jobs", "1", *extra]
    folder = os.path.abspath(a.folder)
    fl = best_of(a.repeat, floor_cmd(folder))
    fl0 = best_of(3, floor_cmd(empty))
    pc = best_of(a.repeat, postcheck_cmd(folder, *pc_args), cwd=DEFAULT_OUT)
    pc0 = best_of(3, postcheck_cmd(empty, *pc_args), cwd=DEFAULT_OUT)
    n = len(posts(folder))
    print(f"posts: {n}")
    print(f"floor: {fl.wall:.2f} s ({n / fl.wall:,.0f} posts/s), start-up {fl0.wall:.2f} s")
    print(f"postcheck check --jobs 1: {pc.wall:.2f} s ({n / pc.wall:,.0f} posts/s), start-up {pc0.wall:.2f} s")
    print(
        f"ratio postcheck / floor: {pc.wall / fl.wall:.2f}x with start-up, "
        f"{(pc.wall - pc0.wall) / max(fl.wall - fl0.wall, 1e-9):.2f}x without"
    )
    return 0


def floor_cmd(folder: str) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "--work", folder]


if __name__ == "__main__":
    sys.exit(main())
