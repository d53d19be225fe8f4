"""Editing while a sync runs never gives a false "counts differ": the end-of-sync comparison reads
this laptop's side in one snapshot, so a record edited meanwhile is on both sides or on neither."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import requests
from live_server import fast_settings, shared_app, shared_server

from fieldapp import demo
from fieldapp.store import open_store
from fieldapp.sync import protocol as P
from fieldapp.sync.client import sync
from server import auth

PASSWORD = "correct horse"


class EditsDuringVerify(requests.Session):
    """A session that, just before the verification request goes out, lets the person at the
    laptop change records (as the desktop app allows while a sync runs)."""

    def __init__(self, edit: Any) -> None:
        super().__init__()
        self.edit = edit

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if url.endswith(P.Paths.VERIFY) and self.edit is not None:
            edit, self.edit = self.edit, None
            edit()
        return super().request(method, url, *args, **kwargs)


@pytest.mark.parametrize("change", ["edit", "delete", "create"])
def test_edits_made_during_the_sync_do_not_make_the_counts_differ(tmp_path: Path, change: str) -> None:
    settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
    app = shared_app(settings)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, settings, "admin", "admin", [], PASSWORD)
    url = shared_server(app).url
    path = tmp_path / "field.db"
    with open_store(path, user="t") as store:
        demo.generate(store, households=6, seed=3, businesses=0, referrals=0, workers=1)
        assert sync(store, url, "admin", PASSWORD).verified is True
        rid = store.ids("household")[0]

        def meanwhile() -> None:
            with open_store(path, user="other") as other:  # the app's own connection
                if change == "edit":
                    doc = copy.deepcopy(other.get("household", rid).data)
                    doc["house_no"] = "99/9"
                    other.rewrite("household", doc, record_id=rid)
                elif change == "delete":
                    other.delete("household", rid)
                else:
                    doc = copy.deepcopy(other.get("household", rid).data)
                    for m in doc.get("members", []):
                        m.pop("id", None)
                    doc.pop("id", None)
                    other.rewrite("household", doc)

        report = sync(store, url, "admin", PASSWORD, session=EditsDuringVerify(meanwhile))
        assert report.verified is True, report.mismatches
        # the change made during the sync goes up with the next one, and all still matches
        again = sync(store, url, "admin", PASSWORD)
        assert again.verified is True and again.applied == 1
    app.state.engine.dispose()
