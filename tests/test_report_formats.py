"""Output formats for CI: github workflow commands, SARIF 2.1.0, JUnit XML; --output-file; --statistics."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from postcheck._store import FindingStore
from postcheck.cache import decode_raw, encode
from postcheck.cli import main
from postcheck.engine import Engine, FileResult, corpus_finding
from postcheck.model import Finding, Severity
from postcheck.report import Summary, formatter, sarif
from postcheck.report.github import escape_data, escape_property
from postcheck.rule import CorpusItem, load_rules

NOW = "2021-02-01T00:00:00Z"
SCHEMA = Path(__file__).resolve().parents[1].parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
BODY = "<p>" + "Plenty of article text that goes on for a while. " * 3 + "</p>\n"
GOOD = f"---\ntitle: Hello\ndate: 2021-01-05T10:00:00+08:00\n---\n\n{BODY}"
UNKNOWN = f"---\ntitle: Hello\ncolour: red\ndate: 2021-01-05T10:00:00+08:00\n---\n\n{BODY}"
NO_FRONT = f"just text\n\n{BODY}"


@pytest.fixture
def posts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of three posts: clean, one warning, one error; cwd is the folder."""
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "clean.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "posts" / "a,b:c%.md").write_text(UNKNOWN, encoding="utf-8")
    (tmp_path / "posts" / "新闻 one.md").write_text(NO_FRONT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", "posts", "--select", "PC0", "--now", NOW, "--no-cache", *args])
    return code, capsys.readouterr().out


# -- github ---------------------------------------------------------------------------


def test_github_escaping_follows_the_toolkit() -> None:
    assert escape_data("50% off\r\nnext: a, b") == "50%25 off%0D%0Anext: a, b"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_workflow_commands(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--format", "github")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("::warning file=posts/a%2Cb%3Ac%25.md,line=3,col=1,endLine=3,endColumn=")
    assert ",title=PC005 unknown-field::" in lines[0]
    assert lines[1].startswith("::error file=posts/新闻 one.md,line=1,col=1,")
    assert ",title=PC002 missing-front-matter::" in lines[1]
    assert lines[-1] == "Found 2 findings in 2 of 3 files."
    assert len(lines) == 3


def test_github_info_is_a_notice(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("postcheck.toml").write_text('[rules.PC005]\nseverity = "info"\n', encoding="utf-8")
    _, out = run(capsys, "--format", "github")
    assert out.splitlines()[0].startswith("::notice file=posts/a%2Cb%3Ac%25.md,")


# -- sarif ----------------------------------------------------------------------------


def _sarif(capsys: pytest.CaptureFixture[str]) -> dict:
    code, out = run(capsys, "--format", "sarif")
    assert code == 1
    return json.loads(out)


def test_sarif_validates_against_the_official_schema(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF schema is not at {SCHEMA}")
    doc = _sarif(capsys)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(doc)
    assert doc["version"] == "2.1.0"


def test_sarif_describes_every_rule(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    driver = _sarif(capsys)["runs"][0]["tool"]["driver"]
    registry = load_rules()
    assert [r["id"] for r in driver["rules"]] == sorted(registry)
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for descriptor in driver["rules"]:
        rule = registry[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert "## What it does" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == levels[rule.severity.value]


def test_sarif_results_have_locations(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_ = _sarif(capsys)["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    results = run_["results"]
    assert [r["ruleId"] for r in results] == ["PC005", "PC002"]
    first = results[0]
    assert rules[first["ruleIndex"]]["id"] == "PC005"
    assert first["level"] == "warning"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "posts/a%2Cb%3Ac%25.md", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 3 and location["region"]["startColumn"] == 1
    assert location["region"]["endLine"] == 3 and location["region"]["endColumn"] > 1
    cjk = results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert cjk == "posts/%E6%96%B0%E9%97%BB%20one.md"
    assert first["partialFingerprints"]


def test_sarif_without_findings_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "clean.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "--format", "sarif")
    assert code == 0
    assert json.loads(out)["runs"][0]["results"] == []


# -- junit ----------------------------------------------------------------------------


def test_junit_one_case_per_file_one_failure_per_finding(posts: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    Path("posts/two.md").write_text(UNKNOWN.replace("colour: red\n", "colour: red\nflavour: x\n"),
                                    encoding="utf-8")
    code = main(["check", "posts", "--select", "PC0", "--now", NOW, "--no-cache", "--format", "junit",
                 "--output-file", "report.xml"])
    assert code == 1
    assert capsys.readouterr().out == ""
    xml = JUnitXml.fromfile("report.xml")
    suites = list(xml)
    assert len(suites) == 1
    cases = {case.name: case for case in suites[0]}
    assert sorted(cases) == ["posts/a,b:c%.md", "posts/clean.md", "posts/two.md", "posts/新闻 one.md"]
    assert cases["posts/clean.md"].is_passed
    two = [r for r in cases["posts/two.md"].result if isinstance(r, Failure)]
    assert [f.type for f in two] == ["PC005", "PC005"]
    assert "flavour" in two[1].message
    [missing] = cases["posts/新闻 one.md"].result
    assert missing.type == "PC002" and "posts/新闻 one.md:1:1: PC002 [error]" in missing.text


def test_junit_survives_characters_xml_cannot_carry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "we\x01ird <&>.md").write_text(NO_FRONT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "--format", "junit")
    assert code == 1
    Path("r.xml").write_text(out, encoding="utf-8")
    [case] = list(list(JUnitXml.fromfile("r.xml"))[0])
    assert case.name == "posts/we\\x01ird <&>.md"


# -- --output-file and --statistics ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "github", "sarif", "junit"])
def test_output_file_holds_exactly_what_stdout_would(fmt: str, posts: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, expected = run(capsys, "--format", fmt)
    code, out = run(capsys, "--format", fmt, "--output-file", "out.report")
    assert code == 1 and out == ""
    assert Path("out.report").read_text(encoding="utf-8") == expected
    assert not [p for p in os.listdir(".") if "postcheck-tmp" in p]


def test_statistics_counts_per_code(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("posts/two.md").write_text(UNKNOWN.replace("colour: red\n", "colour: red\nflavour: x\n"),
                                    encoding="utf-8")
    code, out = run(capsys, "--statistics")
    assert code == 1
    assert out.splitlines() == ["     3\tPC005\t[ ] unknown-field", "     1\tPC002\t[ ] missing-front-matter"]


@pytest.mark.parametrize("verbatim", [True, False])
def test_jsonl_sink_keeps_the_order_of_text_and_cached_bytes(verbatim: bool) -> None:
    import io

    from postcheck.model import Finding, Severity
    from postcheck.report.json import LineSink, write_finding_line

    findings = [Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message=f"é {i}", path="a.md",
                        line=i, column=1, end_line=i, end_column=2) for i in range(1, 4000)]
    expected = io.StringIO()
    for f in findings:
        write_finding_line(f, expected)
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    out.write("")
    sink = LineSink(out, verbatim=verbatim)
    for i, f in enumerate(findings):  # every third line arrives as cached UTF-8, the rest as findings
        if i % 3:
            sink.finding(f)
        else:
            line = io.StringIO()
            write_finding_line(f, line)
            sink.utf8(line.getvalue().encode("utf-8"))
        if i == 10:
            assert raw.getvalue() == b""  # chunked: not a write per line
    sink.flush()
    out.flush()
    assert raw.getvalue().decode("utf-8") == expected.getvalue()


def test_jsonl_sink_writes_pending_lines_once_they_have_waited() -> None:
    import io

    from postcheck.report.json import LineSink

    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=True)
    sink = LineSink(out, verbatim=True)
    sink.MAX_DELAY = 3600.0
    sink.utf8(b'{"a": 1}\n')
    sink.tick()
    assert raw.getvalue() == b""  # a small chunk, not old yet
    sink.MAX_DELAY = 0.0  # as if an hour had passed
    sink.tick()
    assert raw.getvalue() == b'{"a": 1}\n'


# -- reports written at the end: the compact store, streamed SARIF, chunked writes -------

STORE_BODY = BODY + '<div id="div-gpt-ad-1"></div>\n<img src="https://pixel.example/t.gif" width="1" height="1">\n'


def _results(engine: Engine, names: list[str]) -> list[FileResult]:
    # every post has findings with fix edits (PC301) and some without (PC005)
    return [engine.check_bytes(f"---\ntitle: T{i}\ncolour: red\n---\n\n{STORE_BODY}".encode(), name)
            for i, name in enumerate(names)]


def _problem(path: str, line: int, message: str) -> tuple[str, str, Severity, CorpusItem, str]:
    return ("PC206", "duplicate-source-url", Severity.WARNING, CorpusItem(path, line, 1, line, 9, "fp", False),
            message)


def _no_recheck(path: str) -> list[Finding]:
    raise AssertionError(f"{path} was checked again")


def test_store_gives_back_the_findings_merged_with_corpus_findings_in_sort_order() -> None:
    engine = Engine(now=NOW)
    results = _results(engine, ["a.md", "b b.md", "c/新.md"])
    store = FindingStore(_no_recheck)
    for r in results:
        store.add(r)
    problems = [_problem("c/新.md", 3, "dup"), _problem("a.md", 2, "dup"), _problem("a.md", 2, "also")]
    store.add_corpus(problems)
    expected = [f for r in results for f in r.findings] + [corpus_finding(*p) for p in problems]
    expected.sort(key=Finding.sort_key)
    got = list(store)
    assert got == expected and len(store) == len(expected) and store
    assert any(f.fix is not None and f.fix.edits for f in got)  # fix edits come back too
    assert list(store) == got  # it can be read again


def test_store_keeps_the_order_files_came_in_and_sorts_all_when_it_must() -> None:
    engine = Engine(now=NOW)
    later, earlier = _results(engine, ["z.md", "a.md"])
    store = FindingStore(_no_recheck)
    store.add(later)
    store.add(earlier)
    assert list(store) == later.findings + earlier.findings  # no corpus findings: as they came
    store.add_corpus([_problem("m.md", 1, "dup")])
    assert [f.path for f in store] == ["a.md"] * len(earlier.findings) + ["m.md"] + ["z.md"] * len(later.findings)


def test_store_takes_cached_bodies_and_what_the_codec_cannot_carry() -> None:
    engine = Engine(now=NOW)
    cached, odd = _results(engine, ["a.md", "b.md"])
    raw = decode_raw(encode(cached).encode("utf-8"), "a.md")
    # a context JSON cannot carry exactly is kept as it is
    strange = odd.findings[0].model_copy(update={"context": {"seen": {1, 2}}})
    store = FindingStore(_no_recheck)
    store.add(raw)
    store.add(FileResult("b.md", [strange, *odd.findings[1:]]))
    assert list(store) == [*cached.findings, strange, *odd.findings[1:]]
    assert len(store) == len(cached.findings) + len(odd.findings)


def test_store_checks_a_file_again_when_its_kept_body_does_not_decode() -> None:
    engine = Engine(now=NOW)
    (result,) = _results(engine, ["a.md"])
    body = encode(result).encode("utf-8")
    head, extras, lines = body.split(b"\n", 2)
    raw = decode_raw(b"\n".join([head, b"[]", lines]), "a.md")  # the head still agrees with the lines
    asked: list[str] = []

    def recheck(path: str) -> list[Finding]:
        asked.append(path)
        return result.findings

    store = FindingStore(recheck)
    store.add(raw)
    assert list(store) == result.findings and asked == ["a.md"]


def test_streamed_sarif_is_the_document_json_would_write() -> None:
    engine = Engine(now=NOW)
    findings = [f for r in _results(engine, ["a.md", "dir/é \"q\".md"]) for f in r.findings]
    for subset in (findings, findings[:1], []):
        out = io.StringIO()
        sarif.write(subset, Summary(), engine.registry, out)
        assert out.getvalue() == json.dumps(sarif.document(subset, engine.registry), indent=1, ensure_ascii=True) + "\n"


def test_reports_are_written_in_chunks() -> None:
    class Counting(io.StringIO):
        writes = 0

        def write(self, s: str) -> int:
            self.writes += 1
            return super().write(s)

    from postcheck.report.json import LineSink

    out = Counting()
    sink = LineSink(out)
    sink.CHUNK = 100
    for i in range(50):
        sink.write(f"line {i:02d}\n")  # 8 characters each
    sink.flush()
    assert out.getvalue() == "".join(f"line {i:02d}\n" for i in range(50))
    assert out.writes == 4  # 13 lines make 104 characters, three times; then the rest at the end


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_whole_reports_read_the_findings_once(fmt: str) -> None:
    # the CLI hands formatters its store, which rebuilds findings as they are read
    engine = Engine(now=NOW)
    findings = [f for r in _results(engine, ["a.md", "b.md"]) for f in r.findings]

    class Once:
        read = False

        def __len__(self) -> int:
            return len(findings)

        def __iter__(self) -> Iterator[Finding]:
            assert not self.read, "read twice"
            self.read = True
            return iter(findings)

    expected, got = io.StringIO(), io.StringIO()
    summary = Summary(files=2, files_with_findings=2, findings=len(findings), paths=["a.md", "b.md"])
    formatter(fmt)(findings, summary, engine.registry, expected)
    formatter(fmt)(Once(), summary, engine.registry, got)
    assert got.getvalue() == expected.getvalue()
