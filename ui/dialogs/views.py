"""Dialogs opened for ``main.py --screenshot FILE --view NAME`` (sync, report, import, export, backups)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

from fieldapp import browse
from fieldapp.sync.report import SyncReport

from .. import tasks


def _settle(rounds: int = 4) -> None:
    for _ in range(rounds):
        tasks.wait_all(60)
        QApplication.processEvents()


def sample_report() -> SyncReport:
    """A sync summary to show the dialog's end state (the screenshot has no server to talk to)."""
    return SyncReport(server="https://sync.example.go.th", user="somsri", pushed=14, applied=12, merged=2,
                      pulled=37, pulled_deleted=1, attachments_up=3, attachments_down=5,
                      conflicts=[], rejected=[], clock_skew_seconds=-540.0,
                      clock_warning="clock", verified=True)


def _sample_csv(store: Any) -> Path:
    """A small Thai target list, as an agency would send it, written to a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="fieldapp-view-"))
    path = folder / "รายชื่อเป้าหมาย.csv"
    rows = [
        ["1", "นายบุญมี ศรีสุข", "บ้านหนองบัว", "12/1", "4", "นอกเมือง", "เมืองสุรินทร์", "สุรินทร์", "0812345678"],
        ["2", "นางสมหญิง ใจดี", "บ้านหนองบัว", "15", "4", "นอกเมือง", "เมืองสุรินทร์", "สุรินทร์", "0898765432"],
        ["3", "นายทองดี มีสุข", "บ้านโคกกลาง", "7/2", "5", "นอกเมือง", "เมืองสุรินทร์", "สุรินทร์", ""],
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ลำดับ", "ชื่อ-สกุล", "ชื่อหมู่บ้าน", "บ้านเลขที่", "หมู่", "ตำบล", "อำเภอ", "จังหวัด", "เบอร์โทร"])
        w.writerows(rows)
    return path


def dialog_view(window: Any, view: str, width: int, height: int) -> QWidget:
    """Open the dialog of ``view`` on ``window`` (a MainWindow) and return it, settled."""
    from .sync_dialog import SyncOutcome, summary_html

    _settle()
    if view == "sync":
        dlg = window.open_sync()
        dlg.server_edit.setText("https://sync.example.go.th")
        dlg.user_edit.setText("somsri")
        _settle()
        report = sample_report()
        out = SyncOutcome(report, {}, {f.id: f.id for f in window.db.main.forms})
        from .sync_dialog import form_name

        out.names = {f.id: form_name(window.db.main, f.id) for f in window.db.main.forms}
        dlg.result_label.setText(summary_html(out))
        dlg.result_scroll.show()
        dlg.sync_button.setText(dlg.sync_button.text())
        dlg.resize(760, 680)
    elif view == "report":
        rid = window.pages["household"].model.id_at(0)
        dlg = window.open_report("household", rid)
        dlg.resize(min(width, 1000), height)
    elif view == "area-report":
        counts = browse.area_counts(window.db.main, "household")
        dlg = window.open_area_report(counts[0].subdistrict if counts else None, None)
        dlg.resize(min(width, 1000), height)
    elif view == "import":
        dlg = window.open_import()
        dlg.set_file(_sample_csv(window.db.main))
        _settle()
        dlg.next()
    elif view == "export":
        dlg = window.open_export()
    else:
        dlg = window.open_backups()
    _settle()
    QApplication.processEvents()
    return dlg
