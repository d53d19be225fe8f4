"""The desktop app (PySide6): renders what the core (``fieldapp``) says, sends user actions back."""
