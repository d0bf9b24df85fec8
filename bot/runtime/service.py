"""Running the bot as a long-lived service: logging, and a bounded, clean shutdown on SIGTERM or SIGINT.

discord.py handles neither signal itself (its ``run`` only catches KeyboardInterrupt). Here the first signal
lets the send in progress finish (the replay runner stops after it), closes the gateway and then the database,
within ``SHUTDOWN_SECONDS``; after that the process exits anyway. A second signal exits at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

import discord

from bot.heap import keep_reads_off_the_heap
from bot.runtime.app import RethreadBot, bot_for
from bot.runtime.logs import setup_logging
from bot.settings import Settings
from db.store import Store

log = logging.getLogger("rethread")

SHUTDOWN_SECONDS = 10.0
EXIT_FORCED = 1


class TokenRejected(RuntimeError):
    """Discord refused the token: restarting will not help (a configuration error)."""


class IntentsNotEnabled(RuntimeError):
    """The bot asked for an intent that is not enabled in the Developer Portal (a configuration error)."""


async def serve(settings: Settings) -> None:
    """Run until stopped by a signal; returns after a clean (or bounded) shutdown."""
    setup_logging(settings)
    keep_reads_off_the_heap()  # else the heap grows with every read from Discord: see bot/heap.py
    async with Store.opened(settings.db_path) as store:
        bot = bot_for(settings, store)  # sharded as SHARD_COUNT says
        stop = asyncio.Event()
        _handle_signals(stop)
        # Not `async with bot`: its exit would close the client again, without our time bound.
        running = asyncio.create_task(bot.start(settings.discord_token or ""), name="discord-client")
        stopping = asyncio.create_task(stop.wait(), name="wait-for-signal")
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        try:
            await asyncio.wait_for(bot.close(), SHUTDOWN_SECONDS)
            log.info("stopped cleanly")
        except TimeoutError:
            log.warning("shutdown took over %.0f s; exiting anyway", SHUTDOWN_SECONDS)
        if running.done():
            _raise_configuration_errors(running)
            return
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running


def _handle_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("second %s: exiting at once", sig.name)
            logging.shutdown()
            os._exit(EXIT_FORCED)
        log.info("received %s, shutting down (at most %.0f s)", sig.name, SHUTDOWN_SECONDS)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)


def _raise_configuration_errors(running: asyncio.Task[None]) -> None:
    try:
        running.result()
    except discord.LoginFailure as exc:
        raise TokenRejected(f"Discord rejected DISCORD_TOKEN ({exc}); copy the token again from the "
                            "Developer Portal (Bot -> Reset Token)") from None
    except discord.PrivilegedIntentsRequired:
        raise IntentsNotEnabled("enable the bot's privileged intents in the Developer Portal (Bot -> Privileged "
                                "Gateway Intents), then start again") from None


async def force_sync(settings: Settings) -> None:
    """Log in over REST only and sync the slash commands now, whether or not they changed."""
    async with Store.opened(settings.db_path) as store:
        bot = RethreadBot(settings, store, always_sync=True, run_replays=False)
        try:
            async with bot:
                await bot.login(settings.discord_token or "")  # login runs setup_hook, which syncs
        except discord.LoginFailure as exc:
            raise TokenRejected(f"Discord rejected DISCORD_TOKEN ({exc})") from None
