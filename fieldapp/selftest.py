"""The self-test: ``fieldapp --self-test`` (and ``fieldapp-cli --self-test`` / ``fieldapp --self-test``
in the desktop bundle).

It checks, without a screen and without touching the user's database, that everything the laptop
needs is there and works: the bundled files, the form definitions, the geography data, Thai dates,
a temporary database with a few demo households, the demo and an import in worker processes
(the path large demos and imports take), validating and saving a record, a Thai search,
Thai word segmentation, HarfBuzz shaping and a household PDF with Sarabun embedded.

Each step prints one line (``ok`` or ``FAILED`` with the reason); the run returns 0 when every step
passed, else 1. The desktop app adds its own Qt steps (``ui/selftest.py``) through ``extra``.
No Qt here.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from fieldapp import __version__, ids, resources

FORMS = ("household", "business", "referral")
FONT_FILES = ("Sarabun-Regular.ttf", "Sarabun-Bold.ttf", "Sarabun-Italic.ttf", "Sarabun-BoldItalic.ttf")
SEARCH_NAME = "สมปอง"
SEARCH_SURNAME = "ทดสอบระบบ"


class SelfTestError(Exception):
    """A step found something wrong (the message says what)."""


@dataclass
class Context:
    """What the steps share: the temporary folder, the open store, the saved record."""

    folder: Path
    store: Any = None  # fieldapp.store.Store, imported lazily so a broken import is a failed step
    saved_id: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.folder / "self-test.db"

    def need_store(self) -> Any:
        if self.store is None:
            raise SelfTestError("skipped: no temporary database")
        return self.store

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


Check = Callable[[Context], str]
"""A step: returns a short detail for the ``ok`` line, raises when something is wrong."""


@dataclass(frozen=True)
class Step:
    name: str
    check: Check


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestError(message)


# ---------------------------------------------------------------------------- steps


def check_files(ctx: Context) -> str:
    missing: list[str] = []
    fonts = resources.fonts_dir()
    missing += [f"resources/fonts/{n}" for n in (*FONT_FILES, "OFL.txt") if not (fonts / n).is_file()]
    missing += [f"forms/{f}.yaml" for f in FORMS if not (resources.forms_dir() / f"{f}.yaml").is_file()]
    missing += [
        f"translations/{n}"
        for n in ("th.json", "qt_th.qm")
        if not resources.path("translations", n).is_file()
    ]
    if not resources.path("NOTICE").is_file():
        missing.append("NOTICE")
    _require(not missing, "missing: " + ", ".join(missing))
    return f"fonts + licence, {len(FORMS)} forms, translations, NOTICE in {resources.root()}"


def check_forms(ctx: Context) -> str:
    from fieldapp.forms import default_forms

    formset = default_forms()
    found = [f for f in FORMS if f in formset.forms]
    _require(len(found) == len(FORMS), f"forms missing: {sorted(set(FORMS) - set(found))}")
    return ", ".join(f"{formset[f].title_of()} {formset[f].version}" for f in FORMS)


def check_geography(ctx: Context) -> str:
    from fieldapp import geo

    name = geo.full_name("320101")
    _require("สุรินทร์" in name, f"320101 is {name!r}, expected a subdistrict of Surin")
    return f"320101 = {name} ({len(geo.provinces())} provinces, GeoThai {geo.DATA_VERSION})"


def check_dates(ctx: Context) -> str:
    from fieldapp import thaidate

    text = thaidate.format_date(_dt.date(2023, 2, 15), "long")
    _require(text == "15 กุมภาพันธ์ 2566", f"15 Feb 2023 printed as {text!r}")
    back = thaidate.parse_date("15 ก.พ. 2566")
    _require(back == _dt.date(2023, 2, 15), f"'15 ก.พ. 2566' read as {back}")
    return f"2023-02-15 = {text}"


def check_database(ctx: Context) -> str:
    from fieldapp.store import open_store

    ctx.store = open_store(ctx.db_path, user="self-test")
    problems = ctx.store.check()
    _require(not problems, "integrity: " + "; ".join(problems[:3]))
    return f"{ctx.db_path.name} created and migrated"


def check_demo(ctx: Context) -> str:
    from fieldapp import demo

    store = ctx.need_store()
    made = demo.generate(store, households=5, seed=11, businesses=1, referrals=2, workers=1)
    counts = store.counts()
    _require(counts.get("household") == 5, f"expected 5 households, found {counts}")
    return f"{made['household']} households ({made['members']} members), {made['business']} business, " + (
        f"{made['referral']} referrals"
    )


def check_parallel_demo(ctx: Context) -> str:
    """The demo's worker processes (spawned as in a large demo): in the bundle they start only when
    the program's entry point calls ``multiprocessing.freeze_support()``."""
    from fieldapp import demo
    from fieldapp.store import open_store

    path = ctx.folder / "self-test-parallel.db"
    with open_store(path, user="self-test") as store:
        made = demo.generate(store, households=3, seed=5, businesses=1, referrals=1, workers=2)
        counts = store.counts()
    _require(counts.get("household") == 3, f"expected 3 households from the workers, found {counts}")
    return f"{made['household']} households written by worker processes"


