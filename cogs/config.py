"""/config: per-guild settings for admins (Manage Server by default, checked again when a command runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.interactions import UserError
from bot.pacing import PaceError, parse_pace
from bot.profanity import shipped_words
from cogs.common import store_of
from db.guild_config import DEFAULTS, KEYS, Change, GuildSettings

LABELS = {
    "replay_channel_id": "Replay channel",
    "default_pace": "Default pace",
    "profanity": "Profanity filter",
    "profanity_words": "Filtered words",
    "use_webhooks": "Post as the authors (webhooks)",
    "replay_role_id": "Role that may run replays",
}


def show_value(key: str, value) -> str:
    if value is None:
        return {"replay_channel_id": "the channel the command is used in",
                "profanity_words": f"the shipped list ({len(shipped_words())} words)",
                "replay_role_id": "none (Manage Server or Manage Messages only)"}.get(key, "none")
    if key == "replay_channel_id":
        return f"<#{value}>"
    if key == "replay_role_id":
        return f"<@&{value}>"
    if key == "default_pace":
        return f"{value} ({parse_pace(value).describe()})"
    if key == "use_webhooks":
        return "yes" if value else "no: the bot posts each comment, the author in an embed"
    if key == "profanity_words":
        return f"{len(value)} words: " + ", ".join(value[:20]) + ("…" if len(value) > 20 else "")
    return str(value)


def describe(changes: list[Change]) -> str:
    if not changes:
        return "Nothing changed: those are the current settings."
    return "\n".join(f"**{LABELS[c.key]}**: {show_value(c.key, c.old)} → {show_value(c.key, c.new)}" for c in changes)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class ConfigCog(commands.GroupCog, group_name="config", group_description="Rethread's settings for this server"):
    def __init__(self, bot: commands.Bot):
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # Discord hides the commands from others by default, but admins can change that in Integrations:
        # check again here.
        if not interaction.user.guild_permissions.manage_guild:  # type: ignore[union-attr]
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="show", description="Show this server's Rethread settings")
    async def show(self, interaction: discord.Interaction) -> None:
        settings = await store_of(interaction).config.get(interaction.guild_id)
        embed = discord.Embed(title="Rethread settings", colour=discord.Colour.blurple())
        for key in KEYS:
            value = getattr(settings, key)
            marker = "" if value != getattr(DEFAULTS, key) else " *(default)*"
            embed.add_field(name=LABELS[key], value=show_value(key, value) + marker, inline=False)
        history = await store_of(interaction).config.history(interaction.guild_id, limit=5)
        if history:
            embed.add_field(name="Recent changes", inline=False, value="\n".join(
                f"<t:{_epoch(at)}:R> <@{who}> {LABELS.get(key, key)}" for at, who, key, _, _ in history))
        await interaction.response.send_message(embed=embed, ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="set", description="Change one or more settings")
    @app_commands.describe(channel="Where replays and articles go by default", pace="Default pace",
                           profanity="What to do with words on the filter list",
                           webhooks="Post each comment under its author's name (needs Manage Webhooks)",
                           role="Members with this role may start and control replays")
    async def set_(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None,
                   pace: str | None = None, profanity: Literal["off", "mask", "spoiler", "skip"] | None = None,
                   webhooks: bool | None = None, role: discord.Role | None = None) -> None:
        values = {}
        if channel is not None:
            values["replay_channel_id"] = channel.id
        if pace is not None:
            try:
                values["default_pace"] = str(parse_pace(pace))
            except PaceError as exc:
                raise UserError(f"{exc}.") from None
        if profanity is not None:
            values["profanity"] = profanity
        if webhooks is not None:
            values["use_webhooks"] = webhooks
        if role is not None:
            values["replay_role_id"] = None if role.is_default() else role.id
        if not values:
            raise UserError("Give at least one setting to change, e.g. `/config set pace:reading`.")
        changes = await store_of(interaction).config.set(interaction.guild_id, interaction.user.id, **values)
        await interaction.response.send_message(describe(changes), ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="reset", description="Put a setting back to its default")
    async def reset(self, interaction: discord.Interaction,
                    setting: Literal["channel", "pace", "profanity", "words", "webhooks", "role"]) -> None:
        key = {"channel": "replay_channel_id", "pace": "default_pace", "profanity": "profanity",
               "words": "profanity_words", "webhooks": "use_webhooks", "role": "replay_role_id"}[setting]
        changes = await store_of(interaction).config.reset(interaction.guild_id, interaction.user.id, key)
        await interaction.response.send_message(describe(changes), ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="words", description="Add or remove words on the profanity filter list")
    @app_commands.describe(action="add or remove", words="Words separated by spaces or commas")
    async def words(self, interaction: discord.Interaction, action: Literal["add", "remove"],
                    words: app_commands.Range[str, 1, 1000]) -> None:
        config = store_of(interaction).config
        settings: GuildSettings = await config.get(interaction.guild_id)
        current = list(settings.profanity_words if settings.profanity_words is not None else shipped_words())
        given = [w.strip().lower() for w in words.replace(",", " ").split() if w.strip()]
        if action == "add":
            updated = current + [w for w in given if w not in current]
        else:
            updated = [w for w in current if w not in given]
        changes = await config.set(interaction.guild_id, interaction.user.id, profanity_words=tuple(updated))
        note = "" if settings.profanity != "off" else "\nThe filter is off: turn it on with `/config set profanity:`."
        await interaction.response.send_message(describe(changes) + note, ephemeral=True)


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ConfigCog(bot))
