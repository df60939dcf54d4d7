"""Finds the files to check and runs the engine over them, in order, with worker processes.

Discovery honours include/exclude and ``.gitignore``, never follows a symlinked
folder (so no symlink loop can trap it), and keeps every path exactly as named.
Results come back in sorted path order whatever ``--jobs`` is, so output is
identical for any number of workers.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from ._fixio import read_regular
from .config import Config
from .engine import Engine, FileResult
from .model import Finding, Severity

if TYPE_CHECKING:
    from .cache import RawResult, ResultCache

__all__ = ["EngineSpec", "discover", "run_files"]

T = TypeVar("T")

ALWAYS_EXCLUDED = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".postcheck_cache", ".tox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache",
     # Jekyll's templates and built site: HTML without front matter, never a post
     "_layouts", "_includes", "_site", "_sass"}
)


class _GitIgnore:
    """The patterns of one .gitignore file, matched as git does for the common cases."""

    def __init__(self, base: str, lines: Iterable[str], outer: str = "") -> None:
        # ``base``: the file's folder relative to the walked folder (a file inside it);
        # ``outer``: the walked folder relative to the file's folder (a file above it)
        self.base = base
        self.outer = outer
        self.rules: list[tuple[re.Pattern[str], bool, bool]] = []  # (regex, negated, dir_only)
        for raw in lines:
            line = raw.rstrip("\n\r")
            if not line or line.startswith("#"):
                continue
            line = line.rstrip(" ") if not line.endswith("\\ ") else line
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            if line.startswith("\\"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            regex = _glob_to_regex(line)
            prefix = "" if anchored else "(?:.*/)?"
            self.rules.append((re.compile(f"^{prefix}{regex}$"), negated, dir_only))

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included, None if no pattern matches."""
        verdict: bool | None = None
        for regex, negated, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if regex.match(rel):
                verdict = not negated
        return verdict


def _glob_to_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _ignored(ignores: Sequence[_GitIgnore], rel: str, is_dir: bool) -> bool:
    """The last matching pattern of the innermost .gitignore files decides, as in git."""
    verdict = False
    for g in ignores:
        sub = rel if g.base == "" else rel[len(g.base) + 1 :]
        if g.outer:
            sub = f"{g.outer}/{sub}"
        decided = g.decide(sub, is_dir)
        if decided is not None:
            verdict = decided
    return verdict


