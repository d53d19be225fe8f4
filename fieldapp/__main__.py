"""``python -m fieldapp``: the command line."""

import sys

from fieldapp.cli import main

sys.exit(main())
