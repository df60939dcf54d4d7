"""Finds the files to check: include/exclude, ``.gitignore``, symlinks, odd names.

Discovery honours include/exclude (anchored at the config's folder) and ``.gitignore``
(also the files above a folder named, up to the repository's top), never follows a
symlinked folder (so no symlink loop can trap it), checks a file named twice once, and
keeps every path as named (an absolute one inside the working folder shown relative).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable, Sequence

from ._fixio import read_regular
from .config import Config

__all__ = ["ALWAYS_EXCLUDED", "discover", "is_excluded", "shown"]

ALWAYS_EXCLUDED = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".postcheck_cache", ".tox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache",
     # Jekyll's templates and built site: HTML without front matter, never a post
     "_layouts", "_includes", "_site", "_sass"}
)


class _GitIgnore:
    """The patterns of one .gitignore file, matched as git does for the common cases."""

    def __init__(self, base: str, lines: Iterable[str], outer: str = "") -> None:
        # ``base``: the file's folder relative to the walked folder (a file inside it);
        # ``outer``: the walked folder relative to the file's folder (a file above it)
        self.base = base
        self.outer = outer
        self.rules: list[tuple[re.Pattern[str], bool, bool]] = []  # (regex, negated, dir_only)
        for raw in lines:
            line = raw.rstrip("\n\r")
            if not line or line.startswith("#"):
                continue
            line = line.rstrip(" ") if not line.endswith("\\ ") else line
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            if line.startswith("\\"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            regex = _glob_to_regex(line)
            prefix = "" if anchored else "(?:.*/)?"
            self.rules.append((re.compile(f"^{prefix}{regex}$"), negated, dir_only))

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included, None if no pattern matches."""
        verdict: bool | None = None
        for regex, negated, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if regex.match(rel):
                verdict = not negated
        return verdict


def _glob_to_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _ignored(ignores: Sequence[_GitIgnore], rel: str, is_dir: bool) -> bool:
    """The last matching pattern of the innermost .gitignore files decides, as in git."""
    verdict = False
    for g in ignores:
        sub = rel if g.base == "" else rel[len(g.base) + 1 :]
        if g.outer:
            sub = f"{g.outer}/{sub}"
        decided = g.decide(sub, is_dir)
        if decided is not None:
            verdict = decided
    return verdict