def check_parallel_import(ctx: Context) -> str:
    """An import through worker processes (as an import above the parallel threshold does)."""
    from fieldapp.exchange import export, run_import
    from fieldapp.store import open_store

    source = ctx.need_store()
    listing = ctx.folder / "self-test-households.csv"
    export(source, "household", "csv", listing, unmask=True, codes=True)
    path = ctx.folder / "self-test-import.db"
    with open_store(path, user="self-test") as store:
        report = run_import(store, listing, form_id="household", workers=2)
        count = store.count("household")
    _require(not report.problems, f"import problems: {report.problems[:2]}")
    _require(count == source.count("household") > 0, f"expected {source.count('household')}, found {count}")
    return f"{report.created} households imported by worker processes"


def sample_household() -> dict[str, Any]:
    """A valid household of two members (the national IDs pass the check digit)."""
    from fieldapp.thai import national_id_check_digit

    def nid(first12: str) -> str:
        return first12 + str(national_id_check_digit(first12))

    return {
        "consent_given": True,
        "consent_sensitive": True,
        "consent_by": f"{SEARCH_NAME} {SEARCH_SURNAME}",
        "consent_date": "2025-06-01",
        "house_no": "99/1",
        "village_no": 4,
        "village_name": "บ้านหนองบัว",
        "subdistrict_code": "320101",
        "surveyed_on": "2025-06-01",
        "tenure": "own",
        "house_condition": "partly_damaged",
        "income_wage": 36000,
        "income_farm": 20000,
        "income_business": 0,
        "income_transfer": 0,
        "income_other": 0,
        "debt_total": 0,
        "has_savings": True,
        "members": [
            {
                "national_id": nid("390990012345"),
                "id_type": "thai_id",
                "prefix": "mr",
                "first_name": SEARCH_NAME,
                "last_name": SEARCH_SURNAME,
                "sex": "1",
                "birth_date": "1975-03-15",
                "relation": "head",
                "resident": True,
                "education": "primary",
                "occupation": "agriculture",
                "literate": True,
                "income_year": 36000,
            },
            {
                "national_id": nid("390990012346"),
                "id_type": "thai_id",
                "prefix": "mrs",
                "first_name": "มาลี",
                "last_name": SEARCH_SURNAME,
                "sex": "2",
                "birth_date": "1978-08-01",
                "relation": "spouse",
                "resident": True,
                "education": "lower_secondary",
                "occupation": "general_labour",
                "literate": True,
                "income_year": 20000,
            },
        ],
    }


def check_save(ctx: Context) -> str:
    from fieldapp.errors import ValidationError

    store = ctx.need_store()
    good = sample_household()
    bad = copy.deepcopy(good)
    bad["members"][0]["national_id"] = bad["members"][0]["national_id"][:-1] + (
        "0" if bad["members"][0]["national_id"][-1] != "0" else "1"
    )
    try:
        store.save("household", bad)
    except ValidationError as exc:
        first = exc.problems[0] if exc.problems else None
        refused = f"{first.path}: {first.code}" if first else exc.message
    else:
        raise SelfTestError("a national ID with a wrong check digit was saved")
    result = store.save("household", good)
    ctx.saved_id = result.record.id
    back = store.get("household", result.record.id)
    _require(back.data["members"][0]["first_name"] == SEARCH_NAME, "the saved record reads back different")
    return f"wrong ID refused ({refused}), household {ids.short_id(result.record.id)} saved"


def check_search(ctx: Context) -> str:
    store = ctx.need_store()
    _require(ctx.saved_id is not None, "skipped: no saved record")
    rows = store.list("household", search=SEARCH_SURNAME, limit=10)
    ids = [r["id"] for r in rows]
    _require(ctx.saved_id in ids, f"search {SEARCH_SURNAME!r} did not find the saved household (found {ids})")
    partial = store.count("household", search=SEARCH_NAME[:3])
    _require(partial >= 1, f"search {SEARCH_NAME[:3]!r} found nothing")
    return f"{SEARCH_SURNAME!r}: {len(rows)} found; {SEARCH_NAME[:3]!r}: {partial} found"


def check_segmentation(ctx: Context) -> str:
    from fieldapp.reports.text import segment

    words = segment("ครัวเรือนมีสมาชิกสามคน")
    _require("".join(words) == "ครัวเรือนมีสมาชิกสามคน", "segmentation lost characters")
    _require(len(words) >= 4, f"not segmented: {words}")
    return " | ".join(words)


