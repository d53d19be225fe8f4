"""Pull page sizes on the wire, without and with gzip (``python bench/pull_pages.py``).

Puts N demo households (with their businesses and referrals) on a real server process, then asks
for the pull pages (1,000 records each, the client's default) twice: ``Accept-Encoding: identity``
and ``gzip``. Prints the bytes of each page both ways, the ratio, the server's time to compress, and
what that means on a 500 KB/s village mobile link. Prints figures; never fails on time.

    python bench/pull_pages.py [--households 2000]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402
from sync import PASSWORD, Server, laptop  # noqa: E402

from fieldapp.sync import protocol as P  # noqa: E402
from fieldapp.sync.client import sync  # noqa: E402
from server.app import GZIP_LEVEL  # noqa: E402

LINK = 500 * 1000  # bytes per second: a village 3G/4G link in the evening


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=2000)
    args = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        server = Server(tmpdir / "server.db")
        try:
            source = laptop(tmpdir / "source.db", args.households, seed=7)
            sync(source, server.url, "u1", PASSWORD)
            source.close()
            token = requests.post(
                server.url + P.Paths.LOGIN, json={"user": "u1", "password": PASSWORD}, timeout=30
            ).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            cursor, page = 0, 0
            total_plain = total_gzip = 0
            print(
                f"{'page':>4} {'records':>7} {'plain bytes':>12} {'gzip bytes':>11} {'ratio':>6} "
                f"{'compress ms':>11} {'500 KB/s plain':>14} {'500 KB/s gzip':>13}"
            )
            while True:
                plain = requests.get(
                    server.url + P.Paths.PULL,
                    params={"cursor": cursor},
                    headers={**headers, "Accept-Encoding": "identity"},
                    timeout=60,
                )
                zipped = requests.get(
                    server.url + P.Paths.PULL,
                    params={"cursor": cursor},
                    headers={**headers, "Accept-Encoding": "gzip"},
                    stream=True,
                    timeout=60,
                )
                wire = zipped.raw.read(decode_content=False)
                body = plain.content
                assert gzip.decompress(wire) == body
                t = time.perf_counter()
                gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
                ms = (time.perf_counter() - t) * 1000
                data = plain.json()
                page += 1
                total_plain += len(body)
                total_gzip += len(wire)
                print(
                    f"{page:>4} {len(data['items']):>7,} {len(body):>12,} {len(wire):>11,} "
                    f"{len(body) / len(wire):>5.1f}x {ms:>11.0f} {len(body) / LINK:>13.1f}s "
                    f"{len(wire) / LINK:>12.1f}s"
                )
                if not data["has_more"]:
                    break
                cursor = data["next_cursor"]
            print(
                f"all  {'':>7} {total_plain:>12,} {total_gzip:>11,} {total_plain / total_gzip:>5.1f}x "
                f"{'':>11} {total_plain / LINK:>13.1f}s {total_gzip / LINK:>12.1f}s"
            )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
