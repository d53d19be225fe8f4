"""What an import found: its counts and every problem by sheet, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RowProblem:
    """One problem of one row of the file (``row`` as a spreadsheet shows it; 0 = whole file)."""

    row: int
    column: str
    message: str
    message_en: str
    sheet: str = ""
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "message_en": self.message_en,
            "code": self.code,
        }


@dataclass
class ImportReport:
    file: str
    form: str
    encoding: str | None = None
    rows: int = 0
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    masked_ids: int = 0
    dry_run: bool = False
    cancelled: bool = False
    unmapped: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "form": self.form,
            "encoding": self.encoding,
            "rows": self.rows,
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "masked_ids": self.masked_ids,
            "dry_run": self.dry_run,
            "cancelled": self.cancelled,
            "unmapped": self.unmapped,
            "problems": [p.as_dict() for p in self.problems],
        }

    def summary_th(self) -> str:
        head = "ตรวจสอบ (ยังไม่บันทึก)" if self.dry_run else "นำเข้า"
        text = (
            f"{head} {self.file}: {self.rows:,} แถว {self.records:,} ระเบียน — เพิ่มใหม่ {self.created:,} "
            f"ปรับปรุง {self.updated:,} ไม่เปลี่ยนแปลง {self.unchanged:,} มีปัญหา {self.invalid:,}"
        )
        return text + (" (ยกเลิกกลางคัน)" if self.cancelled else "")

    def summary_en(self) -> str:
        head = "checked (nothing written)" if self.dry_run else "imported"
        text = (
            f"{head} {self.file}: {self.rows:,} rows, {self.records:,} records: {self.created:,} new, "
            f"{self.updated:,} updated, {self.unchanged:,} unchanged, {self.invalid:,} with problems"
        )
        return text + (" (cancelled)" if self.cancelled else "")

    def save(self, path: str | Path) -> Path:
        """The per-row report as a spreadsheet (XLSX, or CSV in UTF-8 with BOM), Thai headers."""
        from fieldapp.exchange.exporter import write_table

        headers = ["แผ่นงาน", "แถวที่", "คอลัมน์", "ปัญหา", "problem"]
        rows = [[p.sheet, p.row or None, p.column, p.message, p.message_en] for p in self.problems]
        return write_table(Path(path), "ปัญหาการนำเข้า", headers, rows)
