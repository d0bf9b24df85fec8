"""Pieces the cogs share: the store, and choosing a thread by title (autocomplete)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.interactions import UserError
from db.guild_config import GuildSettings
from db.store import Store, ThreadSummary

AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices
CHOICE_NAME_LIMIT = 100


def store_of(interaction: discord.Interaction) -> Store:
    return interaction.client.store  # type: ignore[attr-defined]


async def thread_title_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Threads whose title contains every typed word; the value is the thread's id."""
    rows = await store_of(interaction).find_threads(current, limit=AUTOCOMPLETE_LIMIT)
    return [app_commands.Choice(name=_choice_name(row), value=str(row.id)) for row in rows]


def _choice_name(row: ThreadSummary) -> str:
    suffix = f" ({row.comments} comments)"
    title = row.title if len(row.title) + len(suffix) <= CHOICE_NAME_LIMIT else (
        row.title[: CHOICE_NAME_LIMIT - len(suffix) - 1] + "…")
    return title + suffix


async def resolve_thread(interaction: discord.Interaction, value: str) -> ThreadSummary:
    """The thread a ``thread:`` option names: the id autocomplete put there, or words typed by hand."""
    store = store_of(interaction)
    if value.strip().isdigit() and (row := await store.thread_summary(int(value))):
        return row
    matches = await store.find_threads(value, limit=2)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"No thread matches “{value}”. Start typing a title and pick one from the list.")
    raise UserError(f"Several threads match “{value}”. Pick one from the list as you type.")


def target_channel(interaction: discord.Interaction, chosen: discord.abc.GuildChannel | None,
                   settings: GuildSettings) -> discord.TextChannel:
    """The channel a command acts on: the one given, else the guild's replay channel, else this one."""
    channel = chosen or (interaction.guild.get_channel(settings.replay_channel_id)
                         if settings.replay_channel_id else None) or interaction.channel
    if not isinstance(channel, discord.TextChannel):
        raise UserError("Replays and articles go in a text channel; pick one with the `channel` option.")
    return channel
