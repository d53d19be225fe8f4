"""Screenshots of the app with its current data: ``python main.py --screenshot FILE --view NAME``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from .startup import settle

VIEWS = (
    "households",
    "businesses",
    "referrals",
    "search",
    "editor",
    "members",
    "business",
    "referral",
    "drafts",
    "sync",
    "report",
    "area-report",
    "import",
    "export",
    "backups",
)
DIALOG_VIEWS = ("sync", "report", "area-report", "import", "export", "backups")  # ui/dialogs/views.py


def take_screenshot(window: object, view: str, out: Path, size: str) -> int:
    """Render ``view`` with the current data to ``out`` (PNG) and return 0."""
    from .mainwindow import MainWindow

    assert isinstance(window, MainWindow)
    w, _, h = size.partition("x")
    window.resize(int(w), int(h))
    window.show()
    window.start()
    settle()
    target: QWidget = window
    hh = window.pages["household"]
    if view in ("households", "search"):
        if view == "search":
            hh.search.setText("บุญ")
            hh.apply_filters()
            settle()
        if hh.model.rowCount():
            hh.table.selectRow(0)
        settle()
    elif view in DIALOG_VIEWS:
        from .dialogs.views import dialog_view

        target = dialog_view(window, view, int(w), int(h))
    elif view == "businesses":
        window.tabs.setCurrentWidget(window.pages["business"])
    elif view == "referrals":
        window.tabs.setCurrentWidget(window.pages["referral"])
    elif view in ("editor", "members", "business", "referral"):
        form_id = {"business": "business", "referral": "referral"}.get(view, "household")
        page = window.pages[form_id]
        settle()
        rid = page.model.id_at(0)
        dlg = window.open_record(form_id, rid) if rid else window.new_record(form_id)
        if not dlg.isMaximized():  # on a laptop screen the editor opens maximised, as it is shown
            dlg.resize(int(w) - 180, int(h) - 40)
        section = {"editor": "address", "members": "members", "business": "employment"}.get(view)
        for i, s in enumerate(dlg.form.sections):
            if s.id == section:
                dlg.editor.go_to(i)
        target = dlg
    settle()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = target.grab().save(str(out), "PNG", 9)
    return 0 if ok else 1
