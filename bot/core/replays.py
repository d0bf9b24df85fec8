"""The vocabulary of replays, shared by the store, the runner, the status message and the controls: a replay's
states, the actions members take on it, and the durable record of one replay."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReplayState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def live(self) -> bool:
        """Running or paused: the replay still holds its channel."""
        return self in LIVE_STATES


LIVE_STATES = frozenset({ReplayState.RUNNING, ReplayState.PAUSED})


class ReplayAction(StrEnum):
    """What a member can do to a live replay, by slash command or by button; one name each."""

    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"  # post the next comment now, without waiting for the pace
    STOP = "stop"


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """One replay as stored: where it is, what it posts, and how far it has got."""

    id: int
    guild_id: int
    channel_id: int
    revision_id: int
    state: ReplayState
    first_number: int  # where the replay started (from_comment)
    next_number: int  # the next comment to post
    last_number: int  # the thread's last comment
    in_flight: int | None  # a comment whose send began but was not recorded as complete
    pace: str  # a canonical pace, see bot.core.pacing
    use_webhooks: bool
    status_message_id: int | None
    started_by: int
    note: str | None  # why it paused, stopped or failed

    @property
    def live(self) -> bool:
        return self.state.live

    @property
    def total(self) -> int:
        return self.last_number - self.first_number + 1

    @property
    def posted(self) -> int:
        """Comments dealt with so far (posted, or skipped by the filter)."""
        return max(0, min(self.next_number, self.last_number + 1) - self.first_number)
