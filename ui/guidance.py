"""What an empty list shows instead of an empty table: what to do next, with the actions as buttons.

A list is empty when its form has no record at all, or none in the area chosen on the left (a search
or a filter that finds nothing keeps the table and says "0 records found"). The household list offers
to record a household, to import a target list and to try the practice database; other forms offer
their new record. The buttons emit ``action_requested`` with the action's name; the main window does
the work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp import geo
from fieldapp.errors import NotFoundError

from .flow import FlowLayout
from .i18n import language, tr
from .marklabel import MarkSafeLabel

ACTIONS = ("new", "import", "practice", "welcome")


def area_text(code: str | None, village_no: int | None = None, village_name: str = "") -> str:
    """``ต.หนองครก อ.เมืองศรีสะเกษ จ.ศรีสะเกษ หมู่ 4 บ้านโนนสูง`` (or English), "" without an area."""
    if not code:
        return ""
    try:
        text = geo.full_name(code, language())
    except NotFoundError:
        return code
    if village_no:
        text += " " + tr("Moo {no}", no=village_no)
    if village_name:
        text += " " + village_name
    return text


class EmptyGuidance(QWidget):
    action_requested = Signal(str)  # one of ACTIONS

    def __init__(self, form_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form_id = form_id
        self.setObjectName("guidance")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 24, 24, 24)
        self.title = MarkSafeLabel()
        self.title.setObjectName("heading")
        lay.addWidget(self.title)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.text)
        bar = FlowLayout()  # the buttons wrap at a large text size
        self.buttons: dict[str, QPushButton] = {}
        labels = {
            "household": {
                "new": tr("+ Record a household"),
                "import": tr("Import a target list (Excel / CSV)..."),
                "practice": tr("Try the practice database..."),
                "welcome": tr("Welcome and first steps..."),
            },
            "business": {"new": tr("+ New business")},
            "referral": {"new": tr("+ Assistance / referral")},
        }.get(form_id, {"new": tr("+ New record of this form")})
        for action, label in labels.items():
            b = QPushButton(label)
            if action == "new":
                b.setObjectName("primary")
            b.clicked.connect(lambda _c=False, a=action: self.action_requested.emit(a))
            bar.addWidget(b)
            self.buttons[action] = b
        lay.addLayout(bar)
        lay.addStretch(1)
        self.set_area(None)

    def set_practice(self, practice: bool) -> None:
        """In the practice database there is no practice database to open."""
        if "practice" in self.buttons:
            self.buttons["practice"].setVisible(not practice)

    def set_area(self, area_name: str | None) -> None:
        """The texts for the whole list (``None``) or for the area chosen on the left."""
        f = self.form_id
        if f == "household":
            title = tr("No households in {area} yet", area=area_name) if area_name else tr("No households yet")
            text = tr(
                "Record the households of your village one by one with \"+ Record a household\" (Ctrl+N). "
                "Have a list of target households from an agency? Import it first, then complete each "
                "household when you visit. To learn the program without touching real data, try the "
                "practice database."
            )
        elif f == "business":
            title = tr("No local businesses in {area} yet", area=area_name) if area_name else tr(
                "No local businesses yet")
            text = tr(
                "Record the community enterprises, OTOP producers and small businesses of your area, and "
                "the household members they employ."
            )
        elif f == "referral":
            title = tr("No assistance or referrals in {area} yet", area=area_name) if area_name else tr(
                "No assistance or referrals yet")
            text = tr(
                "Assistance and referrals belong to a household: choose the household in its list, then "
                "press \"+ Assistance / referral\"."
            )
        else:
            title = tr("No records in {area} yet", area=area_name) if area_name else tr("No records yet")
            text = tr("Start the first record of this form with the button below.")
        self.title.set_html(title)
        self.text.setText(text)
