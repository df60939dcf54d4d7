"""The Python API behind ``import postcheck``: check texts, files, folders and posts."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .config import Config, config_from_mapping
from .engine import Engine
from .model import Finding
from .runner import EngineSpec, discover, read_and_check, run_files

__all__ = ["check_file", "check_paths", "check_post", "check_text", "get_engine"]

ConfigLike = Config | Mapping[str, Any] | None
_ENGINES: dict[str, Engine] = {}


def _config(config: ConfigLike) -> Config:
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    return config_from_mapping(dict(config))


def get_engine(config: ConfigLike = None, *, now: str | None = None) -> Engine:
    """An engine for this configuration, built once and reused (rules and data load once)."""
    cfg = _config(config)
    key = cfg.model_dump_json() + "|" + (now or os.environ.get("POSTCHECK_NOW", ""))
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = Engine(cfg, now=now)
    return engine


def check_text(text: str | bytes, path: str | None = None, config: ConfigLike = None, *,
               now: str | None = None) -> list[Finding]:
    """Findings for one post given as text (or raw bytes), sorted by line and column."""
    return get_engine(config, now=now).check_bytes(text, path).findings


def check_file(path: str | os.PathLike[str], config: ConfigLike = None, *, now: str | None = None) -> list[Finding]:
    """Findings for one file on disk; an unreadable file gives PC001, never an exception."""
    return read_and_check(get_engine(config, now=now), os.fspath(path)).findings


def check_paths(paths: Iterable[str | os.PathLike[str]], config: ConfigLike = None, *, now: str | None = None,
                jobs: int = 1) -> Iterator[Finding]:
    """Findings for every post under the paths, streamed file by file.

    Corpus-level findings (duplicate source URLs) come last, after every file was seen.
    """
    cfg = _config(config)
    engine = get_engine(cfg, now=now)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]  # one path, not the characters of one
    files, _unreadable_folders = discover([os.fspath(p) for p in paths], cfg)
    collected: list[Any] = []
    for result in run_files(engine, EngineSpec(cfg, now=now), files, jobs):
        collected.extend(result.corpus)
        yield from result.findings
    yield from engine.finalize(collected)


def check_post(post: Any, body: str | None = None, config: ConfigLike = None, *, path: str | None = None,
               now: str | None = None) -> list[Finding]:
    """Findings for a post built in memory.

    Either ``check_post(front_matter: dict, body: str)`` or ``check_post(post)`` with a
    ``frontmatter.Post`` (python-frontmatter's object, which scraping pipelines build).
    The front matter is rendered as YAML, so lines refer to that rendering.
    """
    import yaml

    if body is None and hasattr(post, "metadata") and hasattr(post, "content"):
        front_matter, body = dict(post.metadata), str(post.content)
    elif isinstance(post, Mapping) and body is not None:
        front_matter = dict(post)
    else:
        raise TypeError("check_post takes (front_matter: dict, body: str) or a frontmatter.Post")
    try:
        rendered = yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False, default_flow_style=False)
    except (yaml.YAMLError, RecursionError) as exc:
        # an object YAML cannot represent, or nesting past Python's recursion limit: the
        # caller's data, not a post's, so an exception that says which
        raise TypeError(f"check_post: the front matter cannot be written as YAML: {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    return check_text(f"---\n{rendered}---\n{body}", path, config, now=now)
