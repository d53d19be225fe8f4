"""The summary panel beside the lists. On the households tab: members, five-capital radar, class
and why, TPMAP, assistance, businesses employing its members. On any other tab (businesses,
referrals, an installed form): the chosen record's main answers and the actions that apply to it."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from fieldapp import browse, coverage, expr, schema, scoring, softwarn
from fieldapp.forms import Form
from fieldapp.rounds import Round
from fieldapp.store import Record

from . import fmt
from .db import Database
from .dialogs.sync_dialog import record_title
from .flow import FlowLayout
from .i18n import label_of, language, tr
from .radar import RadarChart
from .tasks import Task, TaskState


@dataclass
class HouseholdDetails:
    record: Record
    explain: dict[str, Any] | None
    referrals: list[dict[str, Any]]
    businesses: list[dict[str, Any]]
    rounds: list[Round] = field(default_factory=list)
    """the household's survey rounds along their links, oldest first (this record among them)"""

    def neighbour(self, step: int) -> str | None:
        """The record of the round before (-1) or after (+1) this one, if there is one."""
        ids = [r.record_id for r in self.rounds]
        if self.record.id not in ids:
            return None
        i = ids.index(self.record.id) + step
        return ids[i] if 0 <= i < len(ids) else None


def load_household(db: Database, household_id: str) -> HouseholdDetails:
    """Everything the summary shows, read in one go (on a worker thread)."""
    store = db.store()
    rec = store.get("household", household_id)
    form = store.form("household")
    explain = form.rubric.explain(rec.data) if form.rubric is not None else None
    refs = store.list("referral", filters={"household_id": household_id}, order_by="referred_on",
                      descending=True, limit=50)
    return HouseholdDetails(
        rec, explain, refs, browse.businesses_employing(store, household_id), store.round_chain("household", rec.id)
    )


def coverage_text(c: coverage.Coverage) -> str:
    """One line of the target list's coverage: the programme's "acceptable data system" figure
    (the share interviewed) first."""
    share = "–" if c.interviewed_share is None else f"{round(c.interviewed_share * 100)}%"
    return tr(
        "Target list: {interviewed} of {listed} interviewed ({share}) · visited {visited} · refused "
        "{refused} · not at home {away} · moved, not found or deceased {gone}",
        interviewed=fmt.number(c.interviewed),
        listed=fmt.number(c.listed),
        share=share,
        visited=fmt.number(c.visited),
        refused=fmt.number(c.refused),
        away=fmt.number(c.not_at_home),
        gone=fmt.number(c.moved + c.not_found + c.deceased),
    )


@dataclass
class RecordDetails:
    """A record of any form but the household one, as the summary shows it."""

    form_id: str
    record_id: str
    title: str
    answers: list[tuple[str, str]]
    """the answers its list shows (label, value as people read it), the empty ones left out"""


def _answer(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def load_record(db: Database, form_id: str, record_id: str) -> RecordDetails:
    """The record's title and main answers (on a worker thread)."""
    store = db.store()
    form = store.form(form_id)
    data = store.get(form_id, record_id).data
    answers = []
    for name in form.shown_columns():
        try:
            f = form.field_at(name)
        except KeyError:
            continue
        text = fmt.field_value(f, _answer(data, name))
        if text:
            answers.append((label_of(f.label, name), text))
    return RecordDetails(form_id, record_id, record_title(store, form_id, record_id), answers)


def choose_prompt(form: Form) -> str:
    """What the panel asks for before a record of the form is chosen."""
    if form.id == "household":
        return tr("Choose a household in the list")
    if form.id == "business":
        return tr("Choose a business in the list")
    if form.id == "referral":
        return tr("Choose an assistance or referral in the list")
    return tr("Choose a record of “{form}” in the list", form=form.title_of(language()))


def _rich_label() -> QLabel:
    lab = QLabel()
    lab.setWordWrap(True)
    lab.setTextFormat(Qt.TextFormat.RichText)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    lab.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return lab


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text))


