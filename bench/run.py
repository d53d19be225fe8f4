"""Benchmarks of the offline core (``make bench``). Prints figures; never fails on time.

Each operation is timed through fieldapp and beside the same operation done directly on SQLite
without the engine, and the ratio is printed. Figures go in docs/benchmarks.md.

    python bench/run.py [--households 100000] [--keep PATH] [--whole]
    python bench/run.py --db PATH --whole     # an existing database (e.g. a million households, kept)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, median_ms  # noqa: E402

from fieldapp.store import open_store, search_terms  # noqa: E402


def row(name: str, engine_ms: float, raw_ms: float, target: str) -> None:
    ratio = engine_ms / raw_ms if raw_ms else float("inf")
    print(f"{name:<46} {engine_ms:>10.2f} ms {raw_ms:>10.2f} ms {ratio:>7.1f}x   target {target}")


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in kB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def bench_demo(db: Path, households: int) -> None:
    t = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fieldapp",
            "--db",
            str(db),
            "demo",
            "--households",
            str(households),
            "--seed",
            "1",
        ],
        cwd=ROOT,
    )
    # the demo writes with worker processes: the peak is that of all of them together
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, _tree_rss_kb(proc.pid))
        time.sleep(0.2)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"demo failed with exit code {proc.returncode}")
    peak_mb = max(peak_kb / 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    # the same rows written directly with executemany, no validation, no calculations
    raw_db = db.with_name("raw.db")
    src = sqlite3.connect(db)
    dst = sqlite3.connect(raw_db)
    dst.execute("PRAGMA journal_mode = WAL")
    dst.execute("PRAGMA synchronous = FULL")
    tables = [
        "household",
        "household__members",
        "business",
        "business__products",
        "business__employment",
        "referral",
    ]
    data = {}
    for t_name in tables:
        sql = src.execute("SELECT sql FROM sqlite_master WHERE name = ?", [t_name]).fetchone()[0]
        dst.execute(sql)
        data[t_name] = src.execute(f"SELECT * FROM [{t_name}]").fetchall()
    t = time.perf_counter()
    for t_name in tables:
        rows = data[t_name]
        if not rows:
            continue
        marks = ",".join("?" * len(rows[0]))
        for i in range(0, len(rows), 500):
            with dst:
                dst.executemany(f"INSERT INTO [{t_name}] VALUES ({marks})", rows[i : i + 500])
    raw = time.perf_counter() - t
    src.close()
    dst.close()
    raw_db.unlink()
    members = sum(1 for _ in data["household__members"])
    print(
        f"demo --households {households:,}: {took:.1f} s, peak memory {peak_mb:.0f} MB (all processes) "
        f"({members:,} members, {len(data['business']):,} businesses) — target < 60 s, < 500 MB"
    )
    row("write the same rows raw (executemany)", took * 1000, raw * 1000, "(ratio only)")


def bench_queries(db: Path) -> None:
    store = open_store(db)
    conn = sqlite3.connect(db)
    form = store.form("household")
    cols = ", ".join(f"[{c}]" for name in form.list_columns for c, _ in form.field_at(name).columns())

    row(
        "first page: 50 households sorted by name",
        median_ms(lambda: store.list("household", limit=50)),
        median_ms(
            lambda: conn.execute(
                f"SELECT id, {cols} FROM household WHERE deleted = 0 ORDER BY title_sort, id LIMIT 50"
            ).fetchall()
        ),
        "< 20 ms",
    )
    names = [r[0] for r in conn.execute("SELECT first_name FROM household__members LIMIT 2000")]
    rng = random.Random(1)
    queries = [n[1:4] if len(n) > 4 else n for n in rng.sample(names, 20)]

    def engine_search() -> None:
        for q in queries:
            store.list("household", search=q, limit=50)

    def raw_search() -> None:
        for q in queries:
            term = search_terms(q)[0]
            conn.execute(
                "SELECT h.id FROM household h WHERE h.deleted = 0 AND h.id IN (SELECT d.record_id FROM search_doc d "
                "WHERE d.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)) "
                "ORDER BY title_sort LIMIT 50",
                ['"' + term + '"'],
            ).fetchall()

    n = len(queries)
    row(
        f"Thai substring search (mean of {n} queries)",
        median_ms(engine_search, 3) / n,
        median_ms(raw_search, 3) / n,
        "< 50 ms",
    )
    for short in ("ส", "สม"):
        row(
            f"short query ({len(short)} code point{'s' if len(short) > 1 else ''}, word prefix)",
            median_ms(lambda short=short: store.list("household", search=short, limit=50), 3),
            median_ms(
                lambda short=short: conn.execute(
                    "SELECT h.id FROM household h WHERE h.deleted = 0 AND h.id IN (SELECT d.record_id FROM "
                    "search_doc d WHERE d.rowid IN (SELECT rowid FROM search_fts WHERE body LIKE ?)) "
                    "ORDER BY title_sort LIMIT 50",
                    [f"%{short}%"],
                ).fetchall(),
                3,
            ),
            "< 100 ms",
        )
        row(
            f"  count of the same ({short})",
            median_ms(lambda short=short: store.count("household", search=short), 3),
            0,
            "< 100 ms",
        )
    # the area tree's selection narrows a search: inside the province with the most households
    top = conn.execute(
        "SELECT substr(area, 1, 2), sum(n) FROM record_counts WHERE form_id = 'household' AND kind = '' "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    if top:
        province = top[0]
        row(
            f"short query (ส) inside province {province}, first page",
            median_ms(lambda: store.list("household", search="ส", area=province, limit=50), 3),
            0,
            "< 100 ms",
        )
        row(
            f"  count of the same inside province {province}",
            median_ms(lambda: store.count("household", search="ส", area=province), 3),
            0,
            "< 100 ms",
        )
    row(
        "search by national ID",
        median_ms(lambda: store.list("household", search=_an_id(conn), limit=50)),
        median_ms(
            lambda: conn.execute(
                "SELECT parent_id FROM household__members WHERE national_id = ?", [_an_id(conn)]
            ).fetchall()
        ),
        "< 50 ms",
    )
    store.close()
    conn.close()


_ID: list[str] = []


def _an_id(conn: sqlite3.Connection) -> str:
    if not _ID:
        _ID.append(
            conn.execute(
                "SELECT national_id FROM household__members LIMIT 1 OFFSET "
                "(SELECT count(*) / 2 FROM household__members)"
            ).fetchone()[0]
        )
    return _ID[0]


def bench_save(db: Path) -> None:
    store = open_store(db)
    rid = store.conn.execute(
        "SELECT parent_id FROM household__members GROUP BY parent_id HAVING count(*) = 8 LIMIT 1"
    ).fetchone()[0]
    rec = store.get("household", rid)
    form = store.form("household")
    raw_doc = {k: v for k, v in rec.data.items() if form.fields[k].type != "calculated"}
    rep = form.fields["members"]
    raw_doc["members"] = [
        {k: v for k, v in m.items() if k == "id" or rep.child(k).type != "calculated"}
        for m in rec.data["members"]
    ]

    def engine() -> None:
        store.save("household", raw_doc, record_id=rid)

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    hrow = conn.execute("SELECT * FROM household WHERE id = ?", [rid]).fetchone()
    mrows = conn.execute("SELECT * FROM household__members WHERE parent_id = ?", [rid]).fetchall()
    hmarks = ",".join("?" * len(hrow))
    mmarks = ",".join("?" * len(mrows[0]))

    def raw() -> None:
        conn.execute("BEGIN")
        conn.execute(f"INSERT OR REPLACE INTO household VALUES ({hmarks})", hrow)
        conn.execute("DELETE FROM household__members WHERE parent_id = ?", [rid])
        conn.executemany(f"INSERT INTO household__members VALUES ({mmarks})", mrows)
        conn.execute("COMMIT")

    row("validate and save one household, 8 members", median_ms(engine, 15), median_ms(raw, 15), "< 20 ms")
    validate_ms = median_ms(lambda: form.validate(raw_doc), 15)
    print(f"{'  of which validation and scoring':<46} {validate_ms:>10.2f} ms")
    store.close()
    conn.close()


def _run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB (the process and its children) and output of a command."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    return time.perf_counter() - t, peak / 1024, out


def bench_whole_program(db: Path) -> None:
    """What a person waits for: the window, the statistics, an area report, the exports."""
    import os

    from fieldapp import backup

    with open_store(db) as store:
        due = backup.daily_due(store)  # the first start of the day: the backup waits for the window
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    took, peak, out = _run_measured(
        [sys.executable, str(ROOT / "main.py"), "--db", str(db), "--quit-after-show"], env
    )
    shown = next((line for line in out.splitlines() if "shown in" in line), out.strip()[-200:])
    print(
        f"desktop app start to a usable window: {took:.2f} s wall, peak {peak:.0f} MB ({shown}) — target < 2 s, < 400 MB"
    )
    if due:
        print(
            "  a daily backup was due (first start of the day): it starts in the background after the window"
        )
    took, peak, _ = _run_measured([sys.executable, "-m", "fieldapp", "--db", str(db), "stats"])
    print(f"fieldapp stats (new process): {took:.2f} s, peak {peak:.0f} MB — target < 1 s")
    with sqlite3.connect(db) as conn:
        province, n = conn.execute(
            "SELECT substr(subdistrict_code, 1, 2), count(*) FROM household WHERE deleted = 0 GROUP BY 1 "
            "ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    with tempfile.TemporaryDirectory() as tmp:
        took, peak, out = _run_measured(
            [
                sys.executable,
                "-m",
                "fieldapp",
                "--db",
                str(db),
                "report",
                "area",
                "--province",
                province,
                "-o",
                f"{tmp}/area.pdf",
            ]
        )
        ok = "ok" if Path(f"{tmp}/area.pdf").exists() else f"FAILED: {out.strip()[-300:]}"
        print(
            f"area report of province {province} ({n:,} households): {took:.1f} s, peak {peak:.0f} MB ({ok})"
        )
        for fmt in ("csv", "xlsx"):
            target = f"{tmp}/all.{fmt}"
            took, peak, out = _run_measured(
                [sys.executable, "-m", "fieldapp", "--db", str(db), "export", "household", "-o", target]
            )
            size = Path(target).stat().st_size / 1e6 if Path(target).exists() else 0
            ok = "ok" if size else f"FAILED: {out.strip()[-300:]}"
            print(
                f"export of every household to {fmt.upper()}: {took:.1f} s, peak {peak:.0f} MB, {size:.0f} MB ({ok})"
            )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--households", type=int, default=100_000)
    p.add_argument("--keep", type=Path, help="keep the database at this path")
    p.add_argument("--db", type=Path, help="benchmark queries on an existing database (skips demo)")
    p.add_argument(
        "--whole",
        action="store_true",
        help="also time the desktop app's start, stats, an area report and the exports (in new processes)",
    )
    args = p.parse_args()
    print(f"machine: {machine()}")
    print(f"{'operation':<46} {'fieldapp':>13} {'raw SQLite':>13} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or args.keep or Path(tmp) / "bench.db"
        if not args.db:
            if db.exists():
                db.unlink()
            bench_demo(db, args.households)
        bench_queries(db)
        bench_save(db)
        if args.whole:
            bench_whole_program(db)
        size = db.stat().st_size / 1e6
        print(f"database size: {size:.0f} MB")
    print(json.dumps({"households": args.households}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
