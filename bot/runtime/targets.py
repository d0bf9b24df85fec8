"""Which channel a command acts on, checked for both the member and the bot before anything is posted."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.runtime.errors import UserError
from bot.runtime.permissions import ensure_bot_can_post, ensure_member_can_post
from db.guild_config import GuildSettings


def target_channel(interaction: discord.Interaction, chosen: discord.abc.GuildChannel | None,
                   settings: GuildSettings) -> discord.TextChannel | discord.Thread:
    """The channel given; else, used inside a Discord thread (a discussion), that thread; else the guild's replay
    channel, else the one the command was used in."""
    here = interaction.channel
    configured = (interaction.guild.get_channel(settings.replay_channel_id)
                  if interaction.guild and settings.replay_channel_id else None)
    channel = chosen or (here if isinstance(here, discord.Thread) else None) or configured or here
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        raise UserError("Replays and articles go in a text channel; pick one with the `channel` option.")
    return channel


def checked_target(interaction: discord.Interaction, chosen: discord.abc.GuildChannel | None,
                   settings: GuildSettings, bot_needs: Iterable[str],
                   what: str) -> discord.TextChannel | discord.Thread:
    """:func:`target_channel`, where the member may post and the bot has what it needs to ``what``."""
    channel = target_channel(interaction, chosen, settings)
    ensure_member_can_post(interaction.user, channel)
    ensure_bot_can_post(channel, bot_needs, what)
    return channel
