"""Two-way offline sync with the central server (no Qt).

The parts, each importable on its own (this package file imports none of them):

* ``protocol`` — what client and server agree on: version, paths, payload shapes, error envelope.
  A leaf (standard library only), so the server reads it without loading the client.
* ``merge`` — the three-way merge of two edits and the resolution of a conflict (no I/O).
* ``transport`` — HTTP with ``requests``: headers, token, retries; failures become ``SyncError``.
* ``apply`` — the rules for storing the server's answers (push results, pulled pages) locally.
* ``report`` — ``SyncReport``, what a sync did.
* ``outbox`` — ``pending_summary`` (what waits to go up) and ``resolve_conflict``.
* ``client`` — ``sync(store, server_url, user, password)``: the order of a sync.
"""
