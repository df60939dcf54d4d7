"""The CLI's streams: the report file, encoding that never fails, signals, closed pipes.

Kept apart from :mod:`postcheck.cli` (which parses arguments and runs commands).
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from ._fixio import make_temp

__all__ = ["ERRORS", "Terminated", "UsageError", "detach_stdout", "open_closed_streams", "output",
           "stop_cleanly_on_sigterm"]


class UsageError(Exception):
    """Bad usage: the CLI prints it on one line and exits 2."""


def _bytes_back(exc: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler for reports: a file name's undecodable byte (held as U+DC80-
    U+DCFF, Python's surrogateescape) is written back as that byte, as the name is on disk;
    any other lone surrogate (from a file's text) as U+FFFD, never an exception mid-report."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = bytearray()
    for ch in exc.object[exc.start:exc.end]:
        code = ord(ch)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else "\ufffd".encode("utf-8")
    return bytes(out), exc.end


ERRORS = "postcheck-bytes-back"
codecs.register_error(ERRORS, _bytes_back)


@contextmanager
def output(path: str | None) -> Iterator[TextIO]:
    """The report's stream: stdout, or ``--output-file``.

    A regular file (new or replaced) is written atomically under a temporary name, so no
    reader sees half a report. Anything else that exists (a device like /dev/null, a FIFO, a
    symlink) is written into, as ``>`` would: replacing it would turn /dev/null into a file
    or a symlink into a copy.
    """
    if path is None:
        yield sys.stdout
        return
    if not path:
        raise UsageError("--output-file: empty file name")
    try:
        target = os.stat(path)
    except FileNotFoundError:
        target = None
    except OSError as exc:
        raise UsageError(f"--output-file {path}: {exc.strerror or exc}") from None
    if target is not None and stat.S_ISDIR(target.st_mode):
        raise UsageError(f"--output-file {path}: is a folder")
    # (a symlink, even a dangling one, is written through: `>` would create its target)
    direct = os.path.islink(path) or (target is not None and not stat.S_ISREG(target.st_mode))
    try:
        if direct:
            report = open(path, "w", encoding="utf-8", errors=ERRORS, newline="\n")  # noqa: SIM115
            tmp = None
        else:
            fd, tmp = make_temp(path)
            report = os.fdopen(fd, "w", encoding="utf-8", errors=ERRORS, newline="\n")
    except OSError as exc:  # a folder that does not exist, no permission: the user's to mend
        raise UsageError(f"--output-file {path}: {exc.strerror or exc}") from None
    try:
        with report as fh:
            yield fh
        if tmp is not None:
            mode = stat.S_IMODE(target.st_mode) if target is not None else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)  # no half-written report, no stray temporary file
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Terminated(BaseException):
    """SIGTERM (a CI job cancelled, ``timeout``): raised like Ctrl-C's KeyboardInterrupt,
    so a write in progress removes its temporary file on the way out."""


def stop_cleanly_on_sigterm() -> None:
    import signal

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated

    with suppress(ValueError, OSError, AttributeError):  # not the main thread, or no SIGTERM here
        signal.signal(signal.SIGTERM, terminate)


def detach_stdout() -> None:
    """The reader of our stdout went away (``| head``): what is still buffered can never be
    written, so point the descriptor at the null device, as the Python docs advise, instead
    of letting the interpreter's last flush print "Exception ignored ... BrokenPipeError"."""
    ours = sys.__stdout__
    if ours is None or sys.stdout is not ours:
        return  # main() called from other code: its stdout is not ours to redirect
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, ours.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def open_closed_streams() -> None:
    """Started with stdout or stderr closed (``postcheck check >&-``): write to the null
    device instead of failing; the exit status still tells."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
