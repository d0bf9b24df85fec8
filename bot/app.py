"""The Discord bot: a ``commands.Bot`` whose ``setup_hook`` opens the store, loads one cog per feature and syncs
slash commands only when they changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging

import discord
import yarl
from discord.ext import commands

from bot.budget import Budgets, ChannelBudget
from bot.controls import ReplayButton
from bot.interactions import RethreadTree
from bot.replayer import ReplayManager
from bot.settings import Settings
from db.store import Store

log = logging.getLogger("rethread")

EXTENSIONS = ("cogs.threads", "cogs.article", "cogs.replay", "cogs.config")
_SYNC_HASH_KEY = "command_sync_hash"


def use_api_base(base: str | None) -> None:
    """Send REST calls (webhooks included: they share ``Route``) to ``base`` instead of Discord, e.g. a
    rate-limit proxy. The gateway address is then asked of that server at login."""
    if base:
        discord.http.Route.BASE = base


class RethreadBot(commands.Bot):
    def __init__(self, settings: Settings, *, force_sync: bool = False, **options):
        intents = discord.Intents.none()
        intents.guilds = True  # channels and permissions; nothing privileged
        super().__init__(
            command_prefix=commands.when_mentioned,  # slash commands only; no prefix commands are registered
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),  # the default for every send: nothing pings
            help_command=None,
            tree_cls=RethreadTree,
            **options,
        )
        self.settings = settings
        self.force_sync = force_sync
        self.store: Store | None = None
        self.replays = ReplayManager(self, Budgets(settings.webhook_budget), ChannelBudget(settings.api_budget))
        self._resume_task: asyncio.Task | None = None

    async def login(self, token: str) -> None:
        use_api_base(self.settings.api_base)
        await super().login(token)
        if self.settings.api_base:
            # discord.py connects to its built-in gateway address unless told otherwise.
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("using API %s and gateway %s", self.settings.api_base, url)

    async def setup_hook(self) -> None:
        self.store = await Store.open(self.settings.db_path)
        self.add_dynamic_items(ReplayButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        if not self.force_sync:  # `rethread sync` only logs in to sync; it runs no replays
            self._resume_task = asyncio.create_task(self.replays.resume_all(), name="resume-replays")

    async def sync_commands(self) -> str:
        """To the dev guild at every start (instant); globally only when the command set changed."""
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), guild.id)
            return "dev guild"
        payload = json.dumps([c.to_dict(self.tree) for c in self.tree.get_commands()], sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        if not self.force_sync and await self.store.get_state(_SYNC_HASH_KEY) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return "unchanged"
        synced = await self.tree.sync()
        await self.store.set_state(_SYNC_HASH_KEY, digest)
        log.info("synced %d global commands", len(synced))
        return "global"

    async def close(self) -> None:
        await self.replays.close()
        await super().close()
        if self.store is not None:
            await self.store.close()
            self.store = None
