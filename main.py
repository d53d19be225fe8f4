"""Start the fieldapp desktop app.

``python main.py [--db PATH] [--lang th|en] [--screenshot FILE.png [--view NAME]]``

Loads the bundled Sarabun font, the Thai locale and the translations, opens (creating and migrating
when needed) the local database — by default ``$FIELDAPP_DB`` or the user's data folder — and shows
the main window. ``--screenshot`` renders a view with the current data to a PNG and exits.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from ui.app import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    import multiprocessing

    # in the bundle, a worker process of a large demo or import (multiprocessing, spawn) starts
    # this program again: freeze_support() runs the worker there instead of the app
    multiprocessing.freeze_support()
    sys.exit(main())
