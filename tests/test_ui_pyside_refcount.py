"""Guard for the pinned PySide6: Qt calls that return nothing must not eat references to None.

PySide6 6.12 on CPython 3.11 does (it assumes Python 3.12's immortal objects) and the app then
aborts after a few thousand calls; 6.11.3 is pinned for that reason.
"""

from __future__ import annotations

import sys


def test_void_qt_calls_leave_none_refcount_alone(qapp):
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("ครัวเรือน")
    assert abs(sys.getrefcount(None) - before) < 100
