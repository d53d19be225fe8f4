"""The generated validator (``fieldapp.formcode``) against the general validation it stands in
front of (``Form._validate_general``), over demo records of each shipped form. Prints figures.

Two kinds of input: records as a save, an import or a pull brings them (already clean: what the
fast path is for) and raw demo records (not yet validated: calculations and row ids still to make,
so the fast path often hands them on). Each figure is the fastest of ``--repeat`` passes over the
same records, per record, counted in processor time (the machine may be busy with other work).

    python bench/validation.py [--records 300] [--repeat 9]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine
from fieldapp import demodata, forms


def _records(form: forms.Form, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Raw demo records of ``form`` as the demo generator makes them."""
    shipped = forms.default_forms()
    gen = demodata.RecordMaker(seed, f"bench:{form.id}", demodata.subdistrict_pool(seed, None))
    for _ in range(10):  # businesses and referrals link to households and their members
        gen.household(shipped["household"])
    make = {"household": gen.household, "business": gen.business, "referral": gen.referral}[form.id]
    return [make(form)[1] for _ in range(n)]


def _per_record_ms(
    ways: list[Any], docs: list[dict[str, Any]], repeat: int
) -> list[float]:
    """The fastest pass of each way over ``docs``, in processor milliseconds per record. The ways
    take turns pass after pass, so a busy spell of the machine falls on both alike."""
    best = [float("inf")] * len(ways)
    for i in range(repeat + 1):
        for w, validate in enumerate(ways):
            batch = [copy.deepcopy(d) for d in docs]
            start = time.process_time()
            for d in batch:
                validate(d, False)
            took = (time.process_time() - start) * 1000 / len(docs)
            if i:  # the first pass warms up (generated code, caches)
                best[w] = min(best[w], took)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    print(machine())
    shipped = forms.default_forms()
    print(f"{'form, input':<28} {'generated':>10} {'general':>10} {'ratio':>7} {'fast path':>10}")
    for form_id in ("household", "business", "referral"):
        form = shipped[form_id]
        raw = _records(form, args.records)
        clean = [form._validate_general(copy.deepcopy(r), False)[0] for r in raw]
        fast = form._validator()
        assert fast is not None
        for kind, docs in (("clean", clean), ("raw", raw)):
            taken = sum(fast(copy.deepcopy(d), False) is not None for d in docs)

            def generated(d: dict[str, Any], partial: bool, form: forms.Form = form) -> Any:
                return form.validate(d, partial_ok=partial)

            gen_ms, gen_ms_general = _per_record_ms([generated, form._validate_general], docs, args.repeat)
            print(
                f"{form_id + ', ' + kind:<28} {gen_ms:>8.3f}ms {gen_ms_general:>8.3f}ms "
                f"{gen_ms_general / gen_ms:>6.2f}x {taken:>5}/{len(docs)}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
