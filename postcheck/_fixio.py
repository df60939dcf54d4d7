"""The file side of checking and fixing: safe reads, unified diffs that ``patch`` applies, and atomic writes.

Kept apart from :mod:`postcheck.fix` (which decides what to change) so each stays small.
"""

from __future__ import annotations

import difflib
import errno
import os
import signal
import stat
import tempfile

__all__ = ["FixWriteError", "make_temp", "read_regular", "temp_prefix", "unified_diff", "write_atomic"]


class FixWriteError(Exception):
    """A fixed file was not written (changed on disk, a symlink, not encodable...)."""


# -- reads ---------------------------------------------------------------------------


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of a regular file, at most ``limit + 1`` of them (one past the limit says it
    is too large). A FIFO, device or socket is refused, not read: opening a FIFO for reading
    would wait for a writer forever, so it is opened without blocking and checked first."""
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if _NONBLOCK:
            os.set_blocking(fd, True)
        # os.read without a file object (a buffered reader cost a quarter of reading a post);
        # asking for the size plus one byte reads a post in one call and sees its end in the
        # next. A file that grew since fstat is read on, to the limit.
        cap = limit + 1
        chunks: list[bytes] = []
        got = 0
        request = min(info.st_size + 1, cap)
        while got < cap:
            chunk = os.read(fd, max(min(request, cap - got), 1))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            request = _CHUNK
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


_CHUNK = 1 << 16


# -- diffs ---------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Lines split on "\\n" only (``str.splitlines`` also splits on \\r, \\x0c, U+2028...,
    which ``patch`` does not)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _quote_path(path: str) -> str:
    """Quote a path for a diff header the way git does when it holds blanks or escapes."""
    if not any(c in path for c in ' \t"\\\n\r') and path.isprintable():
        return path
    out = []
    for c in path:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif not c.isprintable() and c != " ":
            out.extend(f"\\{b:03o}" for b in c.encode("utf-8", "surrogateescape"))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def unified_diff(old: str, new: str, path: str, context: int = 3) -> str:
    """A unified diff from ``old`` to ``new`` that GNU ``patch`` applies byte for byte.

    Lines keep their own endings (CRLF stays visible as CRLF); a last line without a
    line break gets the ``\\ No newline at end of file`` marker.
    """
    if old == new:
        return ""
    name = _quote_path(path)
    out: list[str] = []
    for i, line in enumerate(difflib.unified_diff(_lines(old), _lines(new), name, name, n=context,
                                                  lineterm="\n")):
        out.append(line)
        if i >= 2 and not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


# -- files ---------------------------------------------------------------------------


def write_atomic(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path`` with ``data``, unless it no longer holds ``expected``.

    A temporary file in the same folder is written, flushed to disk, given the
    original's mode (and owner, where allowed), then renamed over the original, so a
    reader sees either the old file or the new one. A symlink is never written
    through: renaming over it would replace the link, writing through it would edit a
    file outside the checked tree.
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise FixWriteError(f"cannot stat: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        raise FixWriteError("is a symbolic link; not written")
    if not stat.S_ISREG(st.st_mode):
        raise FixWriteError("is not a regular file; not written")
    if _read_nofollow(path) != expected:
        raise FixWriteError("changed on disk since it was read; not written")
    folder = os.path.dirname(path) or "."
    tmp = None
    try:
        fd, tmp = make_temp(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except (OSError, AttributeError):
            pass  # not allowed to give the file away: keep ours, like editors do
        # Last look right before the rename: the window for a lost update is now tiny.
        if _read_nofollow(path) != expected:
            raise FixWriteError("changed on disk since it was read; not written")
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    _fsync_folder(folder)


def make_temp(path: str) -> tuple[int, str]:
    """A new temporary file beside ``path``: (descriptor, name).

    Ctrl-C and SIGTERM are held while it is made, so that an interruption arrives only once
    the caller knows the name and can remove the file (one landing inside ``mkstemp`` left
    empty temporary files beside the posts).
    """
    try:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (AttributeError, ValueError, OSError):  # no POSIX signal masks here
        held = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".postcheck-tmp",
                                   dir=os.path.dirname(path) or ".")
    except BaseException:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    try:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal is raised here
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


def temp_prefix(path: str) -> str:
    """The start of a temporary file's name beside ``path``: its name, shortened so that a
    post whose name is near the 255-byte limit (CJK titles reach it) can still be replaced."""
    name = os.path.basename(path)
    while len(name.encode("utf-8", "surrogateescape")) > 120:
        name = name[: len(name) * 2 // 3]
    return f".{name}."


def _read_nofollow(path: str) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FixWriteError(f"cannot read back: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
