"""The server's attachment store (photos in PostgreSQL) at scale: upload N photos the way laptops
send them (parts of ``protocol.ATTACHMENT_CHUNK``, several laptops at once), then read a random
sample back; prints the rates, read latency, and the size the photos take in the database.
Never fails on time.

    python bench/attachments.py [--photos 100000] [--kb 150] [--clients 8] [--database-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine  # noqa: E402

from fieldapp.forms import default_forms  # noqa: E402
from fieldapp.sync import protocol as P  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--photos", type=int, default=100_000)
    p.add_argument(
        "--kb", type=int, default=150, help="size of a photo (a phone photo scaled for the record)"
    )
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--database-url", default=os.environ.get("FIELDAPP_TEST_DATABASE_URL", PG_DEFAULT))
    args = p.parse_args()
    from sqlalchemy import create_engine, text

    from server import db
    from server.auth import User
    from server.service import SyncService
    from server.settings import Settings, normalise_url

    admin_url = normalise_url(args.database_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{admin_url}{'&' if '?' in admin_url else '?'}options=-csearch_path%3D{schema}"
    print(f"machine: {machine()}")
    try:
        engine = db.make_engine(url)
        db.migrate(engine)
        service = SyncService(engine, Settings(database_url=url), default_forms())
        user = User(1, "admin", "admin", ())
        size = args.kb * 1024
        base = os.urandom(size)  # photos are already compressed: random bytes are a fair stand-in
        lock = threading.Lock()
        shas: list[str] = []

        def upload(i: int) -> None:
            data = i.to_bytes(8, "big") + base[8:]
            sha = hashlib.sha256(data).hexdigest()
            for offset in range(0, size, P.ATTACHMENT_CHUNK):
                service.put_attachment(
                    user, sha, offset, size, data[offset : offset + P.ATTACHMENT_CHUNK], "image/jpeg"
                )
            with lock:
                shas.append(sha)
                done = len(shas)
                if done % step == 0:  # does the rate hold as the store grows?
                    now = time.perf_counter()
                    print(
                        f"  {done:,} photos: {step / (now - mark[0]):.0f} photos/s over the last {step:,}",
                        flush=True,
                    )
                    mark[0] = now

        step = max(1, args.photos // 10)
        t = time.perf_counter()
        mark = [t]
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(upload, range(args.photos)))
        took = time.perf_counter() - t
        mb = args.photos * size / 1e6
        print(
            f"upload {args.photos:,} photos of {args.kb} KB ({args.clients} laptops at once): {took:.0f} s, "
            f"{args.photos / took:.0f} photos/s, {mb / took:.1f} MB/s"
        )
        sample = random.Random(1).sample(shas, min(500, len(shas)))
        times = []
        for sha in sample:
            t = time.perf_counter()
            data, _mime = service.get_attachment(user, sha)
            times.append(time.perf_counter() - t)
            assert hashlib.sha256(data).hexdigest() == sha
        times.sort()
        print(
            f"read a photo back: p50 {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {times[int(0.95 * len(times))] * 1000:.1f} ms (of {len(times)})"
        )
        with engine.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relname LIKE 'attachment%' "
                    "AND c.relkind = 'r'"
                ),
                {"s": schema},
            ).scalar()
        print(f"the photos take {float(stored) / 1e6:,.0f} MB in the database for {mb:,.0f} MB of photos")
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
