"""The results cache: ``.postcheck_cache/`` (config ``cache-dir``; ``--no-cache`` skips it).

One SQLite file holds one row per checked file and engine: the digest of the
file's bytes, the file's stat, and its findings and corpus keys (as
:mod:`postcheck._cachecodec` encodes them: the findings' jsonl lines and what
those leave out).
The engine key (:meth:`Engine.fingerprint` and a digest of postcheck's source)
covers the postcheck version, the effective config, the rule data, the active
rules with their severities and options, and the schema, so a change to any of
them simply misses. A run reads all rows of its engine once (a single query; a run
over a few files, such as a pre-commit hook, only theirs) and decodes a row only
when its file is looked up; new rows are written in one transaction at the end.

Speed of a warm run: a file whose stat (size, mtime, ctime, inode) is unchanged
since its row was written is not read at all (see :class:`ResultCache` for the
"racy" case); otherwise it is read and hashed, and its content digest decides.
Rows are decoded straight into model objects, without pydantic's validation; a
jsonl run copies the stored lines out without building them at all.

Trust: a row is used only when its engine key, path and content digest match and
its payload matches the checksum sealed with it when it was written; anything else
(a corrupt database, a truncated or hand-edited payload, a row of another format)
is a miss and the file is checked again. SQLite's locking and journal make
concurrent runs safe: a writer that cannot get the lock in time skips writing; it
never corrupts the file.

"Now": PC102 compares the date with the current time. When "now" is pinned
(``--now``/``POSTCHECK_NOW``) it is part of the engine key; when it is not, the
key leaves it out and a file with a now-dependent finding is not cached. Time
only moves forward, so a date that is not in the future stays that way, and the
cached "no finding" stays true.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._cachecodec import DAMAGED, NotCacheable, RawResult, decode, decode_raw, encode, pack, seal, unpack, unseal

if TYPE_CHECKING:
    from .engine import Engine, FileResult

__all__ = ["NOW_DEPENDENT", "RawResult", "ResultCache", "content_digest", "decode", "decode_raw", "encode",
           "engine_key", "open_cache", "pack", "seal", "unpack", "unseal"]

FORMAT = "postcheck-cache-6"
DB_NAME = "results.sqlite3"
PAGE_SIZE = 16384
NOW_DEPENDENT = frozenset({"PC102"})
PRUNE_AFTER_S = 30 * 24 * 3600  # rows of other engine keys unused this long are dropped
KEEP_KEYS = 4  # engine keys kept at most (a hook's and a CI gate's configs, a version or two)
TOUCH_AFTER_S = 24 * 3600  # a run that writes nothing still marks its key as used once a day
# A stat is trusted only if the file's times are this much older than the read: more than
# any file system's timestamp granularity (FAT: 2 s) plus a little clock skew.
RACY_NS = 2_000_000_000
FEW_PATHS = 1000  # up to this many files, a run reads only their rows (see ResultCache._load)
BATCH = 500  # paths per query: under SQLite's smallest limit of bound parameters (999)


def content_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _code_digest(engine: Engine) -> str:
    """The source of postcheck and of the modules defining the active rules.

    The version alone is not enough: an edited rule (in a checkout, or a plugin under
    development) must never be answered from results of the old code.
    """
    files: set[str] = set()
    package = os.path.dirname(os.path.abspath(__file__))
    for folder, _dirs, names in os.walk(package):
        files.update(os.path.join(folder, n) for n in names if n.endswith(".py"))
    for active in engine.active:
        for func in (active.rule.check, getattr(active.rule, "collect", None),
                     getattr(active.rule, "finalize", None)):
            module = sys.modules.get(getattr(func, "__module__", "") or "")
            source = getattr(module, "__file__", None)
            if source:
                files.add(os.path.abspath(source))
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(files):
        h.update(name.encode("utf-8", "surrogateescape") + b"\0")
        try:
            with open(name, "rb") as fh:
                h.update(hashlib.blake2b(fh.read(), digest_size=16).digest())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


def engine_key(engine: Engine, now_pinned: bool) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(FORMAT.encode())
    h.update(_code_digest(engine).encode())
    h.update(engine.fingerprint(include_now=now_pinned).encode())
    try:  # a user schema's fields decide PC004/PC005; its JSON schema names them all
        h.update(json.dumps(engine.schema.model_json_schema(), sort_keys=True, default=str).encode())
    except Exception:  # noqa: BLE001 - some models cannot produce a JSON schema; the class name still counts
        h.update(f"{engine.schema.__module__}.{engine.schema.__qualname__}".encode())
    return h.hexdigest()


# -- storage ------------------------------------------------------------------------


def stat_key(st: os.stat_result) -> str:
    """What a file's stat must still say for its stored digest to be trusted without reading it."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


