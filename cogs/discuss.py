"""/discuss: replay a thread into a Discord thread (or forum post) of its own and keep what members write there;
and the gateway events that capture it (messages, edits, deletions, a deleted thread)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.discussions import Discussion
from bot.core.pacing import stored_pace
from bot.core.text import plural, title_in_text
from bot.runtime.app import RethreadBot
from bot.runtime.errors import UserError
from bot.runtime.options import PaceArg, ThreadArg
from bot.runtime.permissions import (
    DISCUSSION_NEEDS,
    ensure_bot_can_post,
    ensure_may_run_replays,
    ensure_member_can_post,
)

STATUS_LIMIT = 10  # discussions listed by /discuss status


class DiscussCog(commands.GroupCog, group_name="discuss",
                 group_description="Relive a thread in a Discord thread of its own, with members' replies"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    @app_commands.command(name="start", description="Open a Discord thread for a thread's article and comments")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           channel="A text or forum channel (default: the server's replay channel, else this one)",
                           pace="Seconds between comments (0 = as fast as allowed), reading, original or manual")
    @app_commands.guild_only()
    async def start(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                    channel: discord.TextChannel | discord.ForumChannel | None = None,
                    pace: PaceArg | None = None) -> None:
        settings = await self.bot.store.config.get(interaction.guild_id or 0)
        ensure_may_run_replays(interaction.user, settings)
        parent = self._parent(interaction, channel, settings.replay_channel_id)
        ensure_member_can_post(interaction.user, parent)
        needs = [n for n in DISCUSSION_NEEDS  # in a forum, Send Messages is what Discord calls Create Posts
                 if not (n == "create_public_threads" and isinstance(parent, discord.ForumChannel))]
        needs += ["manage_webhooks"] if settings.use_webhooks else []
        ensure_bot_can_post(parent, needs, "open a discussion there")
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = pace or stored_pace(settings.default_pace)
        _, opened = await self.bot.discussions.start(
            parent=parent, thread=thread, pace=str(chosen), settings=settings, started_by=interaction.user.id)
        await interaction.followup.send(
            f"Discussion of **{title_in_text(thread.title)}** opened: {opened.mention}. Its {thread.comments} "
            f"comments follow there (pace: {chosen.describe()}); what members write there is kept with the thread "
            f"until `/discuss close`.", ephemeral=True)

    @staticmethod
    def _parent(interaction: discord.Interaction[RethreadBot],
                chosen: discord.TextChannel | discord.ForumChannel | None,
                configured_id: int | None) -> discord.TextChannel | discord.ForumChannel:
        here = interaction.channel
        if isinstance(here, discord.Thread):
            here = here.parent
        configured = interaction.guild.get_channel(configured_id) if interaction.guild and configured_id else None
        for candidate in (chosen, configured, here):
            if isinstance(candidate, discord.TextChannel | discord.ForumChannel):
                return candidate
        raise UserError("A discussion opens in a text or forum channel; pick one with the `channel` option.")

    async def _discussion_here(self, interaction: discord.Interaction[RethreadBot],
                               channel: discord.Thread | None) -> Discussion:
        where = channel or interaction.channel
        discussion = await self.bot.store.discussions.in_channel(where.id) if where else None
        if discussion is None or discussion.guild_id != interaction.guild_id:
            raise UserError("There is no discussion here. Use this in a discussion's thread, or name it with "
                            "the `channel` option; `/discuss status` lists them.")
        return discussion

    @app_commands.command(name="close", description="Stop keeping what members write in this discussion")
    @app_commands.describe(channel="The discussion's thread (default: this one)")
    @app_commands.guild_only()
    async def close(self, interaction: discord.Interaction[RethreadBot],
                    channel: discord.Thread | None = None) -> None:
        settings = await self.bot.store.config.get(interaction.guild_id or 0)
        ensure_may_run_replays(interaction.user, settings)
        discussion = await self._discussion_here(interaction, channel)
        if not discussion.open:
            raise UserError("That discussion is already closed.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        captured = await self.bot.discussions.close(discussion, by=interaction.user.id)
        await interaction.followup.send(
            f"Discussion closed in <#{discussion.channel_id}>: {plural(captured, 'comment')} by members kept. "
            f"Nothing written there from now on is kept.", ephemeral=True)

    @app_commands.command(name="status", description="The discussions open in this server")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[RethreadBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        store = self.bot.store
        discussions = await store.discussions.of_guild(interaction.guild_id or 0, open_only=True, limit=STATUS_LIMIT)
        mode = self.bot.discussions.mode
        if not discussions:
            await interaction.followup.send(
                f"No discussion is open. Start one with `/discuss start`.\nCapture: {mode.explain()}.",
                ephemeral=True)
            return
        counts = await store.discussions.captured_counts([d.id for d in discussions])
        lines = []
        for d in discussions:
            title = await store.revision_title(d.revision_id) or "?"
            replay = await store.replays.get(d.replay_id) if d.replay_id else None
            progress = f"replay {replay.state.value}, {replay.posted}/{replay.total}" if replay else "no replay"
            lines.append(f"<#{d.channel_id}> **{title_in_text(title)}**: {plural(counts[d.id], 'comment')} "
                         f"by members; {progress}")
        await interaction.followup.send(
            f"**Open discussions** ({len(discussions)}{'+' if len(discussions) == STATUS_LIMIT else ''}):\n"
            + "\n".join(lines) + f"\nCapture: {mode.explain()}.", ephemeral=True)

    @app_commands.command(name="forget-me",
                          description="Delete everything you wrote in this server's discussions from Rethread")
    @app_commands.guild_only()
    async def forget_me(self, interaction: discord.Interaction[RethreadBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # the search index is rebuilt: it takes time
        await self.bot.discussions.settled()  # what they wrote a moment ago is forgotten too
        removed = await self.bot.store.discussions.forget_member(interaction.guild_id or 0, interaction.user.id)
        await interaction.followup.send(
            f"Deleted {plural(removed, 'comment')} you wrote in this server's discussions from Rethread's records. "
            "Your messages in Discord are untouched (delete them there if you wish); what you write in an open "
            "discussion from now on is kept again.", ephemeral=True)

    # -- capture ----------------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.bot.discussions.message_created(message)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        self.bot.discussions.message_edited(payload)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.bot.discussions.messages_deleted(payload.channel_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        self.bot.discussions.messages_deleted(payload.channel_id, list(payload.message_ids))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.bot.discussions.thread_deleted(payload.thread_id)

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        self.bot.discussions.session_lost()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.bot.discussions.session_resumed()


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(DiscussCog(bot))
