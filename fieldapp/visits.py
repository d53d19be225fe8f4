"""Visits due: the follow-ups of open referrals, per village — this week's and the overdue ones.

A referral that is still open (referred or in progress) with a follow-up date (``follow_up_on``)
is a visit to make. ``visits_due`` lists those falling due by the end of the coming week, grouped
by the household's village, overdue first; ``fieldapp visits`` prints the list (plain text, ready
to print) or JSON.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from fieldapp import geo
from fieldapp.store import Store

OPEN_STATUSES = ("referred", "in_progress")
WEEK = 7


@dataclass
class Visit:
    referral_id: str
    household_id: str
    house_no: str
    head_name: str
    need: str
    due: _dt.date
    overdue: bool


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
    """Open referrals whose follow-up falls due by ``today`` + 7 days, by village (overdue first)."""
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
    out: dict[tuple[str, int | None, str], VillageVisits] = {}
    for rid, hid, due, need, sub, vno, vname, house_no, head in rows:
        key = (sub or "", vno, vname or "")
        group = out.get(key)
        if group is None:
            group = out[key] = VillageVisits(sub or "", vno, vname or "")
        day = _dt.date.fromisoformat(due)
        group.visits.append(Visit(rid, hid, house_no or "", head or "", need or "", day, day < today))
    for group in out.values():
        group.visits.sort(key=lambda v: (not v.overdue, v.due))
    return list(out.values())
