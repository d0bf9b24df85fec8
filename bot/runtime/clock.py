"""The runtime's clock: discord.py's ``utcnow``, which is real time in Discord and virtual time under SimCord,
so paces, send budgets and status intervals all follow a simulated clock in tests."""

from __future__ import annotations

import discord


def now_seconds() -> float:
    return discord.utils.utcnow().timestamp()
