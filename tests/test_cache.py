"""The results cache: same output warm and cold, keyed right, robust to damage and concurrency, fast."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck import cache as cache_module
from postcheck import runner
from postcheck.cache import DB_NAME, ResultCache, decode, encode, open_cache, seal, unseal
from postcheck.cli import main
from postcheck.config import Config
from postcheck.engine import Engine, FileResult
from postcheck.model import Edit, Finding, Fix, Severity
from postcheck.rule import CorpusItem
from postcheck.runner import EngineSpec, run_files

NOW = "2021-02-01T00:00:00Z"
BODY = "<p>" + "Plenty of article text that goes on for a while. " * 3 + "</p>\n"


def post(i: int, extra: str = "") -> str:
    return (f"---\ntitle: Post {i}\ndate: 2021-01-05T10:00:00+08:00\nfrom: https://example.com/{i % 7}\n"
            f"{extra}---\n\n<p>Post number {i}.</p>\n<div id=\"div-gpt-ad-{i}\"></div>\n{BODY}")


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "posts").mkdir()
    for i in range(20):
        extra = "colour: red\n" if i % 3 == 0 else ""
        (tmp_path / "posts" / f"p{i:02d}.md").write_text(post(i, extra), encoding="utf-8")
    (tmp_path / "posts" / "broken.md").write_bytes(b"\xff\xfe not utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(["check", "posts", "--now", NOW, "--exit-zero", *args])
    return capsys.readouterr().out


def db_rows(root: Path) -> int:
    with sqlite3.connect(root / ".postcheck_cache" / DB_NAME) as conn:
        return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "github", "junit"])
def test_warm_run_output_is_identical(corpus: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    uncached = check(capsys, "--format", fmt, "--no-cache")
    assert not (corpus / ".postcheck_cache").exists()
    cold = check(capsys, "--format", fmt)
    assert db_rows(corpus) == 21
    warm = check(capsys, "--format", fmt)
    assert uncached == cold == warm
    assert "PC206" in warm  # corpus keys come back from the cache: duplicates still found
    assert (corpus / ".postcheck_cache" / ".gitignore").read_text(encoding="utf-8").endswith("*\n")


def test_cache_dir_from_config(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("postcheck.toml").write_text('cache-dir = "build/pc-cache"\n', encoding="utf-8")
    check(capsys)
    assert (corpus / "build" / "pc-cache" / DB_NAME).is_file()
    assert not (corpus / ".postcheck_cache").exists()


def _cache(root: Path, **config: Any) -> tuple[Engine, ResultCache]:
    engine = Engine(Config(**config), now=NOW)
    cache = open_cache(engine, str(root / ".postcheck_cache"), now_pinned=True)
    assert cache is not None
    return engine, cache


def _run(engine: Engine, cache: ResultCache, paths: list[str]) -> list[FileResult]:
    return list(run_files(engine, EngineSpec(engine.config, now=NOW), paths, 1, cache=cache))


def test_changed_content_and_config_miss(corpus: Path) -> None:
    paths = sorted(str(p.relative_to(corpus)) for p in (corpus / "posts").iterdir())
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    assert (cache.hits, cache.misses) == (21, 0)  # PC001 for undecodable bytes is cached too
    Path("posts/p01.md").write_text(post(1, "flavour: x\n"), encoding="utf-8")
    engine, cache = _cache(corpus)
    results = _run(engine, cache, paths)
    assert cache.misses == 1
    assert any(f.code == "PC005" for f in results[paths.index("posts/p01.md")].findings)
    engine, cache = _cache(corpus, ignore=["PC3"])  # another config: another key
    _run(engine, cache, paths)
    assert cache.hits == 0


def test_corrupt_database_is_replaced(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = check(capsys, "--no-cache")
    (corpus / ".postcheck_cache").mkdir()
    (corpus / ".postcheck_cache" / DB_NAME).write_bytes(b"this is not a database" * 100)
    assert check(capsys) == expected
    assert db_rows(corpus) == 21
    assert check(capsys) == expected


@pytest.mark.parametrize("payload", ["{not json", "[[], []", '[[["PC301"]], []]', '{"a": 1}',
                                     '[[["PC301","ad-slot","fatal","m",1,1,1,1,null,null,null,"x"]],[]]',
                                     "[" * 100000])
@pytest.mark.parametrize(("jobs", "aged"), [("1", False), ("2", False), ("1", True), ("2", True)])
def test_damaged_or_foreign_rows_are_not_trusted(corpus: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, payload: str, jobs: str,
                                                 aged: bool) -> None:
    if aged:  # rows found by stat, not by digest
        _age(corpus / "posts", monkeypatch)
    expected = check(capsys, "--no-cache")
    check(capsys, "--jobs", jobs)
    with sqlite3.connect(corpus / ".postcheck_cache" / DB_NAME) as conn:
        assert conn.execute("SELECT count(*) FROM results WHERE stat != ''").fetchone()[0] == (21 if aged else 0)
        conn.execute("UPDATE results SET payload = ?", (payload,))
        conn.execute("UPDATE results SET payload = ? WHERE path LIKE '%p03.md'",
                     (seal(payload),))  # sealed, but not a result: still not used
    assert check(capsys, "--jobs", jobs) == expected
    assert check(capsys, "--jobs", jobs) == expected  # and the rows were written again


def test_rows_of_another_format_are_dropped(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = check(capsys, "--no-cache")
    check(capsys)
    with sqlite3.connect(corpus / ".postcheck_cache" / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = 'someone-else-1'")
    assert check(capsys) == expected
    assert db_rows(corpus) == 21


def test_encoding_round_trips_exactly() -> None:
    fix = Fix(applicability="safe", description="remove", edits=(Edit(start=3, end=9, replacement="é"),))
    finding = Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message="m\n", path="a b.md",
                      line=2, column=3, end_line=4, end_column=5, field="x.y", fix=fix,
                      context={"k": [1, "v"]}, fingerprint="fp")
    item = CorpusItem("a b.md", 1, 2, 3, 4, "fp", True)
    result = FileResult("a b.md", [finding], [("PC206", ("https://x", 1, ["y"]), item)])
    back = decode(unseal(seal(encode(result))), "a b.md")
    assert back.findings == [finding] and back.corpus == result.corpus
    assert back.findings[0].fix == fix and back.findings[0].model_fields_set == finding.model_fields_set
    assert repr(back.findings[0]) == repr(finding)
    with pytest.raises(ValueError):
        unseal(seal(encode(result)).replace(b"PC301", b"PC302"))  # edited, seal no longer matches


def test_unpinned_now_keeps_now_dependent_results_out(tmp_path: Path) -> None:
    engine = Engine(Config())
    cache = open_cache(engine, str(tmp_path / "c"), now_pinned=False)
    assert cache is not None
    future = Finding(code="PC102", rule="future-date", severity=Severity.ERROR, message="m", path="a.md")
    cache.store("a.md", "d1", FileResult("a.md", [future]))
    cache.store("b.md", "d2", FileResult("b.md", []))
    assert [row[0].split("\0")[1] for row in cache.pending] == ["b.md"]


def _writer(root: str, start: int) -> int:
    os.chdir(root)
    return main(["check", "posts", "--now", NOW, "--exit-zero", "--jobs", "1", "--select", "PC0,PC3"])


def test_concurrent_runs_do_not_corrupt_the_cache(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(20, 120):
        (corpus / "posts" / f"q{i}.md").write_text(post(i), encoding="utf-8")
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(4) as pool:
        assert pool.starmap(_writer, [(str(corpus), i) for i in range(4)]) == [0, 0, 0, 0]
    with sqlite3.connect(corpus / ".postcheck_cache" / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    capsys.readouterr()
    engine = Engine(Config(), select=["PC0", "PC3"], now=NOW)
    cache = open_cache(engine, str(corpus / ".postcheck_cache"), now_pinned=True)
    assert cache is not None
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    _run(engine, cache, paths)
    assert (cache.hits, cache.misses) == (len(paths), 0)


def test_warm_run_checks_nothing_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Speed is measured in bench/ (never as a timed test); here: a warm run does no checking
    # at all and gives the same results as the cold one.
    (tmp_path / "posts").mkdir()
    for i in range(300):
        (tmp_path / "posts" / f"p{i:03d}.md").write_text(post(i, "colour: red\n" * (i % 2)), encoding="utf-8")
    paths = sorted(str(p) for p in (tmp_path / "posts").iterdir())
    runs = []
    for attempt in range(2):
        engine = Engine(Config(), now=NOW)
        if attempt == 1:
            def no_checking(*args: object, **kwargs: object) -> FileResult:
                raise AssertionError("a warm run must not check a file again")

            monkeypatch.setattr(Engine, "check_bytes", no_checking)
        cache = open_cache(engine, str(tmp_path / ".postcheck_cache"), now_pinned=True)
        assert cache is not None
        results = _run(engine, cache, paths)
        corpus = engine.finalize([c for r in results for c in r.corpus])
        runs.append(([(r.path, r.findings) for r in results], corpus))
    assert cache is not None and cache.hits == 300
    assert runs[1] == runs[0]


OLD = 1_500_000_000  # 2017: far older than any run, so a file's stat is trusted


def _age(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for p in folder.iterdir():
        os.utime(p, ns=(OLD * 10**9, OLD * 10**9))
    # utime sets the ctime to now, which stays "racy" for 2 s: act as if runs start later.
    monkeypatch.setattr(cache_module, "RACY_NS", -10 * 10**9)


def _no_reading(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    original = runner._read

    def spy(engine: Engine, path: str) -> bytes:
        read.append(path)
        return original(engine, path)

    monkeypatch.setattr(runner, "_read", spy)
    return read


@pytest.mark.parametrize("jobs", [1, 2])
def test_unchanged_stat_answers_without_reading(corpus: Path, monkeypatch: pytest.MonkeyPatch,
                                                jobs: int) -> None:
    _age(corpus / "posts", monkeypatch)
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    engine, cache = _cache(corpus)
    cold = _run(engine, cache, paths)
    read = _no_reading(monkeypatch)
    engine, cache = _cache(corpus)
    warm = list(run_files(engine, EngineSpec(engine.config, now=NOW), paths, jobs, cache=cache))
    assert read == [] and (cache.hits, cache.misses) == (21, 0)
    assert [(r.path, r.findings, r.corpus) for r in warm] == [(r.path, r.findings, r.corpus) for r in cold]


def test_changed_bytes_are_seen_whatever_the_mtime(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _age(corpus / "posts", monkeypatch)
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    # Same size, the old mtime put back (as `cp -p` or an archive would): the ctime and
    # the content digest still tell.
    target = corpus / "posts" / "p01.md"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("Post 1\n", "Pots 1\n"), encoding="utf-8")
    os.utime(target, ns=(OLD * 10**9, OLD * 10**9))
    read = _no_reading(monkeypatch)
    engine, cache = _cache(corpus)
    results = _run(engine, cache, paths)
    assert read == ["posts/p01.md"] and cache.misses == 1
    assert results[paths.index("posts/p01.md")].findings == Engine(Config(), now=NOW).check_bytes(
        target.read_bytes(), "posts/p01.md").findings


def test_recent_files_are_hashed_not_trusted(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Just written: within the timestamp granularity of the run that reads them, a later
    # write could keep the same stat ("racy"), so their stat is never stored.
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    with sqlite3.connect(corpus / ".postcheck_cache" / DB_NAME) as conn:
        assert {s for (s,) in conn.execute("SELECT stat FROM results")} == {""}
    read = _no_reading(monkeypatch)
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    assert len(read) == 21 and (cache.hits, cache.misses) == (21, 0)


def test_touched_file_is_hashed_once_then_trusted(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _age(corpus / "posts", monkeypatch)
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    os.utime(corpus / "posts" / "p02.md", ns=((OLD + 60) * 10**9, (OLD + 60) * 10**9))  # same bytes
    read = _no_reading(monkeypatch)
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    assert read == ["posts/p02.md"] and (cache.hits, cache.misses) == (21, 0)
    engine, cache = _cache(corpus)
    _run(engine, cache, paths)
    assert read == ["posts/p02.md"] and cache.hits == 21  # the row now holds the new stat


_text = st.text(st.characters(codec="utf-8"), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_text, _text, st.none() | _text, st.none() | _text, st.integers(1, 10**6),
       st.none() | _text)
def test_jsonl_line_is_json_dumps(message: str, rule: str, path: str | None, field: str | None, line: int,
                                  fix: str | None) -> None:
    # Warm jsonl runs render many cached findings; the fast renderer must equal json.dumps.
    import json

    from postcheck._jsonl import finding_line as _line

    f = Finding(code="PC301", rule=rule, severity=Severity.WARNING, message=message, path=path, line=line,
                column=2, end_line=line, end_column=9, field=field,
                fix=None if fix is None else Fix(applicability="unsafe", description=fix, edits=()))
    assert _line(f) == json.dumps(f.to_json(), ensure_ascii=False) + "\n"


@settings(max_examples=200, deadline=None)
@given(_text, _text, _text, st.none() | _text, st.integers(1, 10**6), st.none() | _text,
       st.sampled_from(list(Severity)))
def test_cached_row_line_is_the_finding_line(message: str, rule: str, path: str, field: str | None, line: int,
                                             fix: str | None, severity: Severity) -> None:
    # A warm jsonl run copies the stored lines out without building Findings; the bytes must not change.
    import io

    from postcheck.cache import decode_raw
    from postcheck.report.json import write_finding_line

    f = Finding(code="PC301", rule=rule, severity=severity, message=message, path=path, line=line,
                column=2, end_line=line, end_column=9, field=field, fingerprint="0123",
                fix=None if fix is None else Fix(applicability="safe", description=fix,
                                                 edits=(Edit(start=1, end=2, replacement=""),)))
    try:
        body = encode(FileResult(path, [f], [])).encode("utf-8")
    except UnicodeEncodeError:
        return  # not cacheable: SQLite stores UTF-8 only
    raw = decode_raw(body, path)
    expected = io.StringIO()
    write_finding_line(f, expected)
    assert raw.lines == expected.getvalue().encode("utf-8")
    assert raw.counts == [["PC301", severity.value, 1]]
    assert decode(body, path).findings == [f]


@pytest.mark.parametrize("fail_on", ["info", "warning", "error"])
def test_warm_jsonl_exit_status_is_the_cold_one(corpus: Path, capsys: pytest.CaptureFixture[str],
                                                fail_on: str) -> None:
    def run() -> tuple[int, str]:
        code = main(["check", "posts", "--now", NOW, "--format", "jsonl", "--fail-on", fail_on])
        return code, capsys.readouterr().out

    uncached = main(["check", "posts", "--now", NOW, "--format", "jsonl", "--fail-on", fail_on, "--no-cache"])
    uncached_out = capsys.readouterr().out
    assert run() == run() == (uncached, uncached_out)


def test_damaged_severity_in_a_row_is_checked_again(tmp_path: Path) -> None:
    from postcheck.cache import decode_raw

    finding = Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message="m", path="a.md", line=1,
                      column=1, end_line=1, end_column=2)
    good = encode(FileResult("a.md", [finding], [])).encode("utf-8")
    assert decode_raw(good, "a.md").counts == [["PC301", "error", 1]]
    with pytest.raises(ValueError):
        decode_raw(good.replace(b'"error"', b'"fatal"'), "a.md")


def test_body_whose_parts_disagree_is_refused() -> None:
    from postcheck.cache import decode_raw

    findings = [Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message=f"m{i}", path="a.md",
                        line=i, column=1, end_line=i, end_column=2) for i in (1, 2)]
    body = encode(FileResult("a.md", findings, [])).encode("utf-8")
    head, extras, *lines = body.split(b"\n")
    assert head.startswith(b'[[["PC301","error",2]]')
    one_line_short = b"\n".join([head, extras, lines[0], b""])
    with pytest.raises(ValueError):
        decode_raw(one_line_short, "a.md")
    one_extra_short = b"\n".join([head, extras.replace(b',[null,null,""]', b"", 1), *lines])
    with pytest.raises(ValueError):
        decode(one_extra_short, "a.md")


@pytest.mark.parametrize("text", ["", " [1]", "[1] ", "[1]x", "[1,]", "nul", '"a', "[1][2]"])
def test_head_reader_refuses_anything_but_one_compact_json_value(text: str) -> None:
    from postcheck._cachecodec import _loads

    with pytest.raises(ValueError):
        _loads(text)


def test_head_reader_reads_what_json_loads_reads() -> None:
    import json

    from postcheck._cachecodec import _loads

    text = json.dumps([[["PC301", "error", 2]], [["PC206", {"t": ["é", 1, None]}, 3, 1, 3, 9, "fp", False]]],
                      ensure_ascii=False, separators=(",", ":"))
    assert _loads(text) == json.loads(text)


@pytest.mark.parametrize("context", [{"seen": {1, 2}}, {"ratio": float("nan")}, {"b": b"x"}])
def test_a_context_json_cannot_carry_is_not_cacheable(context: dict[Any, Any]) -> None:
    # a plugin's finding may carry any context: the cache must skip it, not crash
    finding = Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message="m", path="a.md",
                      context=context, fingerprint="fp")
    with pytest.raises(cache_module.NotCacheable):
        encode(FileResult("a.md", [finding]))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_resealed_damaged_body_is_refused_or_read_never_crashes(data: st.DataObject) -> None:
    # The CRC catches damage; past it (a damaged row that happens to match, or one written
    # by hand), the decoders may only fail with the errors the cache treats as a miss.
    fix = Fix(applicability="safe", description="remove", edits=(Edit(start=3, end=9, replacement="é"),))
    finding = Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message="m", path="a.md",
                      line=2, column=3, end_line=4, end_column=5, fix=fix, context={"k": "v"}, fingerprint="fp")
    item = CorpusItem("a.md", 1, 2, 3, 4, "fp", False)
    body = bytearray(encode(FileResult("a.md", [finding], [("PC206", ("u", 1), item)])).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.integers(0, 255))
        if action == "replace":
            body[at] = byte
        elif action == "delete":
            del body[at]
        else:
            body.insert(at, byte)
    from postcheck._cachecodec import DAMAGED, seal_bytes
    from postcheck.cache import decode_raw

    for reader in (decode, decode_raw):
        try:
            reader(unseal(seal_bytes(bytes(body))), "a.md")
        except DAMAGED:
            pass


@pytest.mark.parametrize("few", [True, False])
def test_a_run_over_a_few_files_reads_only_their_rows(corpus: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, few: bool) -> None:
    check(capsys)  # every file of the corpus has its row now
    monkeypatch.setattr(cache_module, "BATCH", 1)  # one query per path: the batches add up
    if not few:
        monkeypatch.setattr(cache_module, "FEW_PATHS", 1)
    engine = Engine(Config(), now=NOW)
    wanted = ["posts/p03.md", "posts/p11.md"]
    cache = open_cache(engine, str(corpus / ".postcheck_cache"), now_pinned=True, paths=wanted)
    assert cache is not None
    assert len(cache.rows) == (2 if few else 21)
    _run(engine, cache, wanted)
    assert (cache.hits, cache.misses) == (2, 0)
    # and the CLI over those files says what it says without the cache
    main(["check", *wanted, "--now", NOW, "--exit-zero", "--format", "jsonl"])
    warm = capsys.readouterr().out
    main(["check", *wanted, "--now", NOW, "--exit-zero", "--format", "jsonl", "--no-cache"])
    assert warm == capsys.readouterr().out != ""


def _keys(root: Path) -> dict[str, int]:
    with sqlite3.connect(root / ".postcheck_cache" / DB_NAME) as conn:
        keys = dict(conn.execute("SELECT engine, stamp FROM keys").fetchall())
        assert set(keys) == {e for (e,) in conn.execute("SELECT DISTINCT engine FROM results")}
        return keys


def _run_with(root: Path, paths: list[str], select: str) -> str:
    engine = Engine(Config(), select=[select], now=NOW)
    cache = open_cache(engine, str(root / ".postcheck_cache"), now_pinned=True)
    assert cache is not None
    _run(engine, cache, paths)
    return cache.key


def test_only_the_most_recently_used_engine_keys_are_kept(corpus: Path) -> None:
    # Every config change or upgrade starts a new key; the file must not grow with each.
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    made = [_run_with(corpus, paths, select) for select in ("PC0", "PC1", "PC2", "PC3", "PC4", "PC5")]
    assert set(_keys(corpus)) == set(made[-cache_module.KEEP_KEYS:])
    assert db_rows(corpus) == cache_module.KEEP_KEYS * len(paths)


def test_a_key_unused_for_long_is_dropped_and_a_warm_run_marks_its_key_used(corpus: Path) -> None:
    paths = sorted(f"posts/{p}" for p in os.listdir(corpus / "posts"))
    old = _run_with(corpus, paths, "PC0")
    kept = _run_with(corpus, paths, "PC1")
    day_ns = 24 * 3600 * 1_000_000_000
    with sqlite3.connect(corpus / ".postcheck_cache" / DB_NAME) as conn:
        conn.execute("UPDATE keys SET stamp = stamp - ? WHERE engine = ?", (31 * day_ns, old))
        conn.execute("UPDATE keys SET stamp = stamp - ? WHERE engine = ?", (2 * day_ns, kept))
    before = _keys(corpus)[kept]
    assert _run_with(corpus, paths, "PC1") == kept  # a warm run: nothing new to write...
    keys = _keys(corpus)
    assert keys[kept] > before  # ...but its key is marked as used, once a day
    assert old not in keys  # and the key unused for a month is gone with its rows
    assert db_rows(corpus) == len(paths)
