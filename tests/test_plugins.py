"""Third-party rules register through the ``postcheck.rules`` entry-point group."""

from __future__ import annotations

import importlib
import itertools
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from postcheck.cli import main
from postcheck.engine import Engine
from postcheck.rule import PluginError, load_rules

_counter = itertools.count()
# `postcheck.rule` as an attribute is the decorator; the module is reached this way.
rule_module = importlib.import_module("postcheck.rule")
POST = '---\ntitle: "A title"\ndate: 2021-01-05T10:00:00+08:00\n---\n<p>Lorem ipsum dolor sit amet.</p>\n'

PLUGIN = '''
from postcheck.rule import rule
from postcheck.model import Problem


@rule("XY001", "no-lorem-ipsum", severity="warning")
def no_lorem(post, ctx):
    """Placeholder text left in the body.

    ## What it does
    Finds "Lorem ipsum".

    ## Why is this bad?
    It is not an article.

    ## Example
    `<p>Lorem ipsum</p>`

    ## Use instead
    Real text.

    ## Options
    None.

    ## Fix safety
    No fix.
    """
    at = post.text.find("Lorem ipsum")
    if at >= 0:
        yield Problem(at, at + 11, "placeholder text")


rules = [no_lorem]
'''


def _module(folder: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"postcheck_plugin_{next(_counter)}"
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    return name


def _entry_point(module: str, attr: str = "rules", name: str = "xy") -> EntryPoint:
    value = f"{module}:{attr}" if attr else module
    return EntryPoint(name=name, value=value, group="postcheck.rules")


def test_plugin_rule_is_registered_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ep = _entry_point(_module(tmp_path, PLUGIN, monkeypatch))
    registry = load_rules(extra_entry_points=[ep])
    assert "XY001" in registry and "PC001" in registry
    assert registry["XY001"].name == "no-lorem-ipsum"
    engine = Engine(select=["XY001"], rules=registry, now="2021-02-01T00:00:00Z")
    (f,) = engine.check_bytes(POST, "a.md").findings
    assert (f.code, f.rule, f.line, f.column, str(f.severity)) == ("XY001", "no-lorem-ipsum", 5, 4, "warning")


@pytest.mark.parametrize("attr", ["", "no_lorem", "rules"])
def test_entry_point_may_name_a_module_a_rule_or_a_list(attr: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ep = _entry_point(_module(tmp_path, PLUGIN, monkeypatch), attr)
    assert "XY001" in load_rules(extra_entry_points=[ep])


def test_plugin_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    ep = _entry_point(_module(tmp_path, PLUGIN, monkeypatch))
    real = rule_module._entry_points
    monkeypatch.setattr(rule_module, "_entry_points", lambda: [*real(), ep])
    (tmp_path / "a.md").write_text(POST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--no-cache", "--select", "no-lorem-ipsum", "a.md"])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("a.md:5:4: XY001 [warning] no-lorem-ipsum: placeholder text\n")
    assert main(["rules"]) == 0 and "XY001" in capsys.readouterr()[0]
    assert main(["explain", "XY001"]) == 0 and "## Why is this bad?" in capsys.readouterr()[0]


def test_broken_plugin_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _module(tmp_path, "import no_such_dependency_xyz\n", monkeypatch)
    with pytest.raises(PluginError, match=module) as info:
        load_rules(extra_entry_points=[_entry_point(module, name="broken-plugin")])
    assert "broken-plugin" in str(info.value) and "no_such_dependency_xyz" in str(info.value)


def test_missing_plugin_module_is_named() -> None:
    with pytest.raises(PluginError, match="not_installed_plugin_xyz"):
        load_rules(extra_entry_points=[_entry_point("not_installed_plugin_xyz")])


def test_plugin_with_the_wrong_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _module(tmp_path, "rules = 42\n", monkeypatch)
    with pytest.raises(PluginError, match="xy"):
        load_rules(extra_entry_points=[_entry_point(module)])


def test_plugin_cannot_take_a_builtin_code_or_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clash = PLUGIN.replace('"XY001", "no-lorem-ipsum"', '"PC007", "no-lorem-ipsum"')
    with pytest.raises(PluginError, match="PC007"):
        load_rules(extra_entry_points=[_entry_point(_module(tmp_path, clash, monkeypatch))])
    clash = PLUGIN.replace('"XY001", "no-lorem-ipsum"', '"XY001", "thin-body"')
    with pytest.raises(PluginError, match="thin-body"):
        load_rules(extra_entry_points=[_entry_point(_module(tmp_path, clash, monkeypatch))])


@pytest.mark.parametrize("command", [["check", "--no-cache", "a.md"], ["rules"], ["explain", "PC001"]])
def test_broken_plugin_via_cli_exits_2_with_one_line(command: list[str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    module = _module(tmp_path, "raise RuntimeError('plugin exploded')\n", monkeypatch)
    real = rule_module._entry_points
    monkeypatch.setattr(rule_module, "_entry_points", lambda: [*real(), _entry_point(module, name="boom")])
    (tmp_path / "a.md").write_text(POST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(command) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1
    assert "boom" in err and "plugin exploded" in err and "Traceback" not in err


def test_rule_identity_is_validated() -> None:
    from postcheck.rule import rule

    with pytest.raises(ValueError, match="kebab"):
        rule("XY002", "Not_Kebab")
    with pytest.raises(ValueError, match="PC301"):
        rule("xy2", "fine-name")
