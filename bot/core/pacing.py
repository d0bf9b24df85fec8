"""How long to wait before each replayed comment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.model import Comment

DEFAULT_SECONDS = 6.0
MAX_SECONDS = 3600.0
READING_WORDS_PER_SECOND = 4.0  # 240 words a minute, an unhurried reading speed
READING_MIN, READING_MAX = 2.0, 90.0
ORIGINAL_DEFAULT_SPEEDUP = 60.0  # an hour of the original thread in a minute
ORIGINAL_MIN, ORIGINAL_MAX = 1.0, 300.0

_ORIGINAL = re.compile(r"^original(?:[:x ](\d+(?:\.\d+)?))?$")
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)\s*s?$")


class PaceError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Pace:
    mode: str  # fixed | reading | original | manual
    seconds: float = DEFAULT_SECONDS  # fixed
    speedup: float = ORIGINAL_DEFAULT_SPEEDUP  # original

    def __str__(self) -> str:
        if self.mode == "fixed":
            return f"{self.seconds:g}"
        if self.mode == "original":
            return f"original:{self.speedup:g}"
        return self.mode

    def describe(self) -> str:
        return {
            "fixed": f"every {self.seconds:g} s" if self.seconds else "as fast as Discord allows",
            "reading": "at reading speed",
            "original": f"at the original timing, {self.speedup:g}× faster",
            "manual": "when someone presses Next",
        }[self.mode]

    def delay(self, comment: Comment, previous: Comment | None) -> float | None:
        """Seconds to wait before posting ``comment``; None means wait for a Next press (manual)."""
        if self.mode == "manual":
            return None
        if self.mode == "fixed":
            return self.seconds if previous is not None else 0.0
        if previous is None:
            return 0.0
        if self.mode == "reading":
            words = len(previous.text.split())  # time to read what was just posted
            return min(READING_MAX, max(READING_MIN, words / READING_WORDS_PER_SECOND))
        if comment.posted_at and previous.posted_at:
            gap = (comment.posted_at - previous.posted_at).total_seconds() / self.speedup
            return min(ORIGINAL_MAX, max(ORIGINAL_MIN, gap))
        return DEFAULT_SECONDS  # without both timestamps, fall back to the default gap


def parse_pace(text: str) -> Pace:
    """``6`` or ``6s`` (seconds, 0 = as fast as allowed), ``reading``, ``original`` or ``original:120``
    (speed-up factor), ``manual``."""
    value = text.strip().lower()
    if value in ("reading", "manual"):
        return Pace(value)
    if match := _ORIGINAL.match(value):
        speedup = float(match[1]) if match[1] else ORIGINAL_DEFAULT_SPEEDUP
        if speedup <= 0:
            raise PaceError("the original-timing speed-up must be above 0")
        return Pace("original", speedup=speedup)
    if match := _SECONDS.match(value):
        seconds = float(match[1])
        if seconds > MAX_SECONDS:
            raise PaceError(f"a pace of {seconds:g} s is over the {MAX_SECONDS:g} s maximum")
        return Pace("fixed", seconds=seconds)
    raise PaceError(f"“{text}” is not a pace: use a number of seconds, reading, original, original:120 or manual")
