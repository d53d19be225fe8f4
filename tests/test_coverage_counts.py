"""The target list's coverage kept by triggers (``coverage_counts``): after every kind of write —
saves, outcome changes, moves, next rounds, tombstones, undeletes, erasures, raw SQL — the kept
rows equal a fresh count, and the line above the list and the per-village table read the same
numbers from them as the pass over the households gives."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from fieldapp import coverage, coveragecounts, demo, rights
from fieldapp.errors import ValidationError
from fieldapp.store import open_store


def _fresh(monkeypatch: pytest.MonkeyPatch, fn, *args, **kwargs):
    """``fn`` counted by the pass over the households (as for a form without kept counts)."""
    with monkeypatch.context() as m:
        m.setattr(coverage, "kept", lambda form: False)
        return fn(*args, **kwargs)


@pytest.fixture
def demo_store(tmp_path):
    with open_store(tmp_path / "c.db") as s:
        demo.generate(s, households=200, seed=9)
        yield s


def test_kept_counts_equal_a_pass_over_the_households(demo_store, monkeypatch):
    s = demo_store
    form = s.form("household")
    assert coveragecounts.kept(form)
    assert coveragecounts.drift(s.conn, form) == []
    assert s.conn.execute("SELECT count(*) FROM coverage_counts WHERE n != 0").fetchone()[0] > 10
    subs = sorted({r[0] for r in s.conn.execute("SELECT subdistrict_code FROM household")})
    day = dt.date.today() + dt.timedelta(days=30)
    for area in (None, subs[0][:2], subs[0][:4], subs[-1], [subs[0], subs[-1][:4]], "10"):
        for village in (None, 1, 3):
            for today in (None, day):
                kw: dict[str, Any] = {"area": area, "village_no": village, "today": today}
                assert coverage.total_coverage(s, **kw) == _fresh(
                    monkeypatch, coverage.total_coverage, s, **kw
                )
                assert coverage.area_coverage(s, **kw) == _fresh(monkeypatch, coverage.area_coverage, s, **kw)
    total = coverage.total_coverage(s, today=day)
    assert total.listed == 200 and total.interviewed > 0 and total.revisits_due > 0


def test_no_household_is_read_for_the_line(demo_store):
    """The line reads the kept rows only: the household table is never touched."""
    seen: list[str] = []
    demo_store.conn.set_trace_callback(seen.append)
    try:
        coverage.total_coverage(demo_store, area="32")
        coverage.area_coverage(demo_store)
    finally:
        demo_store.conn.set_trace_callback(None)
    assert seen and not [q for q in seen if "FROM [household]" in q or "FROM household" in q]


def test_every_kind_of_write_keeps_the_counts_right(demo_store):
    s = demo_store
    form = s.form("household")
    rng = random.Random(3)

    def live() -> list[str]:
        return [r[0] for r in s.conn.execute("SELECT id FROM household WHERE deleted = 0 ORDER BY id")]

    def check(what: str) -> None:
        assert coveragecounts.drift(s.conn, form) == [], what

    outcomes = ["interviewed", "refused", "not_at_home", "moved", "not_found", "deceased"]
    for step in range(40):
        hid = rng.choice(live())
        op = step % 8
        if op == 0:  # a revisit: the outcome changes on the same record
            rec = s.get("household", hid)
            if rec.data.get("visit_outcome") != "interviewed":
                continue
            visit = dt.date.fromisoformat(rec.data["visit_date"])
            later = (visit + dt.timedelta(days=rng.choice([3, 400]))).isoformat()
            doc = {**rec.data, "visit_outcome": rng.choice(outcomes[1:]), "revisit_on": later}
            if doc["visit_outcome"] != "not_at_home":
                doc["revisit_on"] = None
            s.save("household", doc, record_id=hid, partial_ok=True)
        elif op == 1:  # the household moves to another village
            s.conn.execute("UPDATE household SET village_no = village_no + 1 WHERE id = ?", [hid])
        elif op == 2:  # a next round, then sometimes its tombstone (the previous round counts again)
            if s.next_rounds("household", hid):
                continue
            try:  # a child who is now 15 needs a new title: left, as the demo leaves it
                saved = s.save("household", s.start_next_round("household", hid).doc, partial_ok=True)
            except ValidationError:
                continue
            check("next round")
            if rng.random() < 0.5:
                s.delete("household", saved.record.id)
        elif op == 3:  # a tombstone, and sometimes the record saved again (undeleted)
            rec = s.get("household", hid)
            s.delete("household", hid)
            check("tombstone")
            if rng.random() < 0.5:
                s.conn.execute("UPDATE household SET deleted = 0 WHERE id = ?", [hid])
        elif op == 4:  # interview answers cleared or given by raw SQL
            cols = coveragecounts.interview_columns(form)
            s.conn.execute(f"UPDATE household SET [{cols[0]}] = NULL WHERE id = ?", [hid])
        elif op == 5:  # a row removed outright (as a repair would), successors and all
            s.conn.execute("DELETE FROM household WHERE id = ?", [hid])
        elif op == 6:  # a round pointed at another previous round, or at none
            other = rng.choice(live())
            target = None if rng.random() < 0.3 else other
            s.conn.execute("UPDATE household SET previous_round_id = ? WHERE id = ?", [target, hid])
        else:  # an erasure or an anonymisation (PDPA)
            rights.erase(s, hid, mode=rng.choice(["erase", "anonymise"]), purge_backups=False)
        check(f"step {step} op {op}")
    assert [p for p in s.check() if "coverage" in p] == []


def test_two_successors_of_one_round_and_an_older_database(tmp_path):
    """Two laptops each started the next round of one household: it counts once, at neither
    successor's expense; and a database whose counts are missing is counted afresh on opening."""
    path = tmp_path / "two.db"
    with open_store(path) as s:
        demo.generate(s, households=30, seed=2)
        form = s.form("household")
        first = s.conn.execute("SELECT id FROM household WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]
        a = s.save("household", s.start_next_round("household", first).doc, partial_ok=True).record.id
        before = coverage.total_coverage(s).listed
        # the second laptop's round, pulled as the server keeps it (the link refused here is set by hand)
        doc = {**s.get("household", a).data, "house_no": "9/9", "previous_round_id": None, "round_no": None}
        doc["members"] = [{k: v for k, v in m.items() if k != "id"} for m in doc["members"]]
        b = s.save("household", doc, partial_ok=True).record.id
        s.conn.execute("UPDATE household SET previous_round_id = ? WHERE id = ?", [first, b])
        assert coveragecounts.drift(s.conn, form) == []
        assert coverage.total_coverage(s).listed == before + 1  # b is a household of its own
        s.delete("household", a)
        assert coveragecounts.drift(s.conn, form) == [] and coverage.total_coverage(s).listed == before
        s.conn.execute("DELETE FROM household WHERE id = ?", [b])  # removed outright: first counts again
        assert coveragecounts.drift(s.conn, form) == [] and coverage.total_coverage(s).listed == before
        expected = coverage.total_coverage(s)
        s.conn.execute("DELETE FROM coverage_counts")
        s.conn.execute("UPDATE meta SET value = 'old' WHERE key = 'form_schema'")
        s.conn.commit()
    with open_store(path) as s:
        assert coveragecounts.drift(s.conn, s.form("household")) == []
        assert coverage.total_coverage(s) == expected
