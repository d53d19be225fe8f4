"""Realistic synthetic data for demonstrations, tests and benchmarks.

Thai names and prefixes, valid national IDs, real subdistricts from a few provinces (or only
inside the areas asked for), households of 1–8 members with a spread of livelihood classes,
local businesses with products and employment links to household members, and referrals.
Everything goes through the store's one write path, so demo data is valid data. The same seed
gives the same data.

The records are made by ``fieldapp.demodata`` (``RecordMaker``); this module writes them: in
parts of ``CHUNK`` households, each with its own random stream, in worker processes when there
are many, with a second survey round for some households.
"""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import multiprocessing.util
import os
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldapp import geo, ids, rounds
from fieldapp.demodata import DEMO_EPOCH_MS, Progress, RecordMaker, subdistrict_pool
from fieldapp.errors import ValidationError
from fieldapp.store import Store, open_store

CHUNK = 2000  # households per part; each part has its own random stream


@dataclass
class _Part:
    """What one part wrote."""

    saved: int
    members: int
    businesses: int
    referrals: int
    rounds: int = 0  # second survey rounds of its households (extra household records)


def _share(total: int, start: int, end: int, households: int) -> int:
    """The share of ``total`` for the part holding households ``start`` to ``end``, in
    proportion to its households (the shares add up to ``total``)."""
    if households == 0:
        return total
    return total * end // households - total * start // households


def _write_part(
    store: Store,
    seed: int,
    index: int,
    count: int,
    n_bus: int,
    n_ref: int,
    subdistricts: list[geo.Area],
    progress: Progress | None,
) -> _Part:
    """One part: its households, then businesses employing their members and referrals of them.

    Each part draws from its own random stream and links only to its own records, so parts
    can be written by separate processes and the data still depends on the seed only.
    """
    gen = RecordMaker(seed, f"households:{index}", subdistricts, number=index)
    form, bform, rform = store.form("household"), store.form("business"), store.form("referral")
    made = [gen.household(form) for _ in range(count)]  # drawn first: businesses employ their members
    businesses = [gen.business(bform) for _ in range(n_bus)]
    referrals = [gen.referral(rform) for _ in range(n_ref)] if gen.households else []
    # second rounds; one whose members' answers no longer fit (a child now 15 needs a new title
    # and an occupation) is left for a real interviewer
    nexts = list(_next_rounds(store, seed, index, made))
    records = count + n_bus + n_ref  # what the progress counts (second rounds are extra)
    step = (lambda done, _t: progress(min(done, records), records)) if progress else None
    with store.bulk():
        # one transaction for the part: worker processes writing the same file take turns once
        saved, bus, ref, again = store.write_demo(
            [("household", made), ("business", businesses), ("referral", referrals), ("household", nexts)],
            total=count + n_bus + n_ref + len(nexts),
            progress=step,
        )
    for batch in (saved, bus, ref):
        if batch.errors:
            raise ValidationError.from_problems(next(iter(batch.errors.values())))
    members = sum(len(doc["members"]) for _, doc in made)
    return _Part(len(saved.saved), members, len(bus.saved), len(ref.saved), len(again.saved))


ROUND_SHARE = 0.025
"""The share of demo households surveyed a second time (those first surveyed over half a year ago)."""


