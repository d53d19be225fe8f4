"""The named write operations: each caller of the write path says what it does, not which flags it
needs, and each operation is one transaction (or one per batch, for the bulk ones).

* ``check_for_save`` + ``save_from_editor`` — the desktop editor: the record validated once, then
  written with its completeness status and with its draft deleted, together;
* ``import_rows`` — rows of a spreadsheet (``fieldapp.exchange.importer``);
* ``apply_pulled`` — records pulled from the server, written as synced (``fieldapp.sync.apply``);
* ``write_demo`` — the demo's generated records of several forms, together (``fieldapp.demo``);
* ``rewrite`` — a document the program made from one stored or received: a merge, a resolved
  conflict, an anonymisation, a withdrawn consent.

``save`` (``fieldapp.store.writing``) stays the simple call for one record.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fieldapp import drafts, softwarn
from fieldapp.errors import Problem, ValidationError
from fieldapp.forms import Form, coerce, metadata
from fieldapp.store.rows import Batch, SaveResult
from fieldapp.store.writing import ProgressCallback, WriteWay, Writing


@dataclass(frozen=True)
class Checked:
    """A record as the editor is about to save it, validated once by ``Store.check_record``."""

    form_id: str
    form_version: str
    doc: dict[str, Any]  # the cleaned document, calculations and scores filled in
    problems: tuple[Problem, ...]

    @property
    def missing(self) -> list[Problem]:
        """Required answers still missing (the record may be saved as unfinished)."""
        return [p for p in self.problems if p.code in drafts.MISSING_CODES]

    @property
    def blocking(self) -> list[Problem]:
        """Problems that stop the save."""
        return [p for p in self.problems if p.code not in drafts.MISSING_CODES]

    def with_reasons(self, text: str | None) -> Checked:
        """The same record with the reasons given for its unusual answers (``fieldapp.softwarn``),
        asked for after the check; ``save_from_editor`` checks that answer again."""
        return replace(self, doc={**self.doc, softwarn.REASONS_FIELD: text})


def check_for_save(form: Form, raw: dict[str, Any]) -> Checked:
    """Validate what an editor holds, missing answers included (nothing is written; the editor
    shows the problems, and gives the result to ``Store.save_from_editor``)."""
    doc, problems = form.validate(copy.deepcopy(raw), partial_ok=False)
    return Checked(form.id, form.version, doc, tuple(problems))


class Operations(Writing):
    """The write operations each caller names (module docstring)."""

    def check_record(self, form_id: str, raw: dict[str, Any]) -> Checked:
        """``check_for_save`` with a form of this store."""
        return check_for_save(self.form(form_id), raw)

    def save_from_editor(
        self,
        checked: Checked,
        *,
        record_id: str | None = None,
        draft_key: str | None = None,
        allow_missing: bool = False,
        user: str | None = None,
    ) -> SaveResult:
        """The editor's save, in one transaction: the record, its completeness status (how many
        required answers are missing) and the deletion of its draft.

        ``checked`` comes from ``check_for_save`` and is not validated again (only the reasons
        answer, set after the check); the checks that read the database (the record id,
        references, erasures, survey rounds) are made here. With ``allow_missing`` the record may
        be unfinished. Raises ValidationError, and then nothing is written.
        """
        form = self.form(checked.form_id)
        problems = [*checked.blocking, *([] if allow_missing else checked.missing)]
        if checked.form_version != form.version:
            problems.append(Problem("", "แบบฟอร์มเปลี่ยนรุ่นแล้ว กรุณาบันทึกอีกครั้ง", "the form changed", "form"))
        doc = metadata.on_save(form, dict(checked.doc), device_id=self.device_id, user=user or self.user)
        reasons = form.fields.get(softwarn.REASONS_FIELD)
        if reasons is not None:
            try:
                doc[reasons.id] = coerce(reasons, doc.get(reasons.id))
            except ValidationError as exc:
                problems += exc.problems
        problems += self._record_problems(form, doc, record_id, True)
        if problems:
            raise ValidationError.from_problems(problems)
        way = WriteWay(user or self.user)
        with self.transaction():
            [saved] = self._write(form, self._prepare(form, [(0, record_id, doc)], way))
            drafts.set_status(self, form.id, saved.record.id, len(checked.missing))
            if draft_key is not None:
                drafts.delete_draft(self, draft_key)
        saved.soft_warnings = self.soft_warnings(form.id, saved.record.data)
        return saved

    def import_rows(
        self,
        form_id: str,
        items: Iterable[tuple[str | None, dict[str, Any]]],
        *,
        user: str | None = None,
        partial_ok: bool = False,
        batch_size: int = 500,
    ) -> Batch:
        """Rows of an import: the valid ones written one transaction per ``batch_size``, the
        invalid ones reported by input index; the audit and history say ``import``. National IDs
        are not looked up (the importer matched and reported them)."""
        way = WriteWay(user or self.user, partial_ok=partial_ok, audit_action="import", warn=False)
        with self.bulk():
            return self._save_many(form_id, items, way, all_or_nothing=False, batch_size=batch_size)

    def apply_pulled(
        self,
        form_id: str,
        items: Sequence[tuple[str, dict[str, Any] | None, int | None]],
        *,
        user: str,
        computed: bool = False,
        scored: bool = False,
    ) -> Batch:
        """Records pulled from the server, (record id, document, revision) each: written as
        synced (clean, at that revision, with that content as the base of later merges) in one
        transaction, all or none; unfinished answers are kept and references not checked (the
        records referred to may come later). ``computed``: the server's calculations are kept,
        ``scored`` its scores too (same rubric)."""
        way = WriteWay(
            user,
            partial_ok=True,
            check_refs=False,
            computed=computed,
            scored=scored,
            audit_action="sync_pull",
            synced={rid: (rev, doc) for rid, doc, rev in items},
            warn=False,
        )
        return self._save_many(form_id, [(rid, doc or {}) for rid, doc, _ in items], way)

    def write_demo(
        self,
        groups: Sequence[tuple[str, Iterable[tuple[str | None, dict[str, Any]]]]],
        *,
        total: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[Batch]:
        """Generated records of several forms, group after group, in one transaction (each
        validated before the write lock is taken, its links to records of earlier groups checked
        inside it); records that do not pass are left out and reported by index in their
        group's Batch."""
        way = WriteWay(self.user, audit_action="demo", warn=False)
        return self._save_together(groups, way, progress=progress, total=total)

    def rewrite(
        self,
        form_id: str,
        doc: dict[str, Any],
        *,
        record_id: str | None = None,
        user: str | None = None,
        action: str | None = None,
    ) -> SaveResult:
        """Write a document the program made from one stored or received (a merge, a resolved
        conflict, an anonymisation, a withdrawn consent): unfinished answers are kept and
        references not checked. ``action`` names it in the audit and history. ValidationError
        when it does not pass the form."""
        way = WriteWay(user or self.user, partial_ok=True, check_refs=False, audit_action=action)
        return self._save_one(form_id, record_id, doc, way)

