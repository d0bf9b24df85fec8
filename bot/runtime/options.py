"""Slash-command options that parse themselves (discord.py ``Transformer``s): a ``thread:`` option that
autocompletes titles and resolves to the stored thread, and a ``pace:`` option that resolves to a :class:`Pace`.
Each recognises a value that is already complete and then suggests nothing, so Enter sends the command instead of
picking the same suggestion again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core import limits
from bot.core.pacing import Pace, PaceError, parse_pace
from bot.core.text import shorten
from bot.runtime.errors import UserError
from db.store import MAX_ID, ThreadSummary

if TYPE_CHECKING:
    from bot.runtime.app import RethreadBot

AUTOCOMPLETE_LIMIT = limits.CHOICES  # Discord shows at most 25 choices
CHOICE_NAME_LIMIT = limits.CHOICE_NAME

PACE_SUGGESTIONS = ("6", "0", "reading", "original", "manual")


def thread_choice(row: ThreadSummary) -> app_commands.Choice[int | float | str]:
    suffix = f" ({row.comments} comments)"
    return app_commands.Choice(name=shorten(row.title, CHOICE_NAME_LIMIT - len(suffix)) + suffix, value=str(row.id))


class ThreadOption(app_commands.Transformer["RethreadBot"]):
    """Type any words of a title; the chosen thread's id travels as the value."""

    async def autocomplete(
        self, interaction: discord.Interaction[RethreadBot], value: int | float | str
    ) -> list[app_commands.Choice[int | float | str]]:
        store = interaction.client.store
        value = str(value)
        if value.strip().isdigit() and await store.thread_summary(int(value)):
            # Already a chosen thread: offering it again would make Enter pick it again instead of sending.
            return []
        return [thread_choice(row) for row in await store.find_threads(value, limit=AUTOCOMPLETE_LIMIT)]

    async def transform(
        self, interaction: discord.Interaction[RethreadBot], value: str
    ) -> ThreadSummary:
        store = interaction.client.store
        if value.strip().isdigit() and (row := await store.thread_summary(int(value))):
            return row
        matches = await store.find_threads(value, limit=2)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise UserError(f"No thread matches “{value}”. Start typing a title and pick one from the list.")
        raise UserError(f"Several threads match “{value}”. Pick one from the list as you type.")


class PaceOption(app_commands.Transformer["RethreadBot"]):
    """``6``, ``0``, ``reading``, ``original``, ``original:120`` or ``manual``."""

    async def autocomplete(
        self, interaction: discord.Interaction[RethreadBot], value: int | float | str
    ) -> list[app_commands.Choice[int | float | str]]:
        typed = str(value).strip().lower()
        try:
            parse_pace(typed)
            return []  # already a complete pace: nothing to pick, so Enter sends it
        except PaceError:
            pass
        choices: list[app_commands.Choice[int | float | str]] = [
            app_commands.Choice(name=f"{pace} · {pace.describe()}", value=str(pace))
            for pace in map(parse_pace, PACE_SUGGESTIONS)]
        return [c for c in choices if typed in c.name.lower()]

    async def transform(
        self, interaction: discord.Interaction[RethreadBot], value: str
    ) -> Pace:
        try:
            return parse_pace(value)
        except PaceError as exc:
            raise UserError(f"{exc}.") from None


ThreadArg = app_commands.Transform[ThreadSummary, ThreadOption]
PaceArg = app_commands.Transform[Pace, PaceOption]


def chosen_thread_id(interaction: discord.Interaction) -> int | None:
    """The thread picked in the ``thread:`` option of the command being typed (for another option's
    autocomplete): its id, or None while it is not one (a number too large for SQLite names no thread)."""
    chosen = str(getattr(interaction.namespace, "thread", "") or "")
    return int(chosen) if chosen.isdigit() and 0 < int(chosen) <= MAX_ID else None
