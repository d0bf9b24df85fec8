"""Text as the store compares it: titles folded for caseless, accent-less matching, and the scripts written
without spaces between words (CJK, Thai...), which search finds by substring instead of by word."""

from __future__ import annotations

import re
import unicodedata

# Latin letters that carry a mark Unicode does not decompose, folded like the ones it does (é -> e), and the
# dotless i (the capital I folds to i, so ı must too).
_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "æ": "ae",
                          "œ": "oe", "þ": "th"})


def fold(text: str) -> str:
    """``text`` for matching: Unicode case folding (``straße`` -> ``strasse``), compatibility forms (``ﬁ`` ->
    ``fi``, full-width letters) and no combining marks (``Été`` -> ``ete``, ``Łódź`` -> ``lodz``); letters
    recomposed afterwards so Hangul and other scripts stay whole characters."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold().translate(_LETTERS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


# Scripts whose words are not separated by spaces: FTS5's unicode61 tokenizer sees a whole run of them as one
# word, so a comment in them is also indexed by trigrams (``comments_cjk``) and found by any substring.
SUBSTRING_SCRIPTS: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3040, 0x31FF),  # Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, ...
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3134F),  # CJK extensions B-G
)

_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in SUBSTRING_SCRIPTS)
SUBSTRING_GLOB = f"*[{_CLASS}]*"  # the same test in SQL (migration 0004 and the store's inserts): keep in step
_SUBSTRING_RE = re.compile(f"[{_CLASS}]")


def needs_substring(text: str) -> bool:
    """Whether ``text`` has characters of a script written without spaces."""
    return _SUBSTRING_RE.search(text) is not None
