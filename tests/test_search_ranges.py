"""Each form's search documents are numbered in a range of their own, and the word index knows each
record's area, so a search's count for one form, inside an area or not, is taken in the full-text
indexes alone; databases made before move their documents there."""

from __future__ import annotations

from pathlib import Path

from fieldapp import demo
from fieldapp.store import Store, open_store
from fieldapp.store.search import SEARCH_RANGE

QUERIES = ["ส", "สม", "บ้าน", "ม", "ใจ", "นา", "zz", "ส บ้าน", "สม ใจ"]


def _counted_by_joining(s: Store, form_id: str, query: str) -> int:
    """The count as it was taken before ranges: every match looked up for its form."""
    sub, params = s._search_sql(query, None)
    if sub is None:
        return 0
    return int(
        s.conn.execute(
            f"SELECT count(*) FROM search_doc WHERE form_id = ? AND record_id IN ({sub})", [form_id, *params]
        ).fetchone()[0]
    )


def _each_form_in_its_range(s: Store) -> None:
    bases = dict(s.conn.execute("SELECT form_id, base FROM search_ranges"))
    assert len(set(bases.values())) == len(bases)
    assert all(base % SEARCH_RANGE == 0 and base > 0 for base in bases.values())
    outside = s.conn.execute(
        "SELECT count(*) FROM search_doc d JOIN search_ranges r ON r.form_id = d.form_id "
        "WHERE d.rowid < r.base OR d.rowid >= r.base + ?",
        [SEARCH_RANGE],
    ).fetchone()[0]
    assert outside == 0
    assert (
        s.conn.execute(
            "SELECT count(*) FROM search_doc WHERE form_id NOT IN (SELECT form_id FROM search_ranges)"
        ).fetchone()[0]
        == 0
    )


def _counts_agree(s: Store) -> None:
    for form_id in ("household", "business", "referral"):
        for q in QUERIES:
            expected = _counted_by_joining(s, form_id, q)
            assert s.count(form_id, search=q) == expected == len(s.ids(form_id, search=q)), (form_id, q)


def test_a_forms_matches_are_counted_in_its_range(tmp_path: Path) -> None:
    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=60, seed=3)
        hh = s.ids("household")
        s.delete("household", hh[0])  # a tombstone leaves the index
        rec = s.get("household", hh[1])
        s.save("household", rec.data, record_id=hh[1])  # an update keeps its document's number
        _each_form_in_its_range(s)
        _counts_agree(s)
        assert s.count("household", search="ส") > 0
        assert s.count("business", search="ส") > 0
        assert s.check() == []
        s.conn.execute(
            "UPDATE search_doc SET rowid = rowid + ? WHERE rowid = (SELECT min(rowid) FROM search_doc)",
            [SEARCH_RANGE * 100],
        )
        assert s.check() == ["search index: 1 documents outside their form's range"]


