"""Posting replayed comments into one channel: through a webhook Rethread owns there (so each comment shows
its author's name and avatar), or as the bot itself with the author in an embed. Retries what Discord asks to
be retried; names the permission that is missing; recognises a channel or webhook that no longer exists."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
import discord

from bot.budget import ChannelBudget
from bot.render import PostedComment
from db.replays import ReplayStore

log = logging.getLogger("rethread.posting")

WEBHOOK_NAME = "Rethread"
NO_MENTIONS = discord.AllowedMentions.none()
RETRIES = 5  # discord.py already retries 429 and 500/502/504; this covers 503 and dropped connections


class ReplayBlocked(Exception):
    """The replay cannot go on until someone fixes something (a permission); it pauses and says what."""


class ChannelGone(Exception):
    """The channel or its webhook was deleted: the replay ends."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: int
    content: str
    from_us: bool


def missing_permissions(channel: discord.abc.GuildChannel, use_webhooks: bool) -> list[str]:
    """The permissions a replay needs in ``channel`` that the bot lacks, as Discord's UI names them."""
    perms = channel.permissions_for(channel.guild.me)
    needed = [("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("embed_links", "Embed Links"),
              ("read_message_history", "Read Message History")]
    if use_webhooks:
        needed.append(("manage_webhooks", "Manage Webhooks"))
    return [label for attr, label in needed if not getattr(perms, attr)]


class ChannelPoster:
    def __init__(self, bot: discord.Client, channel: discord.TextChannel, replays: ReplayStore, use_webhooks: bool,
                 api_budget: ChannelBudget):
        self.bot = bot
        self.channel = channel
        self.replays = replays
        self.use_webhooks = use_webhooks
        self.api_budget = api_budget
        self.webhook: discord.Webhook | None = None

    async def prepare(self) -> None:
        if self.use_webhooks and self.webhook is None:
            self.webhook = await self.call(self._find_or_create_webhook)

    async def _find_or_create_webhook(self) -> discord.Webhook:
        saved = await self.replays.webhook(self.channel.id)
        if saved:
            return discord.Webhook.partial(saved[0], saved[1], client=self.bot)
        async with self.api_budget.slot():  # one slot per bot-authenticated request
            hooks = await self.channel.webhooks()
        for hook in hooks:
            if hook.user and hook.user.id == self.bot.user.id and hook.token:
                webhook = hook
                break
        else:
            async with self.api_budget.slot():
                webhook = await self.channel.create_webhook(name=WEBHOOK_NAME, reason="Rethread replays comments here")
        await self.replays.save_webhook(self.channel.id, webhook.id, webhook.token)
        return discord.Webhook.partial(webhook.id, webhook.token, client=self.bot)

    async def send_part(self, posted: PostedComment, part: int) -> int:
        """Post one message of a comment; returns its id."""
        content = posted.contents[part]
        if self.use_webhooks:
            message = await self.call(self.webhook.send, content, username=posted.username,
                                       avatar_url=posted.avatar_url, allowed_mentions=NO_MENTIONS, wait=True)
        else:
            embed = discord.Embed(description=content, colour=discord.Colour.light_grey())
            embed.set_author(name=posted.username, icon_url=posted.avatar_url)
            async with self.api_budget.slot():
                message = await self.call(self.channel.send, embed=embed, allowed_mentions=NO_MENTIONS)
        return message.id

    async def recent(self, after: int | None, limit: int = 50) -> list[SentMessage]:
        """Messages posted after ``after`` (or the latest ``limit``), oldest first."""
        found = []
        history = self.channel.history(limit=limit, after=discord.Object(after) if after else None,
                                       oldest_first=True)
        async for message in history:
            from_us = (self.webhook is not None and message.webhook_id == self.webhook.id) or (
                message.author.id == self.bot.user.id)
            content = message.content if self.use_webhooks else (
                message.embeds[0].description if message.embeds else "") or ""
            found.append(SentMessage(message.id, content, from_us))
        return found

    async def call(self, fn, *args, **kwargs):
        """Call Discord, retrying server errors and dropped connections with backoff; turn a missing permission
        into :class:`ReplayBlocked` and a deleted channel or webhook into :class:`ChannelGone`."""
        for attempt in range(RETRIES):
            try:
                return await fn(*args, **kwargs)
            except discord.Forbidden as exc:
                missing = missing_permissions(self.channel, self.use_webhooks) or ["a permission Discord did not name"]
                raise ReplayBlocked(f"I am missing {', '.join(missing)} in #{self.channel.name}") from exc
            except discord.NotFound as exc:
                if exc.code == 10015:
                    await self.replays.forget_webhook(self.channel.id)
                    raise ChannelGone("the replay's webhook was deleted") from exc
                if exc.code == 10003:
                    raise ChannelGone("the channel was deleted") from exc
                raise
            except (TimeoutError, discord.DiscordServerError, aiohttp.ClientError) as exc:
                if attempt == RETRIES - 1:
                    raise
                delay = 1 + attempt * 2
                log.warning("Discord error in #%s (%s); retrying in %d s", self.channel, exc, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
