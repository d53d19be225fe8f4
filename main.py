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
    sys.exit(main())