class _Globs:
    """Glob patterns matched against a relative path or a bare name, compiled into one regex."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)) if patterns else None

    def match(self, rel: str | None, name: str) -> bool:
        """``rel``: the path from the project folder, None outside it (then only names match)."""
        regex = self.regex
        if regex is None:
            return False
        return regex.match(name) is not None or (rel is not None and regex.match(rel) is not None)


def _read_gitignore(folder: str, base: str, outer: str = "") -> _GitIgnore | None:
    try:
        return _GitIgnore(base, read_regular(os.path.join(folder, ".gitignore"), 1 << 20).decode(
            "utf-8", "replace").splitlines(), outer)
    except OSError:
        return None


def _outer_gitignores(folder: str, project: str) -> list[_GitIgnore]:
    """The .gitignore files above ``folder`` (absolute) that git would apply inside it.

    Up to the repository's top (the nearest folder holding ``.git``), or, outside a
    repository, up to the project folder (the config's, else the working folder), so that
    ``postcheck check sub`` skips what ``postcheck check .`` skips.
    """
    above: list[str] = []
    here = os.path.dirname(folder)
    while True:
        above.append(here)
        if os.path.exists(os.path.join(here, ".git")):
            break
        parent = os.path.dirname(here)
        if parent == here:  # no repository: keep what lies inside the project folder
            above = [a for a in above if a == project or a.startswith(os.path.join(project, ""))]
            break
        here = parent
    found: list[_GitIgnore] = []
    for outer_folder in reversed(above):  # the outermost first: inner files decide last
        ignore = _read_gitignore(outer_folder, "", os.path.relpath(folder, outer_folder).replace(os.sep, "/"))
        if ignore is not None:
            found.append(ignore)
    return found


class _Anchor:
    """Paths below a walked folder, read from the project folder (where the config is)."""

    def __init__(self, folder: str, project: str) -> None:
        self.prefix: str | None = None  # the walked folder inside the project: "" or "sub/"
        self.inner: str | None = None  # the project inside the walked folder: "site/"
        try:
            rel = os.path.relpath(folder, project).replace(os.sep, "/")
        except ValueError:  # another drive
            return
        if rel == ".":
            self.prefix = ""
        elif not (rel == ".." or rel.startswith("../") or os.path.isabs(rel)):
            self.prefix = rel + "/"
        else:
            back = os.path.relpath(project, folder).replace(os.sep, "/")
            if not (back == ".." or back.startswith("../") or os.path.isabs(back)):
                self.inner = back + "/"

    def __call__(self, rel: str) -> str | None:
        if self.prefix is not None:
            return self.prefix + rel
        inner = self.inner
        if inner is not None and rel.startswith(inner):
            return rel[len(inner):]
        return None


def discover(paths: Sequence[str], config: Config, *, force_exclude: bool = False) -> tuple[list[str], list[str]]:
    """Files to check (sorted, each file once) and warnings about folders that could not be read.

    A path named on the command line that is no regular file or folder (missing, a dangling
    symlink, a FIFO) is kept: reading it gives its PC001 finding, as ruff reports E902,
    and the other files are checked all the same. A file named on the command line is
    checked even when ``exclude`` or a .gitignore would skip it, unless ``force_exclude``
    (what the pre-commit hooks pass, since they name every staged file). Globs are
    anchored at the project folder; a bare name matches at any depth.
    """
    found: dict[str, None] = {}
    seen: set[str] = set()  # absolute, normalised: ``a.md ./a.md`` or ``. $PWD`` name one file once
    errors: list[str] = []
    include = _Globs(config.include)
    exclude = _Globs(config.exclude)
    project = os.path.abspath(config.root or os.getcwd())

    def add(name: str) -> None:
        key = os.path.normpath(os.path.abspath(name))
        if key not in seen:
            seen.add(key)
            found[name] = None

    cwd = os.getcwd()
    for given in paths or ["."]:
        given = _shown(given, cwd)
        if os.path.isfile(given):
            if force_exclude and _excluded_file(given, project, exclude, config.respect_gitignore):
                continue
            add(given)
            continue
        if not os.path.isdir(given):
            add(given)  # its PC001 says why it cannot be read
            continue
        top = os.path.abspath(given)
        anchor = _Anchor(top, project)
        # A scandir walk: DirEntry knows regular files and folders without a stat per file.
        # (Entries come in no particular order; the result is sorted at the end.)
        prefix = "" if given in (".", "./", "") else os.path.join(given, "")
        # an absolute folder holding the working folder: what lies inside it is shown relative
        here = _Anchor(cwd, top).prefix if os.path.isabs(given) else None
        outer = _outer_gitignores(top, project) if config.respect_gitignore else []
        stack: list[tuple[str, str, list[_GitIgnore]]] = [(given, "", outer)]
        while stack:
            dirpath, rel_dir, inherited = stack.pop()
            try:
                with os.scandir(dirpath) as it:
                    entries = list(it)
            except OSError as exc:
                errors.append(f"{dirpath}: cannot read folder: {exc.strerror or exc}")
                continue
            ignores = inherited
            if config.respect_gitignore and any(e.name == ".gitignore" for e in entries):
                inner = _read_gitignore(dirpath, rel_dir)
                if inner is not None:
                    ignores = [*inherited, inner]
            for entry in entries:
                name = entry.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                anchored = anchor(rel)
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if name in ALWAYS_EXCLUDED or exclude.match(anchored, name) or _ignored(ignores, rel, True):
                            continue
                        stack.append((entry.path, rel, ignores))
                        continue
                    if not include.match(anchored, name) or exclude.match(anchored, name) \
                            or _ignored(ignores, rel, False):
                        continue
                    # Symlinked folders are never followed (no loops, no escaping the tree); a
                    # broken symlink or a special file is not a post.
                    if not entry.is_file(follow_symlinks=True):
                        continue
                except OSError:
                    continue
                native = rel if os.sep == "/" else rel.replace("/", os.sep)
                add(native[len(here):] if here and rel.startswith(here) else prefix + native)
    return sorted(found), errors


def _shown(given: str, cwd: str) -> str:
    """An absolute path inside the working folder is shown relative to it (SPEC §5, as ruff
    does); any other path exactly as it was given."""
    if not os.path.isabs(given):
        return given
    try:
        rel = os.path.relpath(given, cwd)
    except ValueError:  # another drive
        return given
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return given
    return rel


def _excluded_file(path: str, project: str, exclude: _Globs, respect_gitignore: bool) -> bool:
    """Whether a walk would have skipped this named file (``force_exclude``)."""
    full = os.path.abspath(path)
    folder, name = os.path.split(full)
    above = _Anchor(folder, project).prefix
    if above is None:  # outside the project: only names match
        if exclude.match(None, name):
            return True
    else:
        parts = [*above.split("/")[:-1], name]
        for depth, part in enumerate(parts):
            if part in ALWAYS_EXCLUDED or exclude.match("/".join(parts[: depth + 1]), part):
                return True
    if respect_gitignore:
        # every .gitignore from the top down to the file's folder, each deciding on the path
        # relative to its own folder; an ignored folder hides what it holds for good (as in git)
        verdict = False
        for g in _outer_gitignores(full, project):
            steps = g.outer.split("/")
            if any(g.decide("/".join(steps[:depth]), True) for depth in range(1, len(steps))):
                return True
            decided = g.decide(g.outer, False)
            if decided is not None:
                verdict = decided
        return verdict
    return False


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
