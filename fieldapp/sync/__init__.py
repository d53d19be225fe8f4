"""Two-way offline sync with the central server (no Qt).

``sync(store, server_url, user, password)`` pushes local changes, pulls the server's, fetches and
sends attachments and verifies the result; ``resolve_conflict`` records a person's choice for a
conflicting record. The wire protocol lives in ``fieldapp.sync.protocol``.
"""

from __future__ import annotations

from fieldapp.sync.client import SyncReport, pending_summary, resolve_conflict, sync

__all__ = ["SyncReport", "pending_summary", "resolve_conflict", "sync"]
