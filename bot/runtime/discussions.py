"""Discussions: a thread's article and comments replayed into a Discord thread (or forum post) of its own, and
what members write there captured as new comments of that discussion.

Gateway events are queued in the order Discord sent them and stored by one task, everything pending in one
transaction (so a burst costs one commit, not one per message): a reply is stored after what it answers, numbers
follow the order the messages reached the bot. Capture is keyed by Discord message id and idempotent, so events
delivered twice (a gateway resume) store nothing twice; after a new session (events missed while away are lost,
not replayed) each open discussion reads back the messages written since the newest one it had captured (kept in
the store, so a deleted or forgotten message is never read back); those get numbers after any received since.
Edits update the stored comment; deletions, single or bulk, delete it, even after the discussion was closed:
members own their words.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Literal

import discord

from bot.core.discussions import (
    CapturedMessage,
    CaptureEvent,
    CaptureMode,
    Discussion,
    DiscussionState,
    MessageEdited,
    MessagesDeleted,
    NewComment,
    thread_name,
)
from bot.core.replays import ReplayAction
from bot.runtime.articles import article_embeds
from bot.runtime.errors import UserError
from bot.runtime.posting import NO_MENTIONS
from bot.runtime.replayer import Replayer
from db.guild_config import GuildSettings
from db.store import Store, ThreadSummary

log = logging.getLogger("rethread.discussions")

MAX_ACTIVE_THREADS = 160006  # Discord's error code: the guild has as many active threads as it may
ArchiveMinutes = Literal[60, 1440, 4320, 10080]
BACKFILL_LIMIT = 5000  # messages read back per discussion after a gap (50 requests of Discord's 100)
BATCH = 500  # capture events stored in one transaction at most
SETTLE_WAIT = 5.0  # seconds to wait for pending captures to be stored (a close, a shutdown)
CAPTURED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def archive_minutes(value: int) -> ArchiveMinutes:
    """One of Discord's auto-archive choices: the stored setting, else the nearest one above it."""
    for choice in (60, 1440, 4320, 10080):
        if value <= choice:
            return choice
    return 10080


def captured_message(message: discord.Message) -> CapturedMessage:
    author = message.author
    reference = message.reference
    return CapturedMessage(
        message_id=message.id, author_id=author.id, author=author.display_name,
        posted_at=message.created_at.isoformat(), text=message.content,
        attachments=tuple(a.url for a in message.attachments),
        replies_to_message=reference.message_id if reference and reference.channel_id == message.channel.id
        else None)


def is_member_message(message: discord.Message) -> bool:
    """Written by a person: not a bot, not a webhook (the replayed comments), not a system message."""
    return not message.author.bot and message.webhook_id is None and message.type in CAPTURED_TYPES


