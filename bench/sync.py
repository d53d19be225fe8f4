"""Sync benchmarks against a real server process on loopback (``make bench``).

* push N changed households (with members, businesses and referrals) from one laptop;
* the first pull of M households into an empty laptop, with the client's peak memory;
* C clients syncing K records each at the same time: no error, nothing lost.

Each timing is printed beside a raw bulk insert of the same rows into the server database, as a
ratio. Prints figures; never fails on time.

    python bench/sync.py [--push 10000] [--pull 100000] [--clients 20] [--per-client 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fieldapp import demo  # noqa: E402
from fieldapp.store import Store, open_store  # noqa: E402
from fieldapp.sync.client import sync  # noqa: E402

PASSWORD = "bench password 2569"
AREAS = ["32", "46", "35", "33", "18"]  # the demo's provinces


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``fieldapp-server run`` in its own process, on a SQLite file."""

    def __init__(self, db: Path, areas: dict[str, list[str]] | None = None) -> None:
        """Users u1…u20 (all demo provinces), or the given users with their own areas."""
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "FIELDAPP_PASSWORD": PASSWORD}
        for name, user_areas in (areas or {f"u{i}": AREAS for i in range(1, 21)}).items():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "adduser",
                    name,
                    "--role",
                    "area_manager",
                    "--area",
                    *user_areas,
                    "--db",
                    str(db),
                ],
                check=True,
                cwd=ROOT,
                env=env,
                capture_output=True,
            )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "run", "--db", str(db), "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/openapi.json", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def count(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute("SELECT count(*) FROM records WHERE deleted = 0").fetchone()[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def laptop(path: Path, households: int, seed: int, areas: list[str] | None = None) -> Store:
    store = open_store(path, user="bench")
    demo.generate(store, households=households, seed=seed, areas=areas)
    return store


def documents(store: Store) -> list[tuple[str, str, str, str | None, str]]:
    """Every live record of a laptop as (id, form, version, area, JSON)."""
    out = []
    for form in store.forms:
        for rid in store.ids(form.id):
            rec = store.get(form.id, rid)
            area = rec.data.get(form.area_field) if form.area_field else None
            out.append((rid, form.id, rec.form_version, area, json.dumps(rec.data, ensure_ascii=False)))
    return out


def raw_insert(db: Path, docs: list[tuple[str, str, str, str | None, str]]) -> float:
    """The same rows written straight into the server's tables (records + revisions)."""
    conn = sqlite3.connect(db)
    start = int(conn.execute("SELECT value FROM counters WHERE name = 'rev'").fetchone()[0])
    now = "2026-11-26T00:00:00+00:00"
    t = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO records (id, form_id, form_version, area, rev, deleted, doc, created_at, created_by, "
            "updated_at, updated_by, device_id, complete) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 'bench', ?, 'bench', "
            "'bench', 1)",
            [(rid, f, v, a, start + i + 1, d, now, now) for i, (rid, f, v, a, d) in enumerate(docs)],
        )
        conn.executemany(
            "INSERT INTO revisions (rev, record_id, form_id, deleted, doc, user_name, device_id, at) "
            "VALUES (?, ?, ?, 0, ?, 'bench', 'bench', ?)",
            [(start + i + 1, rid, f, d, now) for i, (rid, f, _v, _a, d) in enumerate(docs)],
        )
        conn.execute("UPDATE counters SET value = ? WHERE name = 'rev'", [start + len(docs)])
    took = time.perf_counter() - t
    conn.close()
    return took


def bench_push(tmp: Path, households: int) -> None:
    store = laptop(tmp / "push-laptop.db", households, seed=21)
    docs = documents(store)
    server = Server(tmp / "push-server.db")
    try:
        t = time.perf_counter()
        report = sync(store, server.url, "u1", PASSWORD)
        took = time.perf_counter() - t
        count = server.count()
    finally:
        server.stop()
    raw = (
        raw_insert(tmp / "push-raw.db", docs)
        if _clone_schema(tmp / "push-server.db", tmp / "push-raw.db")
        else 0
    )
    print(
        f"push {households:,} households ({len(docs):,} records incl. businesses, referrals): "
        f"{took:.1f} s, server holds {count:,}; raw insert {raw:.1f} s, ratio {took / raw:.0f}x — target < 20 s"
    )
    print(f"  report: {_short(report)}")
    store.close()


def _clone_schema(src: Path, dst: Path) -> bool:
    """An empty copy of the server database (same schema, users, counters) for the raw insert."""
    if dst.exists():
        dst.unlink()
    conn = sqlite3.connect(src)
    conn.execute("VACUUM INTO ?", [str(dst)])
    conn.close()
    out = sqlite3.connect(dst)
    with out:
        for table in ("records", "revisions", "changes", "conflicts", "audit_log"):
            out.execute(f"DELETE FROM {table}")
        out.execute("UPDATE counters SET value = 0 WHERE name = 'rev'")
    out.close()
    return True


def bench_pull(tmp: Path, households: int, source: Path | None) -> None:
    if source is None:
        source = tmp / "pull-source.db"
        laptop(source, households, seed=22).close()
    with open_store(source) as s:
        docs = documents(s)
    server = Server(tmp / "pull-server.db")
    try:
        raw = raw_insert(tmp / "pull-server.db", docs)
        target = tmp / "pull-laptop.db"
        env = {**os.environ, "FIELDAPP_PASSWORD": PASSWORD}
        # the client in its own process, reporting its own peak memory: VmHWM of its own address
        # space (ru_maxrss survives exec on Linux, so it would report this benchmark's own peak)
        code = (
            "import resource, sys; from fieldapp.cli import main; "
            f"rc = main(['--db', {str(target)!r}, 'sync', '--server', {server.url!r}, '--user', 'u2']); "
            "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM:')]; "
            "print('PEAK', hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr); sys.exit(rc)"
        )
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        took = time.perf_counter() - t
        peak = next((int(x.split()[1]) for x in res.stderr.splitlines() if x.startswith("PEAK ")), 0)
    finally:
        server.stop()
    with open_store(target) as s:
        got = sum(s.counts().values())
    hh = sum(1 for d in docs if d[1] == "household")
    print(
        f"first pull of {hh:,} households ({len(docs):,} records): {took:.1f} s, laptop holds {got:,}, "
        f"client peak memory {peak / 1024:.0f} MB; raw insert {raw:.1f} s, "
        f"ratio {took / raw:.0f}x — target < 90 s, < 300 MB"
    )
    if res.returncode != 0:
        print("  sync failed:", res.stderr.strip()[-500:])


def bench_clients(tmp: Path, clients: int, per_client: int) -> None:
    # each client is a leader of its own district, as in the field: it pushes its records and pulls
    # nothing of the others' (a shared area would make every client pull everyone's records)
    from fieldapp import geo

    districts = [d.code for p in AREAS for d in geo.districts(p)][:clients]
    total = 0
    for i in range(clients):
        with laptop(tmp / f"client{i}.db", per_client, seed=100 + i, areas=[districts[i]]) as s:
            total += sum(s.counts().values())
    server = Server(tmp / "clients-server.db", {f"u{i + 1}": [districts[i]] for i in range(clients)})
    errors: list[str] = []

    def run(i: int) -> None:
        # a connection belongs to its thread: each client opens its own laptop database
        try:
            with open_store(tmp / f"client{i}.db", user=f"u{i + 1}") as store:
                sync(store, server.url, f"u{i + 1}", PASSWORD)
        except Exception as exc:  # counted and printed: the benchmark reports errors, never hides them
            errors.append(f"client {i}: {exc}")

    try:
        t = time.perf_counter()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        took = time.perf_counter() - t
        count = server.count()
    finally:
        server.stop()
    print(
        f"{clients} clients x {per_client:,} households at once ({total:,} records): {took:.1f} s, "
        f"errors {len(errors)}, server holds {count:,} of {total:,} — target: no error, nothing lost"
    )
    for e in errors[:5]:
        print("  ", e)


def _short(report: Any) -> str:
    fields = getattr(report, "__dict__", {})
    keep = {k: v for k, v in fields.items() if isinstance(v, (int, float, str, bool)) and v}
    return ", ".join(f"{k}={v}" for k, v in list(keep.items())[:10])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--push", type=int, default=10_000)
    p.add_argument("--pull", type=int, default=100_000)
    p.add_argument("--pull-source", type=Path, help="an existing laptop database to serve for the pull")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--per-client", type=int, default=1_000)
    p.add_argument("--only", choices=["push", "pull", "clients"])
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.only in (None, "push"):
            bench_push(tmp, args.push)
        if args.only in (None, "pull"):
            bench_pull(tmp, args.pull, args.pull_source)
        if args.only in (None, "clients"):
            bench_clients(tmp, args.clients, args.per_client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