def _next_rounds(
    store: Store, seed: int, index: int, made: list[tuple[str, dict[str, Any]]]
) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Second survey rounds of a few households of part ``index``: the questions asked again
    answered as before, with income, debt and savings moved (most households a little better
    off). Their ids come from the seed, like every demo id."""
    rng = random.Random(f"{seed}:rounds:{index}")
    slot = zlib.crc32(f"{seed}:rounds:{index}".encode()) & 0xFFFF
    count = 0

    def make_id() -> str:
        nonlocal count
        count += 1
        seq = (slot << 32) + count
        return ids.uuid7(DEMO_EPOCH_MS + (seq >> 12), seq & 0xFFF, rng.getrandbits(62))

    cutoff = (_dt.date.today() - _dt.timedelta(days=180)).isoformat()
    form, today = store.form("household"), _dt.date.today()
    for hid, prev in made:
        surveyed = str(prev.get("surveyed_on") or "")
        if not surveyed or surveyed > cutoff or rng.random() >= ROUND_SHARE:
            continue
        if prev.get("visit_outcome") not in (None, "", "interviewed"):
            continue  # a next round follows an interview
        # from the answers as generated (just saved, so no round follows them yet)
        nxt = rounds.next_round(form, hid, prev, today, make_id)
        doc = nxt.doc
        for path in nxt.ask_again:
            head, _, child = path.partition(".")
            if child:
                for row, old in zip(doc.get(head) or [], prev.get(head) or [], strict=False):
                    if old.get(child) is not None:
                        row[child] = old[child]
            elif prev.get(head) is not None and head != "warning_reasons":
                doc[head] = prev[head]
        better = rng.random() < 0.7
        for name in ("income_wage", "income_farm", "income_business"):
            if isinstance(doc.get(name), (int, float)) and doc[name] > 0:
                doc[name] = round(
                    doc[name] * rng.uniform(1.05, 1.6) if better else doc[name] * rng.uniform(0.7, 1.0), -2
                )
        if isinstance(doc.get("debt_total"), (int, float)):
            doc["debt_total"] = round(
                doc["debt_total"] * (rng.uniform(0.4, 0.9) if better else rng.uniform(1.0, 1.3)), -2
            )
        if better and doc.get("has_savings") is False and rng.random() < 0.4:
            doc["has_savings"] = True
        yield make_id(), doc


_WORKER: dict[str, Any] = {}  # in a worker process: its open store and subdistricts


def _worker_start(path: str, user: str, forms_dir: str | None, codes: list[str], turn: Any = None) -> None:
    """Worker process: open the database once for all the parts it will write; ``turn``: the
    lock the workers take turns writing with (``Store.turn``)."""
    from fieldapp import forms as forms_mod

    try:
        formset = forms_mod.load_all(Path(forms_dir)) if forms_dir else None
        store = open_store(path, user=user, forms=formset)
    except Exception as exc:  # a failing initializer is restarted for ever, never reported:
        _WORKER["error"] = exc  # the first part raises it instead
        return
    store.turn = turn
    _WORKER.update(store=store, subdistricts=[geo.area(c) for c in codes])
    multiprocessing.util.Finalize(store, store.close, exitpriority=10)


def _part_in_process(args: tuple[int, int, int, int, int]) -> _Part:
    """Worker process: write one part through the write path."""
    if "error" in _WORKER:
        raise _WORKER["error"]
    seed, index, count, n_bus, n_ref = args
    return _write_part(_WORKER["store"], seed, index, count, n_bus, n_ref, _WORKER["subdistricts"], None)


def generate(
    store: Store,
    *,
    households: int,
    seed: int = 1,
    areas: list[str] | None = None,
    businesses: int | None = None,
    referrals: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Add demo records through the store's write path; returns counts added.

    Households are made in parts of ``CHUNK``, each from its own random stream and each with
    its share of the businesses and referrals, so the data depends on the seed only. With more
    than one worker (default: one per core for large runs) parts are validated and written by
    worker processes on the same database file.
    """
    subdistricts = subdistrict_pool(seed, areas)
    n_bus = households // 20 if businesses is None else businesses
    n_ref = households // 5 if referrals is None else referrals
    total = households + n_bus + n_ref
    count = max(1, (households + CHUNK - 1) // CHUNK)
    parts = [
        (
            i,
            min(CHUNK, households - i * CHUNK),
            _share(n_bus, i * CHUNK, min(households, (i + 1) * CHUNK), households),
            _share(n_ref, i * CHUNK, min(households, (i + 1) * CHUNK), households),
        )
        for i in range(count)
    ]
    if workers is None:
        workers = min(os.cpu_count() or 1, len(parts)) if households >= 4 * CHUNK else 1
    results: list[_Part] = []

    def done() -> int:
        return sum(r.saved + r.businesses + r.referrals for r in results)

    if (
        workers > 1 and str(store.path) != ":memory:" and store.data_key is None
    ):  # worker processes cannot sign in
        forms_dir = str(store.forms.directory) if store.forms.directory else None
        ctx = multiprocessing.get_context("spawn")
        start = (str(store.path), store.user, forms_dir, [a.code for a in subdistricts], ctx.Lock())
        with ctx.Pool(workers, initializer=_worker_start, initargs=start) as pool:
            for result in pool.imap(_part_in_process, [(seed, *part) for part in parts]):
                results.append(result)
                if progress:
                    progress(done(), total)
            pool.close()
            pool.join()  # the workers close their stores on the way out
    else:
        for i, n, nb, nr in parts:
            offset = done()
            step = (lambda d, _t, o=offset: progress(o + d, total)) if progress else None
            results.append(_write_part(store, seed, i, n, nb, nr, subdistricts, step))
    return {
        "household": sum(r.saved for r in results),
        "members": sum(r.members for r in results),
        "business": sum(r.businesses for r in results),
        "referral": sum(r.referrals for r in results),
        "rounds": sum(r.rounds for r in results),
    }
