"""Visits due: the follow-ups of open referrals and the revisits of households not at home, per
village — this week's and the overdue ones.

Two kinds of visit (``Visit.kind``):

* ``referral``: a referral that is still open (referred or in progress) with a follow-up date
  (``follow_up_on``);
* ``revisit``: a household whose last visit found nobody at home (``visit_outcome`` not_at_home)
  with a revisit date (``revisit_on``). It stops being due once the household's outcome changes.

``visits_due`` lists those falling due by the end of the coming week, grouped by the household's
village, overdue first; ``fieldapp visits`` prints the list (plain text, ready to print) or JSON.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from fieldapp import geo
from fieldapp.store import Store

OPEN_STATUSES = ("referred", "in_progress")
WEEK = 7
REFERRAL = "referral"
REVISIT = "revisit"
REVISIT_NEED = "เยี่ยมบ้านอีกครั้ง (ครั้งก่อนไม่อยู่บ้าน)"
"""What a revisit is for, where the visit note says nothing."""


@dataclass
class Visit:
    referral_id: str
    household_id: str
    house_no: str
    head_name: str
    need: str
    due: _dt.date
    overdue: bool
    kind: str = REFERRAL
    """``referral`` (a referral's follow-up; ``referral_id`` names it) or ``revisit`` (a household
    not at home at its last visit; ``referral_id`` is empty and ``need`` is the visit note)."""


@dataclass
class VillageVisits:
    subdistrict_code: str
    village_no: int | None
    village_name: str
    visits: list[Visit] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for v in self.visits if v.overdue)


def visits_due(
    store: Store, *, area: str | None = None, today: _dt.date | None = None
) -> list[VillageVisits]:
    """Open referrals' follow-ups and households' revisits falling due by ``today`` + 7 days, by
    village (overdue first)."""
    today = today or _dt.date.today()
    until = today + _dt.timedelta(days=WEEK)
    params: list[object] = [*OPEN_STATUSES, until.isoformat()]
    where = ""
    if area:
        code = geo.check_area_code(area)
        where = " AND r.subdistrict_code LIKE ?"
        params.append(f"{code}%")
    rows = store.conn.execute(
        "SELECT r.id, r.household_id, r.follow_up_on, r.need, h.subdistrict_code, h.village_no, "
        "h.village_name, h.house_no, h.head_name FROM referral r JOIN household h ON h.id = r.household_id "
        f"WHERE r.deleted = 0 AND h.deleted = 0 AND r.status IN (?, ?) AND r.follow_up_on IS NOT NULL "
        f"AND r.follow_up_on <= ?{where} ORDER BY h.subdistrict_code, h.village_no, h.village_name, r.follow_up_on",
        params,
    ).fetchall()
    found = [(REFERRAL, *r) for r in rows]
    hform = store.form("household")
    if "revisit_on" in hform.fields and "visit_outcome" in hform.fields:
        hparams: list[object] = [until.isoformat()]
        hwhere = ""
        if area:
            hwhere = " AND h.subdistrict_code LIKE ?"
            hparams.append(f"{geo.check_area_code(area)}%")
        found += [
            (REVISIT, *r)
            for r in store.conn.execute(
                "SELECT '', h.id, h.revisit_on, COALESCE(h.visit_note, ''), h.subdistrict_code, h.village_no, "
                "h.village_name, h.house_no, h.head_name FROM household h WHERE h.deleted = 0 "
                "AND h.visit_outcome = 'not_at_home' AND h.revisit_on IS NOT NULL AND h.revisit_on <= ?"
                f"{hwhere}",
                hparams,
            )
        ]
    out: dict[tuple[str, int | None, str], VillageVisits] = {}
    for kind, rid, hid, due, need, sub, vno, vname, house_no, head in found:
        key = (sub or "", vno, vname or "")
        group = out.get(key)
        if group is None:
            group = out[key] = VillageVisits(sub or "", vno, vname or "")
        day = _dt.date.fromisoformat(due)
        if kind == REVISIT:
            need = f"{REVISIT_NEED}: {need}" if need else REVISIT_NEED
        group.visits.append(Visit(rid, hid, house_no or "", head or "", need or "", day, day < today, kind))
    for group in out.values():
        group.visits.sort(key=lambda v: (not v.overdue, v.due))
    return sorted(
        out.values(), key=lambda g: (g.subdistrict_code, g.village_no is not None, g.village_no or 0, g.village_name)
    )
