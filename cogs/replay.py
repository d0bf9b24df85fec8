"""/replay: replay a thread's comments into a channel, one by one, each under its author's name; and the
buttons on a replay's status message, which act like the commands."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.pacing import Pace, stored_pace
from bot.core.replays import Replay, ReplayAction
from bot.core.status import status_text
from bot.core.text import shorten, title_in_text
from bot.runtime.app import RethreadBot
from bot.runtime.controls import BUTTON_ID_TEMPLATE
from bot.runtime.errors import UserError
from bot.runtime.options import CHOICE_NAME_LIMIT, PaceArg, ThreadArg, chosen_thread_id
from bot.runtime.permissions import REPLAY_NEEDS, ensure_may_run_replays, may_run_replays, replay_runner_refusal
from bot.runtime.targets import checked_target
from db.guild_config import GuildSettings
from db.replays import ReplayConflict

CHANNEL_HELP = "The replay's channel (default: this one, else the server's replay channel)"


class ReplayButton(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_ID_TEMPLATE):
    """A click on a status message's Pause, Resume, Next or Stop button, found again after a restart by its id."""

    def __init__(self, item: discord.ui.Button, action: ReplayAction, replay_id: int):
        super().__init__(item)
        self.action = action
        self.replay_id = replay_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ReplayButton:
        assert isinstance(item, discord.ui.Button)  # the template only matches the ids of our buttons
        return cls(item, ReplayAction(match["action"]), int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client  # discord.py types an item's client loosely; ours is always a RethreadBot
        assert isinstance(bot, RethreadBot)
        settings = await bot.store.config.get(interaction.guild_id or 0)
        if not may_run_replays(interaction.user, settings):
            await interaction.response.send_message(replay_runner_refusal(settings), ephemeral=True)
            return
        replay = await bot.store.replays.get(self.replay_id)
        if replay is None or not replay.live or replay.guild_id != interaction.guild_id:
            await interaction.response.send_message("This replay has already ended.", ephemeral=True)
            return
        await interaction.response.defer()  # the status message itself shows the result
        await bot.replayer.apply(replay, self.action)


async def comment_choices(interaction: discord.Interaction[RethreadBot],
                          current: str) -> list[app_commands.Choice[int]]:
    """Comment numbers of the thread chosen in the same command, with author and first words."""
    thread_id = chosen_thread_id(interaction)
    if thread_id is None:
        return []
    rows = await interaction.client.store.comment_previews(thread_id, current, limit=25)
    return [app_commands.Choice(name=comment_label(n, author, text), value=n) for n, author, text in rows]


def comment_label(number: int, author: str, text: str) -> str:
    words = " ".join(text.split())
    label = f"{number} · {author}: {words[:60].rstrip()}{'…' if len(words) > 60 else ''}"
    return shorten(label, CHOICE_NAME_LIMIT)


class ReplayCog(commands.GroupCog, group_name="replay", group_description="Replay a thread's comments"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReplayButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReplayButton)

    async def _runner_settings(self, interaction: discord.Interaction[RethreadBot]) -> GuildSettings:
        settings = await self.bot.store.config.get(interaction.guild_id or 0)
        ensure_may_run_replays(interaction.user, settings)
        return settings

    @app_commands.command(name="start", description="Replay a thread's comments, one by one")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           channel="Where to replay (default: the server's replay channel, else here)",
                           pace="Seconds between comments (0 = as fast as allowed), reading, original or manual",
                           from_comment="Start at this comment number (default: 1)")
    @app_commands.autocomplete(from_comment=comment_choices)
    @app_commands.guild_only()
    async def start(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                    channel: discord.TextChannel | None = None, pace: PaceArg | None = None,
                    from_comment: app_commands.Range[int, 1] | None = None) -> None:
        settings = await self._runner_settings(interaction)
        store = self.bot.store
        chosen_pace: Pace = pace or stored_pace(settings.default_pace)
        if thread.comments == 0:
            raise UserError("That thread has no comments to replay.")
        first = from_comment or 1
        if first > thread.comments:
            raise UserError(f"That thread has {thread.comments} comments; choose a number from 1 to {thread.comments}.")
        needs = (*REPLAY_NEEDS, "manage_webhooks") if settings.use_webhooks else REPLAY_NEEDS
        target = checked_target(interaction, channel, settings, needs, "replay there")
        revision_id = await store.revision_id(thread.id)
        if revision_id is None:
            raise UserError("That thread was removed meanwhile; pick another.")
        create = partial(store.replays.create, guild_id=target.guild.id, channel_id=target.id,
                         revision_id=revision_id, first=first, last=thread.comments, pace=str(chosen_pace),
                         use_webhooks=settings.use_webhooks, started_by=interaction.user.id)
        try:
            replay = await self.bot.replayer.create(target.id, create)
        except ReplayConflict:
            raise UserError(f"{target.mention} already has a replay. Stop it with `/replay stop` first.") from None
        self.bot.replayer.launch(replay)
        await interaction.response.send_message(
            f"Replaying **{title_in_text(thread.title)}** in {target.mention}: comments {first} to "
            f"{thread.comments}, {chosen_pace.describe()}.", ephemeral=True)

    async def _live(self, interaction: discord.Interaction[RethreadBot],
                    channel: discord.TextChannel | None) -> tuple[Replay, str]:
        """The live replay the command means, and its thread's title."""
        settings = await self._runner_settings(interaction)
        configured = interaction.guild.get_channel(settings.replay_channel_id or 0) if interaction.guild else None
        candidates = [c.id for c in ([channel] if channel else [interaction.channel, configured]) if c is not None]
        if found := await self.bot.store.live_replay(candidates):
            return found
        where = channel.mention if channel else "this channel"
        raise UserError(f"There is no replay running in {where}. Start one with `/replay start`.")

    async def _apply(self, interaction: discord.Interaction[RethreadBot], channel: discord.TextChannel | None,
                     action: ReplayAction) -> None:
        replay, _ = await self._live(interaction, channel)
        await interaction.response.send_message(await self.bot.replayer.apply(replay, action), ephemeral=True)

    @app_commands.command(name="pause", description="Pause the replay in this channel")
    @app_commands.describe(channel=CHANNEL_HELP)
    @app_commands.guild_only()
    async def pause(self, interaction: discord.Interaction[RethreadBot],
                    channel: discord.TextChannel | None = None) -> None:
        await self._apply(interaction, channel, ReplayAction.PAUSE)

    @app_commands.command(name="resume", description="Resume a paused replay")
    @app_commands.describe(channel=CHANNEL_HELP)
    @app_commands.guild_only()
    async def resume(self, interaction: discord.Interaction[RethreadBot],
                     channel: discord.TextChannel | None = None) -> None:
        await self._apply(interaction, channel, ReplayAction.RESUME)

    @app_commands.command(name="next", description="Post the next comment now, without waiting")
    @app_commands.describe(channel=CHANNEL_HELP)
    @app_commands.guild_only()
    async def next_(self, interaction: discord.Interaction[RethreadBot],
                    channel: discord.TextChannel | None = None) -> None:
        await self._apply(interaction, channel, ReplayAction.NEXT)

    @app_commands.command(name="stop", description="Stop the replay in this channel")
    @app_commands.describe(channel=CHANNEL_HELP)
    @app_commands.guild_only()
    async def stop(self, interaction: discord.Interaction[RethreadBot],
                   channel: discord.TextChannel | None = None) -> None:
        await self._apply(interaction, channel, ReplayAction.STOP)

    @app_commands.command(name="status", description="How far the replay in this channel has got")
    @app_commands.describe(channel=CHANNEL_HELP)
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[RethreadBot],
                     channel: discord.TextChannel | None = None) -> None:
        replay, title = await self._live(interaction, channel)
        await interaction.response.send_message(status_text(replay, title, stored_pace(replay.pace)), ephemeral=True)


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(ReplayCog(bot))