def check_shaping(ctx: Context) -> str:
    import uharfbuzz  # noqa: F401  (reportlab silently stops shaping without it)

    from fieldapp.reports import base
    from fieldapp.reports.text import shape

    base.register_fonts()
    shaped = shape("ที่", base.FONT, 12)
    _require(str(shaped) != "ที่", "HarfBuzz did not reposition the tone mark of ที่")
    return "ที่: tone mark placed above the vowel (Sarabun, HarfBuzz)"


PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_facts(data: bytes) -> tuple[int, list[str]]:
    """Page count and embedded font names of a PDF written by reportlab (no object streams)."""
    pages = len(PAGE_RE.findall(data))
    fonts = sorted({m.decode("latin-1") for m in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+_-]+)", data)})
    return pages, fonts


def check_pdf(ctx: Context) -> str:
    from fieldapp.reports import render_household
    from fieldapp.reports.build import default_meta, household_report

    store = ctx.need_store()
    if ctx.saved_id is None:
        raise SelfTestError("skipped: no saved record")
    report = household_report(store, ctx.saved_id, meta=default_meta("self-test"))
    out = ctx.folder / "household.pdf"
    pages = render_household(report, out)
    data = out.read_bytes()
    _require(data.startswith(b"%PDF-"), "not a PDF")
    counted, fonts = pdf_facts(data)
    _require(pages >= 1 and counted == pages, f"the renderer said {pages} pages, the file has {counted}")
    _require(b"/FontFile2" in data, "no embedded TrueType font")
    _require(any("Sarabun" in f for f in fonts), f"Sarabun not embedded (fonts: {fonts})")
    return f"{pages} page{'s' if pages != 1 else ''}, {len(data) // 1024} KB, Sarabun embedded"


CORE_STEPS: tuple[Step, ...] = (
    Step("bundled files", check_files),
    Step("form definitions", check_forms),
    Step("geography data (GeoThai)", check_geography),
    Step("Thai dates (babel)", check_dates),
    Step("temporary database", check_database),
    Step("demo households", check_demo),
    Step("demo in worker processes", check_parallel_demo),
    Step("import in worker processes", check_parallel_import),
    Step("validate and save a record", check_save),
    Step("Thai search", check_search),
    Step("Thai word segmentation (PyThaiNLP)", check_segmentation),
    Step("shaped Thai (HarfBuzz)", check_shaping),
    Step("household PDF report", check_pdf),
)


def where() -> str:
    frozen = getattr(sys, "frozen", False)
    return f"{'bundle' if frozen else 'source'} {resources.root()}"


def run(
    out: TextIO | None = None,
    *,
    extra: Sequence[Step] = (),
    verbose: bool = False,
    keep: Path | None = None,
) -> int:
    """Run every step, print one line each, return 0 when all passed (else 1).

    ``extra`` steps (the desktop app's Qt checks) run after the core steps with the same context.
    ``keep`` copies the temporary database and PDF there (to look at after a failure).
    """
    stream = out if out is not None else sys.stdout
    started = time.perf_counter()
    print(f"fieldapp {__version__} self-test ({where()})", file=stream, flush=True)
    failed: list[str] = []
    steps = (*CORE_STEPS, *extra)
    with tempfile.TemporaryDirectory(prefix="fieldapp-self-test-", ignore_cleanup_errors=True) as tmp:
        ctx = Context(Path(tmp))
        try:
            for step in steps:
                t0 = time.perf_counter()
                try:
                    detail = step.check(ctx)
                except Exception as exc:
                    failed.append(step.name)
                    reason = str(exc) or type(exc).__name__
                    if not isinstance(exc, SelfTestError):
                        reason = f"{type(exc).__name__}: {reason}"
                    print(f"  FAILED  {step.name}: {reason}", file=stream, flush=True)
                    if verbose:
                        traceback.print_exc(file=stream)
                    continue
                took = time.perf_counter() - t0
                print(f"  ok      {step.name}: {detail} ({took:.2f} s)", file=stream, flush=True)
        finally:
            ctx.close()
            if keep is not None:
                import shutil

                keep.mkdir(parents=True, exist_ok=True)
                for f in Path(tmp).iterdir():
                    if f.is_file():
                        shutil.copy2(f, keep / f.name)
    took = time.perf_counter() - started
    if failed:
        print(
            f"self-test FAILED: {len(failed)} of {len(steps)} steps failed ({', '.join(failed)}) in {took:.1f} s",
            file=stream,
            flush=True,
        )
        return 1
    print(f"self-test passed: {len(steps)} of {len(steps)} steps ok in {took:.1f} s", file=stream, flush=True)
    return 0
