"""The server's side of sync, composed of named parts (one module each, bottom up):

* ``servicebase`` — the engine, settings, forms and clock; a record's current version; a push
  batch (read up front, written together); the area scope of a user;
* ``attachments`` — uploads in parts, files kept once, which areas may read a file;
* ``revisions`` — a record's new revision, validation and the refusals every change shares;
* ``erasure`` — erasure and anonymisation at a data subject's request;
* ``merging`` — a change made from an older revision: its base, a three-way merge, a conflict;
* ``push`` — a batch of changes in one transaction, each checked, then written or merged;
* ``pull`` — pages by cursor, verify, open conflicts;
* ``devices`` — the device id a login pushes with, and the laptops' audit rows.

Each push batch is one transaction: either every change of the batch is recorded or none is.
Change ids are stored with their results, so a replayed batch returns the same results and
changes nothing. Rejections are not stored (nothing changed); a replay re-evaluates them.
"""

from __future__ import annotations

from .devices import DeviceService
from .pull import PullService
from .push import PushService

__all__ = ["SyncService"]


class SyncService(PushService, PullService, DeviceService):
    """What the routes of ``server.app`` call: push, pull, verify, conflicts, attachments and
    devices, over one engine."""
