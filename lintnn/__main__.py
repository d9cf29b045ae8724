"""``python -m lintnn``: the same as the ``lintnn`` console script."""

import sys

from lintnn.cli import main

sys.exit(main())
