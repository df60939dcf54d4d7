"""--jobs: output identical to --jobs 1, corpus rules see every post, Ctrl-C stops cleanly; progress."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from postcheck.runner import Progress, wants_progress

NOW = "2021-02-01T00:00:00Z"
BODY = "<p>" + "Plenty of article text that goes on for a while. " * 3 + "</p>\n"


def post(i: int) -> str:
    extra = "colour: red\n" if i % 5 == 0 else ""
    body = BODY if i % 11 else "<p>short</p>\n"
    return (f"---\ntitle: Post {i}\ndate: 2021-01-05T10:00:00+08:00\n"
            f"from: https://example.com/story/{i % 40}\n{extra}---\n\n<div class=\"adsbygoogle\"></div>\n{body}")


def make_corpus(root: Path, n: int) -> Path:
    folder = root / "posts"
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:04d}-post.md").write_text(post(i), encoding="utf-8")
    return folder


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
        **kw: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "postcheck", *args], cwd=cwd, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=300, **kw)  # type: ignore[call-overload]


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_jobs_output_is_byte_identical(tmp_path: Path, fmt: str) -> None:
    make_corpus(tmp_path, 160)  # enough for the worker pool (it starts at 64 files)
    args = ["check", "posts", "--now", NOW, "--no-cache", "--format", fmt, "--select", "PC0,PC206,PC301"]
    one = cli(*args, "--jobs", "1", cwd=tmp_path)
    two = cli(*args, "--jobs", "2", cwd=tmp_path)
    three = cli(*args, "--jobs", "3", cwd=tmp_path)
    assert one.returncode == two.returncode == three.returncode == 1, one.stderr
    assert one.stdout == two.stdout == three.stdout
    # PC206 pairs posts 40 apart, which land in different workers' chunks
    assert one.stdout.count(b"PC206") >= 120


def test_cached_parallel_output_is_byte_identical(tmp_path: Path) -> None:
    make_corpus(tmp_path, 160)
    args = ["check", "posts", "--now", NOW, "--select", "PC0,PC206,PC301"]
    reference = cli(*args, "--no-cache", "--jobs", "1", cwd=tmp_path).stdout
    assert cli(*args, "--jobs", "2", cwd=tmp_path).stdout == reference  # cold, fills the cache
    (tmp_path / "posts" / "0003-post.md").write_text(post(3) + "<p>changed</p>\n", encoding="utf-8")
    changed = cli(*args, "--no-cache", "--jobs", "1", cwd=tmp_path).stdout
    assert cli(*args, "--jobs", "2", cwd=tmp_path).stdout == changed  # one miss among hits


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    make_corpus(tmp_path, 6000)
    proc = subprocess.Popen([sys.executable, "-m", "postcheck", "check", "posts", "--now", NOW, "--no-cache",
                             "--jobs", "2"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15  # the pool is stopped, not drained
    assert proc.returncode == 130
    assert err.endswith(b"postcheck: interrupted\n"), err.decode(errors="replace")
    assert b"Traceback" not in err
    assert b"Found" not in out  # no report of a run that did not finish


def test_progress_is_for_terminals_only() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_progress(Tty(), 1000, False, env={})
    assert not wants_progress(Tty(), 100, False, env={})  # short runs need no bar
    assert not wants_progress(Tty(), 1000, True, env={})  # machine formats
    assert not wants_progress(Tty(), 1000, False, env={"CI": "true"})
    assert not wants_progress(io.StringIO(), 1000, False, env={})  # pipes and files
    assert wants_progress(Tty(), 1000, False, env={"CI": "false"})


def test_progress_line_shows_rate_and_eta() -> None:
    clock = iter([0.0, 2.0, 2.0, 4.0, 4.0])
    stream = io.StringIO()
    bar = Progress(400, stream, clock=lambda: next(clock))
    bar.tick(100)
    assert "100/400 files 25% 50 files/s ETA 6s" in stream.getvalue()
    bar.tick(300)
    assert "400/400 files 100% 100 files/s ETA 0s" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_but_not_in_ci(tmp_path: Path) -> None:
    make_corpus(tmp_path, 320)
    args = ["check", "posts", "--now", NOW, "--no-cache", "--jobs", "1", "--select", "PC002"]
    seen = {}
    for ci in ("", "true"):
        master, slave = os.openpty()
        chunks: list[bytes] = []

        def drain(fd: int = master, into: list[bytes] = chunks) -> None:
            # Read while the run goes on: a full pseudo-terminal buffer would block it.
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                into.append(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            result = subprocess.run([sys.executable, "-m", "postcheck", *args], cwd=tmp_path, timeout=300,
                                    stdout=subprocess.PIPE, stderr=slave,
                                    env={**os.environ, "CI": ci, "TERM": "xterm"})
        finally:
            os.close(slave)
        reader.join(timeout=10)
        os.close(master)
        seen[ci] = b"".join(chunks)
        assert result.stdout == b"All checks passed (320 files checked).\n"
    assert b"files/s" in seen[""] and b"320/320 files" in seen[""]
    assert b"files/s" not in seen["true"]
