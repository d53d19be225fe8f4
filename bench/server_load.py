"""Load benchmark of the server at programme scale (loopback only, bounded in requests and time).

PostgreSQL is filled with households across 20 provinces (by default 2,000,000, one province
holding 350,000), written straight into the server's tables from realistic demo documents. Then
``fieldapp-server run --workers N`` serves a week of work from many laptops as concurrent clients:
each community leader's laptop signs in, pushes its week of edits, pulls its subdistrict's changes
since its last sync and verifies. Last, an Area Manager's laptop makes the first pull of the large
province through the real client, in a process of its own whose memory is measured.

Prints throughput, p50/p95/p99 latency per endpoint, errors, the database's size and the first
pull's time and memory. Never fails on time. Every request goes to 127.0.0.1.

    python bench/server_load.py [--households 2000000] [--laptops 1000] [--concurrency 32]
                                [--workers 2] [--database-url URL] [--keep-schema]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine  # noqa: E402
from run import _tree_rss_kb  # noqa: E402

from fieldapp import demo, geo  # noqa: E402
from fieldapp.store import open_store  # noqa: E402
from fieldapp.sync import protocol as P  # noqa: E402

PASSWORD = "bench password 2569"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------- the data


def templates(n: int) -> list[dict[str, Any]]:
    """Realistic household documents (answers, members, calculated scores) to copy from."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "t.db", user="bench")
        demo.generate(store, households=n, seed=7, businesses=0, referrals=0)
        docs = [store.get("household", rid).data for rid in store.ids("household")]
        store.close()
    return docs


