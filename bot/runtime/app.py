"""The Discord bot: a ``commands.Bot`` given its settings and an open store by whoever runs it (the service, the
sandbox, a test). ``setup_hook`` loads one cog per feature and syncs slash commands only when they changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.core.budget import Budgets, ChannelBudget
from bot.core.discussions import CaptureMode
from bot.core.replays import Replay
from bot.runtime.clock import now_seconds
from bot.runtime.discussions import DiscussionKeeper
from bot.runtime.polls import PollKeeper
from bot.runtime.replayer import Replayer
from bot.runtime.tree import RethreadTree
from bot.settings import Settings
from db.store import Store

log = logging.getLogger("rethread")

EXTENSIONS = ("cogs.threads", "cogs.article", "cogs.replay", "cogs.polls", "cogs.discuss", "cogs.config")


def use_api_base(base: str | None) -> None:
    """Send REST calls (webhooks included: they share ``Route``) to ``base`` instead of Discord, e.g. a
    rate-limit proxy. The gateway address is then asked of that server at login."""
    if base:
        discord.http.Route.BASE = base


class RethreadBot(commands.Bot):
    store: Store
    settings: Settings
    replayer: Replayer
    polls: PollKeeper
    discussions: DiscussionKeeper

    def __init__(self, settings: Settings, store: Store, *, always_sync: bool = False, run_replays: bool = True,
                 message_content: bool = True, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True  # channels and permissions
        intents.guild_polls = True  # votes on the bot's polls
        intents.guild_messages = True  # members' messages in discussions; a poll's final results (an update)
        # Privileged (a Developer Portal switch): without it Discord blanks the text of members' messages, except
        # those that mention the bot or reply to it. Asked for; if refused, the bot runs without (see connect).
        intents.message_content = message_content
        super().__init__(
            command_prefix=commands.when_mentioned,  # slash commands only; no prefix commands are registered
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),  # the default for every send: nothing pings
            help_command=None,
            tree_cls=RethreadTree,
            **options,
        )
        self.settings = settings
        self.store = store
        self.always_sync = always_sync  # `rethread sync`; and the sandbox, whose simulated Discord starts empty
        self.run_replays = run_replays  # False: `rethread sync` (it only syncs), the sandbox (it starts them later)
        self.replayer = Replayer(self, store, Budgets(settings.webhook_budget, clock=now_seconds),
                                 ChannelBudget(settings.api_budget, clock=now_seconds))
        self.polls = PollKeeper(self, store)
        self.discussions = DiscussionKeeper(self, store, self.replayer)
        self.discussions.mode = CaptureMode.FULL if message_content else CaptureMode.REDUCED
        self.replayer.on_finished = self._replay_finished
        self._start_tasks: list[asyncio.Task[None]] = []
        self._ready_before = False  # on_ready has run once: another READY is a new gateway session

    async def login(self, token: str) -> None:
        use_api_base(self.settings.api_base)
        await super().login(token)
        if self.settings.api_base:
            # discord.py connects to its built-in gateway address unless told otherwise.
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("using API %s and gateway %s", self.settings.api_base, url)

    async def connect(self, *, reconnect: bool = True) -> None:
        try:
            await super().connect(reconnect=reconnect)
        except discord.PrivilegedIntentsRequired:
            if not self._connection._intents.message_content:
                raise
            self._without_message_content()
            await super().connect(reconnect=reconnect)

    def _without_message_content(self) -> None:
        log.warning("Discord refused the Message Content intent: capturing discussions in reduced mode (only "
                    "messages that mention me or reply to me). To capture everything, enable Message Content Intent "
                    "in the Developer Portal (your application → Bot → Privileged Gateway Intents) and restart.")
        # discord.py keeps the intents it identifies with here; it offers no public way to change them.
        self._connection._intents.message_content = False
        self.discussions.mode = CaptureMode.REDUCED

    async def setup_hook(self) -> None:
        await self.discussions.load()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        if self.run_replays:
            self.start_background_work()

    def start_background_work(self) -> None:
        """Once ready: resume the replays that were running and collect the polls that ended meanwhile."""
        self._start_tasks = [asyncio.create_task(self.replayer.resume_all(), name="resume-replays"),
                             asyncio.create_task(self.polls.start(), name="start-polls")]

    async def on_ready(self) -> None:
        # READY comes again after Discord refused to resume the gateway session.
        await self.new_gateway_session(first=not self._ready_before)
        self._ready_before = True

    async def new_gateway_session(self, *, first: bool) -> None:
        """A new session replays nothing of the gap: what members wrote in discussions meanwhile, and (after the
        first, whose polls start_background_work reads) the votes cast, are read back from Discord."""
        if self._start_tasks and not first:
            self._start_tasks.append(asyncio.create_task(self.polls.start(), name="reconcile-polls"))
        await self.discussions.catch_up()

    async def _replay_finished(self, replay: Replay) -> None:
        thread_id = await self.store.polls.thread_of(replay.revision_id)
        if thread_id is not None:
            await self.polls.after_replay(replay, thread_id)

    async def sync_commands(self) -> str:
        """To the dev guild at every start (instant); globally only when the command set changed for this
        application (the hash is kept per application id, so another application is always synced)."""
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), guild.id)
            return "dev guild"
        payload = json.dumps([c.to_dict(self.tree) for c in self.tree.get_commands()], sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        key = f"command_sync_hash:{self.application_id}"
        if not self.always_sync and await self.store.bot_state.get(key) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return "unchanged"
        synced = await self.tree.sync()
        await self.store.bot_state.put(key, digest)
        log.info("synced %d global commands", len(synced))
        return "global"

    async def stop_background_work(self) -> None:
        for task in self._start_tasks:
            task.cancel()
        await self.replayer.close()
        await self.polls.close()
        await self.discussions.settled()  # members' messages received before the stop are stored

    async def close(self) -> None:
        await self.stop_background_work()
        await super().close()


class ShardedRethreadBot(RethreadBot, commands.AutoShardedBot):
    """The same bot over several gateway connections (shards) in this process, each carrying its share of the
    guilds (Discord requires it from 2,500 guilds). ``shard_count=None``: as many as Discord recommends."""

    async def connect(self, *, reconnect: bool = True) -> None:
        # One shard refused an intent closes the whole AutoShardedClient, so retrying without Message Content (as
        # RethreadBot.connect does) would find it closed: ask the application's flags before identifying instead.
        if self._connection._intents.message_content:
            flags = (await self.application_info()).flags
            if not (flags.gateway_message_content or flags.gateway_message_content_limited):
                self._without_message_content()
        await super().connect(reconnect=reconnect)

    async def on_shard_ready(self, shard_id: int) -> None:
        # With several shards, a new session on one of them (after Discord refused to resume it) dispatches only
        # shard_ready, not ready: read back what that shard missed, as on_ready does with one shard.
        if self.is_ready() and (self.shard_count or 1) > 1:
            log.info("shard %d started a new session; reading back what it missed", shard_id)
            await self.new_gateway_session(first=False)


def bot_for(settings: Settings, store: Store, **options: Any) -> RethreadBot:
    """The bot `rethread run` starts: sharded as SHARD_COUNT says (``off``: one plain, unsharded connection)."""
    if settings.shards == "off":
        return RethreadBot(settings, store, **options)
    return ShardedRethreadBot(settings, store, shard_count=None if settings.shards == "auto" else settings.shards,
                              **options)
