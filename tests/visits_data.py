"""Visits due for the tests: households of a few villages with open referrals whose follow-ups
fall before, on and after a fixed day."""

from __future__ import annotations

import datetime as dt

from fieldapp import demo
from fieldapp.store import Store

TODAY = dt.date(2026, 12, 7)
NEEDS = ("ซ่อมแซมบ้านที่ทรุดโทรม", "ฝึกอาชีพเย็บผ้า", "ขึ้นทะเบียนผู้พิการ", "ทุนการศึกษาบุตร", "กายอุปกรณ์")


def make_visits(store: Store, households: int = 14, follow_ups: int = 10) -> list[str]:
    """Demo households in district 3201 and ``follow_ups`` open referrals due from 4 days ago to
    5 days ahead of ``TODAY`` (plus one closed and one far ahead, which are not due). Returns the
    referral ids of the due ones."""
    demo.generate(store, households=households, seed=11, areas=["3201"], businesses=0, referrals=0)
    hids = store.ids("household")
    due: list[str] = []
    for i in range(follow_ups):
        hid = hids[i % len(hids)]
        h = store.get("household", hid).data
        rec = store.save(
            "referral",
            {
                "household_id": hid,
                "subdistrict_code": h["subdistrict_code"],
                "need": NEEDS[i % len(NEEDS)],
                "assistance_type": "housing",
                "referred_on": (TODAY - dt.timedelta(days=40)).isoformat(),
                "status": "referred" if i % 2 else "in_progress",
                "follow_up_on": (TODAY + dt.timedelta(days=i - 4)).isoformat(),
            },
        ).record
        due.append(rec.id)
    h = store.get("household", hids[0]).data
    base = {
        "household_id": hids[0],
        "subdistrict_code": h["subdistrict_code"],
        "need": "ไม่ควรอยู่ในรายการ",
        "assistance_type": "housing",
        "referred_on": (TODAY - dt.timedelta(days=40)).isoformat(),
    }
    store.save("referral", {**base, "status": "referred", "follow_up_on": (TODAY + dt.timedelta(days=30)).isoformat()})
    store.save(
        "referral",
        {
            **base,
            "status": "helped",
            "outcome": "better",
            "completed_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "follow_up_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
    )
    return due
