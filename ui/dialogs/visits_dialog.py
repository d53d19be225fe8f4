"""การเยี่ยมที่ถึงกำหนด (visits due): the follow-ups to make in the area chosen on the left — due by
the end of the coming week, and the overdue ones — grouped by village, overdue first and marked
(``fieldapp.visits.visits_due``). A double-click opens the household; the sheet to take along
is printed through the report preview (``fieldapp.reports.visits``)."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp import geo, thaidate, visits
from fieldapp.errors import FieldAppError
from fieldapp.reports.build import visits_report
from fieldapp.reports.visits import village_name

from .. import fmt
from ..db import Database
from ..i18n import language, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from . import geometry
from .report_preview import ReportPreviewDialog, ReportRequest, show_report

RECORD_ROLE = Qt.ItemDataRole.UserRole  # (household id, referral id) of a visit's row
OVERDUE = QColor("#a61b1b")


class VisitsDialog(QDialog):
    household_requested = Signal(str)  # open the household of a visit
    referral_requested = Signal(str)  # open the referral (to record what the visit found)

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        settings: Settings,
        area: str | None,
        village: int | None = None,
        today: _dt.date | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.area, self.village = area, village
        self.today = today or thaidate.today()
        self.groups: list[visits.VillageVisits] = []
        self.setWindowTitle(tr("Visits due"))
        lay = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        lay.addWidget(self.heading)
        self.summary = QLabel(tr("Loading..."))
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([tr("Due"), tr("House no."), tr("Head of household"), tr("Follow-up")])
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for col in (0, 1, 2):  # the follow-up (the longest text) takes the rest
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemDoubleClicked.connect(lambda item, _col: self._open(item, household=True))
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        lay.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.household_button = QPushButton(tr("Open household"))
        self.household_button.clicked.connect(lambda: self._open(self.tree.currentItem(), household=True))
        self.referral_button = QPushButton(tr("Open referral"))
        self.referral_button.setToolTip(tr("Record what the visit found on the referral"))
        self.referral_button.clicked.connect(lambda: self._open(self.tree.currentItem(), household=False))
        self.print_button = QPushButton(tr("Print sheet..."))
        self.print_button.setToolTip(tr("A page per village with a column to write the outcome and sign"))
        self.print_button.setObjectName("primary")
        self.print_button.clicked.connect(self.print_sheet)
        close = QPushButton(tr("Close"))
        close.clicked.connect(self.accept)
        for b in (self.household_button, self.referral_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.print_button)
        lay.addLayout(buttons)
        geometry.open_sized(self, settings, "visits_due", 1000, 640)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "visits_due"))
        self._update_buttons()
        self.reload()

    # ------------------------------------------------------------------ data
    def reload(self) -> Task[list[visits.VillageVisits]]:
        db, area, village, today = self.db, self.area, self.village, self.today

        def work(_s: TaskState) -> list[visits.VillageVisits]:
            return visits_report(db.store(), area=area, village=village, today=today).villages

        return Task(work).on_success(self.show_groups).start()

    def place(self) -> str:
        return _place(self.area, self.village)

    def show_groups(self, groups: list[visits.VillageVisits]) -> None:
        self.groups = groups
        until = self.today + _dt.timedelta(days=visits.WEEK)
        self.heading.setText(tr("Visits due: {place}", place=self.place()))
        count = sum(len(g.visits) for g in groups)
        overdue = sum(g.overdue for g in groups)
        if count:
            self.summary.setText(
                tr("On {today}: {n} visits due by {until}, {late} of them overdue", today=fmt.date(self.today),
                   n=fmt.number(count), until=fmt.date(until), late=fmt.number(overdue))
            )
        else:
            self.summary.setText(tr("No visits are due this week in this area."))
        self.tree.clear()
        bold = self.tree.font()
        bold.setBold(True)
        for g in groups:
            n = tr("{n} visits", n=fmt.number(len(g.visits)))
            if g.overdue:
                n += " · " + tr("{n} overdue", n=fmt.number(g.overdue))
            top = QTreeWidgetItem([f"{village_name(g, full=False)} ({n})"])
            top.setFont(0, bold)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            for v in g.visits:
                due = fmt.date(v.due)
                if v.overdue:
                    due = "⚠ " + tr("{date} · {days} days late", date=due, days=(self.today - v.due).days)
                item = QTreeWidgetItem([due, v.house_no, v.head_name, v.need])
                item.setData(0, RECORD_ROLE, (v.household_id, v.referral_id))
                if v.overdue:
                    item.setFont(0, bold)
                    item.setForeground(0, QBrush(OVERDUE))
                    item.setToolTip(0, tr("Overdue"))
                top.addChild(item)
            top.setExpanded(True)
        self.tree.setVisible(bool(groups))
        first = self.tree.topLevelItem(0)
        child = first.child(0) if first is not None and first.childCount() else None
        if child is not None:
            self.tree.setCurrentItem(child)
        self.print_button.setEnabled(bool(count))
        self._update_buttons()

    # ------------------------------------------------------------------ actions
    def _visit_of(self, item: QTreeWidgetItem | None) -> tuple[str, str] | None:
        value = item.data(0, RECORD_ROLE) if item is not None else None
        return (str(value[0]), str(value[1])) if value else None

    def _update_buttons(self) -> None:
        visit = self._visit_of(self.tree.currentItem())
        self.household_button.setEnabled(visit is not None)
        self.referral_button.setEnabled(visit is not None and bool(visit[1]))  # a revisit has none

    def _open(self, item: QTreeWidgetItem | None, *, household: bool) -> None:
        visit = self._visit_of(item)
        if visit is None:
            return
        if household:
            self.household_requested.emit(visit[0])
        elif visit[1]:
            self.referral_requested.emit(visit[1])

    def request(self) -> ReportRequest:
        return ReportRequest(
            "visits",
            area={"area": self.area, "village": self.village, "on": self.today.isoformat()},
            title=self.place(),
        )

    def print_sheet(self) -> ReportPreviewDialog:
        return show_report(self, self.db, self.settings, self.request())


def _place(area: str | None, village: int | None) -> str:
    if not area:
        return tr("all areas")
    try:
        name = geo.full_name(area, language())
    except FieldAppError:
        name = area
    return tr("Moo {no} {name}", no=village, name=name) if village is not None else name


def show_visits(
    parent: QWidget | None, db: Database, settings: Settings, area: str | None, village: int | None = None
) -> VisitsDialog:
    dlg = VisitsDialog(parent, db, settings, area, village)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
