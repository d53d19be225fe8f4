"""``python -m fieldapp``: the command line (also the bundle's ``fieldapp-cli``)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # in the bundle, a worker process of a large demo or import (multiprocessing, spawn) starts
    # this program again: freeze_support() runs the worker there instead of the command line
    multiprocessing.freeze_support()
    from fieldapp.cli import main

    sys.exit(main())
