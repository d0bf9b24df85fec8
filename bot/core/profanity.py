"""The profanity filter: mask (f***), hide as a spoiler (||word||), or skip the comment."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def shipped_words() -> tuple[str, ...]:
    text = resources.files("bot.core").joinpath("data/profanity.txt").read_text(encoding="utf-8")
    return tuple(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    # Whole words and their simple inflections (fuck, fucking, fucked), longest first.
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})(?:s|es|ed|er|ers|ing|in)?\b", re.IGNORECASE)


class ProfanityFilter:
    def __init__(self, mode: str, words: Iterable[str] | None = None):
        self.mode = mode
        self.pattern = _pattern(tuple(w.lower() for w in (words if words is not None else shipped_words())))

    def contains(self, text: str) -> bool:
        return bool(self.pattern and self.pattern.search(text))

    def skips(self, text: str) -> bool:
        return self.mode == "skip" and self.contains(text)

    def __call__(self, text: str) -> str:
        if self.mode not in ("mask", "spoiler") or self.pattern is None:
            return text
        if self.mode == "mask":
            return self.pattern.sub(lambda m: m[0][0] + "*" * (len(m[0]) - 1), text)
        return self.pattern.sub(lambda m: f"||{m[0]}||", text)
