"""PC010: inline suppression comments that no longer suppress anything.

The engine reports it (only the engine sees which comment dropped which finding);
this module registers the rule so it has a code, a name, documentation and can be
selected, ignored or given another severity like any other rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..model import Problem
from ..parse import ParsedPost
from ..rule import RuleContext, rule


@rule("PC010", "unused-suppression", severity="info")
def unused_suppression(post: ParsedPost, ctx: RuleContext[Any]) -> Iterator[Problem]:
    """An inline suppression comment that suppresses nothing.

    ## What it does
    Reports `<!-- postcheck: disable CODE -->` and
    `<!-- postcheck: disable-next-line CODE -->` comments that hid no finding in this
    run, and comments that name no known rule. Only reported when asked for:
    `--report-unused-suppressions` or `report-unused-suppressions = true` in the
    config. A comment is judged only when every rule it names ran, so checking with
    `--select` never calls a comment for an unselected rule unused.

    ## Why is this bad?
    A suppression outlives the problem it hid: the ad was removed, the rule was
    fixed. Left in place, it silently hides the next real finding of that rule on
    that line (or, for `disable`, in the rest of the file).

    ## Example
    ```html
    <!-- postcheck: disable-next-line PC301 -->
    <p>Plain article text, no ad here any more.</p>
    ```

    ## Use instead
    ```html
    <p>Plain article text, no ad here any more.</p>
    ```

    ## Options
    None. Enable with the `report-unused-suppressions` setting or flag.

    ## Fix safety
    No fix: delete the comment by hand (or drop only the codes it no longer needs).
    """
    return iter(())
