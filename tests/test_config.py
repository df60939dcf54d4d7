"""Configuration (SPEC §6): discovery, overrides, validation, per-file ignores, rule options, schema."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from postcheck.cli import main
from postcheck.config import Config, ConfigError, find_config, load_config

NOW = "2021-02-01T00:00:00Z"
FM = 'title: "A title"\ndate: 2021-01-05T10:00:00+08:00\n'
THIN = f"---\n{FM}---\n<p>Subscribe to read.</p>\n"  # PC007 at 5:1
TWO = f"---\n{FM}tittle: x\n---\n<p>Subscribe to read.</p>\n"  # PC005 at 4:1, PC007 at 6:1
LINE = re.compile(r"^(.+):(\d+):(\d+): ([A-Z]+\d+) \[(error|warning|info)\] ")
_counter = itertools.count()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, str, str]], str]:
    code = main([args[0], "--no-cache", "--now", NOW, *args[1:]])
    out, err = capsys.readouterr()
    found = [(m.group(1), m.group(4), m.group(5)) for m in map(LINE.match, out.splitlines()) if m]
    return code, found, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "posts/a.md", TWO)
    return tmp_path


# -- finding the file -------------------------------------------------------------------------


def test_pyproject_found_walking_up(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "pyproject.toml", '[project]\nname = "x"\n\n[tool.postcheck]\nselect = ["PC005"]\n')
    monkeypatch.chdir(repo / "posts")
    code, found, _ = run(["check", "."], capsys)
    assert [c for _, c, _ in found] == ["PC005"]
    assert find_config() == repo / "pyproject.toml"


def test_pyproject_without_section_is_skipped(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "pyproject.toml", '[project]\nname = "x"\n')
    write(repo.parent / f"{repo.name}-sibling" / "x", "")
    monkeypatch.chdir(repo / "posts")
    found = find_config()
    assert found is None or found != repo / "pyproject.toml"


def test_postcheck_toml_top_level_keys(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", 'select = ["PC0"]\nignore = ["unknown-field"]\n')
    monkeypatch.chdir(repo / "posts")
    _, found, _ = run(["check"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]


def test_postcheck_toml_wins_over_pyproject_in_the_same_folder(repo: Path) -> None:
    write(repo / "pyproject.toml", '[tool.postcheck]\nselect = ["PC005"]\n')
    write(repo / "postcheck.toml", 'select = ["PC007"]\n')
    assert load_config().select == ["PC007"]


def test_config_flag_overrides_discovery(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", 'select = ["PC005"]\n')
    other = write(repo / "elsewhere/custom.toml", 'select = ["PC007"]\n')
    _, found, _ = run(["check", "--config", str(other), "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]
    pyproject = write(repo / "elsewhere/pyproject.toml", '[tool.postcheck]\nselect = ["thin-body"]\n')
    _, found, _ = run(["check", "--config", str(pyproject), "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]


def test_command_line_select_beats_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", 'select = ["PC005"]\n')
    _, found, _ = run(["check", "--select", "PC007", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]


def test_command_line_select_beats_config_ignore(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # as in ruff: a selection on the command line starts the choice again
    write(repo / "postcheck.toml", 'ignore = ["PC007"]\nextend-select = ["PC005"]\n')
    _, found, _ = run(["check", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC005"]
    _, found, _ = run(["check", "--select", "PC007", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]
    _, found, _ = run(["check", "--select", "PC0", "--ignore", "PC005", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]
    _, found, _ = run(["check", "--extend-select", "PC007", "posts"], capsys)  # no reset: adds back
    assert [c for _, c, _ in found] == ["PC005", "PC007"]


def test_extend_select_and_fail_on_from_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", 'select = ["PC005"]\nextend-select = ["PC007"]\nfail-on = "warning"\n')
    code, found, _ = run(["check", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC005", "PC007"] and code == 1


# -- errors name the key ------------------------------------------------------------------------


@pytest.mark.parametrize("content, named", [
    ('selekt = ["PC005"]\n', "selekt"),
    ('fail-on = "fatal"\n', "fail-on"),
    ('select = "PC005"\n', "select"),
    ('timezone = "Mars/Olympus"\n', "timezone"),
    ('schema = "no_colon_here"\n', "schema"),
    ('select = ["PC999"]\n', "select: 'PC999'"),
    ('extend-select = ["PC9"]\n', "extend-select: 'PC9'"),
    ('ignore = ["nonsense"]\n', "ignore: 'nonsense'"),
    ('[per-file-ignores]\n"drafts/*" = ["PC999"]\n', "PC999"),
    ('[rules.PC999]\nseverity = "error"\n', "PC999"),
    ('[rules.PC007]\nseverity = "fatal"\n', "severity"),
    ('[rules.PC007]\nmin-chars = "lots"\n', "min-chars"),
    ('[rules.thin-body]\nbogus = 1\n', "bogus"),
    ('[rules.thin-body]\nmin_chars = 10\n', "rules.thin-body.min_chars: unknown option; did you mean 'min-chars'"),
    ('[rules.thin-body]\nmin-chars = true\n', "rules.thin-body.min-chars: expected an integer"),
    ('[rules.PC007]\nmin-chars = "5"\n', "rules.PC007.min-chars: expected an integer"),
    ('[rules.thin-body]\nmin-chars = 5.0\n', "min-chars"),
    ('extend_select = ["PC007"]\n', "did you mean 'extend-select'"),
    ('respect-gitignore = "yes"\n', "respect-gitignore"),
    ('report-unused-suppressions = 1\n', "report-unused-suppressions"),
    ('max-bytes = "5MB"\n', "max-bytes"),
    ('schema = "no_such_module_xyz:Model"\n', "no_such_module_xyz"),
    ('schema = ":X"\n', "schema"),
    ('schema = "..:X"\n', "schema"),
    ('schema = "json:"\n', "schema"),
    ("select = [\n", "postcheck.toml"),
])
def test_bad_config_exits_2_naming_the_key(content: str, named: str, repo: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", content)
    code, found, err = run(["check", "posts"], capsys)
    assert code == 2 and found == []
    assert named in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_broken_pyproject_with_our_section_is_an_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "pyproject.toml", '[tool.postcheck]\nselect = ["PC2"]\n[project]\nname = "x\n')
    code, found, err = run(["check", "posts"], capsys)
    assert code == 2 and found == [] and "pyproject.toml" in err and "invalid TOML" in err
    write(repo / "pyproject.toml", '[project]\nname = "x\n')  # not ours: looked past
    code, found, _ = run(["check", "posts"], capsys)
    assert code != 2 and found


def test_unknown_key_in_pyproject(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "pyproject.toml", '[tool.postcheck]\nfrobnicate = true\n')
    code, _, err = run(["check", "posts"], capsys)
    assert code == 2 and "frobnicate" in err


def test_load_config_raises_config_error(repo: Path) -> None:
    write(repo / "postcheck.toml", 'selekt = ["PC005"]\n')
    with pytest.raises(ConfigError, match="selekt"):
        load_config()


# -- per-file-ignores, severity, options ---------------------------------------------------------


def test_per_file_ignores(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "posts/drafts/b.md", TWO)
    write(repo / "postcheck.toml", 'select = ["PC0"]\n[per-file-ignores]\n'
          '"posts/drafts/*" = ["PC007", "unknown-field"]\n"a.md" = ["PC00"]\n')
    _, found, _ = run(["check", "posts"], capsys)
    assert found == []
    write(repo / "postcheck.toml", 'select = ["PC0"]\n[per-file-ignores]\n"posts/drafts/*" = ["PC007"]\n')
    _, found, _ = run(["check", "posts"], capsys)
    assert [(Path(p).as_posix(), c) for p, c, _ in found] == [
        ("posts/a.md", "PC005"), ("posts/a.md", "PC007"), ("posts/drafts/b.md", "PC005")]


def test_rule_severity_by_code_and_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", 'select = ["PC0"]\n[rules.PC007]\nseverity = "error"\n'
          '[rules.unknown-field]\nseverity = "info"\n')
    code, found, _ = run(["check", "posts"], capsys)
    assert [(c, s) for _, c, s in found] == [("PC005", "info"), ("PC007", "error")]
    assert code == 1


def test_rule_option_min_chars(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", 'select = ["PC007"]\n[rules.thin-body]\nmin-chars = 10\n')
    _, found, _ = run(["check", "posts"], capsys)
    assert found == []
    write(repo / "postcheck.toml", 'select = ["PC007"]\n[rules.PC007]\nmin-chars = 17\n')
    _, found, _ = run(["check", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC007"]


def test_config_object_in_python() -> None:
    cfg = Config.model_validate({"select": ["PC0"], "rules": {"thin-body": {"min-chars": 10}}})
    import postcheck

    assert [f.code for f in postcheck.check_text(TWO, "a.md", cfg)] == ["PC005"]
    assert [f.code for f in postcheck.check_text(TWO, "a.md", {"select": ["PC007"]})] == ["PC007"]
    with pytest.raises(ConfigError, match="selekt"):
        postcheck.check_text(TWO, "a.md", {"selekt": ["PC007"]})


# -- a user's schema ----------------------------------------------------------------------------------


def _schema_module(folder: Path) -> str:
    name = f"user_schema_{next(_counter)}"
    write(folder / f"{name}.py", (
        "from pydantic import Field\n"
        "from postcheck.model import Post\n\n"
        "class NewsPost(Post):\n"
        "    subtitle: str | None = None\n"
        "    word_count: int = Field(default=0, alias='word-count', ge=0)\n"
    ))
    return name


SCHEMA_POST = (f"---\n{FM}subtitle: A subtitle\nword-count: lots\nsubtitel: typo\n---\n<p>"
               + "Text. " * 20 + "</p>\n")


def test_custom_schema_from_config(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    module = _schema_module(repo / "lib")
    monkeypatch.syspath_prepend(str(repo / "lib"))
    write(repo / "posts/a.md", SCHEMA_POST)
    _, found, _ = run(["check", "--select", "PC0", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC005", "PC005", "PC005"]  # subtitle, word-count, subtitel unknown
    write(repo / "postcheck.toml", f'schema = "{module}:NewsPost"\n')
    _, found, _ = run(["check", "--select", "PC0", "posts"], capsys)
    assert [c for _, c, _ in found] == ["PC004", "PC005"]


def test_custom_schema_findings_have_field_and_line(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import postcheck

    module = _schema_module(repo / "lib")
    monkeypatch.syspath_prepend(str(repo / "lib"))
    result = postcheck.check_text(SCHEMA_POST, "a.md", {"schema": f"{module}:NewsPost", "select": ["PC0"]})
    assert [(f.code, f.line, f.field) for f in result] == [
        ("PC004", 5, "word-count"), ("PC005", 6, "subtitel")]
    assert "'subtitle'" in result[1].message  # the suggestion comes from the user's schema


def test_schema_that_is_not_a_model(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "lib/not_a_model_mod.py", "Thing = 42\n")
    monkeypatch.syspath_prepend(str(repo / "lib"))
    write(repo / "postcheck.toml", 'schema = "not_a_model_mod:Thing"\n')
    code, _, err = run(["check", "posts"], capsys)
    assert code == 2 and "not_a_model_mod:Thing" in err


@pytest.mark.parametrize("select, ignore, active", [
    (["PC301"], ["PC3"], True),        # the more precise selector wins, as in ruff
    (["PC3"], ["PC301"], False),
    (["PC3"], ["PC3"], False),         # equal precision: ignore wins
    (["ad-slot"], ["PC30"], True),     # a name is the most precise
    (["ad-slot"], ["PC301"], False),   # ... as precise as the full code: ignore wins
    (["PC301"], ["ad-slot"], False),
    (None, ["PC3"], False),            # the default selection is ALL: any ignore beats it
])
def test_the_more_precise_selector_wins(select: list[str] | None, ignore: list[str], active: bool) -> None:
    from postcheck.engine import Engine

    cfg = Config.model_validate({"select": select, "ignore": ignore} if select else {"ignore": ignore})
    assert ("PC301" in {a.rule.code for a in Engine(cfg).active}) is active
    cli = Engine(Config(), select=select, ignore=ignore)  # the same within the command line's layer
    assert ("PC301" in {a.rule.code for a in cli.active}) is active


def test_per_file_ignores_codes_may_be_spaced(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo / "postcheck.toml", '[per-file-ignores]\n"posts/*" = [" PC007 ", "PC005"]\n')
    _, found, _ = run(["check", "posts"], capsys)
    assert [c for _, c, _ in found] == []
