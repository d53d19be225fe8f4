"""The central fieldapp server: accounts, areas and two-way sync (FastAPI + SQLAlchemy Core)."""

from __future__ import annotations

__all__ = ["__version__"]

from fieldapp import __version__
