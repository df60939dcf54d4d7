"""The public Python API: ``import postcheck``."""

from __future__ import annotations

import collections.abc
from pathlib import Path

import pytest

import postcheck
from postcheck import Finding

NOW = "2021-02-01T00:00:00Z"
FM = 'title: "A title"\ndate: 2021-01-05T10:00:00+08:00\n'
BAD_DATE = "---\ntitle: A\ndate: 2021-02-30\n---\n<p>" + "Some article text. " * 5 + "</p>\n"
THIN = f"---\n{FM}---\n<p>Subscribe to read.</p>\n"


def test_public_names() -> None:
    assert set(postcheck.__all__) == {
        "Config", "ConfigError", "Edit", "Finding", "Fix", "Location", "ParsedPost", "Post", "Problem",
        "Rule", "RuleContext", "RuleOptions", "Severity", "__version__", "check_file", "check_paths",
        "check_post", "check_text", "corpus_rule", "fix_text", "load_config", "rule",
    }
    for name in postcheck.__all__:
        assert getattr(postcheck, name) is not None, name
    assert postcheck.__version__ == "0.1.0"


def _codes(findings: list[Finding]) -> list[tuple[str, int, int]]:
    assert all(isinstance(f, Finding) for f in findings)
    return [(f.code, f.line, f.column) for f in findings]


def test_check_text_str_and_bytes() -> None:
    config = {"select": ["PC0"]}
    assert _codes(postcheck.check_text(BAD_DATE, "a.md", config, now=NOW)) == [("PC004", 3, 7)]
    assert _codes(postcheck.check_text(BAD_DATE.encode(), "a.md", config, now=NOW)) == [("PC004", 3, 7)]
    assert _codes(postcheck.check_text(b"\xff\xfe", None, config, now=NOW)) == [("PC001", 1, 1)]
    (f,) = postcheck.check_text(BAD_DATE, "a.md", config, now=NOW)
    assert f.path == "a.md" and f.field == "date" and f.rule == "schema-violation"


def test_check_text_takes_a_config_object() -> None:
    cfg = postcheck.Config.model_validate({"select": ["PC007"], "rules": {"PC007": {"severity": "error"}}})
    (f,) = postcheck.check_text(THIN, "a.md", cfg, now=NOW)
    assert (f.code, str(f.severity)) == ("PC007", "error")


def test_check_file(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(BAD_DATE, encoding="utf-8")
    result = postcheck.check_file(path, {"select": ["PC0"]}, now=NOW)
    assert _codes(result) == [("PC004", 3, 7)] and result[0].path == str(path)
    assert _codes(postcheck.check_file(str(path), {"select": ["PC0"]}, now=NOW)) == [("PC004", 3, 7)]


def test_check_file_unreadable_is_a_finding(tmp_path: Path) -> None:
    assert [f.code for f in postcheck.check_file(tmp_path / "missing.md", {"select": ["PC0"]})] == ["PC001"]


def test_check_paths_is_a_lazy_iterator(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(BAD_DATE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text(THIN, encoding="utf-8")
    result = postcheck.check_paths([tmp_path], {"select": ["PC0"]}, now=NOW)
    assert isinstance(result, collections.abc.Iterator)
    found = list(result)
    assert all(isinstance(f, Finding) for f in found)
    assert [(Path(f.path or "").name, f.code) for f in found] == [("a.md", "PC004"), ("b.md", "PC007")]


def test_check_paths_missing_path_is_a_finding(tmp_path: Path) -> None:
    # findings are values, never exceptions: a path that cannot be read is PC001, as in the CLI
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n<p>Subscribe to read.</p>\n", encoding="utf-8")
    found = [(Path(f.path or "").name, f.code) for f in postcheck.check_paths([tmp_path / "nope", tmp_path / "a.md"])]
    assert ("nope", "PC001") in found and any(name == "a.md" for name, _ in found)


def test_check_paths_takes_one_path_too(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n<p>Subscribe to read.</p>\n", encoding="utf-8")
    assert {Path(f.path or "").name for f in postcheck.check_paths(str(tmp_path / "a.md"))} == {"a.md"}


def test_check_post_from_dict_and_body() -> None:
    front = {"title": "A title", "date": "2021-02-30", "tittle": "typo"}
    result = postcheck.check_post(front, "<p>Subscribe to read.</p>", {"select": ["PC0"]}, now=NOW)
    assert [(f.code, f.field) for f in result] == [("PC004", "date"), ("PC005", "tittle"), ("PC007", None)]


def test_check_post_from_frontmatter_post() -> None:
    import frontmatter

    post = frontmatter.loads(f"---\n{FM}tags: [a, [b]]\n---\n<p>" + "Some article text. " * 5 + "</p>\n")
    result = postcheck.check_post(post, config={"select": ["PC0"]}, now=NOW)
    assert [(f.code, f.field) for f in result] == [("PC004", "tags.1")]
    good = frontmatter.loads(f"---\n{FM}---\n<p>" + "Some article text. " * 5 + "</p>\n")
    assert postcheck.check_post(good, config={"select": ["PC0"]}, now=NOW) == []
    assert all(isinstance(f, Finding) for f in result)


def test_check_post_rejects_other_shapes() -> None:
    with pytest.raises(TypeError):
        postcheck.check_post("not a post")


def test_finding_json_shape() -> None:
    text = "\ufeff" + THIN.replace("Subscribe to read.", "Some article text. " * 5)
    (f,) = postcheck.check_text(text, "a.md", {"select": ["PC0"]}, now=NOW)
    assert f.fix is not None
    assert f.to_json() == {"path": "a.md", "line": 1, "column": 1, "end_line": 1, "end_column": 2,
                           "code": "PC009", "rule": "byte-order-mark", "severity": "warning",
                           "message": f.message, "field": None,
                           "fix": {"applicability": "safe", "description": f.fix.description}}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(relative level, module) of every import in a source file."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
        elif isinstance(node, ast.Import):
            found.extend((0, alias.name) for alias in node.names)
    return found


def test_layering() -> None:
    # checks/ build on model, parse, rule and data only; nothing below the CLI imports it
    package = Path(postcheck.__file__).parent
    for path in sorted((package / "checks").glob("*.py")):
        for level, module in _imports(path):
            top = module.split(".")[0]
            if level == 2 or (level == 0 and top == "postcheck"):
                name = module if level == 2 else module.partition(".")[2]
                assert name.split(".")[0] in {"model", "parse", "rule", "data"}, (path.name, module)
    for path in sorted(package.rglob("*.py")):
        if path.name in ("cli.py", "__main__.py"):
            continue
        for _level, module in _imports(path):
            assert not module.endswith("cli") and module != "postcheck.cli", (path.name, module)


def test_check_post_with_front_matter_yaml_cannot_hold() -> None:
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    for front in ({"title": "A", "obj": object()}, {"title": "A", "deep": deep}):
        with pytest.raises(TypeError, match="cannot be written as YAML"):
            postcheck.check_post(front, "<p>Body.</p>")