def plan_areas(provinces: int, laptops: int) -> tuple[list[str], dict[str, list[str]]]:
    """Provinces with the most subdistricts, and the subdistricts of each that laptops serve."""
    ranked = sorted(geo.provinces(), key=lambda p: -len(geo.subdistricts_within(p.code)))[:provinces]
    codes = [p.code for p in ranked]
    per = max(1, laptops // len(codes))
    chosen = {c: [s.code for s in geo.subdistricts_within(c)][:per] for c in codes}
    return codes, chosen


def rows(
    docs: list[dict[str, Any]], households: int, big: int, codes: list[str], subs: dict[str, list[str]]
) -> Iterator[tuple[str, str, int]]:
    """(record id, document JSON, subdistrict) for every household: ``big`` in the first province,
    the rest shared by the others; members get ids of their own."""
    rng = random.Random(3)
    postal = {sub: (geo.area(sub).postal_codes or (None,))[0] for code in codes for sub in subs[code]}
    shares = [big] + [(households - big) // (len(codes) - 1)] * (len(codes) - 1)
    shares[-1] += households - sum(shares)
    for code, share in zip(codes, shares, strict=True):
        for i in range(share):
            sub = subs[code][i % len(subs[code])]
            doc = dict(docs[rng.randrange(len(docs))])
            doc["subdistrict_code"], doc["postal_code"] = sub, postal[sub]
            doc.pop("village_code", None)  # it names the template's subdistrict
            doc["members"] = [{**m, "id": str(uuid.uuid4())} for m in doc.get("members") or []]
            yield str(uuid.uuid4()), orjson.dumps(doc).decode(), sub


def seed(url: str, households: int, big: int, codes: list[str], subs: dict[str, list[str]]) -> float:
    """COPY the households into ``records`` and ``revisions``, both in one pass over the generated
    rows (two connections, as one connection runs one COPY at a time), so memory stays that of a
    chunk whatever the number of households; returns seconds."""
    import psycopg
    from sqlalchemy.engine import make_url

    docs = templates(300)
    u = make_url(url)
    t = time.perf_counter()
    schema = u.query["options"].split("=")[-1] if "options" in u.query else "public"
    params = {"host": u.host, "port": u.port or 5432, "user": u.username, "dbname": u.database}
    at = "2026-01-05T08:00:00.000+00:00"
    rev = 0
    with psycopg.connect(**params) as conn, psycopg.connect(**params) as conn2:
        for c in (conn, conn2):
            c.execute(f'SET search_path TO "{schema}"')
        with (
            conn.cursor() as cur,
            conn2.cursor() as cur2,
            cur.copy(
                "COPY records (id, form_id, form_version, area, rev, deleted, doc, created_at, created_by, "
                "updated_at, updated_by, device_id, complete) FROM STDIN"
            ) as rec_copy,
            cur2.copy(
                "COPY revisions (rev, record_id, form_id, deleted, doc, user_name, device_id, at) FROM STDIN"
            ) as rev_copy,
        ):
            recs, revs = io.StringIO(), io.StringIO()
            for rid, doc, sub in rows(docs, households, big, codes, subs):
                rev += 1
                esc = doc.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                recs.write(f"{rid}\thousehold\t1\t{sub}\t{rev}\tf\t{esc}\t{at}\tseed\t{at}\tseed\tseed\tt\n")
                revs.write(f"{rev}\t{rid}\thousehold\tf\t{esc}\tseed\tseed\t{at}\n")
                if rev % 5000 == 0:
                    rec_copy.write(recs.getvalue())
                    rev_copy.write(revs.getvalue())
                    recs, revs = io.StringIO(), io.StringIO()
            rec_copy.write(recs.getvalue())
            rev_copy.write(revs.getvalue())
        conn.execute("UPDATE counters SET value = %s WHERE name = 'rev'", [rev])
        conn2.commit()
        conn.commit()
        conn.execute("ANALYZE records")
        conn.execute("ANALYZE revisions")
        conn.commit()
    return time.perf_counter() - t


# ---------------------------------------------------------------------- the week


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def timed(self, name: str, fn: Any) -> Any:
        t = time.perf_counter()
        try:
            resp = fn()
        except requests.RequestException as exc:
            with self.lock:
                self.errors[name] += 1
                self.samples.append(f"{name}: {exc}")
            return None
        took = time.perf_counter() - t
        with self.lock:
            self.times[name].append(took)
            if resp.status_code >= 400:
                self.errors[name] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{name}: {resp.status_code} {resp.text[:200]}")
        return resp if resp.status_code < 400 else None


def week_of_one_laptop(
    base: str, user: str, edits: list[tuple[str, int, dict[str, Any]]], cursor: int, stats: Stats
) -> None:
    """Sign in, push the week's edits, pull the area's changes since ``cursor``, verify."""
    s = requests.Session()
    device = str(uuid.uuid4())
    resp = stats.timed(
        "login",
        lambda: s.post(
            f"{base}{P.Paths.LOGIN}", json={"user": user, "password": PASSWORD, "device_id": device}
        ),
    )
    if resp is None:
        return
    s.headers["Authorization"] = f"Bearer {resp.json()['token']}"
    stats.timed("handshake", lambda: s.get(f"{base}{P.Paths.HANDSHAKE}"))
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
    changes = []
    for rid, rev, doc in edits:
        changed = dict(doc)
        changed["house_no"] = f"{random.randint(1, 400)}/{random.randint(1, 9)}"
        changes.append(
            {
                "change_id": str(uuid.uuid4()),
                "form": "household",
                "record_id": rid,
                "base_rev": rev,
                "doc": changed,
                "deleted": False,
                "updated_at": now,
                "updated_by": user,
            }
        )
    stats.timed(
        "push", lambda: s.post(f"{base}{P.Paths.PUSH}", json={"device_id": device, "changes": changes})
    )
    more, first = True, True
    while more:
        params = {"cursor": cursor, "limit": 1000, "count": "true" if first else "false"}
        resp = stats.timed("pull", lambda params=params: s.get(f"{base}{P.Paths.PULL}", params=params))
        if resp is None:
            break
        page = resp.json()
        cursor, more, first = page["next_cursor"], page["has_more"], False
    stats.timed("verify", lambda: s.post(f"{base}{P.Paths.VERIFY}", json={"exclude": []}))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# ---------------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--households", type=int, default=2_000_000)
    p.add_argument("--big-province", type=int, help="households of the largest province (default 17.5 %%)")
    p.add_argument("--laptops", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--edits", type=int, default=10, help="households each laptop edits in its week")
    p.add_argument("--workers", type=int, default=2, help="server processes")
    p.add_argument("--seconds", type=int, default=1800, help="stop starting laptops after this long")
    p.add_argument("--database-url", default=os.environ.get("FIELDAPP_TEST_DATABASE_URL", PG_DEFAULT))
    p.add_argument("--keep-schema", action="store_true")
    p.add_argument(
        "--reuse-schema",
        metavar="NAME",
        help="run the week and the first pull again over a schema a run kept (--keep-schema): no seeding",
    )
    args = p.parse_args()
    big = args.big_province or args.households * 350 // 2000
    from sqlalchemy import create_engine, text

    from server import auth, db
    from server.settings import Settings, normalise_url

    admin_url = normalise_url(args.database_url)
    schema = args.reuse_schema or f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url)
    if not args.reuse_schema:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{admin_url}{'&' if '?' in admin_url else '?'}options=-csearch_path%3D{schema}"
    print(f"machine: {machine()}")
    server: subprocess.Popen[bytes] | None = None
    try:
        engine = db.make_engine(url)
        db.migrate(engine)
        codes, subs = plan_areas(20, args.laptops)
        settings = Settings(database_url=url)  # the production Argon2 cost: a login costs what it costs
        leaders = [(f"leader{i}", sub) for i, sub in enumerate(s for c in codes for s in subs[c])][
            : args.laptops
        ]
        if not args.reuse_schema:
            with engine.begin() as conn:
                auth.add_user(conn, settings, "am", "area_manager", [codes[0]], PASSWORD)
                for name, sub in leaders:
                    auth.add_user(conn, settings, name, "community_leader", [sub], PASSWORD)
            took = seed(url, args.households, big, codes, subs)
            print(f"seeded {args.households:,} households ({big:,} in province {codes[0]}) in {took:.0f} s")
        with engine.connect() as conn:
            members = conn.execute(
                text("SELECT sum(jsonb_array_length((doc::jsonb)->'members')) FROM records")
            ).scalar()
            size = conn.execute(
                text(
                    "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"
                ),
                {"s": schema},
            ).scalar()
            top = int(conn.execute(text("SELECT value FROM counters WHERE name = 'rev'")).scalar())
            work: list[tuple[str, list[tuple[str, int, dict[str, Any]]]]] = []
            for name, sub in leaders:
                picked = conn.execute(
                    text("SELECT id, rev, doc FROM records WHERE area = :a ORDER BY rev LIMIT :n"),
                    {"a": sub, "n": args.edits},
                ).all()
                work.append((name, [(r.id, r.rev, orjson.loads(r.doc)) for r in picked]))
        print(f"database: {members:,} members, {size} of tables and indexes")
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "run",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{base}{P.Paths.HANDSHAKE}", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.3)
        stats = Stats()
        t = time.perf_counter()
        stop_at = time.monotonic() + args.seconds
        done = 0
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [
                pool.submit(
                    lambda n=name, e=edits: (
                        None if time.monotonic() > stop_at else week_of_one_laptop(base, n, e, top, stats)
                    )
                )
                for name, edits in work
            ]
            for f in futures:
                f.result()
                done += 1
        wall = time.perf_counter() - t
        requests_made = sum(len(v) for v in stats.times.values()) + sum(stats.errors.values())
        print(
            f"a week of {done:,} laptops ({args.concurrency} at a time, {args.edits} edits each, "
            f"{args.workers} server workers): {wall:.1f} s, {requests_made / wall:.0f} requests/s, "
            f"{done / wall * 60:.0f} laptops/min"
        )
        print(f"{'endpoint':<10} {'requests':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}")
        for name in ("login", "handshake", "push", "pull", "verify"):
            values = stats.times.get(name, [])
            if values:
                print(
                    f"{name:<10} {len(values):>9,} {statistics.median(values) * 1000:>9.1f} "
                    f"{percentile(values, 0.95):>9.1f} {percentile(values, 0.99):>9.1f} {stats.errors.get(name, 0):>7}"
                )
        for sample in stats.samples[:5]:
            print(f"  error: {sample}")
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                sys.executable,
                "-m",
                "fieldapp",
                "--db",
                f"{tmp}/am.db",
                "sync",
                "--server",
                base,
                "--user",
                "am",
            ]
            env = {**os.environ, "FIELDAPP_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT)}
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            peak = 0
            while proc.poll() is None:
                peak = max(peak, _tree_rss_kb(proc.pid))
                time.sleep(0.1)
            took = time.perf_counter() - t
            out = proc.stdout.read() if proc.stdout else ""
            with open_store(f"{tmp}/am.db") as s:
                got = s.count("household")
        print(
            f"first pull of province {codes[0]} by its Area Manager: {got:,} households in {took:.0f} s, "
            f"client peak {peak / 1024:.0f} MB (exit {proc.returncode}) — target < 10 min, < 300 MB"
        )
        if proc.returncode:
            print(out[-1500:])
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(30)
        if not args.keep_schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        else:
            print(f"kept schema {schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
