"""Report data built from the store, and the ``fieldapp report`` commands.

A small demo database (one district of Yasothon) is built once; each builder must give names,
Thai labels (never codes), Buddhist-era years and sensible counts, and each command must write a
PDF whose text and page count are right, or, for bad input, one line on stderr and no file.
"""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Iterator
from dataclasses import asdict, fields, is_dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from fieldapp import cli, demo, geo, ids, thai, thaidate
from fieldapp.errors import NotFoundError, ValidationError
from fieldapp.reports import ReportDataError
from fieldapp.reports.build import area_report, business_report, household_report
from fieldapp.reports.data import CAPITAL_KEYS, POVERTY_CLASSES, TPMAP_DIMENSIONS
from fieldapp.store import Store, open_store

DISTRICT = "3501"  # อำเภอเมืองยโสธร

# ---------------------------------------------------------------------------- helpers

_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\ue000-\uf8ff]")
_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")  # what a choice code looks like


def base(text: str) -> str:
    """Text as it survives extraction from a shaped PDF (see tests/test_reports.py)."""
    text = text.replace("\u0e33", "\u0e32")
    return re.sub(r"\s+", " ", _MARKS.sub("", text))


def page_texts(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


KEYS = {"capital", "level"}
"""Fields that hold a key by design (the renderers print its label): a capital, an area level."""


def strings(value: Any) -> Iterator[str]:
    """Every string inside a dataclass tree, but for the :data:`KEYS` fields."""
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            if f.name not in KEYS:
                yield from strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def assert_no_codes(data: Any) -> None:
    codes = [s for s in strings(data) if _CODE.match(s)]
    assert not codes, f"choice codes printed instead of Thai labels: {codes[:10]}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def check_pages(path: Path, *, thai_digits: bool = False) -> str:
    """The PDF's text; every page says "หน้า i จาก N" with N its real page count."""
    texts = page_texts(path)
    n = len(texts)
    for i, text in enumerate(texts, start=1):
        line = f"หน้า {i} จาก {n}"
        line = thai.to_thai_digits(line) if thai_digits else line
        assert base(line) in base(text), f"page {i} of {path.name} lacks {line!r}"
    return base("\n".join(texts))


# ---------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report_build") / "demo.db"
    with open_store(path, user="tester") as s:
        demo.generate(s, households=60, seed=3, areas=[DISTRICT], businesses=6, referrals=40)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "field.db"
    shutil.copyfile(template, dest)
    return dest


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with open_store(db, user="tester") as s:
        yield s


@pytest.fixture(scope="module")
def ro(template: Path) -> Iterator[Store]:
    """The shared demo store, read only by convention."""
    with open_store(template, user="tester") as s:
        yield s


def counted(s: Store, **where: Any) -> int:
    """Households an area report counts: each once, at its latest survey round."""
    earlier = {
        r[0]
        for r in s.conn.execute(
            "SELECT previous_round_id FROM household WHERE deleted = 0 AND previous_round_id IS NOT NULL"
        )
    }
    return len(set(s.ids("household", **where)) - earlier)


def linked_household(s: Store) -> str:
    """A household with both a referral and a member employed by a business."""
    row = s.conn.execute(
        "SELECT h.id FROM household h WHERE h.deleted = 0 "
        "AND EXISTS (SELECT 1 FROM business__employment e WHERE e.household_id = h.id) "
        "ORDER BY (SELECT count(*) FROM referral r WHERE r.household_id = h.id) DESC LIMIT 1"
    ).fetchone()
    assert row, "the demo data links households to businesses"
    return str(row[0])


def busiest_business(s: Store) -> str:
    row = s.conn.execute(
        "SELECT parent_id FROM business__employment GROUP BY parent_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    return str(row[0])


def busiest_subdistrict(s: Store) -> str:
    row = s.conn.execute(
        "SELECT subdistrict_code FROM household WHERE deleted = 0 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    return str(row[0])


# ---------------------------------------------------------------------------- builders


def test_household_report_has_names_members_and_thai_labels(ro: Store) -> None:
    hid = linked_household(ro)
    doc = ro.get("household", hid).data
    data = household_report(ro, hid)
    assert data.household_code == ids.short_id(hid)  # no household code was given
    assert len(data.members) == len(doc["members"])
    head = next(m for m in data.members if m.relation_to_head == "หัวหน้าครัวเรือน")
    assert head.first_name == doc["head_name"].split()[0]
    assert head.prefix in {"นาย", "นาง", "นางสาว"}
    assert {m.sex for m in data.members} <= {"ชาย", "หญิง"}
    assert all(len(m.national_id) == 13 for m in data.members)  # masking is the renderer's job
    place = geo.parents(doc["subdistrict_code"])
    assert [data.address.province, data.address.subdistrict] == [place[0].name_th, place[2].name_th]
    assert data.scores.poverty_class in POVERTY_CLASSES
    assert re.fullmatch(r"\d\.\d\d–\d\.\d\d", data.scores.class_band)
    assert set(data.tpmap_dimensions) <= set(TPMAP_DIMENSIONS)
    assert data.finances.income_total == pytest.approx(doc["income_total"])
    # the answers that pulled a capital down: 1 or 2 points, in words
    assert data.drivers
    for d in data.drivers:
        assert d.capital in CAPITAL_KEYS and d.score is not None and d.score <= 2
        assert d.question and d.answer and not _CODE.match(d.answer)
    # referrals, and the businesses that employ members (by their names)
    n_ref = ro.count("referral", filters={"household_id": hid})
    assert len(data.assistance) == n_ref
    assert all(a.status and a.referred_on for a in data.assistance)
    names = {m.full_name for m in data.members}
    assert data.employment and all(e.business_name and e.member_name in names for e in data.employment)
    assert len(data.rounds) == 1 and data.rounds[0].scores.cap_mean == doc["cap_mean"]
    assert geo.CREDIT in data.meta.credits
    assert_no_codes(data)


def test_several_survey_rounds_become_a_comparison(store: Store) -> None:
    hid = linked_household(store)
    rec = store.get("household", hid)
    current = copy.deepcopy(rec.data)
    current.update(household_code="YST-0042", has_toilet=True, drinking_water_ok=True)
    store.save("household", current, record_id=hid)
    earlier = copy.deepcopy(current)
    # a week earlier, before the toilet and the water were fixed
    surveyed = thaidate.from_iso(current["surveyed_on"])
    day = surveyed - timedelta(days=7)
    earlier.update(survey_round="ก่อนโครงการ", surveyed_on=day.isoformat(), consent_date=day.isoformat())
    earlier["has_toilet"], earlier["drinking_water_ok"] = False, False
    for m in earlier["members"]:
        m.pop("id", None)
    store.save("household", earlier)
    data = household_report(store, hid)
    assert data.household_code == "YST-0042"
    assert [r.survey_round for r in data.rounds] == ["ก่อนโครงการ", current["survey_round"]]
    assert [r.surveyed_on for r in data.rounds] == [day, surveyed]
    assert data.rounds[0].scores.cap_physical < data.rounds[1].scores.cap_physical  # type: ignore[operator]
    # the household code finds the latest round, and the area counts the household once
    assert household_report(store, "YST-0042").surveyed_on == data.surveyed_on
    sub = current["subdistrict_code"]
    area = area_report(store, subdistricts=[sub])
    assert area.households_total == store.count("household", area=sub) - 1


def test_business_report_years_in_the_buddhist_era_and_linked_poor_households(ro: Store) -> None:
    bid = busiest_business(ro)
    doc = ro.get("business", bid).data
    data = business_report(ro, bid)
    assert data.name == doc["name"]
    assert data.business_type and not _CODE.match(data.business_type)
    if doc.get("otop_year"):
        assert data.otop_year == doc["otop_year"] > 2500  # typed and stored in the Buddhist era
    assert len(data.products) == len(doc["products"])
    assert data.markets and data.supporters and data.income_distribution
    linked = {r["household_id"] for r in doc["employment"]}
    poor = {
        r[0]
        for r in ro.conn.execute(
            f"SELECT id FROM household WHERE id IN ({','.join('?' * len(linked))}) "
            "AND (poverty_class IN ('1', '2') OR tpmap_target = 1)",
            list(linked),
        )
    }
    assert data.poor_hh_linked == len(poor)
    for h in data.linked_households:
        assert h.member_name and h.role and h.village.startswith("หมู่ที่ ")
        assert h.poverty_class in POVERTY_CLASSES
    assert_no_codes(data)


def test_area_report_counts_add_up(ro: Store) -> None:
    sub = busiest_subdistrict(ro)
    data = area_report(ro, subdistricts=[sub])
    total = counted(ro, area=sub)  # a household surveyed twice counts once, at its latest round
    place = geo.parents(sub)
    assert data.scope.level == "subdistrict"
    assert data.scope.title == f"ตำบล{place[2].name_th} อำเภอ{place[1].name_th} จังหวัด{place[0].name_th}"
    assert data.households_total == total
    assert list(data.class_counts)[:4] == list(POVERTY_CLASSES)  # every class, worst first
    assert sum(data.class_counts.values()) == total
    assert sum(v.households_total for v in data.villages) == total
    assert sum(v.poor_households for v in data.villages) == data.poor_households
    assert all(0 <= v.households_complete <= v.households_total for v in data.villages)
    assert set(data.tpmap_counts) <= set(TPMAP_DIMENSIONS)
    assert sum(data.referral_counts.values()) == ro.count("referral", area=sub)
    assert data.capital_averages.mean() is not None
    needy = data.households_in_need
    assert all(h.poverty_class in POVERTY_CLASSES[:2] for h in needy)
    ranks = [(POVERTY_CLASSES.index(h.poverty_class), h.cap_mean) for h in needy]
    assert ranks == sorted(ranks)
    assert_no_codes(data)


def test_an_area_with_many_businesses_lists_the_first_and_counts_them_all(ro: Store, tmp_path: Path) -> None:
    """A province holds thousands of businesses: the report lists those employing the most poor
    households and counts every one, so its length and memory do not grow with the data."""
    whole = area_report(ro, district=DISTRICT)
    assert whole.business_totals is None and whole.businesses_count == ro.count("business")
    data = area_report(ro, district=DISTRICT, business_limit=2)
    assert len(data.businesses) == 2 and data.businesses_count == len(whole.businesses) == 6
    totals = data.business_totals
    assert totals is not None and totals.businesses == 6
    assert totals.employees_total == sum(b.employees_total or 0 for b in whole.businesses)
    assert totals.poor_households_employed == sum(b.poor_households_employed for b in whole.businesses)
    best = sorted(whole.businesses, key=lambda b: -b.poor_households_employed)
    assert [b.poor_households_employed for b in data.businesses] == [
        b.poor_households_employed for b in best[:2]
    ]
    pdf = tmp_path / "area.pdf"
    from fieldapp.reports import render_area

    with pdf.open("wb") as out:
        render_area(data, out)
    text = re.sub(r"\s+", "", "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf)))
    assert "รวมทุกกิจการ(6แห่ง)" in text and "จากทั้งหมด6แห่ง" in text


def test_area_scopes(ro: Store) -> None:
    district = area_report(ro, district=DISTRICT)
    assert district.scope.title == "อำเภอเมืองยโสธร จังหวัดยโสธร"
    assert district.households_total == counted(ro) < ro.count("household")  # second rounds count once
    province = area_report(ro, province="35")
    assert province.scope.title == "จังหวัดยโสธร" and province.households_total == district.households_total
    subs = [r[0] for r in ro.conn.execute("SELECT DISTINCT subdistrict_code FROM household LIMIT 2")]
    chosen = area_report(ro, subdistricts=subs)
    assert chosen.scope.level == "set" and len(chosen.scope.parts) == 2
    assert chosen.households_total == counted(ro, area=subs)
    sub, moo = ro.conn.execute("SELECT subdistrict_code, village_no FROM household LIMIT 1").fetchone()
    village = area_report(ro, village=(sub, moo))
    assert village.scope.level == "village" and village.scope.title.startswith(f"หมู่ที่ {moo} บ้าน")
    assert village.households_total == counted(ro, area=sub, filters={"village_no": moo})


def test_a_household_missing_required_answers_is_not_complete(store: Store) -> None:
    hid = linked_household(store)
    doc = store.get("household", hid).data
    sub, moo = doc["subdistrict_code"], doc["village_no"]
    before = area_report(store, village=(sub, moo)).villages[0].households_complete
    draft = copy.deepcopy(doc)
    draft["house_condition"] = None  # required
    store.save("household", draft, record_id=hid, partial_ok=True)
    after = area_report(store, village=(sub, moo)).villages[0].households_complete
    assert after == before - 1


def test_bad_area_input(ro: Store) -> None:
    with pytest.raises(ValidationError):
        area_report(ro, district="9999")
    with pytest.raises(ValidationError):
        area_report(ro, province="3501")  # a district code where a province is wanted
    with pytest.raises(ValidationError):
        area_report(ro)
    with pytest.raises(ReportDataError) as err:
        area_report(ro, province="10")
    assert err.value.code == "report.empty_area"
    with pytest.raises(NotFoundError):
        household_report(ro, "00000000-0000-4000-8000-000000000000")


# ---------------------------------------------------------------------------- command line


def test_report_household_command(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(db) as s:
        hid = linked_household(s)
        rec = s.get("household", hid)
    head = next(m for m in rec.data["members"] if m["relation"] == "head")
    out = tmp_path / "hh.pdf"
    code, stdout, _ = run(capsys, "--db", str(db), "report", "household", hid, "-o", str(out))
    assert code == 0 and out.exists() and "wrote" in stdout
    text = check_pages(out)
    assert base(f"{head['first_name']} {head['last_name']}") in text
    assert base(thai.mask_national_id(head["national_id"])) in text
    assert thai.format_national_id(head["national_id"]) not in text
    printed = thaidate.format_date(thaidate.today(), "long")  # 26 พฤศจิกายน 2569
    assert base(f"พิมพ์เมื่อ {printed}") in text, "the print date is today, in the Buddhist era"

    full = tmp_path / "hh-full.pdf"
    code, _, _ = run(capsys, "--db", str(db), "report", "household", hid, "-o", str(full), "--unmask")
    assert code == 0 and thai.format_national_id(head["national_id"]) in check_pages(full)
    with open_store(db) as s:
        actions = [
            r[0]
            for r in s.conn.execute("SELECT action FROM audit_log WHERE record_id = ? ORDER BY id", [hid])
        ]
    assert actions[-3:] == ["print", "print", "print_unmasked"]


def test_report_business_command(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(db) as s:
        bid = busiest_business(s)
        name = s.get("business", bid).data["name"]
    out = tmp_path / "business.pdf"
    code, _, _ = run(capsys, "--db", str(db), "report", "business", bid, "-o", str(out), "--thai-digits")
    assert code == 0
    text = check_pages(out, thai_digits=True)
    assert base(name) in text


@pytest.mark.parametrize("scope", ["subdistrict", "province"])
def test_report_area_command(
    scope: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(db) as s:
        sub = busiest_subdistrict(s)
    args = ["--subdistrict", sub] if scope == "subdistrict" else ["--province", "35"]
    title = geo.area(sub).name_th if scope == "subdistrict" else "จังหวัดยโสธร"
    out = tmp_path / "area.pdf"
    code, _, _ = run(capsys, "--db", str(db), "report", "area", *args, "-o", str(out))
    assert code == 0
    text = check_pages(out)
    assert base(title) in text
    assert base("ครัวเรือนที่ต้องการความช่วยเหลือมากที่สุด") in text
    with open_store(db) as s:
        detail = s.conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'print' ORDER BY id DESC"
        ).fetchone()
    assert scope in detail[0] and "area.pdf" in detail[0]


@pytest.mark.parametrize(
    "args",
    [
        ["household", "00000000-0000-4000-8000-000000000000"],
        ["business", "no-such-business"],
        ["area", "--district", "9999"],
        ["area", "--subdistrict", "12345"],
        ["area", "--province", "10"],  # no households there
        ["area", "--village", "350101", "x"],
    ],
    ids=["household", "business", "unknown-district", "bad-subdistrict", "empty-area", "bad-village"],
)
def test_bad_input_writes_no_file(
    args: list[str], db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.pdf"
    code, stdout, err = run(capsys, "--db", str(db), "report", *args, "-o", str(out))
    assert code == 1, err
    assert not out.exists() and list(tmp_path.glob("*.pdf")) == []
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fieldapp: error: "), err
    assert stdout == ""


@pytest.mark.parametrize(
    "args",
    [["area", "-o", "x.pdf"], ["household", "abc"], ["area", "--province", "35", "--district", "3501"]],
)
def test_report_usage_errors(args: list[str], db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--db", str(db), "report", *args])
    assert exit_.value.code == 2 and "usage error" in capsys.readouterr().err


def test_report_data_is_plain(ro: Store) -> None:
    """Builders return plain data: it survives ``asdict`` (no store handles inside)."""
    assert asdict(area_report(ro, district=DISTRICT))["households_total"] > 0
