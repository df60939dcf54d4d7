"""``python -m postcheck``."""

import sys

from .cli import main

sys.exit(main())
