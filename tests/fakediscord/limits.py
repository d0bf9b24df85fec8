"""Discord's rate limits as Discord applies them: fixed windows per bucket, reported in X-RateLimit-* headers,
and 429s (with the `Via` header and JSON body discord.py expects) once a window is spent.

`scale` shrinks every window (0.1 = ten times faster) so benchmarks stay short; the limits stay the same.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

GLOBAL = (50, 1.0)  # requests per second, per bot
CHANNEL_MESSAGES = (5, 5.0)  # bot messages per channel
WEBHOOK_EXECUTE = (5, 2.0)  # per webhook: announced in headers
WEBHOOK_CHANNEL = (30, 60.0)  # webhook messages per channel: not announced, only enforced


@dataclass
class Window:
    limit: int
    period: float
    start: float = 0.0
    count: int = 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.period:
            self.start, self.count = now, 0

    def reset_after(self, now: float) -> float:
        return max(0.0, self.start + self.period - now)


@dataclass
class Verdict:
    """Headers to send, and the 429 to answer with instead of serving the request (if any)."""

    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    is_global: bool = False
    scope: str = "user"


class RateLimits:
    def __init__(self, scale: float = 1.0, clock=time.monotonic, enabled: bool = True):
        self.scale = scale
        self.clock = clock
        self.enabled = enabled
        self.windows: dict[tuple, Window] = {}
        self.served_429: Counter[str] = Counter()  # by kind: global, channel_messages, webhook, webhook_channel

    @property
    def total_429(self) -> int:
        return sum(self.served_429.values())

    def _window(self, key: tuple, spec: tuple[int, float]) -> Window:
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = Window(spec[0], spec[1] * self.scale, start=self.clock())
        return window

    def check(self, method: str, path: str, *, channel_id: int | None, authenticated: bool) -> Verdict:
        """Count this request against every bucket it belongs to, and say whether it is served.

        The global limit counts bot-authenticated requests only: webhook executions (the token is in the URL)
        and interaction callbacks are not bound by it, as on Discord."""
        if not self.enabled:
            return Verdict()
        now = self.clock()
        verdict = Verdict()
        parts = path.strip("/").split("/")
        if authenticated and parts[0] != "interactions":
            glob = self._window(("global",), GLOBAL)
            glob.roll(now)
            if glob.count >= glob.limit:
                self.served_429["global"] += 1
                return Verdict({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
                               retry_after=glob.reset_after(now), is_global=True, scope="global")
            glob.count += 1
        announced: tuple[str, tuple, tuple[int, float]] | None = None
        hidden: tuple[str, tuple, tuple[int, float]] | None = None
        if method == "POST" and len(parts) == 3 and parts[0] == "channels" and parts[2] == "messages":
            announced = ("channel_messages", ("channel_messages", parts[1]), CHANNEL_MESSAGES)
        elif method == "POST" and len(parts) == 3 and parts[0] == "webhooks" and channel_id is not None:
            announced = ("webhook", ("webhook", parts[1]), WEBHOOK_EXECUTE)
            hidden = ("webhook_channel", ("webhook_channel", channel_id), WEBHOOK_CHANNEL)
        if announced is None:
            return verdict
        kind, key, spec = announced
        window = self._window(key, spec)
        window.roll(now)
        if hidden is not None:
            h_window = self._window(hidden[1], hidden[2])
            h_window.roll(now)
            if h_window.count >= h_window.limit:
                self.served_429[hidden[0]] += 1
                verdict.headers = self._headers(kind, window, now)
                verdict.headers["X-RateLimit-Scope"] = "shared"
                verdict.retry_after, verdict.scope = h_window.reset_after(now), "shared"
                return verdict
        if window.count >= window.limit:
            self.served_429[kind] += 1
            verdict.headers = self._headers(kind, window, now)
            verdict.retry_after = window.reset_after(now)
            return verdict
        window.count += 1
        if hidden is not None:
            self.windows[hidden[1]].count += 1
        verdict.headers = self._headers(kind, window, now)
        return verdict

    def _headers(self, kind: str, window: Window, now: float) -> dict[str, str]:
        reset_after = window.reset_after(now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(0, window.limit - window.count)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"fake-{kind}",
        }


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
