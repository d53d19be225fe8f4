"""Commands on the database and its records: ``init``, ``demo``, ``list``, ``show``, ``stats``,
``rounds``, ``visits``, ``coverage``, ``check``."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp import geo, scoring
from fieldapp.errors import (
    FieldAppError,
    ValidationError,
)

if TYPE_CHECKING:
    pass
from fieldapp.cli.common import EXIT_ERROR, EXIT_OK, display, mask_doc, open_store, print_json
from fieldapp.forms import Field, Form, Group, layout_of


def add_parsers(sub: Any) -> None:
    """init, demo, list, show, stats, rounds, visits, coverage, check"""
    s = sub.add_parser("init", help="create (or migrate) the database and print where it is")
    s.set_defaults(handler=cmd_init)

    s = sub.add_parser("demo", help="add realistic synthetic households, businesses and referrals")
    s.add_argument("--households", type=int, default=200, help="number of households (default 200)")
    s.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    s.add_argument(
        "--area", nargs="+", metavar="CODE", help="only inside these province/district/subdistrict codes"
    )
    s.add_argument("--businesses", type=int, help="number of businesses (default: households / 20)")
    s.add_argument("--referrals", type=int, help="number of referrals (default: households / 5)")
    s.set_defaults(handler=cmd_demo)

    s = sub.add_parser("list", help="list records of a form: ids and key fields")
    s.add_argument("form", help="form id: household, business, referral")
    s.add_argument("--search", help="Thai substring, national ID or house number")
    s.add_argument("--area", nargs="+", metavar="CODE", help="province, district or subdistrict code")
    s.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50, 0 = all)")
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--sort", help="field to sort by (default: the record's name)")
    s.add_argument("--json", action="store_true", help="JSON output")
    s.set_defaults(handler=cmd_list)

    s = sub.add_parser("show", help="show one record")
    s.add_argument("form")
    s.add_argument("id")
    s.add_argument("--json", action="store_true", help="JSON output (the stored document)")
    s.add_argument("--unmask", action="store_true", help="show national IDs in full")
    s.set_defaults(handler=cmd_show)

    s = sub.add_parser("stats", help="counts per form, household class and area")
    s.add_argument("--area", metavar="CODE", help="only this province/district/subdistrict")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_stats)

    s = sub.add_parser("rounds", help="a household's survey rounds; --start begins the next one")
    s.add_argument("id", help="household record id")
    s.add_argument("--start", action="store_true", help="save the next round, unfinished, and print its id")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_rounds)

    s = sub.add_parser("visits", help="visits due per village: follow-ups this week and overdue")
    s.add_argument("--area", metavar="CODE", help="only this province/district/subdistrict")
    s.add_argument("--on", metavar="YYYY-MM-DD", help="count from this day instead of today")
    s.add_argument("--json", action="store_true")
    s.add_argument("--pdf", type=Path, metavar="FILE.pdf", help="write the printable sheet (a page per village)")
    s.add_argument("--thai-digits", action="store_true", help="with --pdf: quantities and dates in Thai digits")
    s.add_argument(
        "--style",
        choices=("official", "screen"),
        default="official",
        help="with --pdf: official (for printing, default) or screen",
    )
    s.set_defaults(handler=cmd_visits)

    s = sub.add_parser(
        "coverage", help="target-list coverage per village: listed, visited, interviewed, refused, not at home …"
    )
    s.add_argument("--area", metavar="CODE", help="only this province/district/subdistrict")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_coverage)

    s = sub.add_parser("check", help="check the database's integrity")
    s.set_defaults(handler=cmd_check)


def cmd_init(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        print(f"database: {store.path}")
        print(f"device: {store.device_id}")
        counts = store.counts()
        print("records: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from fieldapp import demo

    if args.households < 0:
        raise ValidationError("จำนวนครัวเรือนต้องไม่ติดลบ", "--households must not be negative")
    areas = [geo.check_area_code(c) for c in args.area or []]
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 1.0 or done == total:
            last[0] = now
            print(f"\r  {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    with open_store(args) as store:
        made = demo.generate(
            store,
            households=args.households,
            seed=args.seed,
            areas=areas or None,
            businesses=args.businesses,
            referrals=args.referrals,
            progress=progress if sys.stderr.isatty() else None,
        )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    took = time.perf_counter() - started
    print(
        f"added {made['household']:,} households ({made['members']:,} members) "
        f"and {made['rounds']:,} second survey rounds, "
        f"{made['business']:,} businesses, {made['referral']:,} referrals in {took:.1f} s"
    )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        form = store.form(args.form)
        limit = None if args.limit == 0 else args.limit
        rows = store.list(
            form.id, search=args.search, area=args.area, order_by=args.sort, limit=limit, offset=args.offset
        )
        total = store.count(form.id, search=args.search, area=args.area)
        if args.json:
            print_json({"total": total, "rows": [mask_doc(form, r) for r in rows]})
            return EXIT_OK
        cols = [form.field_at(c) for c in form.shown_columns()]
        print("\t".join(["id", *[c.label_for("th") for c in cols]]))
        for r in rows:
            print("\t".join([r["id"], *[display(c, r.get(c.id), False) for c in cols]]))
        print(f"({len(rows)} of {total})", file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        form = store.form(args.form)
        rec = store.get(form.id, args.id)
        store.audit("view", form.id, rec.id)
        if args.unmask:
            store.audit("view_unmasked", form.id, rec.id)
        doc = rec.data if args.unmask else mask_doc(form, rec.data)
        warnings = store.soft_warnings(form.id, rec.data)
        if args.json:
            print_json(
                {
                    **rec.as_dict(),
                    "data": doc,
                    "soft_warnings": [
                        {"id": w.id, "path": w.path, "message": w.message, "reason": w.reason}
                        for w in warnings
                    ],
                }
            )
            return EXIT_OK
        print(f"{form.title_of()} {rec.id}")
        print(
            f"  แบบฟอร์มฉบับ {rec.form_version} · แก้ไขล่าสุด {rec.updated_at} โดย {rec.updated_by}"
            f"{' · ยังไม่ได้ซิงค์' if rec.dirty else ''}"
        )
        for section in form.sections:
            lines = _shown_lines(form, layout_of(section), rec.data, None, args.unmask, "  ")
            if lines:
                print(f"\n[{section.label['th']}]")
                print("\n".join(lines))
        if warnings:
            print("\n[คำเตือน: คำตอบที่ผิดปกติ]")
            for w in warnings:
                print(f"  {w.path}: {w.message}")
                print(f"    เหตุผล: {w.reason or '(ยังไม่ได้ระบุเหตุผล)'}")
    return EXIT_OK


def cmd_rounds(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.start:  # pre-filled, the questions asked again left empty: saved as unfinished
            nxt = store.start_next_round("household", args.id)
            checked = store.check_record("household", nxt.doc)
            args.id = store.save_from_editor(checked, allow_missing=True).record.id
        chain = store.round_chain("household", args.id)
    if args.json:
        print_json(
            [{"id": r.record_id, "round": r.number, "name": r.label, "surveyed_on": r.date} for r in chain]
        )
        return EXIT_OK
    for r in chain:
        mark = " ←" if r.record_id == args.id else ""
        print(f"รอบที่ {r.number}  {r.label or '-'}  {r.date or '-'}  {r.record_id}{mark}")
    return EXIT_OK


def cmd_visits(args: argparse.Namespace) -> int:
    from fieldapp import thaidate, visits

    try:
        day = _dt.date.fromisoformat(args.on) if args.on else None
    except ValueError:
        raise ValidationError("วันที่ต้องเป็น ปปปป-ดด-วว", f"--on must be YYYY-MM-DD, not {args.on!r}") from None
    if args.pdf is not None:
        return _visits_pdf(args, day)
    with open_store(args) as store:
        groups = visits.visits_due(store, area=args.area, today=day)
    if args.json:
        print_json(
            [
                {
                    "subdistrict_code": g.subdistrict_code,
                    "village_no": g.village_no,
                    "village_name": g.village_name,
                    "visits": [
                        {
                            "referral": v.referral_id,
                            "household": v.household_id,
                            "house_no": v.house_no,
                            "head_name": v.head_name,
                            "need": v.need,
                            "due": v.due.isoformat(),
                            "overdue": v.overdue,
                            "kind": v.kind,
                        }
                        for v in g.visits
                    ],
                }
                for g in groups
            ]
        )
        return EXIT_OK
    if not groups:
        print("ไม่มีการติดตามที่ถึงกำหนดในสัปดาห์นี้")
        return EXIT_OK
    for g in groups:
        place = " ".join(x for x in (f"หมู่ {g.village_no}" if g.village_no else "", g.village_name) if x)
        print(
            f"\n{place or g.subdistrict_code} ({g.subdistrict_code}): {len(g.visits)} ราย, เกินกำหนด {g.overdue} ราย"
        )
        for v in g.visits:
            flag = ("เกินกำหนด" if v.overdue else "สัปดาห์นี้") + (" เยี่ยมใหม่" if v.kind == visits.REVISIT else "")
            print(
                f"  [{flag}] {thaidate.format_date(v.due, 'short')}  บ้านเลขที่ {v.house_no}  {v.head_name}  — {v.need}"
            )
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    from fieldapp import coverage

    with open_store(args) as store:
        result = coverage.area_coverage(store, area=args.area)
    if args.json:
        print_json(result.as_dict())
        return EXIT_OK
    names = coverage.LABELS_TH
    cols = ["listed", "visited", "interviewed", "refused", "not_at_home", "moved", "not_found", "deceased"]
    print("\t".join(["หมู่บ้าน", "ตำบล", *(names[c] for c in cols), names["interviewed_pct"]]))
    for c in [*result.villages, result.total]:
        place = coverage.village_label(c) if c is not result.total else "รวม"
        values = [str(getattr(c, k)) for k in cols]
        print("\t".join([place, c.subdistrict_code, *values, coverage.percent(c.interviewed_share)]))
    if result.total.revisits_due:
        print(f"ถึงกำหนดเยี่ยมใหม่ {result.total.revisits_due} ครัวเรือน (fieldapp visits)")
    return EXIT_OK


def _visits_pdf(args: argparse.Namespace, day: _dt.date | None) -> int:
    """``fieldapp visits --pdf FILE``: the printable sheet; nothing is written when no visit is due."""
    from fieldapp import config
    from fieldapp.reports import render_visits
    from fieldapp.reports.build import default_meta, visits_report

    out: Path = args.pdf
    if out.exists() and out.is_dir():
        raise ValidationError(f"{out} เป็นโฟลเดอร์", f"{out} is a folder, not a file")
    if not out.parent.is_dir():
        raise ValidationError(f"ไม่พบโฟลเดอร์ {out.parent}", f"no such folder: {out.parent}")
    with open_store(args) as store:
        meta = default_meta(args.user or config.get(config.USER) or "")
        meta.office = (config.get(config.OFFICE) or "").strip()
        meta.province = (config.get(config.PROVINCE) or "").strip()
        data = visits_report(store, area=args.area, today=day, meta=meta)
        try:
            pages = render_visits(data, out, thai_digits=args.thai_digits, style=args.style)
        except OSError as exc:
            raise FieldAppError(f"เขียนไฟล์ {out} ไม่ได้", f"cannot write {out}: {exc.strerror or exc}") from exc
        store.audit("print", None, None, {"report": "visits", "area": args.area, "file": out.name, "pages": pages})
    print(f"wrote {out} ({pages} page{'s' if pages != 1 else ''}): {data.count} visits in {len(data.villages)} villages")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        stats = store.stats(area=args.area)
        if args.json:
            print_json({"database": str(store.path), **stats})
            return EXIT_OK
        print(f"database: {store.path}")
        for form in store.forms:
            s = stats["forms"][form.id]
            klass = scoring.class_field(form)
            classes = {c.code: c.th for c in form.fields[klass].choices} if klass in form.fields else {}
            classes["unassessable"] = "ยังประเมินไม่ได้"
            classes[scoring.NOT_INTERVIEWED] = "ไม่ได้สัมภาษณ์"
            extra = "".join(
                f", {k} {v:,}"
                for k, v in s.items()
                if isinstance(v, int) and k not in ("records", "unsynced")
            )
            print(
                f"{form.title_of()} ({form.id}): {s['records']:,} records{extra}, unsynced {s['unsynced']:,}"
            )
            if s.get("by_class"):
                print(
                    "  "
                    + " · ".join(f"{classes.get(k, 'ยังไม่ประเมิน')} {v:,}" for k, v in s["by_class"].items())
                )
            if s.get("by_province"):
                print(
                    "  "
                    + " · ".join(f"{stats['areas'].get(k, k)} {v:,}" for k, v in s["by_province"].items())
                )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        problems = store.check()
    if problems:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_ERROR
    print("ok")
    return EXIT_OK


def _shown_lines(
    form: Form,
    layout: list[Field | Group],
    data: dict[str, Any],
    row: dict[str, Any] | None,
    unmask: bool,
    indent: str,
) -> list[str]:
    """``fieldapp show``'s lines of a section or a repeat row: answers, each repeat's rows, and a
    group's answers indented under its title (a group with no answer is left out)."""
    source = row if row is not None else data
    lines: list[str] = []
    for f in layout:
        if isinstance(f, Group):
            inner = _shown_lines(form, f.items, data, row, unmask, indent + "  ")
            if inner:
                title = form.group_texts(f, data, row).get("th") or f.id
                lines += [f"{indent}{title}", *inner]
            continue
        if f.type == "note" or f.appearance == "hidden":
            continue
        if f.type == "repeat" and row is None:
            for i, r in enumerate(data.get(f.id) or []):
                lines.append(f"{indent}{f.label_for()} {i + 1}")
                lines += _shown_lines(form, layout_of(f), data, r, unmask, indent + "  ")
            continue
        text = display(f, source.get(f.id), unmask)
        if text:
            lines.append(f"{indent}{f.label_for()}: {text}")
    return lines
