"""The results cache: ``.postcheck_cache/`` (config ``cache-dir``; ``--no-cache`` skips it).

One SQLite file holds one row per checked file and engine: the digest of the
file's bytes and its findings and corpus keys as compact JSON. The engine key
(:meth:`Engine.fingerprint`) covers the postcheck version, the effective config,
the rule data, the active rules with their severities and options, and the
schema, so a change to any of them simply misses. A run reads all rows of its
engine once (a single query) and decodes a row only when its file is looked up;
new rows are written in one transaction at the end.

Trust: a row is used only when its engine key, path and content digest match and
it decodes to exactly the expected shape; anything else (a corrupt database, a
row written by another version, a hand-edited payload) is a miss and the file is
checked again. SQLite's locking and journal make concurrent runs safe: a writer
that cannot get the lock in time skips writing; it never corrupts the file.

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
from typing import TYPE_CHECKING, Any

from .model import Edit, Finding, Fix, Severity
from .rule import CorpusItem

if TYPE_CHECKING:
    from .engine import Engine, FileResult

__all__ = ["NOW_DEPENDENT", "ResultCache", "content_digest", "engine_key", "open_cache"]

FORMAT = "postcheck-cache-1"
DB_NAME = "results.sqlite3"
NOW_DEPENDENT = frozenset({"PC102"})
PRUNE_AFTER_S = 30 * 24 * 3600  # rows of other engine keys untouched this long are dropped
_SEVERITIES = {s.value: s for s in Severity}


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


# -- encoding -----------------------------------------------------------------------


class _NotCacheable(Exception):
    pass


def _enc_key(value: Any) -> Any:
    """Corpus keys: JSON with tuples and lists tagged, so they come back as they were."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, tuple):
        return {"t": [_enc_key(v) for v in value]}
    if isinstance(value, list):
        return {"l": [_enc_key(v) for v in value]}
    raise _NotCacheable(type(value).__name__)


def _dec_key(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"t"} and isinstance(value["t"], list):
            return tuple(_dec_key(v) for v in value["t"])
        if set(value) == {"l"} and isinstance(value["l"], list):
            return [_dec_key(v) for v in value["l"]]
        raise ValueError("bad corpus key")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError("bad corpus key")


def _enc_fix(fix: Fix | None) -> Any:
    if fix is None:
        return None
    return [fix.applicability, fix.description, [[e.start, e.end, e.replacement] for e in fix.edits]]


def _dec_fix(value: Any) -> Fix | None:
    if value is None:
        return None
    applicability, description, edits = value
    if applicability not in ("safe", "unsafe") or not isinstance(description, str):
        raise ValueError("bad fix")
    # Types are checked here; model_construct skips pydantic's slower second validation.
    return Fix.model_construct(applicability=applicability, description=description, edits=tuple(
        Edit.model_construct(start=_int(s), end=_int(e), replacement=_str(r)) for s, e, r in edits))


