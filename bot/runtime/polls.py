"""Native polls in Discord: posting them as the bot (only a poll's author can end it), storing each vote as it
arrives, and collecting the final results once Discord says they are final, even when the poll ended while the
bot was offline. Timing follows ``discord.utils.utcnow`` (virtual time under SimCord).

A watcher task exists only while some poll is open: it sleeps until the next poll's end, then collects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.core.polls import DEFAULT_HOURS, MAX_ANSWERS, PollError, PollKind, PollResults, PollSpec, best_poll
from bot.core.replays import Replay
from bot.runtime.permissions import missing
from bot.runtime.posting import NO_MENTIONS
from db.polls import StoredPoll
from db.store import Store

log = logging.getLogger("rethread.polls")

RETRY_FIRST, RETRY_MAX = timedelta(seconds=30), timedelta(hours=1)  # finalization can lag behind the end
GIVE_UP_AFTER = timedelta(hours=12)
ALL_VOTERS = 10**9


class PollKeeper:
    def __init__(self, client: discord.Client, store: Store):
        self.client = client
        self.store = store
        self._watcher: asyncio.Task[None] | None = None
        self._watcher_sleeping = False  # only then may it be cancelled: never mid-collect
        self._watch_again = False
        self._retry_at: dict[int, tuple[datetime, timedelta]] = {}  # poll id → (next try, last wait)
        self._ids_by_message: dict[int, int] = {}  # message id → poll id: votes arrive by message id

    # -- posting and ending ---------------------------------------------------------------------------------

    async def post(self, channel: discord.abc.Messageable, spec: PollSpec, *, guild_id: int, thread_id: int,
                   kind: PollKind, comment_number: int | None, created_by: int) -> tuple[StoredPoll, discord.Message]:
        poll = discord.Poll(question=spec.question, duration=timedelta(hours=spec.hours), multiple=spec.multiple)
        for answer in spec.answers:
            poll.add_answer(text=answer)
        if spec.content:
            message = await channel.send(spec.content, poll=poll, allowed_mentions=NO_MENTIONS)
        else:
            message = await channel.send(poll=poll, allowed_mentions=NO_MENTIONS)
        expires = (message.poll.expires_at if message.poll else None) or (
            discord.utils.utcnow() + timedelta(hours=spec.hours))
        stored = await self.store.polls.add(
            guild_id=guild_id, channel_id=message.channel.id, message_id=message.id, thread_id=thread_id, kind=kind,
            comment_number=comment_number, question=spec.question, answers=spec.answers, multiple=spec.multiple,
            expires_at=expires, created_by=created_by)
        self._ids_by_message[message.id] = stored.id
        log.info("poll %s posted in guild %s channel %s: %s", stored.id, guild_id, message.channel.id, spec.question)
        self.watch()
        return stored, message

    async def end(self, poll: StoredPoll) -> None:
        """End the poll now (Discord then finalizes the results, which :meth:`collect` stores)."""
        channel = self.client.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        message = await channel.get_partial_message(poll.message_id).end_poll()
        if not await self._store_final(poll, message) and message.poll and message.poll.expires_at:
            await self.store.polls.set_expiry(poll.id, message.poll.expires_at)  # collect() looks from now on
        self.watch()

    async def best_poll(self, revision_id: int, last_number: int, candidates: list[int] | None = None,
                        hours: int = DEFAULT_HOURS) -> PollSpec:
        """"Which comment made the best point?" over the given comments, else the most answered ones (replied
        to or quoted), filled up with the earliest, in thread order."""
        if candidates is None:
            chosen = await self.store.polls.most_answered(revision_id, MAX_ANSWERS)
            chosen += [n for n in range(1, last_number + 1) if n not in chosen][: MAX_ANSWERS - len(chosen)]
            candidates = sorted(chosen)
        return best_poll(await self.store.polls.comment_refs(revision_id, candidates), hours=hours)

    async def after_replay(self, replay: Replay, thread_id: int) -> None:
        """A replay finished: post a best-comment poll in its channel when the guild asked for one."""
        settings = await self.store.config.get(replay.guild_id)
        if not settings.auto_poll:
            return
        channel = self.client.get_channel(replay.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        send = "send_messages_in_threads" if isinstance(channel, discord.Thread) else "send_messages"
        lacking = missing(channel.permissions_for(channel.guild.me), (send, "send_polls"))
        if lacking:
            log.warning("no poll after replay %s in channel %s: missing %s", replay.id, channel.id, ", ".join(lacking))
            return
        try:
            spec = await self.best_poll(replay.revision_id, replay.last_number)
        except PollError:
            return  # fewer than two comments: nothing to choose between
        await self.post(channel, spec, guild_id=replay.guild_id, thread_id=thread_id, kind=PollKind.BEST,
                        comment_number=None, created_by=replay.started_by)

    # -- votes ----------------------------------------------------------------------------------------------

    async def _poll_id(self, message_id: int) -> int | None:
        if message_id in self._ids_by_message:
            return self._ids_by_message[message_id]
        poll = await self.store.polls.by_message(message_id)
        if poll is None:
            return None
        self._ids_by_message[message_id] = poll.id
        return poll.id

    async def vote(self, payload: discord.RawPollVoteActionEvent, added: bool) -> None:
        poll_id = await self._poll_id(payload.message_id)
        if poll_id is None:
            return  # someone else's poll
        if added:
            await self.store.polls.add_vote(poll_id, payload.user_id, payload.answer_id)
        else:
            await self.store.polls.remove_vote(poll_id, payload.user_id, payload.answer_id)

    async def reconcile(self, poll: StoredPoll) -> None:
        """After a restart: a poll that ended meanwhile gets its final results; for one still open, the votes cast
        while the bot was offline are read from each answer's voters (paged, 100 at a time)."""
        channel = self.client.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        message = await channel.fetch_message(poll.message_id)
        if message.poll is None:
            return
        if await self._store_final(poll, message):
            return  # it ended while the bot was offline (perhaps early, by /poll end): Discord's counts are final
        for answer in message.poll.answers:
            # discord.py stops at the answer's known vote count (or 100 when it is unknown): ask for all.
            voters = [user.id async for user in answer.voters(limit=ALL_VOTERS)]
            await self.store.polls.replace_voters(poll.id, answer.id, voters)

    # -- results --------------------------------------------------------------------------------------------

    async def results(self, poll: StoredPoll) -> PollResults:
        return await self.store.polls.counts(poll)

    async def message_updated(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Discord edits a poll's message when its results become final."""
        data: dict[str, Any] = dict(payload.data)  # discord.py's type for it does not name the poll field
        results = (data.get("poll") or {}).get("results") or {}
        if not results.get("is_finalized"):
            return
        poll_id = await self._poll_id(payload.message_id)
        poll = await self.store.polls.get(poll_id) if poll_id else None
        if poll is None or poll.ended:
            return
        counts = {int(c["id"]): int(c["count"]) for c in results.get("answer_counts") or []}
        await self._finalize(poll, tuple(counts.get(i, 0) for i in range(1, len(poll.answers) + 1)))

    async def result_message(self, message: discord.Message) -> None:
        """Discord posts a poll-result message when a poll's results are final: store them now."""
        if message.reference is None or message.reference.message_id is None:
            return
        poll_id = await self._poll_id(message.reference.message_id)
        poll = await self.store.polls.get(poll_id) if poll_id else None
        if poll is None or poll.ended:
            return
        channel = self.client.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        with contextlib.suppress(discord.HTTPException):
            await self._store_final(poll, await channel.fetch_message(poll.message_id))

    async def _store_final(self, poll: StoredPoll, message: discord.Message) -> bool:
        """Store the results if Discord says they are final. A poll without results is unknown, not zero."""
        if message.poll is None or not message.poll.is_finalised():
            return False
        answers = {a.id: a for a in message.poll.answers}
        await self._finalize(poll, tuple(answers[i].vote_count if i in answers else 0
                                         for i in range(1, len(poll.answers) + 1)))
        return True

    async def _finalize(self, poll: StoredPoll, counts: tuple[int, ...]) -> None:
        await self.store.polls.finalize(poll.id, counts, discord.utils.utcnow())
        self._retry_at.pop(poll.id, None)
        log.info("poll %s in guild %s channel %s ended: %s votes", poll.id, poll.guild_id, poll.channel_id,
                 sum(counts))

    async def collect(self) -> None:
        """Fetch every poll past its end whose final results are not stored yet; retry later when Discord has
        not finalized them (it can lag), for up to ``GIVE_UP_AFTER``."""
        now = discord.utils.utcnow()
        for poll in await self.store.polls.open_past(now):
            due, _ = self._retry_at.get(poll.id, (now, RETRY_FIRST))
            if due > now:
                continue
            try:
                channel = self.client.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
                done = await self._store_final(poll, await channel.fetch_message(poll.message_id))
            except discord.NotFound:
                log.info("poll %s: its message was deleted; its stored votes stay as they were", poll.id)
                await self._finalize(poll, (await self.store.polls.counts(poll)).counts)
                continue
            except discord.HTTPException as exc:
                log.warning("poll %s: could not fetch its results (%s); trying again later", poll.id, exc)
                done = False
            if not done:
                _, wait = self._retry_at.get(poll.id, (now, RETRY_FIRST / 2))
                wait = min(wait * 2, RETRY_MAX)
                if now - poll.expires_at > GIVE_UP_AFTER:
                    log.warning("poll %s: Discord never finalized its results; keeping the counted votes", poll.id)
                    await self._finalize(poll, (await self.store.polls.counts(poll)).counts)
                else:
                    self._retry_at[poll.id] = (now + wait, wait)

    # -- the watcher ----------------------------------------------------------------------------------------

    def watch(self) -> None:
        """Make sure a watcher runs while any poll is open, and looks again now (a new poll may end sooner than
        the one it sleeps for; an ended one wants its results collected)."""
        if self._watcher is not None and not self._watcher.done():
            if not self._watcher_sleeping:
                self._watch_again = True  # it is collecting: it goes round once more before it sleeps
                return
            self._watcher.cancel()
        self._watcher = asyncio.create_task(self._watch(), name="poll-watcher")

    async def _watch(self) -> None:
        await self.client.wait_until_ready()
        while True:
            self._watch_again = False
            try:
                await self.collect()
                next_end = await self.store.polls.next_expiry()
            except Exception:  # the watcher must outlive one failed look: try again a little later
                log.exception("could not collect poll results; trying again in %s", RETRY_FIRST)
                next_end = discord.utils.utcnow() + RETRY_FIRST
            upcoming = [at for at, _ in self._retry_at.values()]
            if next_end is not None and next_end > discord.utils.utcnow():
                upcoming.append(next_end)
            if self._watch_again:
                continue
            if not upcoming and next_end is None:
                return  # nothing open: the next poll posted starts a watcher again
            wake = min(upcoming) if upcoming else discord.utils.utcnow() + RETRY_FIRST
            self._watcher_sleeping = True
            try:
                await asyncio.sleep(max(1.0, (wake - discord.utils.utcnow()).total_seconds()))
            finally:
                self._watcher_sleeping = False

    async def start(self) -> None:
        """After a restart: reconcile every open poll with Discord, then watch for the next end."""
        await self.client.wait_until_ready()
        for poll in await self.store.polls.open_past(discord.utils.utcnow() + timedelta(days=64)):
            try:
                await self.reconcile(poll)
            except Exception:  # one poll must not keep the others (or the watcher) from starting
                log.exception("could not reconcile poll %s with Discord", poll.id)
        self.watch()

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watcher
