"""An article as Discord embeds: what /article post sends, and the first messages of a discussion."""

from __future__ import annotations

import discord

from bot.core.model import Thread
from bot.core.render import ArticleEmbed, article_messages


def as_embed(embed: ArticleEmbed) -> discord.Embed:
    out = discord.Embed(title=embed.title, description=embed.description, colour=discord.Colour.dark_teal())
    if embed.footer:
        out.set_footer(text=embed.footer)
    return out


def article_embeds(thread: Thread, *, replay_hint: str | None) -> list[list[discord.Embed]]:
    """The article as messages, each a list of embeds within Discord's limits."""
    return [[as_embed(e) for e in message] for message in article_messages(thread, replay_hint=replay_hint)]
