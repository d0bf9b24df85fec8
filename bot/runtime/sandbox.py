"""Try Rethread without Discord: the same bot, cogs and database inside SimCord's local preview, a
Discord-like page on 127.0.0.1 where a visitor types the slash commands and watches replays appear."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

import discord

from bot.runtime.app import RethreadBot
from bot.settings import Settings
from db.store import Store


class SandboxUnavailable(RuntimeError):
    pass


async def run_sandbox(settings: Settings, *, port: int | None = None, on_ready: Callable[[str], None],
                      stop: asyncio.Event | None = None) -> None:
    """Serve the sandbox until ``stop`` is set (or SIGINT/SIGTERM)."""
    try:
        import simcord
    except ImportError:
        raise SandboxUnavailable("the sandbox needs SimCord: pip install 'rethread[sandbox]'") from None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Store.opened(settings.db_path) as store:
        # Each start is a new simulated application, so its commands are always synced.
        bot = RethreadBot(settings, store, always_sync=True)
        try:
            async with simcord.run(bot, check_errors=False) as env:
                guild = env.create_guild("Rethread Sandbox")
                replays = guild.create_text_channel("replays", topic="Try /article post and /replay start here")
                guild.create_forum_channel("discussions")
                admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True,
                                                                                     manage_messages=True))
                you = guild.add_member(env.create_user("you"), roles=[admins])
                guild.add_member(env.create_user("neighbour"))
                async with env.preview(replays, viewers=[you], layout="channel", port=port) as preview:
                    on_ready(preview.url)
                    await stop.wait()
        finally:
            await bot.replayer.close()  # SimCord detaches the bot without closing it
