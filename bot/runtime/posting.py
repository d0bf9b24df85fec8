"""Posting replayed comments into one channel: through a webhook Rethread owns there (so each comment shows
its author's name and avatar), or as the bot itself with the author in an embed. Retries what Discord asks to
be retried; names the permission that is missing; makes a deleted webhook again; recognises a deleted channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import aiohttp
import discord

from bot.core.budget import ChannelBudget
from bot.core.render import PostedComment
from bot.runtime.permissions import bot_missing_for_replay
from db.replays import ReplayStore

log = logging.getLogger("rethread.posting")

WEBHOOK_NAME = "Rethread"
NO_MENTIONS = discord.AllowedMentions.none()
RETRIES = 5  # for requests safe to repeat (reads, edits, webhook look-ups); a message is sent once (see send)
UNKNOWN_WEBHOOK, UNKNOWN_CHANNEL, THREAD_ARCHIVED = 10015, 10003, 50083

P = ParamSpec("P")
T = TypeVar("T")


# Where a replay posts: a text channel, or a Discord thread (a discussion; a forum post is one too).
Target = discord.TextChannel | discord.Thread


class ReplayBlocked(Exception):
    """The replay cannot go on until someone fixes something (a permission); it pauses and says what."""

    remedy = "Grant it, then use `/replay resume`."


class ThreadLocked(ReplayBlocked):
    """The discussion's Discord thread was locked (or archived by a moderator and locked): only a moderator can
    reopen it."""

    remedy = "A moderator can unlock it; then use `/replay resume`."


class ChannelGone(Exception):
    """The channel was deleted (or its webhook could not be made again): the replay ends."""


class WebhookGone(Exception):
    """The saved webhook no longer exists in Discord; it is made again once."""


class DiscordUnavailable(Exception):
    """Discord did not answer through every retry (server errors, timeouts, dropped connections): the replay
    waits and tries again; what Discord may have posted meanwhile is settled first, so nothing is sent twice."""


class MessageRefused(Exception):
    """Discord refused this one message (a 4xx such as 400 Invalid Form Body): others may still go through."""

    def __init__(self, status: int, code: int, text: str):
        super().__init__(f"{status} {code}: {text}")
        self.status, self.code, self.text = status, code, text


def neutral_name(number: int, username: str) -> str:
    """A webhook name Discord is very unlikely to refuse: the comment's number and the name, shortened to ASCII."""
    plain = "".join(ch for ch in username if ch.isascii() and (ch.isalnum() or ch in " -_.'")).strip()
    return f"#{number} {plain[:24]}".strip()


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: int
    content: str
    from_us: bool


