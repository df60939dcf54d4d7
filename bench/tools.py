"""The tools users already run on these posts, for comparison. Not a test.

Neither is a dependency of postcheck; install them only to benchmark:

    (cd bench/out && npm install markdownlint-cli2)   # or: npm install -g markdownlint-cli2
    .venv/bin/pip install trafilatura lxml_html_clean

``bench/run.py`` skips a comparison whose tool is missing. Run alone:

    python bench/tools.py trafilatura FOLDER   # extract every post's body; prints JSON
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKDOWNLINT_HINT = "cd bench/out && npm install markdownlint-cli2   (or npm install -g markdownlint-cli2)"
TRAFILATURA_HINT = ".venv/bin/pip install trafilatura lxml_html_clean"


def markdownlint_command() -> list[str] | None:
    """How to run markdownlint-cli2 here, or None when it is not installed."""
    local = os.path.join(HERE, "out", "node_modules", ".bin", "markdownlint-cli2")
    if os.path.exists(local):
        return [local]
    found = shutil.which("markdownlint-cli2")
    return [found] if found else None


def markdownlint_args(folder: str) -> list[str]:
    # Its default rules and no config file (the corpus copy holds none); the glob
    # takes exactly the .md posts postcheck checks.
    return [os.path.join(folder, "**", "*.md")]


def has_trafilatura() -> bool:
    import importlib.util

    # trafilatura needs lxml's html cleaner, a separate package since lxml 5.2
    return all(importlib.util.find_spec(m) is not None for m in ("trafilatura", "lxml_html_clean"))


def trafilatura_work(folder: str) -> dict[str, float]:
    """Extract the main text of each post's HTML body with trafilatura's defaults."""
    sys.path.insert(0, HERE)
    import trafilatura
    from floor import posts, split

    start = time.perf_counter()
    paths = posts(folder)
    extracted = 0
    for path in paths:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        _fm, body = split(text)
        if body.strip() and trafilatura.extract(body) is not None:
            extracted += 1
    return {"posts": len(paths), "extracted": extracted, "seconds": time.perf_counter() - start}


def trafilatura_cmd(folder: str) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "trafilatura", folder]


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "trafilatura":
        sys.exit(__doc__)
    json.dump(trafilatura_work(sys.argv[2]), sys.stdout)
