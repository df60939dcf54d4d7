"""Finding the files to check: include/exclude, .gitignore, symlinks, odd names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from postcheck.config import Config
from postcheck.runner import discover


def touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def found(paths: list[str], config: Config | None = None) -> list[str]:
    files, errors = discover(paths, config or Config())
    assert errors == []
    return [f.replace(os.sep, "/") for f in files]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_default_extensions_sorted(here: Path) -> None:
    for name in ("b.md", "a.markdown", "c.html", "d.txt", "e.MD.bak", "sub/f.md", "README"):
        touch(here / name)
    assert found(["."]) == ["a.markdown", "b.md", "c.html", "sub/f.md"]


def test_display_keeps_the_given_prefix(here: Path) -> None:
    touch(here / "posts/a.md")
    assert found(["posts"]) == ["posts/a.md"]
    assert found(["posts/"]) == ["posts/a.md"]
    assert found(["./posts"]) == ["./posts/a.md"]


def test_explicit_file_is_checked_whatever_its_extension(here: Path) -> None:
    touch(here / "notes.txt")
    assert found(["notes.txt"]) == ["notes.txt"]


def test_duplicates_are_removed(here: Path) -> None:
    touch(here / "a.md")
    assert found(["a.md", "a.md", "."]) == ["a.md"]


def test_a_missing_path_is_kept_for_its_pc001(here: Path) -> None:
    files, warnings = discover(["nope"], Config())
    assert files == ["nope"] and warnings == []


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="needs POSIX permissions that bind the user")
def test_an_unreadable_folder_is_a_warning(here: Path) -> None:
    touch(here / "ok.md")
    touch(here / "locked/a.md")
    (here / "locked").chmod(0)
    try:
        files, warnings = discover(["."], Config())
    finally:
        (here / "locked").chmod(0o755)
    assert files == ["ok.md"] and len(warnings) == 1 and "locked" in warnings[0]


def test_include_and_exclude(here: Path) -> None:
    for name in ("a.md", "b.txt", "drafts/c.md", "posts/d.md"):
        touch(here / name)
    cfg = Config.model_validate({"include": ["*.md", "*.txt"], "exclude": ["drafts"]})
    assert found(["."], cfg) == ["a.md", "b.txt", "posts/d.md"]
    cfg = Config.model_validate({"exclude": ["posts/*.md"]})
    assert found(["."], cfg) == ["a.md", "drafts/c.md"]


def test_gitignore_is_respected(here: Path) -> None:
    for name in ("a.md", "build/b.md", "posts/c.md", "posts/tmp-d.md", "posts/keep-tmp.md", "x/y/z.md"):
        touch(here / name)
    touch(here / ".gitignore", "build/\n# a comment\n/x\n")
    touch(here / "posts/.gitignore", "tmp-*\n*tmp.md\n!keep-tmp.md\n")
    assert found(["."]) == ["a.md", "posts/c.md", "posts/keep-tmp.md"]
    assert found(["."], Config.model_validate({"respect-gitignore": False})) == [
        "a.md", "build/b.md", "posts/c.md", "posts/keep-tmp.md", "posts/tmp-d.md", "x/y/z.md"]


def test_gitignore_above_the_folder_given_is_respected(here: Path) -> None:
    # `postcheck check sub` skips what `postcheck check .` skips (as git and ruff do)
    for name in ("sub/a.md", "sub/archive/b.md", "sub/c.tmp.md"):
        touch(here / name)
    touch(here / ".gitignore", "sub/archive/\n*.tmp.md\n")
    assert found(["."]) == ["sub/a.md"]
    assert found(["sub"]) == ["sub/a.md"]
    assert found([str(here / "sub")]) == ["sub/a.md"]  # shown relative to the working folder
    # inside a repository, up to its top, wherever the command runs from
    (here / ".git").mkdir()
    os.chdir(here / "sub")
    assert found(["."]) == ["a.md"]
    assert found(["archive"]) == ["archive/b.md"]  # a folder named explicitly is walked


def test_gitignore_above_a_repository_is_not_read(here: Path) -> None:
    touch(here / ".gitignore", "*.md\n")
    touch(here / "repo/a.md")
    (here / "repo" / ".git").mkdir()
    os.chdir(here / "repo")
    assert found(["."]) == ["a.md"]


def test_globs_are_anchored_at_the_project_folder(here: Path) -> None:
    for name in ("sub/a.md", "sub/archive/b.md", "archive/c.md"):
        touch(here / name)
    cfg = Config.model_validate({"exclude": ["sub/archive/*"]})
    assert found(["."], cfg) == ["archive/c.md", "sub/a.md"]
    assert found(["sub"], cfg) == ["sub/a.md"]
    cfg = Config.model_validate({"exclude": ["archive/*"]})
    assert found(["sub"], cfg) == ["sub/a.md", "sub/archive/b.md"]
    # relative to the folder of the config file, not to the working folder
    cfg = Config.model_validate({"exclude": ["archive/*"], "root": str(here / "sub")})
    assert found(["."], cfg) == ["archive/c.md", "sub/a.md"]
    # a bare name matches at any depth
    cfg = Config.model_validate({"exclude": ["archive"]})
    assert found(["sub"], cfg) == ["sub/a.md"]


def test_one_file_named_two_ways_is_checked_once(here: Path) -> None:
    touch(here / "a.md")
    touch(here / "sub/b.md")
    assert found(["a.md", "./a.md", str(here / "a.md")]) == ["a.md"]
    assert found([".", str(here)]) == ["a.md", "sub/b.md"]
    assert found(["sub/b.md", "sub/../sub/b.md", "sub"]) == ["sub/b.md"]
    os.chdir(here / "sub")
    # outside the working folder a path is shown as given; inside it, relative
    assert found([str(here)]) == [str(here / "a.md"), "b.md"]


def test_force_exclude_applies_to_named_files(here: Path) -> None:
    for name in ("drafts/a.md", "b.md", "ignored/c.md", "d.tmp.md", "ok/e.md", "node_modules/f.md"):
        touch(here / name)
    touch(here / ".gitignore", "ignored/\n*.tmp.md\n")
    cfg = Config.model_validate({"exclude": ["drafts/*"]})
    named = ["drafts/a.md", "b.md", "ignored/c.md", "d.tmp.md", "ok/e.md", "node_modules/f.md"]
    files, _ = discover(named, cfg)
    assert len(files) == 6  # named files are checked: the user asked for them
    files, _ = discover(named, cfg, force_exclude=True)
    assert [f.replace(os.sep, "/") for f in files] == ["b.md", "ok/e.md"]
    # a folder named on the command line, likewise
    touch(here / "ignored/deeper/g.md")
    assert found(["ignored"]) == ["ignored/c.md", "ignored/deeper/g.md"]
    files, _ = discover(["ignored", "drafts", "ok"], cfg, force_exclude=True)
    assert [f.replace(os.sep, "/") for f in files] == ["ok/e.md"]
    files, _ = discover(named, Config.model_validate({"respect-gitignore": False}), force_exclude=True)
    assert [f.replace(os.sep, "/") for f in files] == ["b.md", "d.tmp.md", "drafts/a.md", "ignored/c.md", "ok/e.md"]


def test_tool_folders_are_skipped(here: Path) -> None:
    for folder in (".git", ".venv", "node_modules", "__pycache__", ".postcheck_cache",
                   "_layouts", "_includes", "_site"):
        touch(here / folder / "a.md")
    touch(here / "ok.md")
    assert found(["."]) == ["ok.md"]


def test_folder_named_like_a_post(here: Path) -> None:
    touch(here / "x.md" / "inner.md")
    touch(here / "x.md" / "deeper.html" / "leaf.md")
    assert found(["."]) == ["x.md/deeper.html/leaf.md", "x.md/inner.md"]
    assert found(["x.md"]) == ["x.md/deeper.html/leaf.md", "x.md/inner.md"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_loop_terminates(here: Path) -> None:
    touch(here / "a/post.md")
    os.symlink("..", here / "a" / "up")
    os.symlink("loop2", here / "loop1")
    os.symlink("loop1", here / "loop2")
    os.symlink("a", here / "b")
    os.symlink("missing.md", here / "dangling.md")
    assert found(["."]) == ["a/post.md"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlinked_file_is_checked(here: Path) -> None:
    touch(here / "real.txt")
    os.symlink("real.txt", here / "link.md")
    assert found(["."]) == ["link.md"]


@pytest.mark.skipif(os.name == "nt", reason="names not allowed on Windows")
def test_odd_names_kept_exactly(here: Path) -> None:
    names = ["with space.md", "q'\"uote.md", "back\\slash.md", "中文.md", "\ufffd.md", "-dash.md", "#hash.md"]
    for name in names:
        touch(here / name)
    assert found(["."]) == sorted(names)


def test_deep_tree(here: Path) -> None:
    path = here
    for i in range(60):
        path = path / f"d{i}"
    touch(path / "a.md")
    (result,) = found(["."])
    assert result.endswith("/d59/a.md")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_a_working_folder_reached_through_a_symlink(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # macOS's /tmp and many CI workspaces: $PWD spells the folder through a symlink
    touch(here / "real/a.md")
    touch(here / "real/drafts/b.md")
    os.symlink("real", here / "link")
    logical = str(here / "link")
    monkeypatch.chdir(logical)
    cfg = Config.model_validate({"exclude": ["drafts/*"], "root": logical})
    assert found([".", logical], cfg) == ["a.md"]  # once, shown relative, drafts excluded
    assert found(["a.md", os.path.join(logical, "a.md")], cfg) == ["a.md"]
    assert found([logical], cfg) == ["a.md"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_an_absolute_path_through_a_symlink_is_shown_as_spelled(here: Path) -> None:
    touch(here / "real/posts/a.md")
    os.symlink("real", here / "link")
    assert found([str(here / "link" / "posts")]) == ["link/posts/a.md"]
