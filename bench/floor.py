"""Time the parse floor and `postcheck check` on the same posts, in one run; print the ratio.

The floor is the work any checker must do: read each file, split the front matter,
load the YAML with the C loader and parse the body with lxml. Not a test.

    python bench/floor.py ../shared/corpus/waimei            # one core, default rules
    python bench/floor.py ../shared/corpus/waimei --repeat 3 --select PC0
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

import yaml
from lxml import etree

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def posts(folder: str) -> list[str]:
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith((".md", ".markdown", ".html")))


def floor(paths: list[str]) -> float:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parser = etree.HTMLParser(encoding="utf-8", no_network=True)
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        m = _FENCE.match(text)
        body = text[m.end():] if m else text
        if m:
            yaml.load(m.group(1), Loader=loader)
        if body.strip():
            etree.fromstring(body.encode("utf-8"), parser)
    return time.perf_counter() - start


def postcheck_run(folder: str, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "postcheck", "check", folder, "--format", "json", "--exit-zero",
           "--no-cache", "--jobs", "1", "--now", "2021-02-01T00:00:00Z", *extra]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--repeat", type=int, default=1, help="take the best of N runs of each")
    ap.add_argument("--select", help="passed to postcheck (default: all rules)")
    a = ap.parse_args()
    paths = posts(a.folder)
    extra = ["--select", a.select] if a.select else []
    # The floor runs in-process; time a bare interpreter start with the same imports to
    # compare like with like.
    start_cost = min(_startup() for _ in range(3))
    f = min(floor(paths) for _ in range(a.repeat))
    p = min(postcheck_run(a.folder, extra) for _ in range(a.repeat))
    n = len(paths)
    print(f"posts: {n}")
    print(f"floor (read + split + YAML C loader + lxml): {f:.2f} s, {n / f:,.0f} posts/s")
    print(f"postcheck check --jobs 1: {p:.2f} s, {n / p:,.0f} posts/s (process start-up {start_cost:.2f} s)")
    print(f"ratio postcheck / floor: {p / f:.2f}x  (without start-up: {(p - start_cost) / f:.2f}x)")
    return 0


def _startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import postcheck.cli, postcheck.engine; "
                    "postcheck.engine.Engine()"], check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
