"""The first start of a new community leader: their own area, their name and (if they have one) the
server's address, then how to begin — import a target list, record the first household, or try
the practice database.

Shown at start-up while the database holds no record and the welcome was never completed (the
setting ``welcome_done``); the Data menu opens it again. The area is kept in the settings
(``home_area``, ``home_village_no``, ``home_village_name``): a new record starts there when nothing
else is chosen. The name is the leader's (``leader_name``): the default data collector and author of
changes. The server address is the one the sync dialog uses.

Keyboard: Tab moves between the answers, Enter goes to the next answer and from the last to the next
step, Esc closes ("later": the welcome comes again at the next start).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import FieldAppError
from fieldapp.sync.transport import check_server_url, is_plain_http

from ..db import Database
from ..guidance import area_text
from ..i18n import language, tr
from ..marklabel import MarkSafeLabel
from ..settings import Settings
from ..widgets.fields import SubdistrictWidget
from ..widgets.registry import EditorContext
from . import geometry
from .sync_dialog import SERVER_KEY, http_warning_text

CHOICES = ("import", "household", "practice")


def has_records(db: Database) -> bool:
    """True when any form of the database holds a record (or a draft waits to be finished)."""
    from fieldapp import drafts

    store = db.main
    return any(store.count(f.id) > 0 for f in store.forms) or bool(drafts.list_drafts(store))


def needs_welcome(db: Database, settings: Settings) -> bool:
    """At start-up: never completed, and nothing recorded yet."""
    return not bool(settings.get("welcome_done")) and not has_records(db)


def _bold(text: str, wrap: bool = True) -> MarkSafeLabel:
    label = MarkSafeLabel()
    label.setWordWrap(wrap)
    label.set_html(f"<b>{text}</b>")
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class Steps(QWidget):
    """One step shown at a time. Unlike QStackedWidget, its height follows the width of the step shown
    (wrapped Thai text), so the steps scroll only when they really do not fit."""

    def __init__(self) -> None:
        super().__init__()
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._steps: list[QWidget] = []
        self._current = -1

    def addWidget(self, step: QWidget) -> None:
        self._steps.append(step)
        self._lay.addWidget(step)
        step.setVisible(len(self._steps) - 1 == max(self._current, 0))
        if self._current < 0:
            self._current = 0

    def count(self) -> int:
        return len(self._steps)

    def currentIndex(self) -> int:
        return self._current

    def currentWidget(self) -> QWidget | None:
        return self._steps[self._current] if 0 <= self._current < len(self._steps) else None

    def setCurrentIndex(self, index: int) -> None:
        self._current = index
        for i, step in enumerate(self._steps):
            step.setVisible(i == index)


class ChoiceButton(QPushButton):
    """A large button with a bold title and a line or two of explanation, both mark-safe labels
    (QCommandLinkButton squeezed Thai stacks and its small text overlapped)."""

    def __init__(self, title: str, description: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("choice")
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 8, 16, 8)
        lay.setSpacing(2)
        self.title_label = MarkSafeLabel()
        self.title_label.set_html(f"<b>{html.escape(title)}</b>")
        self.description_label = MarkSafeLabel()
        for label in (self.title_label, self.description_label):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            lay.addWidget(label)
        self.setDescription(description)

    def title(self) -> str:
        return self.accessibleName()

    def description(self) -> str:
        return html.unescape(self.description_label.fragment())

    def setDescription(self, text: str) -> None:
        self.description_label.set_html(html.escape(text))
        self.setAccessibleDescription(text)
        self.updateGeometry()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        lay = self.layout()
        return lay.totalHeightForWidth(width) if lay is not None else super().heightForWidth(width)

    def sizeHint(self) -> QSize:
        lay = self.layout()
        return lay.totalSizeHint() if lay is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        lay = self.layout()
        return lay.totalMinimumSize() if lay is not None else super().minimumSizeHint()


class WelcomeDialog(QDialog):
    chosen = Signal(str)  # "import", "household" or "practice", after the settings are kept

    def __init__(self, parent: QWidget | None, db: Database, settings: Settings, practice: bool = False) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.setWindowTitle(tr("Welcome to fieldapp"))
        lay = QVBoxLayout(self)
        self.pages = Steps()
        # the steps scroll when the text is very large; the buttons below never do
        self.steps_area = QScrollArea()
        self.steps_area.setWidgetResizable(True)
        self.steps_area.setFrameShape(QFrame.Shape.NoFrame)
        self.steps_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps_area.setWidget(self.pages)
        self.steps_area.viewport().setAutoFillBackground(False)
        self.pages.setAutoFillBackground(False)
        lay.addWidget(self.steps_area, 1)
        self.pages.addWidget(self._area_page())
        self.pages.addWidget(self._choice_page(practice))

        buttons = QHBoxLayout()
        self.back_button = QPushButton(tr("◀ Back"))
        self.back_button.clicked.connect(lambda: self.go_to(0))
        self.later_button = QPushButton(tr("Later (Esc)"))
        self.later_button.setToolTip(tr("Close; the welcome comes again at the next start"))
        self.later_button.clicked.connect(self.reject)
        self.next_button = QPushButton(tr("Next ▶"))
        self.next_button.setObjectName("primary")
        self.next_button.clicked.connect(self.next_step)
        for b in (self.back_button, self.later_button, self.next_button):
            b.setAutoDefault(False)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.keys_hint = _hint(tr("Enter: next · Esc: later"))
        self.keys_hint.setWordWrap(False)
        buttons.addWidget(self.keys_hint)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.next_button)
        lay.addLayout(buttons)
        self._load()
        self.go_to(0)
        # wide enough that labels and explanations keep to one or two lines at a large text size
        hint = self.sizeHint()
        geometry.open_sized(self, settings, "welcome", max(980, hint.width()), max(560, hint.height() + 24))
        self.finished.connect(lambda _r: geometry.remember(self, settings, "welcome"))

    # ------------------------------------------------------------------ step 1: area, name, server
    def _area_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        self.heading = MarkSafeLabel()
        self.heading.setObjectName("heading")
        self.heading.set_html(tr("Welcome to fieldapp"))
        lay.addWidget(self.heading)
        intro = QLabel(
            tr(
                "This program records the poor households, local businesses and help in your area, on this "
                "laptop, without the internet. Two short steps to begin; everything can be changed later "
                "(Data › Welcome and first steps)."
            )
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addWidget(_bold(tr("Step 1 of 2: your area and your name")))

        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self._area_row(grid)
        self._village_row(grid)
        self._name_row(grid)
        self._server_row(grid)
        lay.addLayout(grid)
        lay.addStretch(1)
        return page

    def _area_row(self, grid: QGridLayout) -> None:
        """The subdistrict, typed in part; district and province follow."""
        form = self.db.main.form("household")
        ctx = EditorContext(db=self.db, form=form)
        self.area = SubdistrictWidget(form.fields[form.area_field or "subdistrict_code"], ctx)
        self.area.value_changed.connect(self._area_changed)
        area_label = _bold(tr("Your subdistrict"), wrap=False)
        grid.addWidget(area_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        area_box = QVBoxLayout()
        area_box.addWidget(self.area)
        area_box.addWidget(
            _hint(tr("Type part of the subdistrict's name in the subdistrict box: district and province are "
                     "filled in."))
        )
        grid.addLayout(area_box, 0, 1)

    def _village_row(self, grid: QGridLayout) -> None:
        """The village number (moo) and name, if any."""
        village = QHBoxLayout()
        self.village_no = QSpinBox()
        self.village_no.setRange(0, 99)
        self.village_no.setSpecialValueText(tr("(no moo)"))
        self.village_no.setAccessibleName(tr("Village number (moo)"))
        self.village_name = QLineEdit()
        self.village_name.setMaxLength(120)
        self.village_name.setPlaceholderText(tr("e.g. Ban Nong Bua"))
        self.village_name.setAccessibleName(tr("Village name"))
        moo = QLabel(tr("Moo"))
        moo.setBuddy(self.village_no)
        name_label = QLabel(tr("Village name"))
        name_label.setBuddy(self.village_name)
        village.addWidget(moo)
        village.addWidget(self.village_no)
        village.addSpacing(12)
        village.addWidget(name_label)
        village.addWidget(self.village_name, 1)
        grid.addWidget(_bold(tr("Your village (if any)"), wrap=False), 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(village, 1, 1)

    def _name_row(self, grid: QGridLayout) -> None:
        """The name of the person using the laptop."""
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(200)
        self.name_edit.setAccessibleName(tr("Your name"))
        self.name_edit.setPlaceholderText(tr("First name and last name"))
        grid.addWidget(_bold(tr("Your name"), wrap=False), 2, 0, Qt.AlignmentFlag.AlignTop)
        name_box = QVBoxLayout()
        name_box.addWidget(self.name_edit)
        name_box.addWidget(_hint(tr("Filled in as the data collector of new households, and kept with every change.")))
        grid.addLayout(name_box, 2, 1)

    def _server_row(self, grid: QGridLayout) -> None:
        """The server's address, if any, and what is wrong with it."""
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText("https://...")
        self.server_edit.setAccessibleName(tr("Server address"))
        self.server_edit.textChanged.connect(self._server_typed)
        grid.addWidget(_bold(tr("Server address (if any)"), wrap=False), 3, 0, Qt.AlignmentFlag.AlignTop)
        server_box = QVBoxLayout()
        server_box.addWidget(self.server_edit)
        server_box.addWidget(_hint(tr("From your Area Manager; leave it empty if you have none yet.")))
        self.server_problem = QLabel()
        self.server_problem.setObjectName("problem")
        self.server_problem.setProperty("state", "bad")
        self.server_problem.setWordWrap(True)
        self.server_problem.hide()
        server_box.addWidget(self.server_problem)
        grid.addLayout(server_box, 3, 1)

    def _load(self) -> None:
        s = self.settings
        self.area.set_value(str(s.get("home_area")) or None)
        self.village_no.setValue(int(s.get("home_village_no")))
        self.village_name.setText(str(s.get("home_village_name")))
        self.name_edit.setText(str(s.get("leader_name")))
        self.server_edit.setText(str(s.state(SERVER_KEY) or ""))

    def _area_changed(self) -> None:
        self._update_household_text()

    def _server_typed(self, _text: str) -> None:
        self.server_problem.hide()
        self.server_edit.setProperty("problem", False)
        self.server_edit.style().polish(self.server_edit)

    def server_problem_text(self) -> str:
        return self.server_problem.text() if not self.server_problem.isHidden() else ""

    def check(self) -> bool:
        """Step 1 is fine to keep: the server address, when typed, is one. Says what is wrong."""
        text = self.server_edit.text().strip()
        if not text:
            return True
        try:
            url = check_server_url(text)
        except FieldAppError as exc:
            self.server_problem.setText(exc.message if language() == "th" else (exc.message_en or exc.message))
            self.server_problem.setProperty("state", "bad")
            self.server_problem.show()
            self.server_edit.setProperty("problem", True)
            self.server_edit.style().polish(self.server_edit)
            self.server_edit.setFocus()
            return False
        if url != text:
            self.server_edit.setText(url)
        if is_plain_http(url):  # allowed, as in the sync dialog, with the same warning
            self.server_problem.setText(http_warning_text())
            self.server_problem.setProperty("state", "warn")
            self.server_problem.show()
        return True

    def keep(self) -> None:
        """Keep step 1's answers in the settings (and the leader's name as the author of changes)."""
        s = self.settings
        s.set("home_area", self.area.value() or "")
        s.set("home_village_no", self.village_no.value())
        s.set("home_village_name", " ".join(self.village_name.text().split()))
        name = " ".join(self.name_edit.text().split())
        s.set("leader_name", name)
        self.db.set_default_user(name or None)
        server = self.server_edit.text().strip()
        if server:
            s.set_state(SERVER_KEY, server)

    # ------------------------------------------------------------------ step 2: how to begin
    def _choice_page(self, practice: bool) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        heading = MarkSafeLabel()
        heading.setObjectName("heading")
        heading.set_html(tr("Step 2 of 2: how would you like to begin?"))
        lay.addWidget(heading)
        self.area_summary = QLabel()
        self.area_summary.setObjectName("banner")
        self.area_summary.setWordWrap(True)
        lay.addWidget(self.area_summary)
        self.import_button = ChoiceButton(
            tr("Import a target list (Excel / CSV)..."),
            tr("You have a list of target households from an agency: bring it in, then visit them one by one."),
        )
        self.household_button = ChoiceButton(tr("Record the first household"))
        self.practice_button = ChoiceButton(
            tr("Try the practice database"),
            tr("A separate database with example households, to learn the program. Nothing you do there "
               "touches the real data; you can come back to it at any time."),
        )
        for key, b in (("import", self.import_button), ("household", self.household_button),
                       ("practice", self.practice_button)):
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, k=key: self.choose(k))
            lay.addWidget(b)
        if practice:  # already in the practice database
            self.practice_button.hide()
        lay.addStretch(1)
        return page

    def _update_household_text(self) -> None:
        where = area_text(self.area.value())
        self.household_button.setDescription(
            tr("Start with a household of {area}; the area is filled in.", area=where) if where
            else tr("Start recording a household now; you choose its area in the form.")
        )

    def choose(self, what: str) -> None:
        """The leader chose how to begin: the welcome is complete; the main window does the rest."""
        self.settings.set("welcome_done", True)
        self.accept()
        self.chosen.emit(what)

    # ------------------------------------------------------------------ moving
    def go_to(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        first = index == 0
        self.back_button.setVisible(not first)
        self.next_button.setVisible(first)
        if first:  # the subdistrict box: typing part of its name fills in district and province
            self.area.subdistrict.setFocus()
        else:
            where = area_text(self.area.value(), self.village_no.value(), " ".join(self.village_name.text().split()))
            name = " ".join(self.name_edit.text().split())
            parts = [tr("Your area: {area}", area=where) if where else tr("No area chosen yet.")]
            if name:
                parts.append(tr("Your name: {name}", name=name))
            self.area_summary.setText(" · ".join(parts))
            self._update_household_text()
            self.import_button.setFocus()

    def next_step(self) -> None:
        if self.pages.currentIndex() == 0:
            if not self.check():
                return
            self.keep()
            self.go_to(1)

    def fields(self) -> list[QWidget]:
        """Step 1's answers in Tab order."""
        a = self.area
        return [a.province, a.district, a.subdistrict, self.village_no, self.village_name, self.name_edit,
                self.server_edit]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter: on a button it presses it; on an answer it goes to the next answer, and after the
        last one to the next step. Esc (QDialog): later."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = QApplication.focusWidget()
            if isinstance(focused, QPushButton):
                focused.click()
                return
            order = self.fields()
            owner = focused
            while owner is not None and owner not in order:
                owner = owner.parentWidget()
            if isinstance(owner, (QLineEdit, QComboBox, QAbstractSpinBox)) and owner in order:
                i = order.index(owner)
                if i + 1 < len(order):  # as Tab does: the answer there is selected, typing replaces it
                    order[i + 1].setFocus(Qt.FocusReason.TabFocusReason)
                    self.steps_area.ensureWidgetVisible(order[i + 1])
                else:
                    self.next_step()
                return
            if self.pages.currentIndex() == 0:
                self.next_step()
                return
        super().keyPressEvent(event)


def show_welcome(
    parent: QWidget | None, db: Database, settings: Settings, practice: bool = False
) -> WelcomeDialog:
    dlg = WelcomeDialog(parent, db, settings, practice)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
