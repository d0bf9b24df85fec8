"""Per-channel send budget. Discord does not announce its per-channel webhook limit (30 messages per 60 s); it
only answers 429 once the limit is crossed. So each channel paces itself: at most ``limit`` sends in any
``period``, which also keeps every fixed window Discord may use within the limit.

A send's slot is dated by when its *answer* came back, which is after Discord counted it: however the
network delays requests, they cannot arrive bunched into one window. No safety margin is needed."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")
_IN_FLIGHT = math.inf


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    limit: int
    period: float

    @classmethod
    def parse(cls, text: str) -> BudgetSpec:
        """``30/60``: 30 messages per 60 seconds."""
        match = _SPEC.match(text)
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise ValueError(f"a send budget looks like 30/60 (messages/seconds), not {text!r}")
        return cls(int(match[1]), float(match[2]))


DISCORD_WEBHOOK_BUDGET = BudgetSpec(30, 60.0)
# Bot-authenticated requests that replays make (webhook set-up, status messages), kept under Discord's global
# 50 per second so that many replays starting at once do not meet a global 429.
API_BUDGET = BudgetSpec(45, 1.0)


class ChannelBudget:
    def __init__(self, spec: BudgetSpec, clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.clock = clock
        self._slots: deque[list[float]] = deque()  # [answered at], or in flight
        self._lock = asyncio.Lock()

    def wait_needed(self) -> float:
        now = self.clock()
        while self._slots and now - self._slots[0][0] >= self.spec.period:
            self._slots.popleft()
        if len(self._slots) < self.spec.limit:
            return 0.0
        oldest = self._slots[0][0]
        return 0.01 if oldest == _IN_FLIGHT else oldest + self.spec.period - now

    @property
    def idle(self) -> bool:
        return not self._slots

    def seed(self, sent_at: list[float]) -> None:
        """Count sends made before this budget existed (e.g. by the process before a restart), dated on this
        budget's clock, so that the first sends after a restart do not cross the limit."""
        now = self.clock()
        for moment in sorted(sent_at):
            if now - moment < self.spec.period:
                self._slots.append([moment])

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait until one more send fits in the budget; hold the slot while sending."""
        async with self._lock:
            while (wait := self.wait_needed()) > 0:  # noqa: ASYNC110 (waiting on the clock, not on an event)
                await asyncio.sleep(wait)
            slot = [_IN_FLIGHT]
            self._slots.append(slot)
        try:
            yield
        finally:
            slot[0] = self.clock()


class Budgets:
    """One budget per channel, created on first use."""

    def __init__(self, spec: BudgetSpec, clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.clock = clock
        self._by_channel: dict[int, ChannelBudget] = {}

    def __getitem__(self, channel_id: int) -> ChannelBudget:
        budget = self._by_channel.get(channel_id)
        if budget is None:
            budget = self._by_channel[channel_id] = ChannelBudget(self.spec, self.clock)
        return budget
