"""Try Rethread without Discord: the same bot, cogs and database inside SimCord's local preview, a
Discord-like page on 127.0.0.1 where a visitor types the slash commands and watches replays appear.

Each start is a new simulated Discord: new channels, no messages. What carries over is the database, so a replay
that was running when the sandbox stopped is moved to the new #replays channel (the last one's id is kept in
``bot_state``) and resumes there."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from bot.runtime.app import RethreadBot
from bot.runtime.logs import setup_logging
from bot.settings import Settings
from db.store import Store

log = logging.getLogger("rethread.sandbox")

BOT_NAME = "Rethread"
GUILD_NAME = "Rethread Sandbox"
GUILD_KEY = "sandbox:guild"  # the simulated guild's id, pinned so guild settings and replays keep their guild
CLOCK_KEY = "sandbox:clock"  # the simulated time when the sandbox last stopped
REPLAYS_CHANNEL_KEY = "sandbox:replays_channel"  # last start's #replays id: its live replay moves to the new one
SETTLE_TIMEOUT = 1.5  # seconds a page action waits for the bot to go quiet (a running replay never does)
FOLLOW_INTERVAL = 0.5  # seconds between republishing open pages; the page itself polls every 0.5 s


class SandboxUnavailable(RuntimeError):
    pass


async def run_sandbox(settings: Settings, *, port: int | None = None, on_ready: Callable[[str], None],
                      stop: asyncio.Event | None = None) -> None:
    """Serve the sandbox until ``stop`` is set (or SIGINT/SIGTERM)."""
    try:
        import simcord
    except ImportError:
        raise SandboxUnavailable("the sandbox needs SimCord: pip install 'rethread[sandbox]'") from None
    if not logging.getLogger().handlers:  # like the service; unless the host (e.g. pytest) set up logging
        setup_logging(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    _separate_webhook_names()
    async with Store.opened(settings.db_path) as store:
        # Each start is a new simulated application, so its commands are always synced. What the bot would start
        # when ready (resuming replays) is started below instead, once the channel replays move to exists.
        bot = RethreadBot(settings, store, always_sync=True, run_replays=False)
        try:
            async with simcord.run(bot, check_errors=False, settle_timeout=SETTLE_TIMEOUT) as env:
                assert bot.user is not None
                await bot.user.edit(username=BOT_NAME)  # SimCord names its bot user "TestBot"
                await _catch_up_clock(env, store)
                guild = _create_guild(env, await store.bot_state.get(GUILD_KEY))
                replays = guild.create_text_channel("replays", topic="Try /article post and /replay start here")
                guild.create_forum_channel("discussions")
                admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True,
                                                                                     manage_messages=True))
                you = guild.add_member(env.create_user("you"), roles=[admins])
                guild.add_member(env.create_user("neighbour"))
                await _carry_over(store, guild.id, replays.id)
                bot.start_background_work()
                async with env.preview(replays, viewers=[you], layout="channel", port=port) as preview:
                    follow = asyncio.create_task(_follow_live(preview), name="sandbox-follow-live")
                    try:
                        on_ready(preview.url)
                        await stop.wait()
                    finally:
                        follow.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await follow
                        await store.bot_state.put(CLOCK_KEY, env.now().isoformat())
        finally:
            # SimCord detaches the bot without closing it: stop its own tasks before the store closes.
            await bot.stop_background_work()


def _create_guild(env: Any, pinned: str | None) -> Any:
    """The same guild id as last time, so its settings (``/config``) and its replays stay its own."""
    import simcord

    if pinned:
        with contextlib.suppress(simcord.SetupError, ValueError):
            return env.create_guild(GUILD_NAME, id=int(pinned))
    return env.create_guild(GUILD_NAME)


async def _catch_up_clock(env: Any, store: Store) -> None:
    """SimCord's clock starts at the same instant on every start, so ids (snowflakes carry their time) would
    repeat from one start to the next, and a message id the database kept from the last run (a replay's status
    message) could name a different message now. Moving the clock past the last run, to the present, keeps every
    id new, and shows real dates on the page."""
    target = datetime.now(UTC)
    last = await store.bot_state.get(CLOCK_KEY)
    if last:
        with contextlib.suppress(ValueError):
            target = max(target, datetime.fromisoformat(last) + timedelta(seconds=1))
    ahead = (target - env.now()).total_seconds()
    if ahead > 0:
        try:
            await env.advance_time(ahead)  # nothing is scheduled yet, so this is one step
        except TimeoutError:
            log.warning("could not move the simulated clock on; message ids may repeat those of the last run")


async def _carry_over(store: Store, guild_id: int, channel_id: int) -> None:
    """Remember this start's guild and #replays, and move the last start's live replay into the new channel."""
    await store.bot_state.put(GUILD_KEY, str(guild_id))
    previous = await store.bot_state.get(REPLAYS_CHANNEL_KEY)
    if previous:
        # Also when the id is the same (a clock that could not move on): the status message is gone either way.
        moved = await store.replays.move_live(int(previous), channel_id)
        if moved:
            log.info("moved %d unfinished replay(s) from the last sandbox run to the new #replays", moved)
        if int(previous) != channel_id:
            await store.replays.forget_webhook(int(previous))  # that channel, and its webhook, are gone
    await store.bot_state.put(REPLAYS_CHANNEL_KEY, str(channel_id))


# -- SimCord preview internals ---------------------------------------------------------------------------------
# Two behaviours the sandbox needs that SimCord 3.2's preview has no public switch for. Both reach into private
# attributes (hence the pinned simcord version in pyproject.toml) and both degrade to a logged warning, never a
# crash, when those attributes are not there.


def _separate_webhook_names() -> None:
    """Discord starts a new message group when a webhook's name or avatar changes; SimCord's preview groups by
    author id alone, so every replayed comment would sit under the first commenter's name."""
    try:
        from simcord.preview import _snapshot

        original = _snapshot._is_compact_message
    except (ImportError, AttributeError):
        log.warning("this SimCord has no preview grouping hook: replayed comments may share one name header")
        return
    if getattr(original, "_rethread_by_name", False):
        return  # already patched (the sandbox was started before in this process)

    def is_compact(previous: Any, message: Any, *args: Any, **kwargs: Any) -> bool:
        if previous is not None and (getattr(previous, "author_name", None), getattr(previous, "author_avatar", None)) \
                != (getattr(message, "author_name", None), getattr(message, "author_avatar", None)):
            return False
        return original(previous, message, *args, **kwargs)

    setattr(is_compact, "_rethread_by_name", True)  # noqa: B010 (a mark on a function: no attribute to type)
    _snapshot._is_compact_message = is_compact