def _int(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError("expected an integer")
    return v


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected a string")
    return v


def _opt_str(v: Any) -> str | None:
    return None if v is None else _str(v)


def encode(result: FileResult) -> str:
    """The JSON payload of a result; raises _NotCacheable for values JSON cannot carry exactly."""
    findings = []
    for f in result.findings:
        if f.path != result.path:
            raise _NotCacheable("finding of another path")
        if f.context is not None:
            dumped = json.dumps(f.context, ensure_ascii=False)
            if json.loads(dumped) != f.context or f.context.get("internal_error"):
                raise _NotCacheable("context")
        findings.append([f.code, f.rule, f.severity.value, f.message, f.line, f.column, f.end_line,
                         f.end_column, f.field, _enc_fix(f.fix), f.context, f.fingerprint])
    corpus = []
    for code, key, item in result.corpus:
        if item.path != result.path:
            raise _NotCacheable("corpus item of another path")
        corpus.append([code, _enc_key(key), item.line, item.column, item.end_line, item.end_column,
                       item.fingerprint, item.suppressed])
    try:
        return json.dumps([findings, corpus], ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _NotCacheable(str(exc)) from None


def decode(payload: str, path: str) -> FileResult:
    from .engine import FileResult

    findings_raw, corpus_raw = json.loads(payload)
    findings = []
    for code, name, sev, message, line, col, eline, ecol, field, fix, context, fp in findings_raw:
        if context is not None and not isinstance(context, dict):
            raise ValueError("bad context")
        findings.append(Finding.model_construct(
            code=_str(code), rule=_str(name), severity=_SEVERITIES[sev], message=_str(message), path=path,
            line=_int(line), column=_int(col), end_line=_int(eline), end_column=_int(ecol),
            field=_opt_str(field), fix=_dec_fix(fix), context=context, fingerprint=_str(fp),
        ))
    corpus = []
    for code, key, line, col, eline, ecol, fp, suppressed in corpus_raw:
        if not isinstance(suppressed, bool):
            raise ValueError("bad corpus item")
        item = CorpusItem(path, _int(line), _int(col), _int(eline), _int(ecol), _str(fp), suppressed)
        corpus.append((_str(code), _dec_key(key), item))
    return FileResult(path, findings, corpus)


# -- storage ------------------------------------------------------------------------


def _path_key(path: str) -> str:
    # The displayed path is part of the findings; the absolute one decides per-file-ignores.
    return f"{os.path.abspath(path)}\0{path}"


class ResultCache:
    """The rows of one engine key, loaded once; new rows are saved by :meth:`save`."""

    def __init__(self, db_path: str, key: str, now_pinned: bool) -> None:
        self.db_path = db_path
        self.key = key
        self.now_pinned = now_pinned
        self.rows: dict[str, tuple[str, str]] = {}
        self.pending: list[tuple[str, str, str]] = []
        self.hits = 0
        self.misses = 0
        self.usable = True
        self.error: str | None = None
        try:
            conn = self._connect()
            try:
                self.rows = {p: (d, v) for p, d, v in conn.execute(
                    "SELECT path, digest, payload FROM results WHERE engine = ?", (key,))
                    if isinstance(p, str) and isinstance(d, str) and isinstance(v, str)}
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        self.usable = False
        self.rows = {}
        self.error = str(exc) or type(exc).__name__

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            version = None
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                version = row[0] if row else None
            except sqlite3.OperationalError:
                pass  # a new, empty database
            if version != FORMAT:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DROP TABLE IF EXISTS results")
                conn.execute("DROP TABLE IF EXISTS meta")
                conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                conn.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
                conn.execute("CREATE TABLE results (engine TEXT NOT NULL, path TEXT NOT NULL, digest TEXT "
                             "NOT NULL, payload TEXT NOT NULL, stamp INTEGER NOT NULL, "
                             "PRIMARY KEY (engine, path)) WITHOUT ROWID")
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def lookup(self, path: str, digest: str) -> FileResult | None:
        row = self.rows.get(_path_key(path))
        if row is None or row[0] != digest:
            self.misses += 1
            return None
        try:
            result = decode(row[1], path)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            self.misses += 1
            return None  # a damaged or foreign row: check the file again
        self.hits += 1
        return result

    def store(self, path: str, digest: str, result: FileResult) -> None:
        if not self.usable:
            return
        if not self.now_pinned and any(f.code in NOW_DEPENDENT for f in result.findings):
            return
        try:
            payload = encode(result)
        except _NotCacheable:
            return
        self.pending.append((_path_key(path), digest, payload))

    def save(self) -> None:
        if not self.usable or not self.pending:
            return
        now = int(time.time())
        try:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT OR REPLACE INTO results (engine, path, digest, payload, stamp) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(self.key, p, d, v, now) for p, d, v in self.pending])
                conn.execute("DELETE FROM results WHERE engine != ? AND stamp < ?",
                             (self.key, now - PRUNE_AFTER_S))
                conn.execute("COMMIT")
            finally:
                conn.close()
            self.pending = []
        except sqlite3.OperationalError:
            pass  # locked by another run for too long: this run's rows are simply not kept
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc)
            print(f"postcheck: warning: cache not saved: {self.error}", file=sys.stderr)


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


def open_cache(engine: Engine, directory: str, now_pinned: bool) -> ResultCache | None:
    """The cache for this engine, or None (with a warning) if the folder cannot be used."""
    try:
        _prepare_dir(directory)
    except OSError as exc:
        print(f"postcheck: warning: cache disabled: {exc}", file=sys.stderr)
        return None
    db = os.path.join(directory, DB_NAME)
    cache = ResultCache(db, engine_key(engine, now_pinned), now_pinned)
    if not cache.usable and os.path.exists(db):
        # Not a database we can read (truncated, overwritten): start a fresh one.
        try:
            os.replace(db, f"{db}.{os.getpid()}.corrupt")
            os.unlink(f"{db}.{os.getpid()}.corrupt")
        except OSError:
            pass
        else:
            cache = ResultCache(db, engine_key(engine, now_pinned), now_pinned)
    if not cache.usable:
        print(f"postcheck: warning: cache disabled: {cache.error}", file=sys.stderr)
        return None
    return cache
