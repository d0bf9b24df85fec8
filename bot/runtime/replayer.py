"""Replays: post a thread's comments one by one into a channel, durably.

One :class:`ReplayRunner` task per live replay (one per channel, many channels at once), coordinated by the
:class:`Replayer`. Every step is committed to SQLite before and after it happens (see ``db.replays``), so a
restart, or a kill -9 at any moment, continues with the next comment: none twice, none skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial

import discord

from bot.core.budget import Budgets, ChannelBudget
from bot.core.model import Comment, Thread
from bot.core.pacing import stored_pace
from bot.core.profanity import ProfanityFilter
from bot.core.render import PostedComment, render_comment
from bot.core.replays import Replay, ReplayAction, ReplayState
from bot.core.status import status_text
from bot.core.text import title_in_text
from bot.runtime.clock import now_seconds
from bot.runtime.controls import controls_view
from bot.runtime.posting import NO_MENTIONS, ChannelGone, ChannelPoster, DiscordUnavailable, ReplayBlocked, Target
from db.busy import cannot_save
from db.replays import ReplayConflict
from db.store import Store

log = logging.getLogger("rethread.replay")

STATUS_EDIT_INTERVAL = 3.0  # seconds between edits of the status message (each edit is an API call)
OUTAGE_WAIT_MAX = 60.0  # seconds between tries while Discord does not answer
OUTAGE_RESTART_WAIT = 5.0  # seconds before a runner that could not start for want of Discord starts again
END_SAVE_WAIT = 1.5  # seconds a start waits for an ending replay's save (the interaction must be answered in 3)
SAVE_RETRY_FIRST, SAVE_RETRY_MAX = 0.5, 10.0  # seconds between tries while the disk refuses writes


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class ReplayRunner:
    """The task that posts one replay's comments, from where the store says it is, until it ends or waits."""

    def __init__(self, replayer: Replayer, replay: Replay, *, post_next_now: bool = False):
        self.replayer = replayer
        self.client = replayer.client
        self.replays = replayer.store.replays
        self.replay_id = replay.id
        self.channel_id = replay.channel_id
        self.guild_id = replay.guild_id
        self.post_next_now = post_next_now  # Next pressed: post the next comment without waiting for the pace
        self.sleeping = False  # waiting for the pace: safe to cancel (never cancelled mid-send)
        # A member resumed (or pressed Next) while this runner was busy and about to stop: start again after it.
        self.relaunch = False
        self.ending = False  # in _end: the replay may already be shown as ended, not yet saved so
        self.end_saved = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.title = ""
        self.channel: Target | None = None
        self.poster: ChannelPoster | None = None
        self.budget_key = replay.channel_id  # whose webhook budget this replay spends (see _run)
        self._outage_wait = 0.0  # seconds waited last time Discord did not answer (0: it answers)
        self.filter = ProfanityFilter("off")
        self._status_task: asyncio.Task[None] | None = None
        self._status_edited = 0.0

    async def run(self) -> None:
        try:
            await self._run()
        except ChannelGone as exc:
            await self._end(ReplayState.FAILED, f"Replay ended: {exc}.")
        except ReplayBlocked as exc:
            await self._block(str(exc), exc.remedy)
        except DiscordUnavailable as exc:  # before the first send (the webhook, the status message): start again
            self._outage_wait = max(self._outage_wait, OUTAGE_RESTART_WAIT / 2)  # a new runner starts from 0
            await self._wait_for_discord(exc)
            self.relaunch = True
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("replay %s in guild %s channel %s failed", self.replay_id, self.guild_id, self.channel_id)
            await self._end(ReplayState.FAILED, "Replay ended by an unexpected error; the bot's log has the details.")
        finally:
            if self.replayer.runners.get(self.channel_id) is self:
                del self.replayer.runners[self.channel_id]
            if self.relaunch and not self.replayer.closing:
                await self.replayer.relaunch(self.replay_id, post_next_now=self.post_next_now)

    async def _current(self) -> Replay:
        replay = await self.replays.get(self.replay_id)
        if replay is None:
            raise ChannelGone("its record was removed from the database")
        return replay

    async def _open_channel(self) -> Target:
        try:
            channel = self.client.get_channel(self.channel_id) or await self.client.fetch_channel(self.channel_id)
        except (discord.NotFound, discord.Forbidden):
            raise ChannelGone("the channel was deleted or is no longer visible to me") from None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise ChannelGone("the channel is no longer a text channel or a thread")
        return channel

    async def _run(self) -> None:
        replay = await self._current()
        self.channel = channel = await self._open_channel()
        thread: Thread | None = await self.replayer.store.revision_thread(replay.revision_id)
        if thread is None:
            raise ChannelGone("its thread was removed from the database")
        self.title = thread.title
        comments = {c.number: c for c in thread.comments}
        settings = await self.replayer.store.config.get(replay.guild_id)
        self.filter = ProfanityFilter(settings.profanity, settings.profanity_words)
        pace = stored_pace(replay.pace)
        self.poster = ChannelPoster(self.client, channel, self.replays, replay.use_webhooks,
                                    self.replayer.api_budget)
        await self.poster.prepare()
        # Discord counts a webhook's messages per webhook: threads sharing their parent's webhook share its budget.
        self.budget_key = self.poster.webhook_home.id if self.poster.webhook_home else self.channel_id
        budget = self.replayer.webhook_budgets[self.budget_key]
        if replay.use_webhooks and budget.idle and (replay.posted or replay.in_flight is not None):
            # A restart: Discord still counts what the last process sent in this window.
            budget.seed(await self.poster.call(self.poster.recent_send_times, budget.spec.limit))
        if replay.status_message_id is None:
            await self._post_status(replay)
        if replay.in_flight is not None:
            await self._settle(replay, comments[replay.in_flight])

        waited_for = None  # the comment whose pace delay has already been waited
        while True:
            replay = await self._current()
            if replay.state is not ReplayState.RUNNING or self.replayer.closing:
                return  # paused or stopped: a control launches a new runner when there is work again
            number = replay.next_number
            if number > replay.last_number:
                await self._end(ReplayState.FINISHED, None)
                return
            previous = comments.get(number - 1) if number > replay.first_number else None
            delay = pace.delay(comments[number], previous)
            if not self.post_next_now and waited_for != number:
                if delay is None:
                    return  # manual pace: the Next button launches a runner that posts one comment
                if delay > 0:
                    self.sleeping = True
                    try:
                        await asyncio.sleep(delay)
                    finally:
                        self.sleeping = False
                    waited_for = number
                    continue  # look at the state again: it may have changed while we slept
            self.post_next_now = False
            try:
                await self._post(replay, comments[number])
            except DiscordUnavailable as exc:
                await self._wait_for_discord(exc)
                await self._settle_after_outage(comments)
                continue  # the comment's remaining parts, if any, go out now
            self._outage_wait = 0.0
            self.refresh_status()

    async def _wait_for_discord(self, exc: DiscordUnavailable) -> None:
        """Discord is not answering: wait (0.5 s, doubling up to OUTAGE_WAIT_MAX) and try again, as long as it
        takes; a shutdown or a member's pause or stop ends the wait."""
        self._outage_wait = min(OUTAGE_WAIT_MAX, self._outage_wait * 2 or 0.5)
        log.warning("replay %s in guild %s channel %s: Discord is not answering (%s); trying again in %.0f s",
                    self.replay_id, self.guild_id, self.channel_id, exc, self._outage_wait)
        self.sleeping = True
        try:
            await asyncio.sleep(self._outage_wait)
        finally:
            self.sleeping = False

    async def _settle_after_outage(self, comments: dict[int, Comment]) -> None:
        """A send whose answer never came may still have been posted: record what Discord has, as after a crash.
        If Discord is still away, the next round waits again."""
        replay = await self._current()
        if replay.in_flight is not None and replay.in_flight in comments:
            try:
                await self._settle(replay, comments[replay.in_flight], "got no answer from Discord")
            except DiscordUnavailable as exc:
                log.info("replay %s: could not settle comment %s yet (%s)", self.replay_id, replay.in_flight, exc)

    # -- posting --------------------------------------------------------------------------------------------

    async def _render(self, comment: Comment) -> PostedComment:
        link = None
        if comment.reply_to is not None:
            parent = await self.replays.first_message(self.replay_id, comment.reply_to)
            if parent:
                link = jump_url(self.guild_id, self.channel_id, parent)
        return render_comment(comment, parent_link=link, text_filter=self.filter)

    async def _post(self, replay: Replay, comment: Comment) -> None:
        assert self.poster is not None
        await self._saved(partial(self.replays.begin_comment, replay.id, comment.number))
        if self.filter.skips(comment.text):
            await self._saved(partial(self.replays.record_post, replay.id, comment.number, 0, None))
        else:
            posted = await self._render(comment)
            done = await self.replays.posted_parts(replay.id, comment.number)
            for part in range(len(posted.contents)):
                if part in done:
                    continue
                if self.poster.use_webhooks:
                    async with self.replayer.webhook_budgets[self.budget_key].slot():
                        message_id = await self.poster.send_part(posted, part)
                else:
                    message_id = await self.poster.send_part(posted, part)  # announced limits: discord.py paces
                await self._saved(partial(self.replays.record_post, replay.id, comment.number, part, message_id))
        await self._saved(partial(self.replays.finish_comment, replay.id, comment.number))

    async def _saved(self, write: Callable[[], Awaitable[None]]) -> None:
        """Run one write of the replay's progress. While the disk refuses writes (full, or failing), the replay
        pauses right here: it says so in the channel, sends nothing, tries the same write again with backoff,
        and goes on by itself (saying so) once it succeeds. A posted message's id is kept until it is saved."""
        wait = SAVE_RETRY_FIRST
        announced = False
        while True:
            try:
                await write()
                break
            except sqlite3.OperationalError as exc:
                if not cannot_save(exc):
                    raise
                if not announced:
                    announced = True
                    log.warning("replay %s in guild %s channel %s paused: could not save its progress (%s); "
                                "trying again until it can", self.replay_id, self.guild_id, self.channel_id, exc)
                    await self._say(f"⏸ Replay of **{title_in_text(self.title)}** paused: I could not save its "
                                    f"progress (the disk is full or failing). It goes on by itself once saving "
                                    f"works again.")
                await asyncio.sleep(wait)
                wait = min(wait * 2, SAVE_RETRY_MAX)
        if announced:
            log.info("replay %s in guild %s channel %s: saving works again; going on", self.replay_id,
                     self.guild_id, self.channel_id)
            await self._say(f"▶ Saving works again: the replay of **{title_in_text(self.title)}** goes on.")

    async def _say(self, text: str) -> None:
        if self.channel is None:
            return
        with contextlib.suppress(discord.HTTPException):
            async with self.replayer.api_budget.slot():
                await self.channel.send(text, allowed_mentions=NO_MENTIONS)

    async def _settle(self, replay: Replay, comment: Comment, why: str = "was in flight at shutdown") -> None:
        """A send of ``comment`` began before a crash (or got no answer): record the parts Discord has, so none is
        posted twice."""
        assert self.poster is not None
        posted = await self._render(comment)
        done = await self.replays.posted_parts(replay.id, comment.number)
        after = await self.replays.last_message(replay.id) or replay.status_message_id
        recent = [m for m in await self.poster.recent(after) if m.from_us]
        found = 0
        for part, content in enumerate(posted.contents):
            if part in done:
                continue
            match = next((m for m in recent if m.content.strip() == content.strip()), None)
            if match is None:
                break  # parts go out in order: the first missing one and those after it were never sent
            recent = [m for m in recent if m.id > match.id]
            await self._saved(partial(self.replays.record_post, replay.id, comment.number, part, match.id))
            found += 1
        log.info("replay %s: comment %s %s; %d of its %d messages were already posted", replay.id, comment.number,
                 why, len(done) + found, len(posted.contents))

    # -- status and endings ---------------------------------------------------------------------------------

    async def _post_status(self, replay: Replay) -> None:
        assert self.poster is not None and self.channel is not None
        text = status_text(replay, self.title, stored_pace(replay.pace))
        # A run killed after Discord posted the status message but before its id was saved: adopt that message
        # rather than show a second one.
        earlier = await self.poster.call(self._status_posted_before, text)
        if earlier is None:
            async with self.replayer.api_budget.slot():
                message = await self.poster.call(self.channel.send, text,
                                                 view=controls_view(replay) or discord.utils.MISSING,
                                                 allowed_mentions=NO_MENTIONS)
            earlier = message.id
        await self._saved(partial(self.replays.set_status_message, replay.id, earlier))

    async def _status_posted_before(self, text: str) -> int | None:
        assert self.channel is not None
        me = self.client.user.id if self.client.user else 0
        async with self.replayer.api_budget.slot():
            async for message in self.channel.history(limit=10):
                if message.author.id == me and message.webhook_id is None and message.content == text:
                    return message.id
        return None

    def refresh_status(self, *, now: bool = False) -> None:
        """Edit the status message soon: at most every few seconds, but always with the latest progress."""
        if self._status_task and not self._status_task.done():
            if not now:
                return
            self._status_task.cancel()
        wait = 0.0 if now else max(0.0, self._status_edited + STATUS_EDIT_INTERVAL - now_seconds())
        self._status_task = asyncio.create_task(self._edit_status(wait))

    async def _edit_status(self, wait: float) -> None:
        if wait:
            await asyncio.sleep(wait)
        self._status_edited = now_seconds()
        await self.replayer.edit_status(self.replay_id, self.title)

    async def _status_settled(self) -> None:
        if self._status_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._status_task

    async def _end(self, state: ReplayState, note: str | None) -> None:
        self.ending = True
        if state is ReplayState.FINISHED:
            # Shown before it is saved: killed in between, the next start finds nothing left to post and ends the
            # replay again, edit included (saved first, the status would say "Replaying" for ever).
            await self.replayer.edit_status(self.replay_id, self.title, ending=(state, note))
        await self._saved(partial(self.replays.set_state, self.replay_id, state, note))
        self.end_saved.set()
        if state is ReplayState.FINISHED and self.replayer.on_finished is not None:
            finished = await self.replays.get(self.replay_id)
            try:
                if finished is not None:
                    await self.replayer.on_finished(finished)
            except Exception:  # what follows a replay never turns a finished replay into a failed one
                log.exception("after replay %s finished", self.replay_id)
        log.info("replay %s in guild %s channel %s %s%s", self.replay_id, self.guild_id, self.channel_id,
                 state.value, f" ({note})" if note else "")
        self.refresh_status(now=True)  # a deleted channel just makes this edit fail, which is logged
        await self._status_settled()

    async def _block(self, reason: str, remedy: str) -> None:
        note = f"Paused: {reason}. {remedy.replace('`', '')}"
        await self.replays.set_state(self.replay_id, ReplayState.PAUSED, note)
        log.warning("replay %s in guild %s channel %s paused: %s", self.replay_id, self.guild_id, self.channel_id,
                    reason)
        if self.channel is not None:
            text = f"⏸ Replay of **{title_in_text(self.title)}** paused: {reason}. {remedy}"
            # A locked thread refuses the bot too: then its parent channel hears why.
            places = [self.channel, *([self.channel.parent] if isinstance(self.channel, discord.Thread) else [])]
            for place in places:
                if isinstance(place, discord.TextChannel | discord.Thread):
                    try:
                        await place.send(text, allowed_mentions=NO_MENTIONS)
                        break
                    except discord.HTTPException:
                        continue
            self.refresh_status(now=True)
            await self._status_settled()