def test_an_older_database_moves_its_documents_into_their_ranges(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with open_store(path, user="tester") as s:
        demo.generate(s, households=40, seed=5)
        before = {
            (f, q): s.count(f, search=q) for f in ("household", "business", "referral") for q in QUERIES
        }
        areas = _areas(s)
        before_inside = {
            (q, tuple(a)): s.count("household", search=q, area=a) for q in QUERIES for a in areas
        }
        found = {q: sorted(s.ids("household", search=q)) for q in QUERIES}
        # as an older version left it: one numbering for every form, in the order records came
        c = s.conn
        c.execute(
            "CREATE TEMP TABLE back AS SELECT rowid AS new, "
            "row_number() OVER (ORDER BY record_id) AS old FROM search_doc"
        )
        c.execute("CREATE VIRTUAL TABLE fts_old USING fts5(body, tokenize = 'trigram')")
        c.execute(
            "INSERT INTO fts_old(rowid, body) SELECT b.old, f.body FROM back b JOIN search_fts f ON f.rowid = b.new"
        )
        c.execute("DROP TABLE search_words")
        c.execute("DROP TABLE search_fts")
        c.execute("ALTER TABLE fts_old RENAME TO search_fts")
        c.execute("UPDATE search_doc SET rowid = -(SELECT old FROM back WHERE new = search_doc.rowid)")
        c.execute("UPDATE search_doc SET rowid = -rowid")
        c.execute(
            "CREATE VIRTUAL TABLE search_words USING fts5(body, tokenize = 'unicode61 remove_diacritics 0', "
            "prefix = '1 2', detail = none, content = 'search_fts')"
        )
        c.execute("INSERT INTO search_words(rowid, body) SELECT rowid, body FROM search_fts")
        c.execute("DROP TABLE search_ranges")
        c.execute("ALTER TABLE search_doc DROP COLUMN area")
        c.execute("DELETE FROM _sqlite_migrations WHERE name IN ('0010_search_ranges', '0011_search_areas')")
        assert c.execute("SELECT max(rowid) FROM search_doc").fetchone()[0] < 1000
    with open_store(path, user="tester") as s:
        _each_form_in_its_range(s)
        assert {
            (f, q): s.count(f, search=q) for f in ("household", "business", "referral") for q in QUERIES
        } == before
        assert {q: sorted(s.ids("household", search=q)) for q in QUERIES} == found
        assert {(q, tuple(a)): s.count("household", search=q, area=a) for q in QUERIES for a in areas} == (
            before_inside
        )
        assert any(before_inside.values())
        _counts_agree(s)
        _inside_agrees(s)
        assert s.check() == []
        # records written after the move take the next numbers of their ranges
        s.delete("business", s.ids("business")[0])
        demo.generate(s, households=6, seed=9, businesses=2, referrals=2)
        assert s.count("household") == 46
        _each_form_in_its_range(s)
        _counts_agree(s)
        assert s.check() == []


def _areas(s: Store) -> list[list[str]]:
    """Area filters to try: each province, a district, a subdistrict, two at once, one empty."""
    subs = sorted({r[0] for r in s.conn.execute("SELECT subdistrict_code FROM household WHERE deleted = 0")})
    provinces = sorted({c[:2] for c in subs})
    return [
        *[[p] for p in provinces],
        [subs[0][:4]],
        [subs[-1]],
        [subs[0], subs[-1][:4]],
        [provinces[0], subs[-1]],
        ["10"] if "10" not in provinces else ["96"],  # a province with no records here
    ]


def _inside_agrees(s: Store) -> None:
    """Counts, ids and pages inside areas are those of the whole search narrowed to the area."""
    where = {
        r[0]: r[1] for r in s.conn.execute("SELECT id, subdistrict_code FROM household WHERE deleted = 0")
    }
    for codes in _areas(s):
        for q in QUERIES:
            expected = {i for i in s.ids("household", search=q) if any(where[i].startswith(c) for c in codes)}
            assert s.count("household", search=q, area=codes) == len(expected), (codes, q)
            assert set(s.ids("household", search=q, area=codes)) == expected, (codes, q)
            page = [r["id"] for r in s.list("household", search=q, area=codes, limit=10)]
            ordered = s.ids("household", search=q, area=codes)  # no limit: gathered, then sorted
            assert page == ordered[:10], (codes, q)


def test_a_search_inside_an_area_is_answered_by_the_index(tmp_path: Path, monkeypatch) -> None:
    from fieldapp import store as store_mod

    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=150, seed=7)
        _inside_agrees(s)
        # the count reads the full-text indexes only, never the records
        province = s.conn.execute("SELECT substr(subdistrict_code, 1, 2) FROM household LIMIT 1").fetchone()[
            0
        ]
        seen: list[str] = []
        s.conn.set_trace_callback(seen.append)
        assert s.count("household", search="ส", area=province) > 0
        s.conn.set_trace_callback(None)
        assert seen and not [q for q in seen if "[household]" in q or "FROM household" in q], seen
        # whichever way a page is found, walking or gathering
        monkeypatch.setattr(
            store_mod.Store, "_search_plan", lambda self, form, text, areas=None: (True, None)
        )
        _inside_agrees(s)
        monkeypatch.undo()
        # a household that moves to another subdistrict is found there and no longer where it was
        hid = s.ids("household", search="ส")[0]
        rec = s.get("household", hid)
        old_sub = rec.data["subdistrict_code"]
        new_sub = next(
            c
            for c in sorted({r[0] for r in s.conn.execute("SELECT subdistrict_code FROM household")})
            if c[:4] != old_sub[:4]
        )
        s.save("household", {**rec.data, "subdistrict_code": new_sub, "postal_code": None}, record_id=hid)
        assert hid in s.ids("household", search="ส", area=new_sub[:4])
        assert hid not in s.ids("household", search="ส", area=old_sub[:4])
        _inside_agrees(s)
        s.delete("household", hid)
        assert hid not in s.ids("household", search="ส", area=new_sub[:4])
        _inside_agrees(s)
        # the marks of the area words cannot be typed into a search
        assert s.count("household", search="\ue000" + new_sub[:2]) == s.count("household", search=new_sub[:2])
        assert s.check() == []


def test_a_rare_match_is_searched_once_for_its_page(tmp_path: Path, monkeypatch) -> None:
    """A search with few matches (an ID number, a rare name) gathers them while deciding how to
    find the page, and the page is read from them: the full-text index is asked once. With
    nothing gathered on the way (many matches) the pages are the same."""
    from fieldapp.store import search as search_mod

    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=300, seed=5)
        nid = s.conn.execute(
            "SELECT national_id FROM household__members WHERE national_id IS NOT NULL"
        ).fetchone()[0]
        seen: list[str] = []
        s.conn.set_trace_callback(seen.append)
        page = s.list("household", search=nid, limit=50)
        s.conn.set_trace_callback(None)
        assert len(page) >= 1
        assert len([q for q in seen if "MATCH" in q and not q.startswith("--")]) == 1, seen
        queries = [nid, nid[:6], "สม", "ส", "บ้าน", "zz", "ส บ้าน", "สม ใจ"]
        areas = [None, *_areas(s)]
        pages = {(q, str(a)): s.list("household", search=q, area=a, limit=20) for q in queries for a in areas}
        monkeypatch.setattr(search_mod, "GATHER_AT_ONCE", 0)
        for q in queries:
            for a in areas:
                assert s.list("household", search=q, area=a, limit=20) == pages[(q, str(a))], (q, a)
                ordered = s.ids("household", search=q, area=a)
                assert [r["id"] for r in pages[(q, str(a))]] == ordered[:20], (q, a)
