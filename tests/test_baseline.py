"""Adopting postcheck on an existing corpus: baselines, per-file-ignores, inline suppression, PC010."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postcheck.baseline import Baseline, dump
from postcheck.cli import main
from postcheck.config import Config
from postcheck.engine import Engine
from postcheck.model import Finding, Problem, Severity
from postcheck.parse import ParsedPost
from postcheck.rule import RuleContext, load_rules, rule

NOW = "2021-02-01T00:00:00Z"
BODY = "<p>" + "Plenty of article text that goes on for a while. " * 3 + "</p>\n"
FRONT = "---\ntitle: Hello\ndate: 2021-01-05T10:00:00+08:00\n{extra}---\n\n"


def post(extra: str = "", body: str = BODY) -> str:
    return FRONT.format(extra=extra) + body


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text(post("colour: red\n"), encoding="utf-8")
    (tmp_path / "posts" / "b.md").write_text("no front matter\n\n" + BODY, encoding="utf-8")
    (tmp_path / "posts" / "c.md").write_text(post(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--select", "PC0", "--now", NOW, "--no-cache"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- baseline ---------------------------------------------------------------------------


def test_baseline_then_check_reports_nothing_old(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "baseline", "posts")
    assert code == 0 and "recorded 2 findings in 2 of 3 files" in err
    doc = json.loads(out)
    assert doc["version"] == 1
    assert [(e["path"], e["code"], e["count"]) for e in doc["findings"]] == [
        ("posts/a.md", "PC005", 1), ("posts/b.md", "PC002", 1)]
    Path("postcheck-baseline.json").write_text(out, encoding="utf-8")
    code, out, _ = cli(capsys, "check", "posts", "--baseline", "postcheck-baseline.json")
    assert (code, out) == (0, "All checks passed (3 files checked).\n")


def test_moved_lines_stay_hidden_and_new_findings_show(repo: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "baseline", "posts")
    Path("base.json").write_text(out, encoding="utf-8")
    # Lines inserted above the known finding: same content, other line: still known.
    Path("posts/a.md").write_text(post("tags: [x]\nlayout: post\ncolour: red\n"), encoding="utf-8")
    code, out, _ = cli(capsys, "check", "posts", "--baseline", "base.json")
    assert (code, out) == (0, "All checks passed (3 files checked).\n")
    # A second finding of the same code in the same file is new.
    Path("posts/a.md").write_text(post("colour: red\nflavour: mint\n"), encoding="utf-8")
    code, out, _ = cli(capsys, "check", "posts", "--baseline", "base.json")
    assert out.splitlines()[0].startswith("posts/a.md:5:1: PC005 [warning] unknown-field:")
    assert "flavour" in out.splitlines()[0]
    assert out.splitlines()[1] == "Found 1 finding in 1 of 3 files."
    assert code == 0  # a warning does not fail the run


def test_baseline_counts_multiplicity() -> None:
    def f(line: int) -> Finding:
        return Finding(code="PC301", rule="ad-slot", severity=Severity.ERROR, message="ad", path="a.md",
                       line=line, fingerprint="same")

    out = io.StringIO()
    dump([f(3), f(9)], out)
    doc = json.loads(out.getvalue())
    assert doc["findings"][0]["count"] == 2
    baseline = Baseline.from_document(doc, ".")
    assert baseline.filter([f(5), f(12), f(20)]) == [f(20)]
    assert baseline.hidden == 2


def test_baseline_paths_are_relative_to_the_baseline_file(repo: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "ci").mkdir()
    code, out, _ = cli(capsys, "baseline", "posts", "--output-file", "ci/baseline.json")
    assert code == 0 and out == ""
    doc = json.loads(Path("ci/baseline.json").read_text(encoding="utf-8"))
    assert {e["path"] for e in doc["findings"]} == {"../posts/a.md", "../posts/b.md"}
    monkeypatch.chdir(repo / "posts")  # another working folder: paths still resolve
    code, out, _ = cli(capsys, "check", ".", "--baseline", "../ci/baseline.json")
    assert (code, out) == (0, "All checks passed (3 files checked).\n")


def test_baseline_hides_corpus_findings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = "from: https://example.com/story\n"
    Path("posts/c.md").write_text(post(src), encoding="utf-8")
    Path("posts/d.md").write_text(post(src), encoding="utf-8")
    args = ("--select", "PC206", "--now", NOW, "--no-cache")
    main(["baseline", "posts", "-o", "base.json", *args])
    capsys.readouterr()
    assert main(["check", "posts", "--baseline", "base.json", *args]) == 0
    assert capsys.readouterr().out == "All checks passed (4 files checked).\n"


@pytest.mark.parametrize("content", ["not json", '{"version": 7, "findings": []}',
                                     '{"version": 1, "findings": [{"path": 1}]}'])
def test_bad_baseline_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    Path("bad.json").write_text(content, encoding="utf-8")
    code, out, err = cli(capsys, "check", "posts", "--baseline", "bad.json", "-o", "report.txt")
    assert code == 2 and "bad.json" in err
    assert not os.path.exists("report.txt")
    code, _, err = cli(capsys, "check", "posts", "--baseline", "missing.json")
    assert code == 2 and "no such baseline file" in err


# -- suppression ----------------------------------------------------------------------


@rule("TST001", "bad-word", severity="error")
def bad_word(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """Flags BADWORD (a test rule)."""
    start = post.text.find("BADWORD")
    while start >= 0:
        yield Problem(start, start + 7, "bad word")
        start = post.text.find("BADWORD", start + 1)


RULES = {**load_rules(), "TST001": bad_word}


def codes(text: str, path: str = "post.md", **config: Any) -> list[tuple[str, int]]:
    engine = Engine(Config(**config), select=["TST001", "PC010"], rules=RULES, now=NOW)
    return [(f.code, f.line) for f in engine.check_bytes(text, path).findings]


def test_disable_next_line_drops_only_the_next_line() -> None:
    text = post(body="<!-- postcheck: disable-next-line TST001 -->\n<p>BADWORD</p>\n<p>BADWORD</p>\n")
    assert codes(text) == [("TST001", 8)]


def test_disable_covers_the_rest_of_the_file_and_names_work() -> None:
    text = post(body="<p>BADWORD</p>\n<!-- postcheck: disable bad-word -->\n<p>BADWORD</p>\n<p>BADWORD</p>\n")
    assert codes(text) == [("TST001", 6)]


def test_per_file_ignores_from_config(tmp_path: Path) -> None:
    text = post(body="<p>BADWORD</p>\n")
    config = {"per-file-ignores": {"drafts/*": ["TST001"]}, "root": str(tmp_path)}
    assert codes(text, str(tmp_path / "drafts" / "x.md"), **config) == []
    assert codes(text, str(tmp_path / "posts" / "x.md"), **config) == [("TST001", 6)]


def test_unused_suppressions_are_reported_when_asked() -> None:
    text = post(body=(
        "<!-- postcheck: disable-next-line TST001 -->\n<p>BADWORD</p>\n"      # used
        "<!-- postcheck: disable-next-line TST001 -->\n<p>clean</p>\n"        # unused
        "<!-- postcheck: disable-next-line NOPE123 -->\n<p>clean</p>\n"       # names no rule
    ))
    assert codes(text) == []  # off by default
    found = Engine(Config.model_validate({"report-unused-suppressions": True}), select=["TST001", "PC010"], rules=RULES,
                   now=NOW).check_bytes(text, "post.md").findings
    assert [(f.code, f.line, f.severity) for f in found] == [("PC010", 8, Severity.INFO),
                                                               ("PC010", 10, Severity.INFO)]
    assert found[0].message == "unused suppression: no TST001 finding on the next line"
    assert found[1].message == "suppression names NOPE123, which matches no rule"


def test_unused_suppression_of_an_unselected_rule_is_not_judged() -> None:
    text = post(body="<!-- postcheck: disable TST001 -->\n<p>clean</p>\n")
    config = Config.model_validate({"report-unused-suppressions": True})
    engine = Engine(config, select=["PC001"], rules=RULES, now=NOW)
    assert engine.check_bytes(text, "post.md").findings == []
    engine = Engine(config, select=["TST001"], rules=RULES, now=NOW)
    assert [f.code for f in engine.check_bytes(text, "post.md").findings] == ["PC010"]


def test_an_unused_bare_disable_names_no_code() -> None:
    text = post(body="<!-- postcheck: disable -->\n" + BODY)
    engine = Engine(Config.model_validate({"report-unused-suppressions": True}), rules=RULES, now=NOW)
    assert [f.message for f in engine.check_bytes(text, "post.md").findings] == [
        "unused suppression: no finding after it"]


def test_report_unused_suppressions_flag(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("posts/c.md").write_text(post(body="<!-- postcheck: disable-next-line PC007 -->\n" + BODY),
                                  encoding="utf-8")
    code, out, _ = cli(capsys, "check", "posts/c.md")
    assert (code, out) == (0, "All checks passed (1 file checked).\n")
    code, out, _ = cli(capsys, "check", "posts/c.md", "--report-unused-suppressions")
    assert out.splitlines()[0] == ("posts/c.md:6:1: PC010 [info] unused-suppression: "
                                   "unused suppression: no PC007 finding on the next line")
    assert "PC010" in [r.code for r in load_rules().values()]
