"""/article post: the article as embeds, within Discord's limits, before its comments are replayed."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.controls import control_refusal, may_control
from bot.interactions import UserError
from bot.posting import missing_permissions
from bot.render import article_messages
from cogs.common import resolve_thread, store_of, target_channel, thread_title_choices


class Article(commands.GroupCog, group_name="article", group_description="Post a thread's article"):
    def __init__(self, bot: commands.Bot):
        self.bot = bot

    @app_commands.command(name="post", description="Post the article of a thread, ready for its comments")
    @app_commands.describe(thread="Start typing the title", channel="Where to post (default: the replay channel)")
    @app_commands.autocomplete(thread=thread_title_choices)
    @app_commands.guild_only()
    async def post(self, interaction: discord.Interaction, thread: str,
                   channel: discord.TextChannel | None = None) -> None:
        store = store_of(interaction)
        settings = await store.config.get(interaction.guild_id)
        if not may_control(interaction.user, settings):
            raise UserError(control_refusal(settings))
        row = await resolve_thread(interaction, thread)
        target = target_channel(interaction, channel, settings)
        missing = missing_permissions(target, use_webhooks=False)
        if missing:
            raise UserError(f"I need {', '.join(missing)} in {target.mention} to post there.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        parsed = await store.load_thread(row.id)
        messages = article_messages(parsed, replay_hint="/replay start")
        for embeds in messages:
            await target.send(embeds=[_embed(e) for e in embeds], allowed_mentions=discord.AllowedMentions.none())
        await interaction.followup.send(
            f"Posted **{discord.utils.escape_markdown(parsed.title)}** in {target.mention} "
            f"({len(messages)} message{'s' if len(messages) != 1 else ''}). "
            f"Replay its {len(parsed.comments)} comments with `/replay start`.", ephemeral=True)


def _embed(embed) -> discord.Embed:
    out = discord.Embed(title=embed.title, description=embed.description, colour=discord.Colour.dark_teal())
    if embed.footer:
        out.set_footer(text=embed.footer)
    return out


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Article(bot))
