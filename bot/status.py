"""The replay's status message: what is being replayed, how far it is, at what pace."""

from __future__ import annotations

import discord

from bot.pacing import Pace
from db.replays import Replay

BAR_WIDTH = 20
STATE_LABEL = {"running": "▶ Replaying", "paused": "⏸ Paused", "finished": "✅ Finished", "stopped": "⏹ Stopped",
               "failed": "⚠ Ended"}


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else width
    return "▰" * filled + "▱" * (width - filled)


def posted_count(replay: Replay) -> int:
    return max(0, min(replay.next_number, replay.last_number + 1) - replay.first_number)


def status_text(replay: Replay, title: str, pace: Pace) -> str:
    total = replay.last_number - replay.first_number + 1
    done = posted_count(replay)
    lines = [f"{STATE_LABEL[replay.state]} **{discord.utils.escape_markdown(title)}**",
             f"`{progress_bar(done, total)}` {done}/{total}"]
    if replay.live:
        lines.append(f"-# pace: {pace.describe()}")
    if replay.note:
        lines.append(f"-# {replay.note}")
    return "\n".join(lines)
