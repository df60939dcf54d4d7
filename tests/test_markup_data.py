"""Every markup signature's must-match / must-not-match examples, and data validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from postcheck.checks._classwords import ClassWords, token_words
from postcheck.checks._scan import promo_sentence
from postcheck.checks._signatures import Signature, SignatureFile, SignatureTable, all_signatures
from postcheck.checks._units import element_info
from postcheck.data import load_rule_data
from postcheck.engine import Engine
from postcheck.parse import parse_text

Engine(select=["PC301"])  # registers every rule-data kind before loading the data
DATA = load_rule_data()
SIGNATURES = list(all_signatures(DATA))
WORDS = token_words(DATA)


def _matches(sig: Signature, code: str, html: str) -> bool:
    table = SignatureTable(code, token_words=WORDS)
    table.add(sig)
    post = parse_text(f"---\ntitle: t\n---\n<div>{html}</div>\n")
    assert post.tree is not None
    for el in post.tree.iter():
        item = element_info(post, el)
        if item is None or item.tag in ("html", "body"):
            continue
        if table.match(item.tag, item.attrs) is not None:
            return True
        if item.tag == "a" and table.match_link_text("".join(str(t) for t in el.itertext())) is not None:
            return True
        if item.tag in ("p", "div", "aside", "section") and promo_sentence(el, table) is not None:
            return True
    return False


def test_there_are_signatures_for_each_code() -> None:
    assert {code for code, _ in SIGNATURES} >= {"PC301", "PC302", "PC303"}


@pytest.mark.parametrize(("code", "sig"), SIGNATURES, ids=[f"{c}-{s.name}" for c, s in SIGNATURES])
def test_signature_examples(code: str, sig: Signature) -> None:
    for html in sig.must_match:
        assert _matches(sig, code, html), f"{sig.name} should match {html}"
    for html in sig.must_not_match:
        assert not _matches(sig, code, html), f"{sig.name} should not match {html}"


EXAMPLES = {"must-match": ["<a>"], "must-not-match": ["<b>"]}


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "source": "somewhere", "ids": ["a*b"], **EXAMPLES},
        {"name": "x", "source": "somewhere", "substrings": ["ad"], **EXAMPLES},
        {"name": "x", "source": "somewhere", **EXAMPLES},
        {"name": "x", "ids": ["ad"], **EXAMPLES},
        {"name": "x", "source": "somewhere", "ids": ["ad"], "must-match": [], "must-not-match": ["<b>"]},
        {"name": "x", "source": "somewhere", "ids": ["ad"], **EXAMPLES,
         "unknown": 1},
        # block texts: a regex, in lower case, holding one of the block keys
        {"name": "x", "source": "somewhere", "block-texts": ["sign up (to newsletter"],
         "block-keys": ["newsletter"], **EXAMPLES},
        {"name": "x", "source": "somewhere", "block-texts": ["Sign up to our newsletter"],
         "block-keys": ["newsletter"], **EXAMPLES},
        {"name": "x", "source": "somewhere", "block-texts": ["sign up to our newsletter"], **EXAMPLES},
        {"name": "x", "source": "somewhere", "block-texts": ["sign up now"], "block-keys": ["newsletter"],
         **EXAMPLES},
    ],
)
def test_invalid_signatures_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Signature.model_validate(bad)


def test_file_needs_a_known_code() -> None:
    sig = {"name": "x", "source": "somewhere", "ids": ["ad"], **EXAMPLES}
    with pytest.raises(ValidationError):
        SignatureFile.model_validate({"kind": "markup-signatures", "code": "PC999", "source": "abc",
                                      "signatures": [sig]})


def test_class_words_are_loaded_with_examples() -> None:
    files: list[ClassWords] = DATA.entries("class-words")
    assert files and all(f.must_split for f in files)
    assert WORDS.negations and WORDS.phrases and WORDS.atomic_short_classes


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("m-block-ad__content", ["m", "block", "ad", "content"]),
        ("AdSlot__creative___aEugP", ["ad", "slot", "creative", "a", "eug", "p"]),
        ("js_pcBox_EndAd2", ["js", "pc", "box", "end", "ad"]),
        ("header", ["header"]),
        ("download", ["download"]),
        ("no-ads", []),
        ("ad-hoc", []),
        ("dcr-1a2b3c-AdSlot", ["ad", "slot"]),
        ("lang-ad", []),
    ],
)
def test_token_words(token: str, words: list[str]) -> None:
    assert WORDS.counted(token) == words


@pytest.mark.parametrize(
    "bad",
    [
        {"must-split": [{"token": "no-ads", "words": ["no", "ads"]}], "negations": ["no"]},
        {"generated-prefixes": ["css*"]},
        {"atomic-short-classes": 1},
        {"phrases": [{"word": "ad", "with": [], "source": "Latin"}]},
    ],
)
def test_invalid_class_words_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ClassWords.model_validate({"source": "somewhere", **bad})


def test_class_words_without_data_split_plainly() -> None:
    table = SignatureTable("PC301")
    assert table.token_words.counted("no-ads") == ["no", "ads"]


def test_user_rule_data_extends_signatures(tmp_path: object) -> None:
    import pathlib

    from postcheck.config import Config

    folder = pathlib.Path(str(tmp_path))
    (folder / "mine.toml").write_text(
        'kind = "markup-signatures"\ncode = "PC301"\nsource = "my site"\n'
        '[[signatures]]\nname = "house-ads"\nsource = "our CMS"\nclasses = ["house-promo-slot"]\n'
        "must-match = ['<div class=\"house-promo-slot\"></div>']\n"
        "must-not-match = ['<div class=\"house\"></div>']\n",
        encoding="utf-8",
    )
    config = Config.model_validate({"rule-data": [str(folder)]})
    engine = Engine(config, select=["PC301"], now="2021-02-01T00:00:00Z")
    text = "---\ntitle: t\n---\n<div><p>x</p><div class=\"house-promo-slot\"></div></div>\n"
    assert [f.code for f in engine.check_bytes(text, "p.md").findings] == ["PC301"]
