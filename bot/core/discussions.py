"""The vocabulary of discussions: a thread replayed into a Discord thread (or forum post) of one guild, and the
comments its members write there, captured as comments of that discussion."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Discord's auto-archive choices for a thread, in minutes, as its UI names them.
ARCHIVE_CHOICES = {60: "1 hour", 1440: "1 day", 4320: "3 days", 10080: "1 week"}
THREAD_NAME_LIMIT = 100  # characters in a Discord thread's (or forum post's) name


class DiscussionState(StrEnum):
    OPEN = "open"  # members' messages in its Discord thread are captured
    CLOSED = "closed"  # closed by a member: nothing more is captured
    ENDED = "ended"  # its Discord thread was deleted


class CaptureMode(StrEnum):
    """What the bot can read of members' messages, decided at login by Discord's message-content intent."""

    FULL = "full"
    REDUCED = "reduced"  # without the intent: only messages that mention the bot or reply to it carry text

    def explain(self) -> str:
        if self is CaptureMode.FULL:
            return "every message members write is captured"
        return ("reduced: the Message Content intent is off, so Discord shows me only messages that mention me or "
                "reply to me; turn it on in the Developer Portal (Bot → Privileged Gateway Intents) and restart")


@dataclass(frozen=True, slots=True, kw_only=True)
class Discussion:
    id: int
    guild_id: int
    parent_id: int  # the text or forum channel
    channel_id: int  # the Discord thread (or forum post)
    thread_id: int  # the imported thread
    revision_id: int
    replay_id: int | None
    state: DiscussionState
    next_number: int
    last_message_id: int | None  # the newest member message captured (deleted or not): where a read-back starts
    started_by: int
    note: str | None

    @property
    def open(self) -> bool:
        return self.state is DiscussionState.OPEN


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedMessage:
    """A member's message as the bot saw it, ready to be stored as a comment."""

    message_id: int
    author_id: int
    author: str
    posted_at: str  # ISO 8601, UTC
    text: str
    attachments: tuple[str, ...] = ()  # URLs
    replies_to_message: int | None = None  # the message it answers (message.reference), if any


@dataclass(frozen=True, slots=True)
class NewComment:
    """A member wrote a message in an open discussion."""

    discussion_id: int
    message: CapturedMessage


@dataclass(frozen=True, slots=True)
class MessageEdited:
    message_id: int
    text: str
    attachments: tuple[str, ...] | None  # None: the edit did not say (keep them)
    edited_at: str


@dataclass(frozen=True, slots=True)
class MessagesDeleted:
    message_ids: tuple[int, ...]


CaptureEvent = NewComment | MessageEdited | MessagesDeleted


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedComment:
    """A member's message as stored: a comment of its discussion, numbered after the original thread's."""

    number: int
    message_id: int
    author_id: int
    author: str
    posted_at: str  # ISO 8601, UTC
    edited_at: str | None
    reply_to: int | None  # a comment number of the discussion (original or captured); may name a deleted one
    text: str
    attachments: tuple[str, ...]


def thread_name(title: str) -> str:
    """A Discord thread name for an article: its title on one line, 1 to 100 characters."""
    name = " ".join(title.split()) or "Discussion"
    return name if len(name) <= THREAD_NAME_LIMIT else name[:THREAD_NAME_LIMIT - 1].rstrip() + "…"
