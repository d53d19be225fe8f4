"""Every setting of the desktop app, declared once (key, type, default, translatable title).

Storage is injected: ``QSettingsStorage`` in the app, a plain dict in tests.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings

from .i18n import tr_declared


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    title: str  # English source, shown through tr_declared() (checked by the i18n test)
    minimum: int | None = None
    maximum: int | None = None
    shown: bool = True  # False: set elsewhere (the first-start welcome), not in the settings dialog

    def label(self) -> str:
        return tr_declared(self.title)


SETTINGS: tuple[Setting, ...] = (
    Setting("language", str, "th", "Language (after restart)"),
    Setting("font_size", int, 0, "Text size (points; 0 = as set on this computer)", 0, 28),
    Setting("show_national_ids", bool, False, "Show national ID numbers in full"),
    Setting("autosave_seconds", int, 2, "Autosave drafts every (seconds)", 1, 60),
    Setting("allow_plain_http", bool, False, "Allow unencrypted http:// servers outside the local network"),
    Setting("report_style", str, "official", "Report style"),
    Setting("report_office", str, "", "Report issuing office (page header)"),
    Setting("report_province", str, "", "Report issuing office's province"),
    Setting("leader_name", str, "", "Your name (data collector and author of changes)"),
    # the first-start welcome: the leader's own area (a new record starts there) and whether it is done
    Setting("home_area", str, "", "Your subdistrict", shown=False),
    Setting("home_village_no", int, 0, "Your village number", 0, 999, shown=False),
    Setting("home_village_name", str, "", "Your village name", shown=False),
    Setting("welcome_done", bool, False, "First-start welcome completed", shown=False),
)
REPORT_STYLE_TITLES = {"official": "Official (print and file)", "screen": "Screen (read on screen)"}
"""The report styles offered (fieldapp.reports.REPORT_STYLES), official first."""
BY_KEY = {s.key: s for s in SETTINGS}


class QSettingsStorage(MutableMapping[str, Any]):
    """QSettings as a mapping (the app's real storage)."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("fieldapp", "fieldapp")

    def __getitem__(self, key: str) -> Any:
        if not self.q.contains(key):
            raise KeyError(key)
        return self.q.value(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.q.setValue(key, value)

    def __delitem__(self, key: str) -> None:
        self.q.remove(key)

    def __iter__(self) -> Any:
        return iter(self.q.allKeys())

    def __len__(self) -> int:
        return len(self.q.allKeys())


class Settings:
    def __init__(self, storage: MutableMapping[str, Any] | None = None) -> None:
        self.storage: MutableMapping[str, Any] = storage if storage is not None else {}

    def get(self, key: str) -> Any:
        s = BY_KEY[key]
        raw = self.storage.get(f"settings/{key}", s.default)
        try:
            if s.type is bool:
                value: Any = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
            else:
                value = s.type(raw)
        except (TypeError, ValueError):
            return s.default
        if s.minimum is not None and value < s.minimum:
            return s.minimum
        if s.maximum is not None and value > s.maximum:
            return s.maximum
        return value

    def set(self, key: str, value: Any) -> None:
        s = BY_KEY[key]
        self.storage[f"settings/{key}"] = s.type(value)

    def state(self, key: str) -> Any:
        """Window state that is not a setting (geometry, splitter sizes)."""
        return self.storage.get(f"state/{key}")

    def set_state(self, key: str, value: Any) -> None:
        self.storage[f"state/{key}"] = value
