"""Per-channel send budget. Discord does not announce its per-channel webhook limit (30 messages per 60 s); it
only answers 429 once the limit is crossed. So each channel paces itself: at most ``limit`` sends in any
``period``, which also keeps every fixed window Discord may use within the limit."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")
# Requests reach Discord a little later or sooner than they leave: keep a small margin on the window.
MARGIN = 0.02


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


class ChannelBudget:
    def __init__(self, spec: BudgetSpec, clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.clock = clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    def wait_needed(self) -> float:
        now = self.clock()
        period = self.spec.period * (1 + MARGIN)
        while self._sent and now - self._sent[0] >= period:
            self._sent.popleft()
        if len(self._sent) < self.spec.limit:
            return 0.0
        return self._sent[0] + period - now

    async def acquire(self) -> None:
        """Wait until one more send fits in the budget, and count it."""
        async with self._lock:
            while (wait := self.wait_needed()) > 0:  # noqa: ASYNC110 (waiting on the clock, not on an event)
                await asyncio.sleep(wait)
            self._sent.append(self.clock())


class Budgets:
    """One budget per channel, created on first use."""

    def __init__(self, spec: BudgetSpec):
        self.spec = spec
        self._by_channel: dict[int, ChannelBudget] = {}

    def __getitem__(self, channel_id: int) -> ChannelBudget:
        budget = self._by_channel.get(channel_id)
        if budget is None:
            budget = self._by_channel[channel_id] = ChannelBudget(self.spec)
        return budget
