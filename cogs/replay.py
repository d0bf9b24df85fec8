"""/replay: replay a thread's comments into a channel, one by one, each under its author's name."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.controls import control_refusal, may_control
from bot.interactions import UserError
from bot.pacing import PaceError, parse_pace
from bot.posting import missing_permissions
from bot.status import status_text
from cogs.common import resolve_thread, store_of, target_channel, thread_title_choices
from db.replays import Replay, ReplayConflict

PACE_SUGGESTIONS = [("6", "every 6 seconds"), ("0", "as fast as Discord allows"), ("reading", "at reading speed"),
                    ("original", "at the original timing, 60x faster"), ("manual", "when someone presses Next")]


async def pace_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    choices = [app_commands.Choice(name=f"{value} · {label}", value=value) for value, label in PACE_SUGGESTIONS
               if current.lower() in value or current.lower() in label]
    if current and not choices:
        choices = [app_commands.Choice(name=current, value=current)]
    return choices


async def comment_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    """Comment numbers of the thread chosen in the same command, with author and first words."""
    chosen = getattr(interaction.namespace, "thread", None)
    if not chosen or not str(chosen).isdigit():
        return []
    thread = await store_of(interaction).load_thread(int(chosen))
    if thread is None:
        return []
    out = []
    for comment in thread.comments:
        words = " ".join(comment.text.split())
        label = f"{comment.number} · {comment.author}: {words[:60].rstrip()}{'…' if len(words) > 60 else ''}"
        if not current or str(comment.number).startswith(current) or current.lower() in label.lower():
            out.append(app_commands.Choice(name=label[:100], value=comment.number))
        if len(out) == 25:
            break
    return out


class ReplayCog(commands.GroupCog, group_name="replay", group_description="Replay a thread's comments"):
    def __init__(self, bot: commands.Bot):
        self.bot = bot

    async def _authorised(self, interaction: discord.Interaction):
        settings = await store_of(interaction).config.get(interaction.guild_id)
        if not may_control(interaction.user, settings):
            raise UserError(control_refusal(settings))
        return settings

    @app_commands.command(name="start", description="Replay a thread's comments, one by one")
    @app_commands.describe(thread="Start typing the title", channel="Where to replay (default: the replay channel)",
                           pace="Seconds between comments, reading, original or manual",
                           from_comment="Start at this comment number")
    @app_commands.autocomplete(thread=thread_title_choices, pace=pace_choices, from_comment=comment_choices)
    @app_commands.guild_only()
    async def start(self, interaction: discord.Interaction, thread: str, channel: discord.TextChannel | None = None,
                    pace: str | None = None, from_comment: app_commands.Range[int, 1] | None = None) -> None:
        settings = await self._authorised(interaction)
        store = store_of(interaction)
        row = await resolve_thread(interaction, thread)
        target = target_channel(interaction, channel, settings)
        try:
            chosen_pace = parse_pace(pace or settings.default_pace)
        except PaceError as exc:
            raise UserError(f"{exc}.") from None
        if row.comments == 0:
            raise UserError("That thread has no comments to replay.")
        first = from_comment or 1
        if first > row.comments:
            raise UserError(f"That thread has {row.comments} comments; choose a number from 1 to {row.comments}.")
        missing = missing_permissions(target, settings.use_webhooks)
        if missing:
            raise UserError(f"I need {', '.join(missing)} in {target.mention} to replay there.")
        try:
            replay = await store.replays.create(
                guild_id=interaction.guild_id, channel_id=target.id, revision_id=await store.revision_id(row.id),
                first=first, last=row.comments, pace=str(chosen_pace), use_webhooks=settings.use_webhooks,
                started_by=interaction.user.id)
        except ReplayConflict:
            raise UserError(f"{target.mention} already has a replay. Stop it with `/replay stop` first.") from None
        self.bot.replays.launch(replay)
        await interaction.response.send_message(
            f"Replaying **{discord.utils.escape_markdown(row.title)}** in {target.mention}: comments {first} to "
            f"{row.comments}, {chosen_pace.describe()}.", ephemeral=True)

    async def _live(self, interaction: discord.Interaction, channel: discord.TextChannel | None) -> Replay:
        settings = await self._authorised(interaction)
        store = store_of(interaction)
        candidates = [channel] if channel else [interaction.channel, interaction.guild.get_channel(
            settings.replay_channel_id or 0)]
        for candidate in candidates:
            if candidate is not None and (replay := await store.replays.live_in(candidate.id)):
                return replay
        where = channel.mention if channel else "this channel"
        raise UserError(f"There is no replay running in {where}. Start one with `/replay start`.")

    async def _control(self, interaction: discord.Interaction, channel: discord.TextChannel | None,
                       action: str) -> None:
        replay = await self._live(interaction, channel)
        await interaction.response.send_message(await self.bot.replays.control(replay, action), ephemeral=True)

    @app_commands.command(name="pause", description="Pause the replay in this channel")
    @app_commands.guild_only()
    async def pause(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._control(interaction, channel, "pause")

    @app_commands.command(name="resume", description="Resume a paused replay")
    @app_commands.guild_only()
    async def resume(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._control(interaction, channel, "resume")

    @app_commands.command(name="skip", description="Post the next comment now, without waiting")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._control(interaction, channel, "next")

    @app_commands.command(name="stop", description="Stop the replay in this channel")
    @app_commands.guild_only()
    async def stop(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._control(interaction, channel, "stop")

    @app_commands.command(name="status", description="How far the replay in this channel has got")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        store = store_of(interaction)
        target = channel or interaction.channel
        replay = await store.replays.live_in(target.id)
        if replay is None:
            await interaction.response.send_message(f"No replay is running in {target.mention}.", ephemeral=True)
            return
        title = await store.revision_title(replay.revision_id)
        await interaction.response.send_message(status_text(replay, title, parse_pace(replay.pace)),
                                                ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ReplayCog(bot))