class HouseholdSummary(QWidget):
    """The panel; ``show_form`` makes it speak of the form whose list is shown."""

    edit_requested = Signal(str, str)  # form id, record id
    referral_requested = Signal(str)
    report_requested = Signal(str, str)  # form id, record id
    next_round_requested = Signal(str)  # start the next survey round of this household
    round_requested = Signal(str)  # open another round of this household (record id)
    history_requested = Signal(str, str)  # show a record's edit history (form id, record id)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.form = db.main.form("household")
        self.household_id: str | None = None  # the household shown (households tab)
        self.form_id = "household"  # the form whose list is shown
        self.record_id: str | None = None  # the record shown, of that form
        self._generation = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # the target list's coverage in the area chosen on the left (fieldapp.coverage)
        self.coverage_label = QLabel()
        self.coverage_label.setObjectName("areacoverage")
        self.coverage_label.setWordWrap(True)
        self.coverage_label.hide()
        self._coverage_generation = 0
        self._coverage_shown = False
        outer.addWidget(self.coverage_label)
        self.title = QLabel(tr("Choose a household in the list"))
        self.title.setObjectName("heading")
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        buttons = FlowLayout()  # wraps at a large text size
        self.edit_button = QPushButton(tr("Open / edit"))
        self.referral_button = QPushButton(tr("Add assistance / referral"))
        self.edit_button.clicked.connect(lambda: self.record_id and self.edit_requested.emit(self.form_id, self.record_id))
        self.referral_button.clicked.connect(
            lambda: self.household_id and self.referral_requested.emit(self.household_id))
        self.report_button = QPushButton(tr("Report..."))
        self.report_button.clicked.connect(
            lambda: self.record_id and self.report_requested.emit(self.form_id, self.record_id))
        # survey rounds: start the next one (or open it when it is started), open the one before
        self.next_round_button = QPushButton(tr("Start the next round"))
        self.next_round_button.setToolTip(
            tr("A new survey of this household, filled in from this one; what changes is asked again")
        )
        self.next_round_button.clicked.connect(self._next_round)
        self.previous_round_button = QPushButton(tr("Previous round"))
        self.previous_round_button.clicked.connect(self._previous_round)
        self.history_button = QPushButton(tr("Edit history..."))
        self.history_button.setToolTip(tr("Every change of this household: when, who, before and after"))
        self.history_button.clicked.connect(
            lambda: self.record_id and self.history_requested.emit(self.form_id, self.record_id))
        self._previous: str | None = None
        self._next: str | None = None
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.referral_button)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.next_round_button)
        buttons.addWidget(self.previous_round_button)
        buttons.addWidget(self.history_button)
        outer.addLayout(buttons)
        outer.addWidget(self._build_body(), 1)
        self.set_enabled(False)

    def _build_body(self) -> QScrollArea:
        """What is shown of the record, scrolled: a household's class line, radar and sections,
        or another form's main answers."""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.radar = RadarChart()
        self.class_label = QLabel()
        self.class_label.setObjectName("classline")
        self.class_label.setWordWrap(True)
        self.answers_label = _rich_label()  # another form's record: its main answers
        self.answers_label.hide()
        self.body.addWidget(self.answers_label)
        self.sections: dict[str, QLabel] = {}
        self.body.addWidget(self.class_label)
        self.body.addWidget(self.radar)
        for key in ("members", "why", "tpmap", "assistance", "businesses"):
            self.sections[key] = _rich_label()
            self.body.addWidget(self.sections[key])
        self.body.addStretch(1)
        scroll.setWidget(body)
        return scroll

    @property
    def households(self) -> bool:
        return self.form_id == "household"

    def show_form(self, form_id: str) -> None:
        """Speak of this form (the tab shown): its prompt and only the actions that apply to it.
        The record shown is cleared; ``show_record`` shows one."""
        self.form_id = form_id
        household = self.households
        for w in (self.referral_button, self.next_round_button, self.previous_round_button,
                  self.class_label, self.radar, *self.sections.values()):
            w.setVisible(household)
        self.answers_label.setVisible(not household)
        self.coverage_label.setVisible(household and bool(self.coverage_label.text()) and self._coverage_shown)
        self.history_button.setToolTip(
            tr("Every change of this household: when, who, before and after") if household
            else tr("Every change of this record: when, who, before and after"))
        self.show_record(None)

    def show_record(self, record_id: str | None) -> None:
        """Show a record of the current form (None: ask for one)."""
        if self.households:
            self.show_household(record_id)
            return
        self.household_id = None
        self.record_id = record_id
        self._generation += 1
        gen = self._generation
        if not record_id:
            self.title.setText(choose_prompt(self.db.main.form(self.form_id)))
            self.answers_label.setText("")
            self.set_enabled(False)
            return
        db, form_id = self.db, self.form_id

        def work(_s: TaskState) -> RecordDetails:
            return load_record(db, form_id, record_id)

        def done(details: RecordDetails) -> None:
            if gen == self._generation:
                self.show_record_details(details)

        Task(work).on_success(done).start()

    def show_record_details(self, d: RecordDetails) -> None:
        self.title.setText(d.title)
        rows = "".join(f"<tr><td><b>{_esc(label)}</b></td><td>{_esc(text)}</td></tr>" for label, text in d.answers)
        self.answers_label.setText(f"<table cellspacing='4'>{rows}</table>" if rows else "")
        self.set_enabled(True)

    def reload(self) -> None:
        """Show the record shown again (after a save or a sync)."""
        if self.households:
            if self.household_id:
                self.show_household(self.household_id)
        elif self.record_id:
            self.show_record(self.record_id)

    def show_area_coverage(self, area: str | None, village: int | None) -> None:
        """Counts the target list's coverage of the chosen area (all areas for None) in the
        background and shows it above the household."""
        if coverage.OUTCOME not in self.form.fields:
            return
        self._coverage_generation += 1
        gen = self._coverage_generation
        db = self.db

        def work(_s: TaskState) -> coverage.Coverage:
            return coverage.total_coverage(db.store(), area=area, village_no=village)

        def done(total: coverage.Coverage) -> None:
            if gen == self._coverage_generation:
                self.coverage_label.setText(coverage_text(total))
                self._coverage_shown = total.listed > 0
                self.coverage_label.setVisible(self._coverage_shown and self.households)

        Task(work).on_success(done).start()

    def set_enabled(self, on: bool) -> None:
        self.edit_button.setEnabled(on)
        self.referral_button.setEnabled(on)
        self.report_button.setEnabled(on)
        self.next_round_button.setEnabled(on)
        self.history_button.setEnabled(on)
        self.previous_round_button.setEnabled(on and self._previous is not None)

    def _previous_round(self) -> None:
        if self._previous:
            self.round_requested.emit(self._previous)

    def _next_round(self) -> None:
        if self._next:  # already started (here or on another laptop): open it
            self.round_requested.emit(self._next)
        elif self.household_id:
            self.next_round_requested.emit(self.household_id)

    def _set_rounds(self, d: HouseholdDetails | None) -> None:
        self._previous = d.neighbour(-1) if d else None
        self._next = d.neighbour(+1) if d else None
        self.next_round_button.setText(tr("Open the next round") if self._next else tr("Start the next round"))
        self.previous_round_button.setEnabled(self._previous is not None)

    def show_household(self, household_id: str | None) -> None:
        if not self.households:  # another form's tab is shown: its record stays
            return
        self.household_id = self.record_id = household_id
        self._generation += 1
        gen = self._generation
        if not household_id:
            self.title.setText(tr("Choose a household in the list"))
            self._set_rounds(None)
            self.set_enabled(False)
            # the body never shows another household under this heading
            self.class_label.setText("")
            self.radar.set_data([], [])
            for lab in self.sections.values():
                lab.setText("")
            return
        db = self.db

        def work(_s: TaskState) -> HouseholdDetails:
            return load_household(db, household_id)

        def done(details: HouseholdDetails) -> None:
            if gen == self._generation:
                self.show_details(details)

        Task(work).on_success(done).start()

    # ------------------------------------------------------------------ rendering
    def show_details(self, d: HouseholdDetails) -> None:  # not "render": that is QWidget.render
        data = d.record.data
        f = self.form.fields
        self._set_rounds(d)
        self.set_enabled(True)
        head = data.get("head_name") or tr("(no head of household yet)")
        vno = data.get(schema.VILLAGE_NO)
        village = " ".join(x for x in (tr("Moo {no}", no=vno) if vno else "",
                                       str(data.get(schema.VILLAGE_NAME) or "")) if x)
        title = f"{head} — {tr('House {no}', no=data.get('house_no') or '-')} {village}"
        if len(d.rounds) > 1:  # which survey round this is, of how many
            here = next((r for r in d.rounds if r.record_id == d.record.id), None)
            if here is not None:
                title += " · " + tr("round {no} of {n}", no=here.number, n=len(d.rounds))
        self.title.setText(title)
        klass, status_field = scoring.class_field(self.form), scoring.output_field(self.form, "status")
        cls = data.get(klass)
        status = data.get(status_field)
        if cls:
            cls_text = f[klass].choice_label(cls, language())
        elif status and status_field in f:  # too few answers: said so, never shown as a class
            cls_text = f[status_field].choice_label(status, language())
        else:
            cls_text = tr("not assessed yet")
        ipc = data.get("income_per_capita")
        line = tr("Class: {cls}", cls=cls_text)
        if data.get("cap_mean") is not None:
            line += " · " + tr("mean score {mean}", mean=f"{data['cap_mean']:.2f}")
        if ipc is not None:
            line += " · " + tr("income per person {amount} baht/year", amount=fmt.money(ipc))
        if data.get("score_coverage") is not None and "score_coverage" in f:
            line += f" · {label_of(f['score_coverage'].label)} {round(data['score_coverage'] * 100)}%"
        if data.get("score_missing") and "score_missing" in f:
            line += f"\n{label_of(f['score_missing'].label)}: {data['score_missing']}"
        outcome = data.get(coverage.OUTCOME)
        if outcome and outcome != coverage.INTERVIEWED and coverage.OUTCOME in f:  # visited, not interviewed
            line += "\n" + tr("Visit: {outcome} on {date}", outcome=f[coverage.OUTCOME].choice_label(
                outcome, language()), date=fmt.date(data.get("visit_date")))
            if data.get(coverage.REVISIT):
                line += " · " + tr("revisit on {date}", date=fmt.date(data.get(coverage.REVISIT)))
        self.class_label.setText(line)
        self.class_label.setProperty("state", "bad" if browse.is_poor(cls) else "")
        self.class_label.style().unpolish(self.class_label)
        self.class_label.style().polish(self.class_label)
        caps = d.explain["capitals"] if d.explain else []
        self.radar.set_data([scoring.capital_label(c["id"], language()) for c in caps],
                            [c["score"] for c in caps])
        self.sections["members"].setText(self._members(data))
        self.sections["why"].setText(self._soft(data) + self._why(d.explain))
        self.sections["tpmap"].setText(self._tpmap(data, d.explain))
        self.sections["assistance"].setText(self._assistance(d.referrals))
        self.sections["businesses"].setText(self._businesses(data, d.businesses))

    def _members(self, data: dict[str, Any]) -> str:
        rep = self.form.fields["members"]
        rel, occ, edu = rep.child("relation"), rep.child("occupation"), rep.child("education")
        rows = []
        for m in data.get("members") or []:
            name = _esc(" ".join(str(m.get(k) or "") for k in ("first_name", "last_name")))
            age = m.get("age")
            bits = [rel.choice_label(m.get("relation"), language()) if rel and m.get("relation") else "",
                    tr("{age} yrs", age=age) if age is not None else "",
                    occ.choice_label(m.get("occupation"), language()) if occ and m.get("occupation") else "",
                    edu.choice_label(m.get("education"), language()) if edu and m.get("education") else ""]
            rows.append(f"<li><b>{name}</b> — {_esc(', '.join(b for b in bits if b))}</li>")
        title = tr("Members ({n})", n=len(data.get("members") or []))
        return f"<h3>{_esc(title)}</h3><ul>{''.join(rows)}</ul>"

    def _soft(self, data: dict[str, Any]) -> str:
        """Unusual answers kept with a reason (soft warnings), for review."""
        found = softwarn.evaluate(self.form, data)
        if not found or softwarn.REASONS_FIELD not in self.form.fields:
            return ""
        title = label_of(self.form.fields[softwarn.REASONS_FIELD].label)
        items = "".join(
            f"<li>⚠ {_esc(w.text(language() == 'th'))}<br><i>{_esc(w.reason or '–')}</i></li>" for w in found
        )
        return f"<h3>{_esc(title)}</h3><ul>{items}</ul>"

    def _why(self, explain: dict[str, Any] | None) -> str:
        if not explain:
            return ""
        parts = [f"<h3>{_esc(tr('What produced the scores'))}</h3>"]
        for cap in explain["capitals"]:
            score = "–" if cap["score"] is None else f"{cap['score']:.2f}"
            covered = f" ({cap['answered']}/{cap['applicable']})" if "applicable" in cap else ""
            parts.append(f"<p><b>{_esc(label_of(cap['label']) or scoring.capital_label(cap['id'], language()))}"
                         f" {score}</b>{covered}<br>")
            items = []
            for ind in cap["indicators"]:
                if ind.get("state") == scoring.NOT_APPLICABLE:
                    continue
                value = ind["value"]
                if expr.is_empty(value) and ind["points"] is None:
                    items.append(f"{_esc(label_of(ind['label']))}: <i>{_esc(tr('no answer yet'))}</i>")
                    continue
                pts = "?" if ind.get("state") == scoring.UNKNOWN else "–" if ind["points"] is None else str(ind["points"])
                shown = "–" if expr.is_empty(value) else self._value_text(value, ind.get("answers") or {})
                items.append(f"{_esc(label_of(ind['label']))}: {_esc(shown)} → {pts}")
            parts.append("<br>".join(items) + "</p>")
        return "".join(parts)

    def _value_text(self, value: Any, answers: dict[str, Any]) -> str:
        """An indicator's value for people: choice codes (no_own_house, public_land) as their labels."""
        if isinstance(value, bool):
            return fmt.yes_no(value)
        if isinstance(value, (int, float)):
            return fmt.number(value)
        if isinstance(value, list):
            return ", ".join(self._value_text(v, answers) for v in value)
        code = str(value)
        fields = self.form.fields
        candidates = [fields[v] for v in answers if v in fields] + list(fields.values())
        for f in candidates:
            if f.choices and any(c.code == code for c in f.choices):
                return f.choice_label(code, language())
        return code

    def _tpmap(self, data: dict[str, Any], explain: dict[str, Any] | None) -> str:
        f = self.form.fields
        dims = f["tpmap_flags"]
        parts = [f"<h3>{_esc(tr('TPMAP dimensions'))}</h3>"]
        target = tr("TPMAP target household") if data.get("tpmap_target") else tr("Not on the TPMAP target list")
        parts.append(f"<p>{_esc(target)}</p><ul>")
        for d in (explain or {}).get("tpmap", []):
            name = dims.choice_label(d["dimension"], language())
            if d["deprived"]:
                why = ", ".join(label_of(r["label"]) for r in d["rules"] if r["hit"])
                parts.append(f"<li><b style='color:#b3261e'>✗ {_esc(name)}</b> — {_esc(why)}</li>")
            else:
                parts.append(f"<li>✓ {_esc(name)}</li>")
        parts.append("</ul>")
        return "".join(parts)

    def _assistance(self, refs: list[dict[str, Any]]) -> str:
        rform = self.db.main.form("referral")
        parts = [f"<h3>{_esc(tr('Assistance and referrals ({n})', n=len(refs)))}</h3>"]
        if not refs:
            parts.append(f"<p>{_esc(tr('None yet'))}</p>")
        items = []
        for r in refs:
            status = rform.fields["status"].choice_label(r.get("status"), language()) if r.get("status") else ""
            items.append(f"<li>{_esc(fmt.date(r.get('referred_on')))} — {_esc(r.get('need'))} "
                         f"<i>({_esc(status)})</i></li>")
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
        return "".join(parts)

    def _businesses(self, data: dict[str, Any], businesses: list[dict[str, Any]]) -> str:
        names = {m["id"]: " ".join(str(m.get(k) or "") for k in ("first_name", "last_name"))
                 for m in data.get("members") or []}
        role = self.db.main.form("business").field_at("employment.role")
        parts = [f"<h3>{_esc(tr('Businesses employing its members ({n})', n=len(businesses)))}</h3>"]
        if not businesses:
            parts.append(f"<p>{_esc(tr('None yet'))}</p>")
        items = []
        for b in businesses:
            links = ", ".join(f"{names.get(link['member_id'], '?')} ({role.choice_label(link['role'], language())})"
                              for link in b["links"])
            items.append(f"<li><b>{_esc(b['name'])}</b> — {_esc(links)}</li>")
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
        return "".join(parts)
