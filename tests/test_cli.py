"""The command line (SPEC §5): exit codes, formats, selection, rules/explain, file names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from postcheck.cli import main

REPO = Path(__file__).resolve().parent.parent
NOW = "2021-02-01T00:00:00Z"
FM = 'title: "A title"\ndate: 2021-01-05T10:00:00+08:00\n'
BODY = "<div><p>" + "Some real article text that is long enough to count as a body. " * 2 + "</p></div>\n"
GOOD = f"---\n{FM}---\n{BODY}"
THIN = f"---\n{FM}---\n<p>Subscribe to read.</p>\n"  # PC007, a warning, at 5:1
BAD_DATE = f"---\ntitle: A\ndate: 2021-02-30\n---\n{BODY}"  # PC004, an error, at 3:7
LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) "
                  r"\[(?P<sev>error|warning|info)\] (?P<name>[a-z0-9-]+): (?P<message>.+)$")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args[:1], *(["--no-cache", "--now", NOW] if args[:1] == ["check"] else []), *args[1:]])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "posts").mkdir()
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def select(*codes: str) -> list[str]:
    return ["--select", ",".join(codes)]


# -- exit codes -------------------------------------------------------------------------


def test_exit_0_when_clean(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    assert run(["check", *select("PC0"), "posts"], capsys)[0] == 0


def test_exit_1_on_an_error(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    assert run(["check", *select("PC0"), "posts"], capsys)[0] == 1


def test_fail_on_and_exit_zero(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", THIN)
    assert run(["check", *select("PC007"), "posts"], capsys)[0] == 0  # a warning; default fail-on error
    assert run(["check", *select("PC007"), "--fail-on", "warning", "posts"], capsys)[0] == 1
    assert run(["check", *select("PC007"), "--fail-on", "info", "posts"], capsys)[0] == 1
    write(tree / "posts/b.md", BAD_DATE)
    assert run(["check", *select("PC0"), "--exit-zero", "posts"], capsys)[0] == 0


@pytest.mark.parametrize("args", [
    ["check", "--select", "PC999", "posts"],
    ["check", "--select", "no-such-rule", "posts"],
    ["check", "--ignore", "XX1", "posts"],
    ["check", "--extend-select", "PC9", "posts"],
    ["check", "--now", "yesterday", "posts"],
    ["check", "--config", "missing.toml", "posts"],
    ["check", "--fail-on", "fatal", "posts"],
    ["explain", "PC999"],
    ["frobnicate"],
    ["check", "--fix", "--exit-zero", "--exit-non-zero-on-fix", "posts"],
    ["check", "--select", "", "posts"],
    ["check", "--ignore", " , ", "posts"],
    ["check", "--output-file", "no-such-folder/report.json", "posts"],
])
def test_exit_2_on_usage_errors(args: list[str], tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2
    assert err.strip() != "" and "Traceback" not in err


def test_usage_error_names_the_selector(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "--select", "PC999", "posts"], capsys)
    assert code == 2 and "PC999" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "setting",
    ['select = ["PC999"]', 'schema = "os:system"', 'per-file-ignores = { "*.md" = ["XX1"] }',
     "rules = { PC105 = { tolerance-days = \"x\" } }"],
)
def test_a_bad_setting_names_its_file(setting: str, tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    write(tree / "postcheck.toml", setting + "\n")
    code, _, err = run(["check", "posts"], capsys)
    assert code == 2 and "postcheck.toml: " in err and len(err.strip().splitlines()) == 1


def test_a_bad_selector_on_the_command_line_is_not_blamed_on_the_file(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    write(tree / "postcheck.toml", 'select = ["PC0"]\n')
    code, _, err = run(["check", "--select", "PC999", "posts"], capsys)
    assert code == 2 and "PC999" in err and "postcheck.toml" not in err


def test_a_named_path_that_cannot_be_read_is_a_finding_and_the_run_goes_on(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # as ruff's E902: pre-commit may name a dangling symlink; one bad path never hides the others
    write(tree / "posts/b.md", BAD_DATE)
    paths = ["nope/x.md", "posts/b.md"]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "pipe.md")  # opening it to read would wait for a writer forever
        paths.append("pipe.md")
    code, out, _ = run(["check", *select("PC0"), *paths], capsys)
    found = [(m.group("path"), m.group("code"), m.group("message")) for m in map(LINE.match, out.splitlines()) if m]
    assert code == 1
    assert ("nope/x.md", "PC001", "cannot read file: No such file or directory") in found
    assert ("posts/b.md", "PC004") in [(p, c) for p, c, _ in found]
    if hasattr(os, "mkfifo"):
        assert ("pipe.md", "PC001", "cannot read file: not a regular file") in found


def test_a_bad_file_never_stops_the_run(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "posts/a.md").write_bytes(b"\xff\xfe\x00binary")
    write(tree / "posts/b.md", BAD_DATE)
    code, out, _ = run(["check", *select("PC0"), "posts"], capsys)
    assert code == 1
    assert [m.group("code") for m in map(LINE.match, out.splitlines()) if m] == ["PC001", "PC004"]


# -- text format -------------------------------------------------------------------------


def test_text_format_exact(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    write(tree / "posts/b.md", THIN)
    write(tree / "posts/c.md", GOOD)
    code, out, _ = run(["check", *select("PC0"), "posts"], capsys)
    lines = out.splitlines()
    sep = os.sep
    assert lines[0].startswith(f"posts{sep}a.md:3:7: PC004 [error] schema-violation: date")
    assert lines[1] == (f"posts{sep}b.md:5:1: PC007 [warning] thin-body: "
                        "body has only 16 visible characters (min-chars is 50)")
    assert len(lines) == 3
    assert "2" in lines[2] and "3" in lines[2]  # the summary: 2 findings, 3 files
    assert code == 1


def test_text_format_clean_run_has_a_summary(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    code, out, _ = run(["check", *select("PC0"), "posts"], capsys)
    assert code == 0 and len(out.splitlines()) == 1 and "1" in out


def test_default_path_is_the_working_directory(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/b.md", THIN)
    code, out, _ = run(["check", *select("PC007")], capsys)
    assert out.splitlines()[0].startswith(os.path.join("posts", "b.md") + ":5:1: PC007")


# -- JSON and JSON Lines -------------------------------------------------------------------

FINDING_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "rule", "severity", "message",
                "field", "fix"}


def test_json_shape(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    write(tree / "posts/b.md", "\ufeff" + GOOD)
    write(tree / "posts/c.md", GOOD)
    code, out, _ = run(["check", *select("PC0"), "--format", "json", "posts"], capsys)
    doc = json.loads(out)
    assert code == 1
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "postcheck", "version": "0.1.0"}
    assert [set(f) for f in doc["findings"]] == [FINDING_KEYS, FINDING_KEYS]
    first, second = doc["findings"]
    assert first == {
        "path": os.path.join("posts", "a.md"), "line": 3, "column": 7, "end_line": 3, "end_column": 17,
        "code": "PC004", "rule": "schema-violation", "severity": "error", "message": first["message"],
        "field": "date", "fix": None,
    }
    assert second["code"] == "PC009" and second["field"] is None
    assert second["fix"] == {"applicability": "safe", "description": second["fix"]["description"]}
    assert doc["summary"] == {"files": 3, "files_with_findings": 2, "findings": 2,
                              "by_code": {"PC004": 1, "PC009": 1}, "by_severity": {"error": 1, "warning": 1}}


def test_json_empty(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    code, out, _ = run(["check", *select("PC0"), "--format", "json", "posts"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == [] and doc["summary"]["files"] == 1


def test_jsonl(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    write(tree / "posts/b.md", THIN)
    code, out, _ = run(["check", *select("PC0"), "--format", "jsonl", "posts"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["code"], r["line"], r["column"]) for r in rows] == [("PC004", 3, 7), ("PC007", 5, 1)]
    assert all(set(r) == FINDING_KEYS for r in rows)
    assert code == 1


def test_exit_zero_with_diff(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", "\ufeff" + THIN)  # PC009's fix removes the byte-order mark
    code, out, _ = run(["check", *select("PC009"), "--diff", "posts"], capsys)
    assert code == 1 and out.startswith("---")
    code, out, _ = run(["check", *select("PC009"), "--diff", "--exit-zero", "posts"], capsys)
    assert code == 0 and out.startswith("---")


def test_an_unwritable_report_is_a_one_line_usage_error(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    code, _, err = run(["check", "--output-file", "missing/report.json", "posts"], capsys)
    assert code == 2 and err.startswith("postcheck: error: --output-file missing/report.json: ")
    assert "internal" not in err and len(err.strip().splitlines()) == 1


def test_output_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    code, out, _ = run(["check", *select("PC0"), "--format", "json", "--output-file", "report.json", "posts"],
                       capsys)
    assert code == 1 and out == ""
    assert json.loads((tree / "report.json").read_text(encoding="utf-8"))["summary"]["findings"] == 1


def test_statistics(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", THIN)
    write(tree / "posts/b.md", THIN)
    write(tree / "posts/c.md", "\ufeff" + THIN)
    code, out, _ = run(["check", *select("PC0"), "--statistics", "posts"], capsys)
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert ["3", "PC007"] == rows[0][:2] and "thin-body" in rows[0]
    assert ["1", "PC009"] == rows[1][:2] and "byte-order-mark" in rows[1]


# -- selection -------------------------------------------------------------------------------

TWO = f"---\n{FM}tittle: x\n---\n<p>Subscribe to read.</p>\n"  # PC005 at 4:1 and PC007 at 6:1



def test_statistics_mark_only_what_fix_would_apply(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", f"\ufeff---\n{FM}from: https://news.example.com/a b\n---\n{BODY}")
    args = ["check", *select("PC009", "PC201"), "--statistics", "posts"]
    _, out, _ = run(args, capsys)
    marks = {line.split("\t")[1]: line.split("\t")[2][:3] for line in out.splitlines()}
    assert marks == {"PC009": "[*]", "PC201": "[ ]"}  # PC201's fix is unsafe
    _, out, _ = run([*args, "--unsafe-fixes"], capsys)
    assert "[ ]" not in out
    _, out, _ = run([*args, "--format", "json"], capsys)
    assert json.loads(out) == [{"code": "PC009", "name": "byte-order-mark", "count": 1, "fixable": True},
                               {"code": "PC201", "name": "invalid-source-url", "count": 1, "fixable": False}]


def codes_of(out: str) -> list[str]:
    return [m.group("code") for m in map(LINE.match, out.splitlines()) if m]


@pytest.mark.parametrize("args, expected", [
    (["--select", "PC005"], ["PC005"]),
    (["--select", "unknown-field"], ["PC005"]),
    (["--select", "PC0"], ["PC005", "PC007"]),
    (["--select", "PC005,thin-body"], ["PC005", "PC007"]),
    (["--select", "PC005", "--select", "PC007"], ["PC005", "PC007"]),
    (["--select", "PC0", "--ignore", "PC007"], ["PC005"]),
    (["--select", "PC0", "--ignore", "thin-body"], ["PC005"]),
    (["--select", "PC0", "--ignore", "PC00"], []),
    (["--select", "PC005", "--extend-select", "PC007"], ["PC005", "PC007"]),
    (["--select", "PC005", "--extend-select", "thin-body"], ["PC005", "PC007"]),
    (["--select", "PC005", "--extend-select", "PC00"], ["PC005", "PC007"]),
])
def test_selection(args: list[str], expected: list[str], tree: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", TWO)
    _, out, _ = run(["check", *args, "posts"], capsys)
    assert codes_of(out) == expected


# -- rules and explain ----------------------------------------------------------------------------


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from postcheck.rule import load_rules

    code, out, _ = run(["rules"], capsys)
    assert code == 0
    for r in load_rules().values():
        assert re.search(rf"^{r.code}\s+{re.escape(r.name)}\s+{r.severity.value}", out, re.MULTILINE), r.code


def test_rules_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "--format", "json", "--select", "PC00"], capsys)
    rows = json.loads(out)
    assert code == 0 and [r["code"] for r in rows] == [f"PC00{i}" for i in range(1, 10)]
    assert rows[6]["name"] == "thin-body" and rows[8]["fix"] == "safe"


@pytest.mark.parametrize("query", ["PC007", "pc007", "thin-body"])
def test_explain(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", query], capsys)
    assert code == 0
    assert "PC007" in out and "thin-body" in out
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options",
                    "## Fix safety"):
        assert section in out
    assert "min-chars" in out


def test_explain_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["explain", "nope"], capsys)
    assert code == 2 and "nope" in err


# -- the real process: python -m postcheck, exact file names -----------------------------------


def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "POSTCHECK_NOW": NOW, "PYTHONIOENCODING": "ascii"}
    return subprocess.run([sys.executable, "-m", "postcheck", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=60)


ODD_NAMES = ["with space.md", "quote's \"double\".md", "back\\slash.md", "中文 标题.md", "bad\ufffdchar.md",
             "-leading-dash.md", "semi;colon:.md"]


@pytest.mark.skipif(os.name == "nt", reason="names not allowed on Windows")
def test_odd_file_names_printed_exactly(tmp_path: Path) -> None:
    for name in ODD_NAMES:
        write(tmp_path / name, THIN)
    proc = _subprocess(["check", "--no-cache", "--select", "PC007", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode("utf-8").splitlines()
    printed = sorted(line.split(":5:1: PC007 ")[0] for line in lines[:-1])
    assert printed == sorted(ODD_NAMES)
    assert len(lines) == len(ODD_NAMES) + 1


@pytest.mark.skipif(os.name == "nt", reason="names not allowed on Windows")
def test_leading_dash_file_given_explicitly(tmp_path: Path) -> None:
    write(tmp_path / "-x.md", THIN)
    proc = _subprocess(["check", "--no-cache", "--select", "PC007", "--", "-x.md"], tmp_path)
    assert proc.stdout.decode("utf-8").splitlines()[0].startswith("-x.md:5:1: PC007 [warning] thin-body: ")


def test_python_dash_m(tmp_path: Path) -> None:
    write(tmp_path / "a.md", BAD_DATE)
    proc = _subprocess(["check", "--no-cache", "--select", "PC0", "a.md"], tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("a.md:3:7: PC004 [error] schema-violation: ")
    assert _subprocess(["--version"], tmp_path).stdout.decode().strip() == "postcheck 0.1.0"


SEED = REPO.parent / "shared" / "examples"


@pytest.mark.skipif(not SEED.is_dir(), reason="no shared examples")
def test_seed_post(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run(["check", "--format", "json", "../shared/examples/"], capsys)
    doc = json.loads(out)
    assert [f for f in doc["findings"] if f["code"].startswith("PC0")] == []
    seed = "../shared/examples/2021-09-04-zaobao-tianjin-cloud.md"
    assert {f["path"] for f in doc["findings"]} <= {seed}
    # the text report names it exactly as reached from the path given on the command line
    code, out, _ = run(["check", "../shared/examples/"], capsys)
    lines = out.splitlines()
    assert [line for line in lines[:-1] if not line.startswith(f"{seed}:")] == []
    assert [m.group("code") for m in map(LINE.match, lines) if m and m.group("code").startswith("PC0")] == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX pipe semantics")
@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_reader_that_stops_early_gets_no_noise(tmp_path: Path, fmt: str) -> None:
    # `postcheck check ... | head -1`: exit quietly, without "Exception ignored ... BrokenPipeError".
    for i in range(150):
        write(tmp_path / f"p{i:03d}.md", THIN)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env.update(PYTHONPATH=str(REPO), POSTCHECK_NOW=NOW)
    cmd = [sys.executable, "-m", "postcheck", "check", "--no-cache", "--select", "PC007", "--format", fmt, "."]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert b"Exception ignored" not in stderr and b"Traceback" not in stderr, stderr


@pytest.mark.parametrize("fmt", ["json", "jsonl", "github", "sarif", "junit"])
def test_reports_stay_utf8_when_a_file_name_is_not(fmt: str, tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = b"bad\xff-\xe4\xb8\xad.md"  # a Latin-1 byte, then a real CJK character
    try:
        with open(os.path.join(os.fsencode(tree), b"posts", name), "w", encoding="utf-8") as fh:
            fh.write(THIN)
    except OSError:
        pytest.skip("the file system refuses names that are not UTF-8")
    run(["check", *select("PC007"), "--format", fmt, "--output-file", "report", "posts"], capsys)
    report = (tree / "report").read_bytes().decode("utf-8")  # strict: no stray byte
    assert "中" in report or "%E4%B8%AD" in report
    if fmt in ("json", "jsonl"):
        doc = json.loads(report if fmt == "json" else report.splitlines()[0])
        path = doc["findings"][0]["path"] if fmt == "json" else doc["path"]
        assert os.fsencode(path) == b"posts/" + name  # the exact name comes back


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_output_file_through_a_symlink_keeps_the_link(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", BAD_DATE)
    write(tree / "reports/latest.json", "old")
    os.symlink("reports/latest.json", tree / "report.json")
    run(["check", *select("PC0"), "--format", "json", "-o", "report.json", "posts"], capsys)
    assert (tree / "report.json").is_symlink()
    assert json.loads((tree / "reports/latest.json").read_text(encoding="utf-8"))["summary"]["findings"] == 1
    os.symlink("reports/new.json", tree / "dangling.json")  # `>` would create the target
    run(["check", *select("PC0"), "--format", "json", "-o", "dangling.json", "posts"], capsys)
    assert (tree / "dangling.json").is_symlink() and (tree / "reports/new.json").is_file()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_output_file_into_a_fifo_writes_into_it(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import stat
    import threading

    write(tree / "posts/a.md", BAD_DATE)
    os.mkfifo(tree / "pipe")
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append((tree / "pipe").read_text(encoding="utf-8")))
    reader.start()
    run(["check", *select("PC0"), "--format", "json", "-o", "pipe", "posts"], capsys)
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(tree / "pipe").st_mode)  # not replaced by a regular file
    assert json.loads(received[0])["summary"]["findings"] == 1


def test_output_file_that_is_a_folder(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    for target in ("posts", "."):
        code, _, err = run(["check", "-o", target, "posts"], capsys)
        assert code == 2 and "is a folder" in err and "internal" not in err
    assert sorted(p.name for p in tree.iterdir()) == ["posts"]  # no temporary file left behind


def test_output_file_keeps_the_mode_of_the_report_it_replaces(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "posts/a.md", GOOD)
    write(tree / "report.txt", "old")
    os.chmod(tree / "report.txt", 0o640)
    run(["check", "-o", "report.txt", "posts"], capsys)
    assert (tree / "report.txt").read_text(encoding="utf-8").startswith("All checks passed")
    if os.name != "nt":
        assert (tree / "report.txt").stat().st_mode & 0o777 == 0o640


def test_text_lines_show_control_characters_escaped(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # one line a finding, and no escape sequence from a file reaches the terminal
    write(tree / "posts/a\x1b[31m.md", THIN.replace('title: "A title"', 'title: "A\x1b[2J title"'))
    _, out, _ = run(["check", "posts"], capsys)
    lines = [line for line in out.splitlines() if line.startswith("posts/")]
    assert lines and all("\x1b" not in line for line in lines)
    assert any(line.startswith("posts/a\\x1b[31m.md:") for line in lines)


def test_report_encoding_never_fails_on_a_lone_surrogate() -> None:
    from postcheck._streams import ERRORS

    assert "a\udcff\ud800b".encode("utf-8", ERRORS) == b"a\xff" + "\ufffd".encode() + b"b"


def test_jobs_are_capped_by_files_and_cores() -> None:
    from postcheck.runner import worker_count

    assert worker_count(99999, 3) == 3
    assert worker_count(99999, 10**6) <= max(8, 4 * (os.cpu_count() or 1))
    assert worker_count(2, 10**6) == 2 and worker_count(0, 5) == 1


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


AD = f"---\n{FM}---\n{BODY}<div id=\"div-gpt-ad-1\"></div>\n"


def test_a_post_on_stdin(tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, AD.encode())
    code, out, _ = run(["check", *select("PC301"), "-"], capsys)
    assert code == 1 and out.startswith("-:") and "PC301" in out
    _stdin(monkeypatch, AD.encode())
    code, out, _ = run(["check", *select("PC301"), "--format", "json", "--stdin-filename", "_posts/a.md", "-"],
                       capsys)
    assert json.loads(out)["findings"][0]["path"] == "_posts/a.md"


def test_stdin_filename_decides_per_file_ignores(tree: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree / "postcheck.toml", '[per-file-ignores]\n"drafts/*" = ["PC301"]\n')
    _stdin(monkeypatch, AD.encode())
    code, out, _ = run(["check", *select("PC301"), "--stdin-filename", "drafts/a.md", "-"], capsys)
    assert code == 0 and "PC301" not in out


def test_fixing_stdin_writes_the_post_to_stdout(tree: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, AD.encode())
    code, out, err = run(["check", *select("PC301"), "--fix", "-"], capsys)
    assert code == 0 and out == f"---\n{FM}---\n{BODY}" and "All checks passed" in err
    _stdin(monkeypatch, AD.encode())
    code, out, _ = run(["check", *select("PC301"), "--diff", "-"], capsys)
    assert code == 1 and out.startswith("--- -\n+++ -\n") and '-<div id="div-gpt-ad-1"></div>' in out


@pytest.mark.parametrize("args", [["-", "posts"], ["--stdin-filename", "x.md", "posts"]])
def test_stdin_usage_errors(args: list[str], tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", *args], capsys)
    assert code == 2 and err.startswith("postcheck: error:")


def test_fixing_stdin_over_the_size_limit_gives_it_back_whole(tree: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    big = (f"---\n{FM}---\n" + "<p>" + "x" * 100 + "</p>\n" * 1).encode() * 1
    big += b"<p>" + b"y" * (5 * 1024 * 1024) + b"</p>\n"
    _stdin(monkeypatch, big)
    code = main(["check", "--no-cache", "--now", NOW, "--fix", "-"])
    out = capsys.readouterr().out
    assert out.encode() == big and code == 1  # PC001: over the limit, unchanged


def test_fixing_stdin_reports_in_the_format_and_file_asked_for(tree: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, THIN.encode())
    code, out, err = run(["check", *select("PC007"), "--fix", "--format", "json", "-o", "report.json", "-"], capsys)
    assert out == THIN and err == ""
    assert json.loads((tree / "report.json").read_text(encoding="utf-8"))["summary"]["findings"] == 1


def test_fixing_stdin_honours_the_baseline(tree: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree / "posts/a.md", THIN)
    assert main(["baseline", "--no-cache", "--now", NOW, *select("PC007"), "-o", "base.json", "posts"]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, THIN.encode())
    code, out, err = run(["check", *select("PC007"), "--fix", "--fail-on", "warning", "--baseline", "base.json",
                          "--stdin-filename", "posts/a.md", "-"], capsys)
    assert code == 0 and out == THIN and "PC007" not in err


def test_force_exclude_applies_to_the_stdin_filename(tree: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree / "postcheck.toml", 'exclude = ["drafts"]\n')
    _stdin(monkeypatch, AD.encode())
    code, out, _ = run(["check", "--fix", "--force-exclude", "--stdin-filename", "drafts/a.md", "-"], capsys)
    assert code == 0 and out == AD  # passed through untouched, as ruff does
    _stdin(monkeypatch, AD.encode())
    code, out, _ = run(["check", *select("PC301"), "--stdin-filename", "drafts/a.md", "-"], capsys)
    assert code == 1 and "PC301" in out  # without --force-exclude a name is just a name


def test_stdin_closed_is_a_usage_error(tree: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", None)
    code, _, err = run(["check", "-"], capsys)
    assert code == 2 and "stdin" in err and "internal" not in err
