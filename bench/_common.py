"""Shared helpers of the bench scripts: corpus copies, measured subprocesses, best-of-N.

Not part of postcheck and not tests. Every measurement runs the command under test in
a fresh wrapper process (``bench/_measure.py``) so that the child's peak RSS, read with
``resource.getrusage(RUSAGE_CHILDREN)``, belongs to that one command only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_SOURCE = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus", "waimei"))
DEFAULT_OUT = "/tmp/postcheck-bench"  # outside the repository: corpus copies are never committed
EXTENSIONS = (".md", ".markdown", ".html")
NOW = "2021-02-01T00:00:00Z"


def source_posts(source: str) -> list[str]:
    return sorted(f for f in os.listdir(source) if f.endswith(EXTENSIONS))


# Glob syntax: markdownlint-cli2 takes globs, not file names, and cannot open these.
GLOB_SPECIAL = frozenset("\\*?[]{}!")


def build_corpus(n: int, out: str, source: str = DEFAULT_SOURCE, globbable: bool = False) -> str:
    """A folder of ``n`` posts copied from ``source``: ``corpus-N/cKKK/<original name>``.

    Copy K of the source goes to its own sub-folder, so every post keeps its original
    file name (the date prefix and slug that rules read) while its path is new. The
    folder is reused when it already holds exactly ``n`` posts. ``globbable`` leaves
    out names with glob syntax in them (``tools-N``), for tools that only take globs.
    """
    names = source_posts(source)
    if globbable:
        names = [name for name in names if not GLOB_SPECIAL.intersection(name)]
    if not names:
        raise SystemExit(f"no posts in {source}")
    dest = os.path.join(out, f"{'tools' if globbable else 'corpus'}-{n}")
    marker = os.path.join(dest, ".complete")
    if os.path.exists(marker):
        with open(marker) as fh:
            if fh.read().strip() == f"{n} {source}":
                return dest
    if os.path.exists(dest):
        shutil.rmtree(dest)
    done = 0
    copy = 0
    while done < n:
        folder = os.path.join(dest, f"c{copy:03d}")
        os.makedirs(folder)
        for name in names[: n - done]:
            shutil.copyfile(os.path.join(source, name), os.path.join(folder, name))
        done += min(len(names), n - done)
        copy += 1
    with open(marker, "w") as fh:
        fh.write(f"{n} {source}")
    return dest


def compile_bytecode() -> None:
    """Write the ``.pyc`` files of postcheck and of the environment's packages (the
    compared tools' among them), as ``pip install`` does.

    An editable checkout run with PYTHONDONTWRITEBYTECODE (set on some machines) would
    otherwise compile every module from source on each start, ~0.1 s that no installed
    postcheck pays and that would be charged to the warm-cache runs above all; a package
    installed without its ``.pyc`` files (trafilatura, installed for the comparison on
    such a machine) would pay the same at each start, and the comparison would flatter
    postcheck (1.26x one morning, 0.85x once trafilatura's files were compiled).
    """
    import compileall
    import sysconfig

    compileall.compile_dir(os.path.join(REPO, "postcheck"), quiet=1)
    for key in ("purelib", "platlib"):
        compileall.compile_dir(sysconfig.get_paths()[key], quiet=1, workers=0)


def empty_folder(out: str) -> str:
    path = os.path.join(out, "empty")
    os.makedirs(path, exist_ok=True)
    return path


@dataclass(frozen=True)
class Sample:
    """One measured run of a command."""

    wall: float  # seconds, from spawn to exit
    user: float
    sys: float
    maxrss_kb: int  # the largest peak RSS of any one process the command ran
    rc: int
    stdout: str
    stderr: str = ""  # the end of the command's stderr when it failed

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def measure(
    cmd: Sequence[str], cwd: str | None = None, keep_stdout: bool = False, env: dict[str, str] | None = None
) -> Sample:
    """Run ``cmd`` once in a fresh wrapper process and return its times and peak RSS."""
    wrapper = [sys.executable, os.path.join(HERE, "_measure.py")]
    if keep_stdout:
        wrapper.append("--keep-stdout")
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = REPO + (os.pathsep + full_env["PYTHONPATH"] if full_env.get("PYTHONPATH") else "")
    done = subprocess.run([*wrapper, "--", *cmd], cwd=cwd, env=full_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    data = json.loads(done.stdout)
    return Sample(
        data["wall"],
        data["user"],
        data["sys"],
        data["maxrss_kb"],
        data["rc"],
        data["stdout"],
        done.stderr[-2000:],
    )


def best_of(
    repeat: int,
    cmd: Sequence[str],
    cwd: str | None = None,
    before: object = None,
    ok_codes: Sequence[int] = (0,),
    keep_stdout: bool = False,
) -> Sample:
    """The fastest (wall) of ``repeat`` runs; ``before`` is called before each run (e.g. clear a cache)."""
    samples = []
    for _ in range(max(1, repeat)):
        if callable(before):
            before()
        s = measure(cmd, cwd=cwd, keep_stdout=keep_stdout)
        if s.rc not in ok_codes:
            raise RuntimeError(f"{' '.join(cmd)} exited {s.rc}:\n{s.stderr}")
        samples.append(s)
    best = min(samples, key=lambda s: s.wall)
    # Peak RSS hardly varies between runs; report the largest seen so a spike is not hidden.
    return Sample(best.wall, best.user, best.sys, max(s.maxrss_kb for s in samples), best.rc, best.stdout)


def postcheck_cmd(folder: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "postcheck", "check", folder, "--exit-zero", "--now", NOW, *extra]


def load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.1f} / {five:.1f} (1 / 5 min), {os.cpu_count()} cores"