class ChannelPoster:
    def __init__(self, client: discord.Client, channel: Target, replays: ReplayStore, use_webhooks: bool,
                 api_budget: ChannelBudget):
        self.client = client
        self.channel = channel
        # Webhooks belong to a channel, never to a thread: a thread's messages go through its parent's webhook
        # (one per parent, reused by all its threads), sent with thread_id.
        self.thread = channel if isinstance(channel, discord.Thread) else None
        self.webhook_home = channel.parent if isinstance(channel, discord.Thread) else channel
        self.replays = replays
        self.use_webhooks = use_webhooks
        self.api_budget = api_budget
        self.webhook: discord.Webhook | None = None

    @property
    def bot_user_id(self) -> int:
        return self.client.user.id if self.client.user else 0

    async def prepare(self) -> None:
        if self.use_webhooks and self.webhook is None:
            self.webhook = await self.call(self._find_or_create_webhook)

    async def _find_or_create_webhook(self) -> discord.Webhook:
        home = self.webhook_home
        if not isinstance(home, discord.TextChannel | discord.ForumChannel):
            raise ChannelGone("its channel is gone, or is not a text or forum channel any more")
        saved = await self.replays.webhook(home.id)
        if saved:
            return discord.Webhook.partial(saved[0], saved[1], client=self.client)
        async with self.api_budget.slot():  # one slot per bot-authenticated request
            hooks = await home.webhooks()
        webhook = next((h for h in hooks if h.user and h.user.id == self.bot_user_id and h.token), None)
        if webhook is None:
            async with self.api_budget.slot():
                webhook = await home.create_webhook(name=WEBHOOK_NAME, reason="Rethread replays comments here")
        assert webhook.token is not None  # a webhook the bot created (or owns) always comes with its token
        await self.replays.save_webhook(home.id, webhook.id, webhook.token)
        return discord.Webhook.partial(webhook.id, webhook.token, client=self.client)

    async def send_part(self, posted: PostedComment, part: int) -> int:
        """Post one message of a comment; returns its id. If Discord refuses that message alone (a 400), it is
        tried once more in a safer form (a neutral webhook name, then the bot's own embed), and if Discord still
        refuses it, a short note is posted in its place: one refused message never ends a replay."""
        content = posted.contents[part]
        attempts = [self._as_author, self._as_neutral_author, self._as_bot]
        if not self.use_webhooks:
            attempts = [self._as_bot]
        reasons = []
        for attempt in attempts:
            try:
                return await attempt(posted, content)
            except MessageRefused as exc:
                reasons.append(str(exc))
                log.warning("Discord refused comment %s (part %d) in #%s via %s: %s", posted.number, part + 1,
                            self.channel, attempt.__name__, exc)
        log.warning("comment %s (part %d) in #%s was refused in every form; a note takes its place (%s)",
                    posted.number, part + 1, self.channel, "; ".join(reasons))
        note = (f"-# Comment #{posted.number}" + (f" (part {part + 1})" if len(posted.contents) > 1 else "")
                + " could not be posted: Discord refused it. The replay goes on.")
        async with self.api_budget.slot():
            sent = await self.send(self.channel.send, note, allowed_mentions=NO_MENTIONS)
        return sent.id

    async def _as_author(self, posted: PostedComment, content: str) -> int:
        return await self._via_webhook(content, posted.username, posted.avatar_url)

    async def _as_neutral_author(self, posted: PostedComment, content: str) -> int:
        return await self._via_webhook(content, neutral_name(posted.number, posted.username), posted.avatar_url)

    async def _as_bot(self, posted: PostedComment, content: str) -> int:
        embed = discord.Embed(description=content, colour=discord.Colour.light_grey())
        embed.set_author(name=posted.username, icon_url=posted.avatar_url)
        async with self.api_budget.slot():
            sent = await self.send(self.channel.send, embed=embed, allowed_mentions=NO_MENTIONS)
        return sent.id

    async def _via_webhook(self, content: str, username: str, avatar_url: str) -> int:
        """A webhook deleted since it was saved is made again once: Discord refused the send (10015), so nothing
        was posted and sending again duplicates nothing."""
        for attempt in range(2):
            await self.prepare()
            assert self.webhook is not None
            try:
                message = await self.send(self.webhook.send, content, username=username, avatar_url=avatar_url,
                                          allowed_mentions=NO_MENTIONS, wait=True,
                                          thread=self.thread or discord.utils.MISSING)
                return message.id
            except WebhookGone:
                self.webhook = None
                if attempt:
                    break
                log.warning("the webhook in #%s was deleted; making it again", self.channel)
        raise ChannelGone("the replay's webhook was deleted and could not be made again")

    async def recent_send_times(self, limit: int) -> list[float]:
        """When our webhook posted its latest messages here (Discord's timestamps, in epoch seconds)."""
        if self.webhook is None:
            return []
        times = []
        async with self.api_budget.slot():
            async for message in self.channel.history(limit=limit):
                if message.webhook_id == self.webhook.id:
                    times.append(message.created_at.timestamp())
        return times

    async def recent(self, after: int | None, limit: int = 50) -> list[SentMessage]:
        """Messages posted after ``after`` (or the latest ``limit``), oldest first."""
        found = []
        history = self.channel.history(limit=limit, after=discord.Object(after) if after else None,
                                       oldest_first=True)
        async for message in history:
            ours = message.author.id == self.bot_user_id or (
                message.webhook_id is not None and message.webhook_id == (self.webhook.id if self.webhook else None))
            content = message.content if self.use_webhooks else (
                message.embeds[0].description if message.embeds else "") or ""
            found.append(SentMessage(message.id, content, ours))
        return found

    async def call(self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call Discord, retrying server errors and dropped connections with backoff; turn a missing permission
        into :class:`ReplayBlocked`, a deleted webhook into :class:`WebhookGone`, a deleted channel into
        :class:`ChannelGone`, and any other refusal of this request into :class:`MessageRefused`."""
        return await self._call(RETRIES, fn, *args, **kwargs)

    async def send(self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """:meth:`call` for a message: no blind retry, since a send whose answer was lost (a timeout, a dropped
        connection, a 5xx) may have been posted. :class:`DiscordUnavailable` at once; the replay then settles
        against the channel before it sends again."""
        return await self._call(1, fn, *args, **kwargs)

    async def _call(self, tries: int, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        failures = limited = 0  # answers lost (the request may have taken effect); 429s (it did not)
        unarchived = False
        while True:
            try:
                return await fn(*args, **kwargs)
            except discord.Forbidden as exc:
                if self.thread is not None and self.thread.locked:
                    raise ThreadLocked(f"the thread {self.channel.mention} is locked") from exc
                lacking = bot_missing_for_replay(self.channel, self.use_webhooks) or [
                    "a permission Discord did not name"]
                raise ReplayBlocked(f"I am missing {', '.join(lacking)} in #{self.channel.name}") from exc
            except discord.NotFound as exc:
                if exc.code == UNKNOWN_WEBHOOK:
                    await self.replays.forget_webhook(self.webhook_home.id if self.webhook_home else self.channel.id)
                    raise WebhookGone() from exc
                if exc.code == UNKNOWN_CHANNEL:
                    raise ChannelGone("the channel was deleted") from exc
                raise
            except (TimeoutError, discord.DiscordServerError, aiohttp.ClientError) as exc:
                failures += 1
                if failures >= tries:
                    raise DiscordUnavailable(str(exc) or type(exc).__name__) from exc
                delay = 0.5 * 2 ** (failures - 1)  # 0.5, 1, 2, 4 s
                log.warning("Discord error in #%s (%s); retrying in %.1f s", self.channel, exc, delay)
                await asyncio.sleep(delay)
            except discord.HTTPException as exc:
                if exc.code == THREAD_ARCHIVED and self.thread is not None:
                    if self.thread.locked or unarchived:
                        raise ThreadLocked(f"the thread {self.channel.mention} is locked") from exc
                    # Archived, not locked (a send usually reopens it by itself): reopen it, then send once more.
                    try:
                        self.thread = await self.thread.edit(archived=False)
                    except discord.HTTPException:
                        raise ThreadLocked(f"the thread {self.channel.mention} is archived and I cannot reopen it"
                                           ) from exc
                    unarchived = True
                    continue
                if 400 <= exc.status < 500 and exc.status not in (401, 429):
                    raise MessageRefused(exc.status, exc.code, exc.text) from exc
                if exc.status != 429:
                    raise
                limited += 1
                if limited >= RETRIES:
                    raise DiscordUnavailable(f"rate limited {limited} times in a row") from exc
                # discord.py gave up after its own tries (a long burst of 429s): nothing was posted, so wait as
                # Discord asks and try again rather than end the replay.
                delay = max(_retry_after(exc), 0.5 * 2 ** (limited - 1))
                log.warning("Discord kept rate limiting #%s; retrying in %.1f s", self.channel, delay)
                await asyncio.sleep(delay)


def _retry_after(exc: discord.HTTPException) -> float:
    try:
        return float(exc.response.headers.get("Retry-After", 0))
    except (AttributeError, ValueError):
        return 0.0
