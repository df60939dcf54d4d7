"""postcheck: validate scraped posts.

The public API is what ``__all__`` lists; every other module is private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .api import check_file, check_paths, check_post, check_text
from .config import Config, ConfigError, load_config
from .model import Edit, Finding, Fix, Location, Post, Problem, Severity
from .parse import ParsedPost
from .rule import Rule, RuleContext, RuleOptions, corpus_rule, rule

if TYPE_CHECKING:
    from .fix import fix_text

__all__ = [
    "Config",
    "ConfigError",
    "Edit",
    "Finding",
    "Fix",
    "Location",
    "ParsedPost",
    "Post",
    "Problem",
    "Rule",
    "RuleContext",
    "RuleOptions",
    "Severity",
    "__version__",
    "check_file",
    "check_paths",
    "check_post",
    "check_text",
    "corpus_rule",
    "fix_text",
    "load_config",
    "rule",
]


def __getattr__(name: str) -> Any:
    # fix.py pulls in the writer machinery; load it only when asked for.
    if name == "fix_text":
        from .fix import fix_text

        return fix_text
    raise AttributeError(f"module 'postcheck' has no attribute {name!r}")
