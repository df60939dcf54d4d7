"""Every registered rule is documented the same way, and `postcheck explain` shows it."""

from __future__ import annotations

import re

import pytest

from postcheck.cli import main
from postcheck.rule import DOC_SECTIONS, load_rules

RULES = list(load_rules().values())
KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@pytest.mark.parametrize("r", RULES, ids=[r.code for r in RULES])
def test_doc_has_the_six_sections(r: object) -> None:
    from postcheck.rule import Rule

    assert isinstance(r, Rule)
    assert r.missing_doc_sections() == []
    positions = [r.doc.index(f"## {s}") for s in DOC_SECTIONS]
    assert positions == sorted(positions), "sections out of order"
    for section, body in zip(DOC_SECTIONS, re.split(r"^## .*$", r.doc, flags=re.MULTILINE)[1:], strict=False):
        assert body.strip(), f"section {section!r} is empty"


@pytest.mark.parametrize("r", RULES, ids=[r.code for r in RULES])
def test_name_summary_and_fix(r: object) -> None:
    from postcheck.rule import Rule

    assert isinstance(r, Rule)
    assert KEBAB.fullmatch(r.name)
    first = r.doc.splitlines()[0] if r.doc else ""
    assert first.strip() and not first.startswith("#") and r.summary == first.strip()
    assert r.fix in ("safe", "unsafe", "none")


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("r", RULES, ids=[r.code for r in RULES])
def test_explain_prints_the_doc(r: object, capsys: pytest.CaptureFixture[str]) -> None:
    from postcheck.rule import Rule

    assert isinstance(r, Rule)
    assert main(["explain", r.code]) == 0
    by_code = capsys.readouterr().out
    assert r.code in by_code and r.name in by_code and r.doc.strip() in by_code
    assert main(["explain", r.name]) == 0
    assert capsys.readouterr().out == by_code
