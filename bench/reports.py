"""Report benchmarks (``make bench``): build + render times, beside the same layout rendered without
HarfBuzz shaping and Thai word breaking, as the ratio that Thai correctness costs.

* a household case report;
* the area case study of one subdistrict with 2,000 households;
* an area case study over 100,000 households (all subdistricts of a demo database), with peak memory.

    python bench/reports.py [--big PATH-to-a-100k-demo-database]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fieldapp import demo  # noqa: E402
from fieldapp.reports import base, render_area, render_household  # noqa: E402
from fieldapp.reports.build import area_report, household_report  # noqa: E402
from fieldapp.reports.text import plain_markup  # noqa: E402
from fieldapp.store import open_store  # noqa: E402

SUBDISTRICT = "320101"  # ในเมือง, เมืองสุรินทร์


@contextlib.contextmanager
def without_thai_typography() -> Iterator[None]:
    """Render as reportlab does by default: no shaping, no Thai word breaks (wrong Thai, for the ratio)."""
    saved_markup, saved_shape, saved_styles = base.breakable_markup, base.shape, base.make_styles

    def unshaped_styles(*args: Any, **kwargs: Any) -> Any:
        styles = saved_styles(*args, **kwargs)
        for st in styles.values():
            st.shaping = 0
        return styles

    base.breakable_markup = plain_markup  # type: ignore[assignment]
    base.shape = lambda text, *_a, **_k: text  # type: ignore[assignment]
    base.make_styles = unshaped_styles  # type: ignore[assignment]
    try:
        yield
    finally:
        base.breakable_markup, base.shape, base.make_styles = saved_markup, saved_shape, saved_styles


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t = time.perf_counter()
    pages = fn()
    return time.perf_counter() - t, pages


def line(name: str, thai: tuple[float, int], plain: tuple[float, int], target: str) -> None:
    print(
        f"{name:<52} {thai[0]:7.2f} s {thai[1]:>4} pages | unshaped {plain[0]:6.2f} s "
        f"| ratio {thai[0] / plain[0]:4.1f}x | target {target}"
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--big", type=Path, help="a demo database with ~100,000 households")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "sub.db"
        with open_store(db, user="bench") as store:
            demo.generate(store, households=2000, seed=5, areas=[SUBDISTRICT])
            hid = store.conn.execute(
                "SELECT parent_id FROM household__members GROUP BY parent_id ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()[0]

            def household() -> int:
                return render_household(household_report(store, hid), io.BytesIO())

            def subdistrict() -> int:
                return render_area(area_report(store, subdistricts=[SUBDISTRICT]), io.BytesIO())

            household()  # warm up fonts and the segmenter's dictionary
            thai = timed(household)
            with without_thai_typography():
                plain = timed(household)
            line("household case report (largest household)", thai, plain, "< 0.5 s")
            thai = timed(subdistrict)
            with without_thai_typography():
                plain = timed(subdistrict)
            line("area case study, subdistrict of 2,000 households", thai, plain, "< 10 s")
    if args.big:
        with open_store(args.big) as store:
            codes = [
                r[0]
                for r in store.conn.execute(
                    "SELECT DISTINCT subdistrict_code FROM household WHERE deleted = 0"
                )
            ]
            n = store.count("household")

            def big() -> int:
                return render_area(area_report(store, subdistricts=codes), io.BytesIO())

            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            thai = timed(big)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with without_thai_typography():
                plain = timed(big)
            line(f"area case study, {len(codes)} subdistricts, {n:,} households", thai, plain, "< 60 s")
            print(f"  peak memory {peak / 1024:.0f} MB (before {before / 1024:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
