"""Thai dictionary order for sorting names.

Code-point order puts every name that starts with a leading vowel (เ แ โ ใ ไ) after all the
others. Thai dictionaries order by the consonant first, then the vowel, then tone marks. The
sort key swaps a leading vowel with the consonant after it and pushes tone marks and other
diacritics to a second level, so ``ORDER BY`` on the stored key gives the order Thai readers
expect.
"""

from __future__ import annotations

import unicodedata

LEADING_VOWELS = frozenset("เแโใไ")
MARKS = frozenset("\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")


def _is_consonant(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e"


def sort_key(text: str | None) -> str:
    """A string whose binary order is Thai dictionary order (Latin text sorts case-folded)."""
    if not text:
        return ""
    s = unicodedata.normalize("NFC", text).casefold()
    chars = list(s)
    i = 0
    while i < len(chars) - 1:
        if chars[i] in LEADING_VOWELS and _is_consonant(chars[i + 1]):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            i += 2
        else:
            i += 1
    primary = "".join(ch for ch in chars if ch not in MARKS)
    secondary = "".join(ch for ch in chars if ch in MARKS)
    return f"{primary}\x01{secondary}"
