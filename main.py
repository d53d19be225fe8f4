"""Start fieldapp on this laptop's database.

Until the desktop window is in place this prints the command line's ``stats`` for the database
(created and migrated on first start). Options: ``--db PATH`` (default ``$FIELDAPP_DB`` or the
user's data folder).
"""

from __future__ import annotations

import sys

from fieldapp.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    db: list[str] = []
    if "--db" in args:
        i = args.index("--db")
        db = args[i : i + 2]
    return cli_main([*db, "stats"])


if __name__ == "__main__":
    sys.exit(main())
