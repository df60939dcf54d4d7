"""Runs the engine over the files to check, in order, with worker processes.

Results come back in sorted path order whatever ``--jobs`` is, so output is identical
for any number of workers. Finding the files is :mod:`postcheck._discovery`'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from ._discovery import discover
from ._fixio import read_regular
from .config import Config
from .engine import Engine, FileResult
from .model import Finding, Severity

if TYPE_CHECKING:
    from .cache import RawResult, ResultCache

__all__ = ["EngineSpec", "discover", "run_files"]

T = TypeVar("T")

@dataclass(frozen=True)
class EngineSpec:
    """Everything a worker process needs to build the same engine."""

    config: Config
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    now: str | None = None

    def build(self) -> Engine:
        return Engine(self.config, select=self.select, extend_select=self.extend_select, ignore=self.ignore,
                      now=self.now)


def _read(engine: Engine, path: str) -> bytes:
    return read_regular(path, engine.limits.max_bytes)


def read_and_check(engine: Engine, path: str) -> FileResult:
    """Read one file and check it; an unreadable file becomes a PC001 finding."""
    try:
        raw = _read(engine, path)
    except OSError as exc:
        return _unreadable(engine, path, exc)
    return engine.check_bytes(raw, path)


def _unreadable(engine: Engine, path: str, exc: OSError) -> FileResult:
    finding = Finding.model_construct(
        code="PC001", rule="unreadable-file", severity=Severity.ERROR,
        message=f"cannot read file: {exc.strerror or exc}", path=path, line=1, column=1, end_line=1,
        end_column=1, field=None, fix=None, context=None, fingerprint="unreadable",
    )
    selected = any(a.rule.code == "PC001" for a in engine.active)
    return FileResult(path, [finding] if selected else [])


def _read_and_check_digest(engine: Engine, path: str) -> tuple[FileResult, str | None]:
    """The result and the digest of the bytes it was computed from (None if unreadable)."""
    from .cache import content_digest

    try:
        raw = _read(engine, path)
    except OSError as exc:
        return _unreadable(engine, path, exc), None
    return engine.check_bytes(raw, path), content_digest(raw)


_WORKER_ENGINE: Engine | None = None


def _init_worker(spec: EngineSpec) -> None:
    global _WORKER_ENGINE
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool stops its workers with SIGTERM
    if _WORKER_ENGINE is None:  # not inherited through fork: build the same engine here
        _WORKER_ENGINE = spec.build()


# Workers send results back as plain tuples (cache.pack): unpickling pydantic models in
# the parent would make it the bottleneck of a parallel run.
def _work(path: str) -> tuple[Any, ...]:
    from .cache import pack

    assert _WORKER_ENGINE is not None
    return pack(read_and_check(_WORKER_ENGINE, path))


def _work_digest(path: str) -> tuple[tuple[Any, ...], str | None]:
    from .cache import pack

    assert _WORKER_ENGINE is not None
    result, digest = _read_and_check_digest(_WORKER_ENGINE, path)
    return pack(result), digest


@overload
def run_files(engine: Engine, spec: EngineSpec, paths: Sequence[str], jobs: int = 1,
              check_one: Callable[[Engine, str], FileResult] | None = None, cache: ResultCache | None = None,
              raw: Literal[False] = False) -> Iterator[FileResult]: ...


@overload
def run_files(engine: Engine, spec: EngineSpec, paths: Sequence[str], jobs: int = 1,
              check_one: Callable[[Engine, str], FileResult] | None = None, cache: ResultCache | None = None,
              raw: bool = ...) -> Iterator[FileResult | RawResult]: ...


def run_files(
    engine: Engine,
    spec: EngineSpec,
    paths: Sequence[str],
    jobs: int = 1,
    check_one: Callable[[Engine, str], FileResult] | None = None,
    cache: ResultCache | None = None,
    raw: bool = False,
) -> Iterator[FileResult | RawResult]:
    """Results for every path, in the order given, using ``jobs`` worker processes.

    With a ``cache``, files whose content, path and engine match a stored row are
    not checked again; the others go to the workers and their results are stored.
    ``raw`` lets a cached result come as a :class:`~postcheck.cache.RawResult` (its
    findings as stored jsonl lines, and the stored body) for a caller that writes the
    lines as they are or keeps the body until a report reads it.
    """
    if cache is not None and check_one is None:
        yield from _run_cached(engine, spec, paths, jobs, cache, raw)
        return
    if jobs <= 1 or len(paths) < 64:
        worker = check_one or read_and_check
        for path in paths:
            yield worker(engine, path)
        return
    from .cache import unpack

    yield from map(unpack, _pool_map(spec, paths, jobs, _work, engine))


def _run_cached(engine: Engine, spec: EngineSpec, paths: Sequence[str], jobs: int,
                cache: ResultCache, raw: bool) -> Iterator[FileResult | RawResult]:
    """Each file is stat'ed first: an unchanged stat answers from the cache without reading it.

    The stat is always taken before the bytes are read, so a row never pairs a stat with
    bytes older than it (see :class:`~postcheck.cache.ResultCache`).
    """
    from .cache import content_digest

    stat = os.stat
    if jobs <= 1:  # one pass, each file read at most once
        for path in paths:
            try:
                st = stat(path)
            except OSError:
                yield read_and_check(engine, path)
                continue
            found = cache.lookup_stat(path, st, raw)
            if found is None:
                try:
                    data = _read(engine, path)
                except OSError:
                    yield read_and_check(engine, path)
                    continue
                digest = content_digest(data)
                result = cache.lookup(path, digest, st)
                if result is None:
                    result = engine.check_bytes(data, path)
                    cache.store(path, digest, result, st)
                found = result
            yield found
        cache.save()
        return
    # First pass: which files need checking. Rows are decoded only when their turn to be
    # yielded comes, so a warm run holds no more results in memory than a cold one.
    known: dict[int, os.stat_result] = {}
    todo: list[tuple[str, os.stat_result | None]] = []
    for i, path in enumerate(paths):
        try:
            now: os.stat_result | None = stat(path)
        except OSError:
            now = None
        if now is not None:
            if cache.stat_matches(path, now):
                known[i] = now
                continue
            # A known path with another stat (touched, checked out again) is worth hashing
            # here; a new one goes straight to the workers, which hash what they read.
            if cache.has_row(path):
                try:
                    if cache.digest_matches(path, content_digest(_read(engine, path)), now):
                        known[i] = now
                        continue
                except OSError:
                    pass  # the checking pass reports it as PC001
        todo.append((path, now))
    fresh: Iterator[tuple[FileResult, str | None]]
    if len(todo) < 64:
        fresh = (_read_and_check_digest(engine, p) for p, _ in todo)
    else:
        from .cache import unpack

        fresh = ((unpack(packed), digest)
                 for packed, digest in _pool_map(spec, [p for p, _ in todo], jobs, _work_digest, engine))
    pending = iter(todo)
    for i, path in enumerate(paths):
        if i in known:
            cached = cache.take(path, raw)
            if cached is None:  # a row that does not decode: check the file here
                redone, redone_digest = _read_and_check_digest(engine, path)
                if redone_digest is not None:
                    cache.store(path, redone_digest, redone, known[i])
                cached = redone
            yield cached
            continue
        result, checked = next(fresh)
        _, before = next(pending)
        if checked is not None:  # the digest of the bytes the worker actually checked
            cache.store(path, checked, result, before)
        yield result
    cache.save()


def _pool_map(spec: EngineSpec, paths: Sequence[str], jobs: int, work: Callable[[str], T],
              engine: Engine | None = None) -> Iterator[T]:
    global _WORKER_ENGINE
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # only runs with workers pay for the import

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx: Any = multiprocessing.get_context(method)
    jobs = worker_count(jobs, len(paths))
    chunksize = max(1, min(64, len(paths) // (jobs * 8) or 1))
    # With fork the workers inherit the parent's engine (rules, data, compiled signatures)
    # instead of loading everything again.
    _WORKER_ENGINE = engine if method == "fork" else None
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(spec,)) as pool:
            try:
                yield from pool.map(work, paths, chunksize=chunksize)
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        _WORKER_ENGINE = None


def worker_count(asked: int, files: int) -> int:
    """Workers for ``files`` files when ``asked`` for: never more than the files, nor more
    than four per core (``--jobs 5000`` started 5,000 processes; Windows refuses over 61)."""
    cores = os.cpu_count() or 1
    ceiling = min(4 * cores, 61) if os.name == "nt" else max(8, 4 * cores)
    return max(1, min(asked, files, ceiling))


class Progress:
    """A one-line progress bar on a terminal's stderr: files done, files/s, ETA.

    The caller decides whether to show one (:func:`wants_progress`); this only draws,
    at most ten times a second, and erases the line when done.
    """

    def __init__(self, total: int, stream: Any, clock: Callable[[], float] | None = None) -> None:
        import time

        self.total = total
        self.stream = stream
        self.clock = clock or time.monotonic
        self.start = self.clock()
        self.done = 0
        self._last = -1.0
        self._shown = False

    def line(self) -> str:
        elapsed = max(self.clock() - self.start, 1e-9)
        rate = self.done / elapsed
        width = 24
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        eta = f"{(self.total - self.done) / rate:.0f}s" if rate > 0 else "?"
        return (f"[{bar}] {self.done}/{self.total} files {100 * self.done // max(self.total, 1)}% "
                f"{rate:.0f} files/s ETA {eta}")

    def tick(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


PROGRESS_MIN_FILES = 300


def wants_progress(stream: Any, files: int, machine_format: bool, env: dict[str, str] | None = None) -> bool:
    """A bar only for people: a terminal, not CI, a human format, and a run long enough to wait for."""
    env = dict(os.environ) if env is None else env
    if machine_format or files < PROGRESS_MIN_FILES:
        return False
    if env.get("CI", "").strip().lower() not in ("", "0", "false") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def with_progress(results: Iterable[FileResult], progress: Progress | None) -> Iterator[FileResult]:
    if progress is None:
        yield from results
        return
    try:
        for result in results:
            progress.tick()
            yield result
    finally:
        progress.close()
