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
ORIGINAL_MIN, ORIGINAL_MAX = 1.0, 300.0  # the shortest and longest gap at original timing, in seconds
SPEEDUP_MIN, SPEEDUP_MAX = 1.0, 10_000.0
RESOLUTION = 3  # decimal places kept: a pace is stored as text that parses back to the same value

_NUMBER = r"(\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+)"  # plain or scientific, as older versions may have stored
_ORIGINAL = re.compile(rf"^original(?:\s*[:x ]\s*{_NUMBER})?$")
_SECONDS = re.compile(rf"^{_NUMBER}\s*s?$")


def _decimal(value: float) -> str:
    """``2.5``, ``0``, ``0.001``: never scientific notation, so the text always parses back."""
    return f"{value:.{RESOLUTION}f}".rstrip("0").rstrip(".")


class PaceError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Pace:
    mode: str  # fixed | reading | original | manual
    seconds: float = DEFAULT_SECONDS  # fixed
    speedup: float = ORIGINAL_DEFAULT_SPEEDUP  # original

    def __str__(self) -> str:
        """The canonical text, stored in the database: ``parse_pace(str(p)) == p``."""
        if self.mode == "fixed":
            return _decimal(self.seconds)
        if self.mode == "original":
            return f"original:{_decimal(self.speedup)}"
        return self.mode

    def describe(self) -> str:
        return {
            "fixed": f"every {_decimal(self.seconds)} s" if self.seconds else "as fast as Discord allows",
            "reading": "at reading speed",
            "original": f"at the original timing, {_decimal(self.speedup)}× faster",
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
    """``6`` or ``6s`` (seconds, 0 = as fast as allowed, at most 3600), ``reading``, ``original`` or
    ``original:120`` (speed-up factor 1 to 10,000), ``manual``. Values are kept to the millisecond."""
    value = text.strip().lower()
    if value in ("reading", "manual"):
        return Pace(value)
    if match := _ORIGINAL.match(value):
        speedup = round(float(match[1]), RESOLUTION) if match[1] else ORIGINAL_DEFAULT_SPEEDUP
        if not SPEEDUP_MIN <= speedup <= SPEEDUP_MAX:
            raise PaceError(f"the original-timing speed-up must be from {SPEEDUP_MIN:g} to {SPEEDUP_MAX:,.0f}, "
                            f"not {_decimal(speedup)}")
        return Pace("original", speedup=speedup)
    if match := _SECONDS.match(value):
        seconds = round(float(match[1]), RESOLUTION)
        if seconds > MAX_SECONDS:
            raise PaceError(f"a pace of {_decimal(seconds)} s is over the {MAX_SECONDS:g} s maximum")
        return Pace("fixed", seconds=seconds)
    raise PaceError(f"“{text[:40]}” is not a pace: use a number of seconds from 0 to 3600, reading, original, "
                    "original:120 or manual")


def stored_pace(text: str) -> Pace:
    """A pace read back from the database: what :func:`parse_pace` reads, else (a value an older version
    accepted, such as ``original:0.5``) the nearest pace within today's bounds, else the default."""
    try:
        return parse_pace(text)
    except PaceError:
        pass
    value = text.strip().lower()
    if (match := _ORIGINAL.match(value)) and match[1]:
        return Pace("original", speedup=min(SPEEDUP_MAX, max(SPEEDUP_MIN, round(float(match[1]), RESOLUTION))))
    if match := _SECONDS.match(value):
        return Pace("fixed", seconds=min(MAX_SECONDS, float(match[1])))
    return Pace("fixed")
