"""Running the bot as a long-lived service: logging, graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord

from bot.app import RethreadBot
from bot.settings import Settings

log = logging.getLogger("rethread")


class TokenRejected(RuntimeError):
    pass


async def serve(settings: Settings) -> None:
    """Run until stopped. SIGTERM (systemd, docker stop) and Ctrl-C close the connection cleanly."""
    discord.utils.setup_logging(level=getattr(logging, settings.log_level, logging.INFO), root=True)
    bot = RethreadBot(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda s=sig: (log.info("received %s, shutting down", s.name),
                                                        asyncio.ensure_future(bot.close())))
    try:
        async with bot:
            await bot.start(settings.discord_token)
    except discord.LoginFailure as exc:
        raise TokenRejected(f"Discord rejected DISCORD_TOKEN ({exc}); copy the token again from the "
                            "Developer Portal (Bot -> Reset Token)") from None


async def force_sync(settings: Settings) -> str:
    """Log in over REST only and sync the slash commands now, whether or not they changed."""
    bot = RethreadBot(settings, force_sync=True)
    async with bot:
        await bot.login(settings.discord_token)  # login runs setup_hook, which syncs
    return "synced"