class Replayer:
    """Runs the live replays: launches a runner per channel, applies members' actions, resumes after a restart."""

    def __init__(self, client: discord.Client, store: Store, webhook_budgets: Budgets, api_budget: ChannelBudget):
        self.client = client
        self.store = store
        self.webhook_budgets = webhook_budgets  # webhook messages, per channel
        self.api_budget = api_budget  # the bot's own authenticated requests, all channels together
        self.runners: dict[int, ReplayRunner] = {}
        self.on_finished: Callable[[Replay], Awaitable[None]] | None = None  # e.g. the auto poll
        self.closing = False  # shutting down: runners finish the send in progress and start no other

    def launch(self, replay: Replay, *, post_next_now: bool = False) -> ReplayRunner:
        if replay.next_number == replay.first_number and replay.in_flight is None and replay.status_message_id is None:
            log.info("replay %s started in guild %s channel %s: comments %s to %s at pace %s", replay.id,
                     replay.guild_id, replay.channel_id, replay.first_number, replay.last_number, replay.pace)
        runner = ReplayRunner(self, replay, post_next_now=post_next_now)
        self.runners[replay.channel_id] = runner
        runner.task = asyncio.create_task(runner.run(), name=f"replay-{replay.id}")
        return runner

    async def create(self, channel_id: int, create: Callable[[], Awaitable[Replay]]) -> Replay:
        """``create()`` the channel's new replay; ReplayConflict while another is live there. A replay is shown as
        finished a moment before it is saved so (ReplayRunner._end): a start in that moment waits (END_SAVE_WAIT
        at most) for the save instead of meeting a replay members already see as over."""
        try:
            return await create()
        except ReplayConflict:
            runner = self.runners.get(channel_id)
            if runner is None or not runner.ending:
                raise
            try:
                await asyncio.wait_for(runner.end_saved.wait(), END_SAVE_WAIT)
            except TimeoutError:
                raise ReplayConflict(channel_id) from None
        return await create()

    def _interrupt(self, channel_id: int) -> bool:
        """Cancel the channel's runner if it is only waiting; True when no runner is left."""
        runner = self.runners.get(channel_id)
        if runner is None:
            return True
        if runner.sleeping and runner.task:
            runner.task.cancel()
            del self.runners[channel_id]
            return True
        return False

    async def resume_all(self) -> None:
        """After a restart: pick up every replay that was running. (A paused one needs no task until resumed;
        its runner then settles any comment that was in flight.)"""
        await self.client.wait_until_ready()
        for replay in await self.store.replays.all_live():
            if replay.state is ReplayState.RUNNING and replay.channel_id not in self.runners:
                log.info("resuming replay %s in channel %s at comment %s", replay.id, replay.channel_id,
                         replay.in_flight or replay.next_number)
                self.launch(replay)

    async def edit_status(self, replay_id: int, title: str | None = None, *,
                          ending: tuple[ReplayState, str | None] | None = None) -> None:
        """Show a replay's current state on its status message (``ending``: the state and note it is about to
        be given)."""
        replay = await self.store.replays.get(replay_id)
        if replay is not None and ending is not None:
            replay = dataclasses.replace(replay, state=ending[0], note=ending[1])
        if replay is None or replay.status_message_id is None:
            return
        if title is None:
            title = await self.store.revision_title(replay.revision_id) or "?"
        channel = self.client.get_channel(replay.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        try:
            async with self.api_budget.slot():
                await channel.get_partial_message(replay.status_message_id).edit(
                    content=status_text(replay, title, stored_pace(replay.pace)), view=controls_view(replay),
                    allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("could not edit the status of replay %s: %s", replay_id, exc)

    async def _set_state(self, replay: Replay, state: ReplayState) -> None:
        await self.store.replays.set_state(replay.id, state)
        log.info("replay %s in guild %s channel %s %s by a member", replay.id, replay.guild_id, replay.channel_id,
                 state.value)
        idle = self._interrupt(replay.channel_id)
        if state is ReplayState.RUNNING:
            if idle:
                await self.relaunch(replay.id)
            else:
                self.runners[replay.channel_id].relaunch = True  # busy: it may have read "paused" already
        await self.edit_status(replay.id)

    async def relaunch(self, replay_id: int, *, post_next_now: bool = False) -> None:
        """Start a runner for the replay if it is running and its channel has none."""
        replay = await self.store.replays.get(replay_id)
        if replay is not None and replay.state is ReplayState.RUNNING and replay.channel_id not in self.runners:
            self.launch(replay, post_next_now=post_next_now)

    async def apply(self, replay: Replay, action: ReplayAction) -> str:
        """Pause, resume, next (post the next comment now) or stop; returns what happened, for the member."""
        if action is ReplayAction.PAUSE:
            if replay.state is not ReplayState.RUNNING:
                return "This replay is already paused."
            await self._set_state(replay, ReplayState.PAUSED)
            return "Paused. Use `/replay resume` or the Resume button to go on."
        if action is ReplayAction.RESUME:
            if replay.state is not ReplayState.PAUSED:
                return "This replay is not paused."
            await self._set_state(replay, ReplayState.RUNNING)
            return "Resumed."
        if action is ReplayAction.NEXT:
            if replay.state is not ReplayState.RUNNING:
                return "This replay is paused: resume it first."
            if self._interrupt(replay.channel_id):
                self.launch(replay, post_next_now=True)
            else:  # it is posting now: the next follows at once (or right after it, if it was about to stop)
                busy = self.runners[replay.channel_id]
                busy.post_next_now = busy.relaunch = True
            return f"Posting comment {replay.next_number} now."
        await self._set_state(replay, ReplayState.STOPPED)
        return f"Stopped after {replay.posted} comment(s)."

    async def close(self, grace: float = 8.0) -> None:
        """Stop every runner: one waiting for its pace at once, one sending once its send is done (within
        ``grace`` seconds; after that it is cancelled, and the comment in flight is settled at the next start)."""
        self.closing = True
        for channel_id in list(self.runners):
            self._interrupt(channel_id)
        tasks = [r.task for r in self.runners.values() if r.task]
        if tasks:
            log.info("waiting up to %.0f s for %d replay send(s) in progress", grace, len(tasks))
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.runners.clear()