class DiscussionKeeper:
    def __init__(self, client: discord.Client, store: Store, replayer: Replayer):
        self.client = client
        self.store = store
        self.replayer = replayer
        self.mode = CaptureMode.FULL
        self.open: dict[int, Discussion] = {}  # by Discord thread: those being captured (most messages are not)
        self.known_channels: set[int] = set()  # every discussion's thread: deletions there are applied
        self._pending: deque[CaptureEvent] = deque()  # in the order Discord sent them
        self._storing: asyncio.Task[None] | None = None  # exists only while events are pending
        # The newest member message seen in each open discussion, and, from the moment the gateway session was
        # lost until the messages missed meanwhile are read back, its value then: messages members write after
        # the reconnection, before the read-back, must not hide the gap.
        self._newest: dict[int, int] = {}
        self._read_back_from: dict[int, int] | None = None

    async def load(self) -> None:
        self.open = {d.channel_id: d for d in await self.store.discussions.all_open()}
        self.known_channels = set(self.open) | await self.store.discussions.all_channels()
        self._newest = {channel_id: d.last_message_id for channel_id, d in self.open.items() if d.last_message_id}
        self._read_back_from = dict(self._newest)  # a new process: everything since its last run is a gap

    def session_lost(self) -> None:
        """The gateway connection dropped: if Discord does not resume the session, what was written from now on
        is read back from each discussion's history."""
        if self._read_back_from is None:
            self._read_back_from = dict(self._newest)

    def session_resumed(self) -> None:
        """Discord resumed the session and replays what it missed: nothing to read back."""
        self._read_back_from = None

    # -- opening and closing ----------------------------------------------------------------------------------

    async def start(self, *, parent: discord.TextChannel | discord.ForumChannel, thread: ThreadSummary, pace: str,
                    settings: GuildSettings, started_by: int) -> tuple[Discussion, discord.Thread]:
        """Open a Discord thread (a forum post in a forum) named after the article, post the article in it and
        start replaying the comments there."""
        parsed = await self.store.load_thread(thread.id)
        revision_id = await self.store.revision_id(thread.id)
        if parsed is None or revision_id is None:
            raise UserError("That thread was removed meanwhile; pick another.")
        if not parsed.comments:
            raise UserError("That thread has no comments to replay.")
        messages = article_embeds(parsed, replay_hint=None)
        name = thread_name(parsed.title)
        reason = f"Rethread discussion of thread {thread.id}"
        archive = archive_minutes(settings.thread_archive_minutes)
        try:
            if isinstance(parent, discord.ForumChannel):
                created = await parent.create_thread(
                    name=name, auto_archive_duration=archive, embeds=messages[0],
                    allowed_mentions=NO_MENTIONS, reason=reason)
                channel, rest = created.thread, messages[1:]
            else:
                channel = await parent.create_thread(
                    name=name, type=discord.ChannelType.public_thread,
                    auto_archive_duration=archive, reason=reason)
                rest = messages
        except discord.HTTPException as exc:
            if exc.code == MAX_ACTIVE_THREADS:
                raise UserError("This server has as many active threads as Discord allows. Archive or close some "
                                "threads, then try again.") from None
            raise
        # Stored, and captured, from the moment the Discord thread exists: members may write there at once.
        discussion, replay = await self.store.discussions.open(
            guild_id=parent.guild.id, parent_id=parent.id, channel_id=channel.id, thread_id=thread.id,
            revision_id=revision_id, last_number=len(parsed.comments), pace=pace, use_webhooks=settings.use_webhooks,
            started_by=started_by)
        self.open[channel.id] = discussion
        self.known_channels.add(channel.id)
        log.info("discussion %s opened in guild %s channel %s (a Discord thread in channel %s): imported thread %s, "
                 "%d comments", discussion.id, discussion.guild_id, channel.id, parent.id, thread.id,
                 len(parsed.comments))
        try:
            for embeds in rest:
                await channel.send(embeds=embeds, allowed_mentions=NO_MENTIONS)
        finally:  # the replay runs (or pauses saying what is missing) even if the article could not be posted
            self.replayer.launch(replay)
        return discussion, channel

    async def close(self, discussion: Discussion, *, by: int) -> int:
        """Stop capturing (and the replay, if it is still going); returns how many comments were captured."""
        self.open.pop(discussion.channel_id, None)
        await self.settled()  # what members wrote before the close is counted
        await self.store.discussions.set_state(discussion.id, DiscussionState.CLOSED, f"closed by <@{by}>")
        await self._stop_replay(discussion)
        counts = await self.store.discussions.captured_counts([discussion.id])
        log.info("discussion %s closed in guild %s channel %s: %d comments captured", discussion.id,
                 discussion.guild_id, discussion.channel_id, counts[discussion.id])
        return counts[discussion.id]

    async def _stop_replay(self, discussion: Discussion) -> None:
        if discussion.replay_id is None:
            return
        replay = await self.store.replays.get(discussion.replay_id)
        if replay is not None and replay.live:
            await self.replayer.apply(replay, ReplayAction.STOP)

    async def thread_deleted(self, channel_id: int) -> None:
        if channel_id not in self.known_channels:
            return
        discussion = await self.store.discussions.in_channel(channel_id)
        self.open.pop(channel_id, None)
        self.known_channels.discard(channel_id)
        if discussion is None or discussion.state is DiscussionState.ENDED:
            return
        await self.store.discussions.set_state(discussion.id, DiscussionState.ENDED,
                                               "its Discord thread was deleted")
        await self._stop_replay(discussion)
        log.info("discussion %s in guild %s channel %s ended: its Discord thread was deleted", discussion.id,
                 discussion.guild_id, channel_id)

    # -- capture ----------------------------------------------------------------------------------------------

    async def message_created(self, message: discord.Message) -> None:
        discussion = self.open.get(message.channel.id)
        if discussion is None or not is_member_message(message):
            return
        if self.mode is CaptureMode.REDUCED and not message.content and not message.attachments:
            return  # Discord hid its text from us: nothing to keep
        self._newest[message.channel.id] = max(message.id, self._newest.get(message.channel.id, 0))
        self._queue(NewComment(discussion.id, captured_message(message)))

    def message_edited(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.channel_id not in self.known_channels:
            return
        data = payload.data
        content, edited_at = data.get("content"), data.get("edited_timestamp")
        if content is None or edited_at is None:
            return  # not an edit by its author: an embed unfurled, a poll counted, ...
        if self.mode is CaptureMode.REDUCED and not content:
            return  # the text is hidden from us, not removed
        attachments = tuple(a["url"] for a in data["attachments"]) if "attachments" in data else None
        self._queue(MessageEdited(payload.message_id, content, attachments, edited_at))

    def messages_deleted(self, channel_id: int, message_ids: Sequence[int]) -> None:
        if channel_id in self.known_channels:
            self._queue(MessagesDeleted(tuple(message_ids)))

    def _queue(self, event: CaptureEvent) -> None:
        self._pending.append(event)
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_pending(), name="store-captured")

    async def _store_pending(self) -> None:
        """Store what is pending, a batch per transaction, until nothing is; then the task ends."""
        while self._pending:
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), BATCH))]
            try:
                await self.store.discussions.apply(batch)
            except Exception:
                log.exception("could not store %d captured event(s) together; storing them one by one", len(batch))
                for event in batch:
                    try:
                        await self.store.discussions.apply([event])
                    except Exception:
                        log.exception("lost a captured event: %r", event)

    async def settled(self) -> None:
        """Wait (at most SETTLE_WAIT seconds) until every event received so far is stored: before counting, and
        at shutdown."""
        task = self._storing
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), SETTLE_WAIT)
            except TimeoutError:
                log.warning("%d captured event(s) not stored within %.0f s", len(self._pending), SETTLE_WAIT)

    async def catch_up(self) -> None:
        """After a new gateway session: capture what members wrote in open discussions while the bot was away
        (from the newest message it had seen then: what arrived since is stored already, or will be)."""
        read_back_from, self._read_back_from = self._read_back_from or {}, None
        for channel_id, discussion in sorted(self.open.items()):
            channel = self.client.get_channel(channel_id)
            if not isinstance(channel, discord.Thread):
                try:
                    channel = await self.client.fetch_channel(channel_id)
                except discord.NotFound:
                    await self.thread_deleted(channel_id)
                    continue
                except discord.HTTPException as exc:
                    log.warning("could not read discussion %s's thread %s: %s", discussion.id, channel_id, exc)
                    continue
            if not isinstance(channel, discord.Thread):
                continue
            after = read_back_from.get(channel_id) or discussion.channel_id  # a thread's id dates its creation
            missed = []
            read = 0
            try:
                async for message in channel.history(limit=BACKFILL_LIMIT, oldest_first=True,
                                                     after=discord.Object(after)):
                    read += 1
                    if is_member_message(message) and (message.content or message.attachments):
                        missed.append(NewComment(discussion.id, captured_message(message)))
            except discord.HTTPException as exc:
                log.warning("could not read discussion %s's thread %s: %s", discussion.id, channel_id, exc)
            if read >= BACKFILL_LIMIT:
                log.warning("discussion %s: read back the first %d messages of the gap only", discussion.id, read)
            found = await self.store.discussions.apply(missed) if missed else 0
            if found:
                log.info("discussion %s: captured %d message(s) written while I was away", discussion.id, found)
