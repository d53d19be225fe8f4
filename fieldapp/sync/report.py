"""What a sync did: the report shown to the person and kept in the sync log (no I/O)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SyncReport:
    """What a sync did, for the summary shown to the person and the sync log."""

    server: str
    user: str
    started_at: str = ""
    finished_at: str = ""
    pushed: int = 0
    applied: int = 0
    merged: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    pulled: int = 0
    pull_due: int | None = None  # records the server said were due at the start of the pull
    pulled_deleted: int = 0
    kept_local: int = 0  # pulled changes not applied because the laptop has unsynced edits
    attachments_up: int = 0
    attachments_down: int = 0
    attachments_missing: list[str] = field(default_factory=list)
    incomplete_on_server: int = 0
    clock_skew_seconds: float = 0.0
    clock_warning: str | None = None
    http_warning: str | None = None  # the server was reached over plain http:// (not encrypted)
    verified: bool | None = None
    mismatches: dict[str, dict[str, Any]] = field(default_factory=dict)
    erased: int = 0  # erasures (a household's right) applied on this laptop
    audit_sent: int = 0  # audit-log rows sent to the server
    cursor: int = 0
    cancelled: bool = False
    # per form: "sent" (taken by the server, merged included), "received" (pulled), "deleted"
    by_form: dict[str, dict[str, int]] = field(default_factory=dict)
    # records whose unsynced edit here was dropped because another laptop erased the household
    # (a person's right to erasure wins over any edit)
    erased_edits: list[dict[str, str]] = field(default_factory=list)

    def count(self, form: str, what: str, n: int = 1) -> None:
        """Add ``n`` to the per-form count ``what`` (``sent``, ``received``, ``deleted``)."""
        counts = self.by_form.setdefault(form, {})
        counts[what] = counts.get(what, 0) + n

    # pulled records this laptop cannot store, kept aside with the reason: form, record_id, rev, reason
    set_aside: list[dict[str, Any]] = field(default_factory=list)
    new_device: str | None = None  # the device id this database took (another copy of it syncs too)
    # forms the server has installed that this laptop installed now ("id version"), and those it
    # could not install with the reason (records of such a form are set aside until it can)
    forms_installed: list[str] = field(default_factory=list)
    forms_refused: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary_th(self) -> str:
        """A plain-Thai summary of what went up and down."""
        lines: list[str] = []
        if self.cancelled:
            lines.append("ยกเลิกการซิงค์แล้ว ข้อมูลที่ส่งหรือรับไปแล้วยังอยู่ครบ ซิงค์ต่อได้ภายหลัง")
        lines.append(f"ส่งขึ้น {self.applied + self.merged} รายการ (รวมข้อมูลกับของผู้อื่น {self.merged} รายการ)")
        if self.attachments_up:
            lines.append(f"ส่งรูปภาพ/ไฟล์แนบ {self.attachments_up} ไฟล์")
        lines.append(f"รับลง {self.pulled} รายการ (ลบ {self.pulled_deleted} รายการ)")
        if self.attachments_down:
            lines.append(f"รับรูปภาพ/ไฟล์แนบ {self.attachments_down} ไฟล์")
        if self.conflicts:
            lines.append(f"ข้อมูลขัดแย้ง {len(self.conflicts)} รายการ รอผู้จัดการพื้นที่เลือกค่าที่ถูกต้อง")
        if self.rejected:
            lines.append(f"เซิร์ฟเวอร์ไม่รับ {len(self.rejected)} รายการ ดูเหตุผลได้ในกล่องรอส่ง")
        if self.kept_local:
            lines.append(f"เก็บฉบับที่แก้ไขในเครื่องไว้ {self.kept_local} รายการ จะส่งในการซิงค์ครั้งต่อไป")
        if self.erased_edits:
            lines.append(
                f"การแก้ไขในเครื่องนี้ {len(self.erased_edits)} รายการถูกยกเลิก เพราะครัวเรือนขอลบข้อมูลผ่านเครื่องอื่น"
            )
        if self.attachments_missing:
            lines.append(f"ยังไม่ได้รับไฟล์แนบ {len(self.attachments_missing)} ไฟล์")
        if self.set_aside:
            lines.append(
                f"พักไว้ {len(self.set_aside)} รายการ: ข้อมูลจากเซิร์ฟเวอร์ที่เครื่องนี้ไม่สามารถบันทึกได้ "
                "เก็บไว้พร้อมเหตุผลและจะลองบันทึกใหม่ทุกครั้งที่ซิงค์"
            )
        if self.forms_installed:
            lines.append(f"ติดตั้งแบบฟอร์มจากเซิร์ฟเวอร์: {', '.join(self.forms_installed)}")
        for x in self.forms_refused:
            lines.append(f"ติดตั้งแบบฟอร์ม {x['form']} จากเซิร์ฟเวอร์ไม่ได้: {x['reason']}")
        if self.new_device:
            lines.append("ฐานข้อมูลนี้มีสำเนาอีกชุดหนึ่งที่ซิงค์อยู่ด้วย เครื่องนี้จึงได้รหัสเครื่องใหม่ ข้อมูลที่ขัดแย้งกันเก็บไว้ทั้งสองค่า")
        if self.clock_warning:
            lines.append(self.clock_warning)
        if self.http_warning:
            lines.append(self.http_warning)
        if self.verified is True:
            lines.append("ตรวจสอบแล้ว: จำนวนข้อมูลในเครื่องตรงกับเซิร์ฟเวอร์")
        elif self.verified is False:
            forms = ", ".join(
                f"{k} (เครื่อง {v['local']} / เซิร์ฟเวอร์ {v['server']})" for k, v in self.mismatches.items()
            )
            lines.append(f"คำเตือน: จำนวนข้อมูลไม่ตรงกับเซิร์ฟเวอร์: {forms} กรุณาซิงค์อีกครั้ง")
        return "\n".join(lines)
