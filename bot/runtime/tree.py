"""Every interaction gets an answer: the command tree turns any error into an ephemeral message."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.runtime.errors import UserError
from bot.runtime.permissions import permission_label

log = logging.getLogger("rethread.interactions")


async def reply_privately(interaction: discord.Interaction, content: str) -> None:
    """An ephemeral answer, whether or not the interaction was already responded to or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True)
    else:
        await interaction.response.send_message(content, ephemeral=True)


def explain(error: app_commands.AppCommandError) -> str:
    """What to tell the member, by the kind of error."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {', '.join(map(permission_label, error.missing_permissions))} permission to do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(map(permission_label, error.missing_permissions))
        return f"I am missing the {names} permission here. Ask an admin to grant it, then try again."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You are not allowed to use this command here."
    if isinstance(error, app_commands.TransformerError):
        return f"“{error.value}” is not a valid value for this option."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    return "Something went wrong on my side. It has been logged; please try again in a moment."


class RethreadTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        known = isinstance(error, UserError | app_commands.CheckFailure | app_commands.TransformerError)
        if not known:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed", command, exc_info=error)
        try:
            await reply_privately(interaction, explain(error))
        except discord.HTTPException:
            log.warning("could not tell the user about an error (interaction expired?)", exc_info=True)
