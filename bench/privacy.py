"""Encryption benchmarks: unlocking, and the store's work encrypted beside the same work plain.

Prints figures (never fails on time); they go in docs/benchmarks.md under "Encryption".

    python bench/privacy.py [--households 10000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import median_ms  # noqa: E402

from fieldapp import crypto, demo, encryption  # noqa: E402
from fieldapp.store import open_store  # noqa: E402

PASS = "benchmark passphrase 2569"


def line(name: str, plain: float, enc: float, unit: str = "ms") -> None:
    ratio = enc / plain if plain else float("inf")
    print(f"{name:<44} {plain:>10.1f} {unit:<3} {enc:>10.1f} {unit:<3} {ratio:>6.2f}x")


def workload(households: int, folder: Path, encrypted: bool) -> dict[str, float]:
    db = folder / ("enc.db" if encrypted else "plain.db")
    if encrypted:
        encryption.create_encrypted(db, "bench", "admin", PASS)
    out: dict[str, float] = {}
    with open_store(db, user="bench") as s:
        t = time.perf_counter()
        demo.generate(s, households=households, seed=11, workers=1)
        out["write"] = time.perf_counter() - t
        ids = s.ids("household")
        sample = ids[:: max(1, len(ids) // 200)]
        out["get"] = median_ms(lambda: [s.get("household", i) for i in sample]) / len(sample)
        out["list"] = median_ms(lambda: s.list("household", limit=50, offset=len(ids) // 2))
        out["search"] = median_ms(lambda: s.search("สมศรี", limit=50))
        out["count_area"] = median_ms(lambda: s.count("household", area="32"))
        out["stats"] = median_ms(lambda: s.stats(), repeat=3)
        one = s.get("household", ids[0]).data
        out["save_one"] = median_ms(
            lambda: s.rewrite("household", one, record_id=ids[0]), repeat=15
        )
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out["size_mb"] = db.stat().st_size / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=10_000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fieldapp-bench-privacy-"))
    try:
        print("unlock (Argon2id t=3, m=64 MiB, p=2 + opening the database):")
        db = folder / "unlock.db"
        encryption.create_encrypted(db, "bench", "admin", PASS)
        times = []
        for _ in range(5):
            crypto.forget()
            t = time.perf_counter()
            open_store(db, passphrase=PASS).close()
            times.append((time.perf_counter() - t) * 1000)
        print(f"  sign-in and open: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms")
        t = time.perf_counter()
        crypto.argon2id(PASS, b"0123456789abcdef")
        print(f"  Argon2id alone: {(time.perf_counter() - t) * 1000:.0f} ms")

        print(f"\n{args.households:,} demo households (one process), plain vs encrypted:")
        print(f"{'':<44} {'plain':>14} {'encrypted':>14} {'ratio':>7}")
        plain = workload(args.households, folder, False)
        enc = workload(args.households, folder, True)
        line("write all (demo.generate)", plain["write"], enc["write"], "s")
        line(
            "households per second written",
            args.households / plain["write"],
            args.households / enc["write"],
            "/s",
        )
        line("get one household with members", plain["get"], enc["get"])
        line("list a page of 50", plain["list"], enc["list"])
        line("search 'สมศรี' (FTS5 trigram)", plain["search"], enc["search"])
        line("count one province", plain["count_area"], enc["count_area"])
        line("stats", plain["stats"], enc["stats"])
        line("save one household", plain["save_one"], enc["save_one"])
        line("file size", plain["size_mb"], enc["size_mb"], "MB")

        src = folder / "plain.db"
        copy = folder / "migrate.db"
        shutil.copyfile(src, copy)
        t = time.perf_counter()
        res = encryption.encrypt_database(copy, "bench", "admin", PASS)
        print(
            f"\nencrypt in place ({sum(res.tables.values()):,} rows, verified by checksum): "
            f"{time.perf_counter() - t:.1f} s"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