class ResultCache:
    """The rows of one engine key, loaded once; new rows are saved by :meth:`save`.

    Stat shortcut (as git's index): a row also holds the size, mtime, ctime and inode
    the file had when its digest was computed. While the file's stat still says the
    same, the stored digest is trusted without reading the file. Only a stat whose
    times are more than :data:`RACY_NS` older than the start of the run that read the
    file is ever stored: a file changed within the file system's timestamp granularity
    of that read could keep the same stat with new bytes ("racy" in git's words); such
    a file is read and hashed every run instead.
    """

    def __init__(self, db_path: str, key: str, now_pinned: bool, paths: Sequence[str] | None = None) -> None:
        self.db_path = db_path
        self.key = key
        self.now_pinned = now_pinned
        self.start_ns = time.time_ns()  # before any file of this run is read
        self.rows: dict[str, tuple[str, str, bytes]] = {}  # path key -> (digest, stat key or "", payload)
        self.pending: list[tuple[str, str, str, bytes]] = []
        self.hits = 0
        self.misses = 0
        self.usable = True
        self.error: str | None = None
        self._mark_used = False
        try:
            # The displayed path is part of the findings; the absolute one decides per-file-ignores.
            self._prefix = os.getcwd() + "\0"
            conn = self._connect()
            try:
                self.rows = self._load(conn, paths)
                used = conn.execute("SELECT stamp FROM keys WHERE engine = ?", (key,)).fetchone()
            finally:
                conn.close()
            self._mark_used = used is None or used[0] < self.start_ns - TOUCH_AFTER_S * 1_000_000_000
        except (sqlite3.Error, OSError, ValueError) as exc:
            self._give_up(exc)

    def _load(self, conn: sqlite3.Connection, paths: Sequence[str] | None) -> dict[str, tuple[str, str, bytes]]:
        """The rows of this engine key: all of them in one query, or, for a run over a few
        files (a pre-commit hook in a large archive), only theirs, looked up by primary key.
        Loading 20,000 rows took longer than checking three files."""
        query = "SELECT path, digest, stat, payload FROM results WHERE engine = ?"
        if paths is None or len(paths) > FEW_PATHS:
            return {p: (d, s, v) for p, d, s, v in conn.execute(query, (self.key,))}
        rows: dict[str, tuple[str, str, bytes]] = {}
        keys = [self._prefix + p for p in paths]
        for at in range(0, len(keys), BATCH):
            batch = keys[at:at + BATCH]
            rows.update((p, (d, s, v)) for p, d, s, v in conn.execute(
                f"{query} AND path IN ({', '.join('?' * len(batch))})", (self.key, *batch)))
        return rows

    def _give_up(self, exc: BaseException) -> None:
        self.usable = False
        self.rows = {}
        self.error = str(exc) or type(exc).__name__

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            if _format(conn) != FORMAT:
                # Rows are ~1 kB: large pages and a rowid table keep them off overflow pages, which
                # halves the time to load all rows of a key (measured: 72 -> 32 ms for 20,000).
                # The page size only applies to a new file (or after VACUUM of an emptied one).
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.execute("BEGIN IMMEDIATE")
                if _format(conn) == FORMAT:  # another run created it while this one waited
                    conn.execute("COMMIT")
                    return conn
                conn.execute("DROP TABLE IF EXISTS results")
                conn.execute("DROP TABLE IF EXISTS keys")
                conn.execute("DROP TABLE IF EXISTS meta")
                conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                conn.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
                conn.execute("CREATE TABLE results (engine TEXT NOT NULL, path TEXT NOT NULL, digest TEXT "
                             "NOT NULL, stat TEXT NOT NULL, payload BLOB NOT NULL, stamp INTEGER NOT NULL, "
                             "PRIMARY KEY (engine, path))")
                conn.execute("CREATE TABLE keys (engine TEXT PRIMARY KEY, stamp INTEGER NOT NULL)")
                conn.execute("COMMIT")
                try:
                    # An old-format file, now empty: give its space back (and take the page
                    # size); quick, as there is nothing left to copy.
                    conn.execute("VACUUM")
                except sqlite3.OperationalError:
                    pass  # another run is using it; the space is reused by new rows anyway
        except BaseException:
            conn.close()
            raise
        return conn

    def _decode(self, pk: str, path: str, payload: Any, raw: bool = False) -> FileResult | RawResult | None:
        try:
            result: FileResult | RawResult = (decode_raw if raw else decode)(unseal(payload), path)
        except DAMAGED:
            del self.rows[pk]  # a damaged row: never asked again in this run; the file is checked again
            return None
        self.hits += 1
        return result

    def has_row(self, path: str) -> bool:
        return self._prefix + path in self.rows

    def stat_matches(self, path: str, st: os.stat_result) -> bool:
        """Whether :meth:`lookup_stat` would answer (without decoding the row yet)."""
        row = self.rows.get(self._prefix + path)
        return row is not None and bool(row[1]) and row[1] == stat_key(st)

    def digest_matches(self, path: str, digest: str, st: os.stat_result | None = None) -> bool:
        """Whether :meth:`lookup` would answer, refreshing the row's stat as it does; a miss if not."""
        pk = self._prefix + path
        row = self.rows.get(pk)
        if row is None or row[0] != digest:
            self.misses += 1
            return False
        self._refresh(pk, row, st)
        return True

    def take(self, path: str, raw: bool = False) -> FileResult | RawResult | None:
        """The result of a row found by :meth:`stat_matches` or :meth:`digest_matches`; None if it is damaged.

        ``raw`` leaves the findings as their stored jsonl lines (:class:`RawResult`).
        """
        pk = self._prefix + path
        row = self.rows.get(pk)
        result = None if row is None else self._decode(pk, path, row[2], raw)
        if result is None:
            self.misses += 1
        return result

    def lookup_stat(self, path: str, st: os.stat_result, raw: bool = False) -> FileResult | RawResult | None:
        """The stored result if the file's stat is unchanged since its row was written, else None.

        None is not a miss: the caller reads the file and asks :meth:`lookup` with its digest.
        ``raw`` leaves the findings as their stored jsonl lines (:class:`RawResult`).
        """
        pk = self._prefix + path
        row = self.rows.get(pk)
        if row is None or not row[1] or row[1] != stat_key(st):
            return None
        return self._decode(pk, path, row[2], raw)

    def lookup(self, path: str, digest: str, st: os.stat_result | None = None) -> FileResult | None:
        """The stored result for these bytes (by digest); ``st`` refreshes the row's stat if it changed."""
        pk = self._prefix + path
        row = self.rows.get(pk)
        result = None if row is None or row[0] != digest else self._decode(pk, path, row[2])
        assert not isinstance(result, RawResult)
        if row is None or result is None:
            self.misses += 1
            return None
        self._refresh(pk, row, st)
        return result

    def _refresh(self, pk: str, row: tuple[str, str, bytes], st: os.stat_result | None) -> None:
        if st is not None and self.usable:
            stat = self._trusted_stat(st)
            if stat and stat != row[1]:  # touched but unchanged: next time the stat is enough
                self.pending.append((pk, row[0], stat, row[2]))

    def _trusted_stat(self, st: os.stat_result | None) -> str:
        if st is None or max(st.st_mtime_ns, st.st_ctime_ns) >= self.start_ns - RACY_NS:
            return ""
        return stat_key(st)

    def store(self, path: str, digest: str, result: FileResult, st: os.stat_result | None = None) -> None:
        """Keep a result; ``st`` is the file's stat taken before its bytes were read."""
        if not self.usable:
            return
        if not self.now_pinned and any(f.code in NOW_DEPENDENT for f in result.findings):
            return
        try:
            payload = seal(encode(result))
        except (NotCacheable, UnicodeEncodeError):  # e.g. a lone surrogate: SQLite stores UTF-8 only
            return
        self.pending.append((self._prefix + path, digest, self._trusted_stat(st), payload))

    def save(self) -> None:
        """Write the new rows, mark this engine key as used and drop the rows of keys that are
        not among the :data:`KEEP_KEYS` most recently used or unused for :data:`PRUNE_AFTER_S`
        (each config change or upgrade starts a key: the file must not grow with every one)."""
        if not self.usable or not (self.pending or self._mark_used):
            return
        now = time.time_ns()
        try:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT OR REPLACE INTO results (engine, path, digest, stat, payload, stamp) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(self.key, p, d, s, v, now) for p, d, s, v in self.pending])
                conn.execute("INSERT OR REPLACE INTO keys VALUES (?, ?)", (self.key, now))
                others = conn.execute("SELECT engine, stamp FROM keys WHERE engine != ? ORDER BY stamp DESC",
                                      (self.key,)).fetchall()
                cutoff = now - PRUNE_AFTER_S * 1_000_000_000
                for rank, (engine, used) in enumerate(others, start=1):
                    if rank >= KEEP_KEYS or used < cutoff:
                        conn.execute("DELETE FROM results WHERE engine = ?", (engine,))  # by primary key prefix
                        conn.execute("DELETE FROM keys WHERE engine = ?", (engine,))
                conn.execute("COMMIT")
            finally:
                conn.close()
            self.pending = []
            self._mark_used = False
        except sqlite3.OperationalError:
            pass  # locked by another run for too long: this run's rows are simply not kept
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc)
            print(f"postcheck: warning: cache not saved: {self.error}", file=sys.stderr)


