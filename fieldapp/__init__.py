"""fieldapp: offline field data for ending poverty in Thai villages.

The core package. It never imports Qt: the desktop app (``ui/``) and the
central server (``server/``) are both built on top of it.
"""

__version__ = "0.1.0"
