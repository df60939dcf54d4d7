"""Test-run settings.

Under CI (``CI`` set, as `.ci/run` runs) the property tests draw the same examples every run
(hypothesis's ``derandomize``). A landing then does not depend on which random examples a run
happens to draw. Runs elsewhere keep drawing new ones, which is how they find new cases: each
case found becomes a fix and stays in the local example database.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
