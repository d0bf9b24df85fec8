"""Running the bot as a long-lived service: logging, graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord

from bot.runtime.app import RethreadBot
from bot.runtime.logs import setup_logging
from bot.settings import Settings
from db.store import Store

log = logging.getLogger("rethread")


class TokenRejected(RuntimeError):
    pass


async def serve(settings: Settings) -> None:
    """Run until stopped. SIGTERM (systemd, docker stop) and Ctrl-C close the connection cleanly."""
    setup_logging(settings.log_level)
    async with Store.opened(settings.db_path) as store:
        bot = RethreadBot(settings, store)
        loop = asyncio.get_running_loop()

        closing: set[asyncio.Task[None]] = set()  # a reference, so the task is not collected mid-way

        def shut_down(sig: signal.Signals) -> None:
            log.info("received %s, shutting down", sig.name)
            task = asyncio.create_task(bot.close())
            closing.add(task)
            task.add_done_callback(closing.discard)

        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, shut_down, sig)
        try:
            async with bot:
                await bot.start(settings.discord_token or "")
        except discord.LoginFailure as exc:
            raise TokenRejected(f"Discord rejected DISCORD_TOKEN ({exc}); copy the token again from the "
                                "Developer Portal (Bot -> Reset Token)") from None


async def force_sync(settings: Settings) -> None:
    """Log in over REST only and sync the slash commands now, whether or not they changed."""
    async with Store.opened(settings.db_path) as store:
        bot = RethreadBot(settings, store, always_sync=True, run_replays=False)
        try:
            async with bot:
                await bot.login(settings.discord_token or "")  # login runs setup_hook, which syncs
        except discord.LoginFailure as exc:
            raise TokenRejected(f"Discord rejected DISCORD_TOKEN ({exc})") from None