class _Globs:
    """Glob patterns matched against a relative path or a bare name, compiled into one regex."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)) if patterns else None

    def match(self, rel: str | None, name: str) -> bool:
        """``rel``: the path from the project folder, None outside it (then only names match)."""
        regex = self.regex
        if regex is None:
            return False
        return regex.match(name) is not None or (rel is not None and regex.match(rel) is not None)


def _read_gitignore(folder: str, base: str, outer: str = "") -> _GitIgnore | None:
    try:
        return _GitIgnore(base, read_regular(os.path.join(folder, ".gitignore"), 1 << 20).decode(
            "utf-8", "replace").splitlines(), outer)
    except OSError:
        return None


def _outer_gitignores(folder: str, project: str) -> list[_GitIgnore]:
    """The .gitignore files above ``folder`` (absolute) that git would apply inside it.

    Up to the repository's top (the nearest folder holding ``.git``), or, outside a
    repository, up to the project folder (the config's, else the working folder), so that
    ``postcheck check sub`` skips what ``postcheck check .`` skips.
    """
    above: list[str] = []
    here = os.path.dirname(folder)
    while True:
        above.append(here)
        if os.path.exists(os.path.join(here, ".git")):
            break
        parent = os.path.dirname(here)
        if parent == here:  # no repository: keep what lies inside the project folder
            above = [a for a in above if a == project or a.startswith(os.path.join(project, ""))]
            break
        here = parent
    found: list[_GitIgnore] = []
    for outer_folder in reversed(above):  # the outermost first: inner files decide last
        ignore = _read_gitignore(outer_folder, "", os.path.relpath(folder, outer_folder).replace(os.sep, "/"))
        if ignore is not None:
            found.append(ignore)
    return found


class _Anchor:
    """Paths below a walked folder, read from the project folder (where the config is)."""

    def __init__(self, folder: str, project: str) -> None:
        self.prefix: str | None = None  # the walked folder inside the project: "" or "sub/"
        self.inner: str | None = None  # the project inside the walked folder: "site/"
        try:
            rel = os.path.relpath(folder, project).replace(os.sep, "/")
        except ValueError:  # another drive
            return
        if rel == ".":
            self.prefix = ""
        elif not (rel == ".." or rel.startswith("../") or os.path.isabs(rel)):
            self.prefix = rel + "/"
        else:
            back = os.path.relpath(project, folder).replace(os.sep, "/")
            if not (back == ".." or back.startswith("../") or os.path.isabs(back)):
                self.inner = back + "/"

    def __call__(self, rel: str) -> str | None:
        if self.prefix is not None:
            return self.prefix + rel
        inner = self.inner
        if inner is not None and rel.startswith(inner):
            return rel[len(inner):]
        return None


def discover(paths: Sequence[str], config: Config, *, force_exclude: bool = False) -> tuple[list[str], list[str]]:
    """Files to check (sorted, each file once) and warnings about folders that could not be read.

    A path named on the command line that is no regular file or folder (missing, a dangling
    symlink, a FIFO) is kept: reading it gives its PC001 finding, as ruff reports E902,
    and the other files are checked all the same. A file named on the command line is
    checked even when ``exclude`` or a .gitignore would skip it, unless ``force_exclude``
    (what the pre-commit hooks pass, since they name every staged file). Globs are
    anchored at the project folder; a bare name matches at any depth.
    """
    _real_folder.cache_clear()
    found: dict[str, None] = {}
    seen: set[str] = set()  # absolute, normalised: ``a.md ./a.md`` or ``. $PWD`` name one file once
    errors: list[str] = []
    include = _Globs(config.include)
    exclude = _Globs(config.exclude)
    # Folders compared by where they really are: a working folder reached through a symlink
    # (macOS's /tmp, CI workspaces) is the same folder as its $PWD spelling.
    project = os.path.realpath(config.root or os.getcwd())

    several = len(paths) > 1  # one folder's walk names each file once: no key to compute

    def add(name: str, is_file: bool = False) -> None:
        if not several:
            found[name] = None
            return
        key = _real_location(name, is_file)
        if key not in seen:
            seen.add(key)
            found[name] = None

    cwd = os.path.realpath(os.getcwd())
    for given in paths or ["."]:
        given = _shown(given, cwd)
        if os.path.isfile(given):
            if force_exclude and _excluded_path(given, project, exclude, config.respect_gitignore):
                continue
            add(given)
            continue
        if not os.path.isdir(given):
            add(given)  # its PC001 says why it cannot be read
            continue
        if force_exclude and given not in (".", "./", "") and _excluded_path(
                given, project, exclude, config.respect_gitignore, is_dir=True):
            continue
        top = os.path.realpath(given)
        anchor = _Anchor(top, project)
        # A scandir walk: DirEntry knows regular files and folders without a stat per file.
        # (Entries come in no particular order; the result is sorted at the end.)
        prefix = "" if given in (".", "./", "") else os.path.join(given, "")
        # an absolute folder holding the working folder: what lies inside it is shown relative
        here = _Anchor(cwd, top).prefix if os.path.isabs(given) else None
        outer = _outer_gitignores(top, project) if config.respect_gitignore else []
        stack: list[tuple[str, str, list[_GitIgnore]]] = [(given, "", outer)]
        while stack:
            dirpath, rel_dir, inherited = stack.pop()
            try:
                with os.scandir(dirpath) as it:
                    entries = list(it)
            except OSError as exc:
                errors.append(f"{dirpath}: cannot read folder: {exc.strerror or exc}")
                continue
            ignores = inherited
            if config.respect_gitignore and any(e.name == ".gitignore" for e in entries):
                inner = _read_gitignore(dirpath, rel_dir)
                if inner is not None:
                    ignores = [*inherited, inner]
            for entry in entries:
                name = entry.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                anchored = anchor(rel)
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if name in ALWAYS_EXCLUDED or exclude.match(anchored, name) or _ignored(ignores, rel, True):
                            continue
                        stack.append((entry.path, rel, ignores))
                        continue
                    if not include.match(anchored, name) or exclude.match(anchored, name) \
                            or _ignored(ignores, rel, False):
                        continue
                    # Symlinked folders are never followed (no loops, no escaping the tree); a
                    # broken symlink or a special file is not a post.
                    if not entry.is_file(follow_symlinks=True):
                        continue
                except OSError:
                    continue
                native = rel if os.sep == "/" else rel.replace("/", os.sep)
                add(native[len(here):] if here and rel.startswith(here) else prefix + native, True)
    return sorted(found), errors


def _real_location(path: str, is_file: bool = False) -> str:
    """Where ``path`` really is: its folder with symlinks resolved, and its own name (a
    symlinked post keeps its name; only the folders it sits in are resolved)."""
    folder, name = os.path.split(os.path.abspath(path))
    if not name:  # a folder given with a trailing separator
        return _real_folder(folder)
    if not is_file and os.path.isdir(path):
        return _real_folder(path)
    return os.path.join(_real_folder(folder), name)


# (cleared at each discovery: a long-lived process may see symlinks change between runs)
_real_folder = functools.lru_cache(maxsize=4096)(os.path.realpath)


def _shown(given: str, cwd: str) -> str:
    """An absolute path inside the working folder is shown relative to it (SPEC §5, as ruff
    does); any other path exactly as it was given."""
    if not os.path.isabs(given):
        return given
    # the path as spelled first (a symlinked folder inside the working folder keeps its
    # name), then where it really is (the working folder's own $PWD spelling)
    for spelled in (os.path.normpath(given), _real_location(given)):
        try:
            rel = os.path.relpath(spelled, cwd)
        except ValueError:  # another drive
            continue
        if not (rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel)):
            return rel
    return given


def is_excluded(path: str, config: Config) -> bool:
    """Whether ``exclude`` or a .gitignore skips ``path`` (for a name given without a file:
    ``--stdin-filename`` with ``--force-exclude``)."""
    return _excluded_path(path, os.path.realpath(config.root or os.getcwd()), _Globs(config.exclude),
                          config.respect_gitignore)


def shown(path: str) -> str:
    """``path`` as reports show it (relative when it lies inside the working folder)."""
    return _shown(path, os.path.realpath(os.getcwd()))


def _excluded_path(path: str, project: str, exclude: _Globs, respect_gitignore: bool, is_dir: bool = False) -> bool:
    """Whether a walk would have skipped this named file or folder (``force_exclude``)."""
    full = _real_location(path)
    folder, name = os.path.split(full)
    above = _Anchor(folder, project).prefix
    if above is None:  # outside the project: only names match
        if exclude.match(None, name):
            return True
    else:
        parts = [*above.split("/")[:-1], name]
        for depth, part in enumerate(parts):
            if part in ALWAYS_EXCLUDED or exclude.match("/".join(parts[: depth + 1]), part):
                return True
    if respect_gitignore:
        # every .gitignore from the top down to the file's folder, each deciding on the path
        # relative to its own folder; an ignored folder hides what it holds for good (as in git)
        verdict = False
        for g in _outer_gitignores(full, project):
            steps = g.outer.split("/")
            if any(g.decide("/".join(steps[:depth]), True) for depth in range(1, len(steps))):
                return True
            decided = g.decide(g.outer, is_dir)
            if decided is not None:
                verdict = decided
        return verdict
    return False