async def _follow_live(preview: Any, interval: float = FOLLOW_INTERVAL) -> None:
    """Keep open pages following what the bot does on its own (a replay posting), without a Refresh click.

    The page polls ``/api/state``, which returns the page's last published snapshot; SimCord publishes only
    after a page action. This rebuilds each page's snapshot and swaps it in when it changed, keeping the page's
    revision, so an action the visitor is composing is not rejected as stale. (``preview.refresh()`` would bump
    the revision and block actions while it runs.)"""
    try:
        from simcord.preview._snapshot import build_snapshot

        for name in ("_closed", "_active_action", "_advance_presentation_time", "_pages"):
            getattr(preview, name)
    except (ImportError, AttributeError) as exc:
        log.warning("this SimCord's preview cannot be followed live (%s): click Refresh to see new messages", exc)
        return
    warned = False
    while not preview._closed:
        await asyncio.sleep(interval)
        if preview._active_action is not None:
            continue  # the action publishes when it settles
        try:
            preview._advance_presentation_time()
            for page in tuple(preview._pages.values()):
                if page.pinned_snapshot is not None or page.status == "access_denied":
                    continue
                fresh = build_snapshot(preview, page)
                if fresh != page.snapshot:
                    page.snapshot = fresh
        except Exception:
            if not warned:  # once: it is retried every interval
                log.warning("could not update the preview page; click Refresh to see new messages", exc_info=True)
                warned = True