def _format(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.OperationalError:
        return None  # a new, empty database
    return row[0] if row else None


def _prepare_dir(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    for name, text in ((".gitignore", "# Created by postcheck\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                        "# This is a cache directory created by postcheck.\n")):
        target = os.path.join(directory, name)
        if not os.path.exists(target):
            tmp = f"{target}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)


def open_cache(engine: Engine, directory: str, now_pinned: bool,
               paths: Sequence[str] | None = None) -> ResultCache | None:
    """The cache for this engine, or None (with a warning) if the folder cannot be used.

    ``paths``, the files the run will look up, lets a run over a few files read only their rows.
    """
    try:
        _prepare_dir(directory)
    except OSError as exc:
        print(f"postcheck: warning: cache disabled: {exc}", file=sys.stderr)
        return None
    db = os.path.join(directory, DB_NAME)
    cache = ResultCache(db, engine_key(engine, now_pinned), now_pinned, paths)
    if not cache.usable and os.path.exists(db):
        # Not a database we can read (truncated, overwritten): start a fresh one.
        try:
            os.replace(db, f"{db}.{os.getpid()}.corrupt")
            os.unlink(f"{db}.{os.getpid()}.corrupt")
        except OSError:
            pass
        else:
            cache = ResultCache(db, engine_key(engine, now_pinned), now_pinned, paths)
    if not cache.usable:
        print(f"postcheck: warning: cache disabled: {cache.error}", file=sys.stderr)
        return None
    return cache
