"""The replay's status message: what is being replayed, how far it is, at what pace."""

from __future__ import annotations

from bot.core.pacing import Pace
from bot.core.replays import Replay, ReplayState
from bot.core.text import shorten, title_in_text

BAR_WIDTH = 20
NOTE_LIMIT = 500  # the status message stays far under Discord's 2,000 characters
STATE_LABEL = {
    ReplayState.RUNNING: "▶ Replaying",
    ReplayState.PAUSED: "⏸ Paused",
    ReplayState.FINISHED: "✅ Finished",
    ReplayState.STOPPED: "⏹ Stopped",
    ReplayState.FAILED: "⚠ Ended",
}


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else width
    return "▰" * filled + "▱" * (width - filled)


def status_text(replay: Replay, title: str, pace: Pace) -> str:
    lines = [f"{STATE_LABEL[replay.state]} **{title_in_text(title)}**",
             f"`{progress_bar(replay.posted, replay.total)}` {replay.posted}/{replay.total}"]
    if replay.live:
        lines.append(f"-# pace: {pace.describe()}")
    if replay.note:
        lines.append(f"-# {shorten(replay.note, NOTE_LIMIT)}")
    return "\n".join(lines)
