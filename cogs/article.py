"""/article post: the article as embeds, within Discord's limits, before its comments are replayed."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.text import plural, title_in_text
from bot.runtime.app import RethreadBot
from bot.runtime.articles import article_embeds
from bot.runtime.errors import UserError
from bot.runtime.options import ThreadArg
from bot.runtime.permissions import ARTICLE_NEEDS, ensure_may_run_replays
from bot.runtime.targets import checked_target


class Article(commands.GroupCog, group_name="article", group_description="Post a thread's article"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    @app_commands.command(name="post", description="Post the article of a thread, ready for its comments")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           channel="Where to post (default: the server's replay channel, else here)")
    @app_commands.guild_only()
    async def post(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                   channel: discord.TextChannel | None = None) -> None:
        store = self.bot.store
        settings = await store.config.get(interaction.guild_id or 0)
        ensure_may_run_replays(interaction.user, settings)
        target = checked_target(interaction, channel, settings, ARTICLE_NEEDS, "post there")
        await interaction.response.defer(ephemeral=True, thinking=True)
        parsed = await store.load_thread(thread.id)
        if parsed is None:
            raise UserError("That thread was removed meanwhile; pick another.")
        messages = article_embeds(parsed, replay_hint="/replay start")
        for embeds in messages:
            await target.send(embeds=embeds, allowed_mentions=discord.AllowedMentions.none())
        await interaction.followup.send(
            f"Posted **{title_in_text(parsed.title)}** in {target.mention} ({plural(len(messages), 'message')}). "
            f"Replay its {len(parsed.comments)} comments with `/replay start`.", ephemeral=True)


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(Article(bot))
