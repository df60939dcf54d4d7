"""Configuration: ``[tool.postcheck]`` in pyproject.toml or a ``postcheck.toml``.

Found by walking up from the working directory; ``--config FILE`` overrides.
Unknown keys and bad values raise :class:`ConfigError` naming the key (exit 2).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .data import known_timezone
from .model import Severity

__all__ = ["Config", "ConfigError", "find_config", "load_config", "loose_scalars", "misspelled_keys"]


class ConfigError(Exception):
    """Bad configuration; the message names the file and key."""


class RuleConfig(BaseModel):
    """``[tool.postcheck.rules.<code-or-name>]``: severity plus the rule's own options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    severity: Severity | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Config(BaseModel):
    """The effective configuration (SPEC §6)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    select: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    fail_on: Severity = Field(default=Severity.ERROR, alias="fail-on")
    include: list[str] = Field(default_factory=lambda: ["*.md", "*.markdown", "*.html"])
    exclude: list[str] = Field(default_factory=list)
    schema_: str | None = Field(default=None, alias="schema")
    source_field: str = Field(default="from", alias="source-field")
    timezone: str | None = None
    rule_data: list[str] = Field(default_factory=list, alias="rule-data")
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    cache_dir: str = Field(default=".postcheck_cache", alias="cache-dir")
    respect_gitignore: bool = Field(default=True, alias="respect-gitignore", strict=True)
    # exclude/.gitignore also for files named on the command line (pre-commit names them all)
    force_exclude: bool = Field(default=False, alias="force-exclude", strict=True)
    report_unused_suppressions: bool = Field(default=False, alias="report-unused-suppressions", strict=True)
    max_bytes: int = Field(default=5 * 1024 * 1024, alias="max-bytes", gt=0, strict=True)

    # Where the config came from: relative paths in it are relative to this folder.
    root: str | None = Field(default=None, exclude=True)
    config_path: str | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return known_timezone(value)

    @field_validator("schema_")
    @classmethod
    def _schema_ref(cls, value: str | None) -> str | None:
        if value is not None and ":" not in value:
            raise ValueError("expected 'package.module:Model'")
        return value

    def with_overrides(self, **changes: Any) -> Config:
        data = self.model_dump(by_alias=False)
        data.update({k: v for k, v in changes.items() if v is not None})
        data["root"] = self.root
        data["config_path"] = self.config_path
        return Config.model_validate({_alias(k): v for k, v in data.items()})


def _alias(name: str) -> str:
    field = Config.model_fields.get(name)
    return field.alias if field is not None and field.alias else name


ConfigSource = Literal["pyproject.toml", "postcheck.toml"]


def find_config(start: Path | None = None) -> Path | None:
    """The nearest postcheck.toml, or pyproject.toml with [tool.postcheck], walking up."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "postcheck.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                raw = pyproject.read_text(encoding="utf-8")
                data = tomllib.loads(raw)
            except (OSError, UnicodeDecodeError):
                continue
            except tomllib.TOMLDecodeError as exc:
                # someone else's broken file is not ours to judge; ours must not be skipped silently
                if "[tool.postcheck" in raw:
                    raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
                continue
            if isinstance(data.get("tool"), dict) and "postcheck" in data["tool"]:
                return pyproject
    return None


def _format_error(path: Path | None, exc: ValidationError) -> str:
    where = f"{path}: " if path else ""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key {loc!r}")
        else:
            parts.append(f"{loc}: {err['msg']}")
    return where + "; ".join(parts)


def misspelled_keys(model: type[BaseModel], keys: Iterable[str]) -> list[tuple[str, str]]:
    """(key, the key as it is written) for each key that is a field's Python name where the
    field has another name in files (``min_chars`` for ``min-chars``): a file must use the
    written one, as ruff's does, so that every setting has one spelling to search for."""
    written = {name: field.alias for name, field in model.model_fields.items()
               if field.alias and field.alias != name}
    return [(key, written[key]) for key in keys if key in written]


_SCALARS: dict[Any, tuple[tuple[type, ...], str]] = {
    bool: ((bool,), "true or false"),
    int: ((int,), "an integer"),
    float: ((int, float), "a number"),
}


def loose_scalars(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, what was expected) for each value a file gives a boolean, integer or number
    option as something else (``min-chars = true``, ``"5"``, ``5.0``): pydantic would
    coerce it, and a typo would then pass unnoticed."""
    by_key = {field.alias or name: field for name, field in model.model_fields.items()}
    by_key.update(model.model_fields)
    found = []
    for key, value in data.items():
        field = by_key.get(key)
        scalar = _SCALARS.get(field.annotation) if field is not None else None
        if scalar is not None and (not isinstance(value, scalar[0]) or (bool not in scalar[0]
                                                                           and isinstance(value, bool))):
            found.append((key, scalar[1]))
    return found


def config_from_mapping(data: dict[str, Any], path: Path | None = None) -> Config:
    # (a mapping from Python code may use the field names; a file uses the written ones)
    for key, alias in misspelled_keys(Config, data) if path is not None else ():
        raise ConfigError(f"{path}: unknown key {key!r}; did you mean {alias!r}?")
    try:
        values = dict(data)
        if path is not None:
            values["root"] = str(path.parent)
            values["config_path"] = str(path)
        return Config.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None


def load_config(path: str | Path | None = None, *, search_from: Path | None = None) -> Config:
    """Read the given config file, or the one found by walking up; defaults otherwise."""
    found = Path(path) if path is not None else find_config(search_from)
    if found is None:
        return Config()
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{found}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{found}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{found}: invalid TOML: {exc}") from None
    if found.name == "pyproject.toml":
        tool = data.get("tool", {})
        section = tool.get("postcheck", {}) if isinstance(tool, dict) else {}
        if not isinstance(section, dict):
            raise ConfigError(f"{found}: [tool.postcheck] must be a table")
        data = section
    return config_from_mapping(data, found)
