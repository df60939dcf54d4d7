"""The pre-commit hooks, run by the real ``pre-commit try-repo`` on a throwaway git repository.

try-repo installs postcheck from this repository into a fresh virtualenv, so it
needs a package registry; the tests are skipped (saying so) only when none can be
reached. The repository is snapshotted first (tracked and untracked, not ignored
files, as one commit in a temporary repository) so the hooks run exactly the
working tree, without touching this repository's index.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
BODY = "<p>" + "Plenty of article text that goes on for a while. " * 3 + "</p>\n"
GOOD = f"---\ntitle: Hello\ndate: 2021-01-05T10:00:00+08:00\n---\n\n{BODY}"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1"}


def _index_url() -> str:
    url = os.environ.get("PIP_INDEX_URL")
    if url:
        return url
    found = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                           capture_output=True, text=True)
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    from pip._internal.models.index import PyPI  # pip's own default index

    return str(PyPI.simple_url)


def _registry_reachable() -> str | None:
    """None if the package index answers, else why not."""
    parts = urlsplit(_index_url())
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        return "no package index configured"
    try:
        with socket.create_connection((host, port), timeout=10):
            return None
    except OSError as exc:
        return f"the package index ({host}) cannot be reached: {exc}"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (ROOT / ".pre-commit-hooks.yaml").is_file():
        pytest.fail(".pre-commit-hooks.yaml is missing")
    reason = _registry_reachable()
    if reason:
        pytest.skip(f"pre-commit try-repo needs a package registry to install postcheck: {reason}")
    snap = tmp_path_factory.mktemp("postcheck-src")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (snap / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, snap / rel)
    git("init", "-q", cwd=snap)
    git("add", "-A", cwd=snap)
    git("commit", "-q", "--no-gpg-sign", "-m", "snapshot", cwd=snap)
    return snap


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def posts_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir()
    git("init", "-q", cwd=root)
    (root / "postcheck.toml").write_text('select = ["PC0"]\n', encoding="utf-8")
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    git("add", "-A", cwd=root)
    return root


def try_repo(repo: Path, hook: str, hooks_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")
    if exe is None:
        pytest.skip("the pre-commit package is not installed (pip install -e '.[dev]')")
    return subprocess.run([exe, "try-repo", str(hooks_repo), hook, "--all-files", "--color", "never"],
                          cwd=repo, capture_output=True, text=True, timeout=900,
                          env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)})


def test_postcheck_hook_fails_on_a_bad_post(tmp_path: Path, hooks_repo: Path, pre_commit_home: Path) -> None:
    repo = posts_repo(tmp_path / "blog", {
        "_posts/2021-01-05-good.md": GOOD,
        "_posts/2021-01-06-bad.md": "no front matter here\n\n" + BODY,
        "notes.txt": "no front matter, but not a post: pre-commit does not pass it\n",
    })
    result = try_repo(repo, "postcheck", hooks_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "postcheck" in out and "Failed" in out
    assert "_posts/2021-01-06-bad.md:1:1: PC002 [error] missing-front-matter" in out
    assert "good.md:" not in out
    assert "notes.txt" not in out


def test_postcheck_hook_passes_on_clean_posts(tmp_path: Path, hooks_repo: Path,
                                             pre_commit_home: Path) -> None:
    repo = posts_repo(tmp_path / "blog", {"_posts/2021-01-05-good.md": GOOD, "page.html": GOOD})
    result = try_repo(repo, "postcheck", hooks_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Passed" in out


def test_postcheck_fix_hook_fixes_and_fails(tmp_path: Path, hooks_repo: Path, pre_commit_home: Path) -> None:
    repo = posts_repo(tmp_path / "blog", {"_posts/2021-01-05-bom.md": b"\xef\xbb\xbf" + GOOD.encode()})
    result = try_repo(repo, "postcheck-fix", hooks_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # a file was changed: the commit must be redone
    assert (repo / "_posts/2021-01-05-bom.md").read_bytes() == GOOD.encode()
    result = try_repo(repo, "postcheck-fix", hooks_repo, pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
