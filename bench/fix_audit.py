"""Audit `postcheck check --fix` on a copy of a corpus: what changed, and that nothing else did.

    python bench/fix_audit.py ORIGINAL_DIR FIXED_DIR

FIXED_DIR is a copy of ORIGINAL_DIR after `postcheck check FIXED_DIR --fix`. For every file
it checks that the front matter is byte-identical, and compares the article's paragraphs
(the visible text of each `<p>`: scripts excluded) before and after: a paragraph that disappeared is listed
unless its text sat inside an element that a PC3 rule reported on the original. Not a
test: it reads a whole corpus.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from lxml import etree

from postcheck.engine import Engine
from postcheck.parse import parse_bytes, visible_text


def paragraphs(root: etree._Element | None) -> list[str]:
    if root is None:
        return []
    found = []
    for p in root.iter("p"):
        text = visible_text(p).strip()
        if text:
            found.append(text)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("original")
    ap.add_argument("fixed")
    a = ap.parse_args()
    engine = Engine(select=["PC3"], now="2021-02-01T00:00:00Z")
    stats: Counter[str] = Counter()
    lost_examples: list[str] = []
    for name in sorted(os.listdir(a.original)):
        with open(os.path.join(a.original, name), "rb") as fh:
            before_raw = fh.read()
        with open(os.path.join(a.fixed, name), "rb") as fh:
            after_raw = fh.read()
        stats["files"] += 1
        if before_raw == after_raw:
            continue
        stats["changed"] += 1
        before = parse_bytes(before_raw, name)
        after = parse_bytes(after_raw, name)
        if before.fm_span and after.fm_span:
            fm_before = before.text[before.fm_span[0] - 4 : before.body_start]
            fm_after = after.text[after.fm_span[0] - 4 : after.body_start]
            if fm_before.lstrip("\ufeff") != fm_after.lstrip("\ufeff"):
                stats["front matter changed"] += 1
        stats["visible characters before"] += len("".join(before.visible_text.split()))
        stats["visible characters after"] += len("".join(after.visible_text.split()))
        kept = set(paragraphs(after.tree))
        removed_markup = set()
        result = engine.check_post(before)
        for f in result.findings:
            start = before.line_starts[f.line - 1] + f.column - 1
            end = before.line_starts[f.end_line - 1] + f.end_column - 1
            removed_markup.add(before.text[start:end])
        for p in paragraphs(before.tree):
            if p in kept:
                stats["paragraphs kept"] += 1
            elif any(p in chunk for chunk in removed_markup):
                stats["paragraphs removed with reported markup"] += 1
            else:
                stats["paragraphs lost"] += 1
                if len(lost_examples) < 10:
                    lost_examples.append(f"{name}: {p[:80]!r}")
    for key, value in stats.items():
        print(f"{key}: {value}")
    for line in lost_examples:
        print("lost:", line)
    return 1 if stats["front matter changed"] or stats["paragraphs lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
