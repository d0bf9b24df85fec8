"""/config: per-guild settings for admins (Manage Server by default, checked again when a command runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.discussions import ARCHIVE_CHOICES
from bot.core.limits import EMBED_FIELD_VALUE, MESSAGE_CONTENT
from bot.core.pacing import PaceError, parse_pace
from bot.core.profanity import shipped_words
from bot.core.text import escape_markdown, shorten
from bot.runtime.app import RethreadBot
from bot.runtime.errors import UserError
from bot.runtime.options import PaceArg
from db.guild_config import DEFAULTS, KEYS, Change, GuildSettings

LABELS = {
    "replay_channel_id": "Replay channel",
    "default_pace": "Default pace",
    "profanity": "Profanity filter",
    "profanity_words": "Filtered words",
    "use_webhooks": "Post as the authors (webhooks)",
    "replay_role_id": "Role that may run replays",
    "auto_poll": "Poll when a replay finishes",
    "thread_archive_minutes": "Discussion threads hide after",
}


def show_value(key: str, value: Any) -> str:
    if value is None:
        return {"replay_channel_id": "the channel the command is used in",
                "profanity_words": f"the shipped list ({len(shipped_words())} words)",
                "replay_role_id": "none (Manage Server or Manage Messages only)"}.get(key, "none")
    if key == "replay_channel_id":
        return f"<#{value}>"
    if key == "replay_role_id":
        return f"<@&{value}>"
    if key == "default_pace":
        try:
            return f"{value} ({parse_pace(value).describe()})"
        except PaceError:
            return f"{value} (not a pace any more: set it again with /config set pace:)"
    if key == "thread_archive_minutes":
        return f"{ARCHIVE_CHOICES.get(value, f'{value} minutes')} without messages"
    if key == "auto_poll":
        return "yes: a “which comment made the best point?” poll" if value else "no"
    if key == "use_webhooks":
        return "yes" if value else "no: the bot posts each comment, the author in an embed"
    if key == "profanity_words":
        return f"{len(value)} words: " + escape_markdown(", ".join(value[:20])) + ("…" if len(value) > 20 else "")
    return str(value)


def describe(changes: list[Change]) -> str:
    if not changes:
        return "Nothing changed: those are the current settings."
    lines = [f"**{LABELS[c.key]}**: {shorten(show_value(c.key, c.old), 400)} → {shorten(show_value(c.key, c.new), 400)}"
             for c in changes]
    return shorten("\n".join(lines), MESSAGE_CONTENT - 100)  # room for a note after it


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class ConfigCog(commands.GroupCog, group_name="config", group_description="Rethread's settings for this server"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # Discord hides the commands from others by default, but admins can change that in Integrations:
        # check again here.
        member = interaction.user
        if not isinstance(member, discord.Member) or not member.guild_permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="show", description="Show this server's Rethread settings")
    async def show(self, interaction: discord.Interaction[RethreadBot]) -> None:
        settings = await self.bot.store.config.get(interaction.guild_id or 0)
        embed = discord.Embed(title="Rethread settings", colour=discord.Colour.blurple())
        for key in KEYS:
            value = getattr(settings, key)
            marker = "" if value != getattr(DEFAULTS, key) else " *(default)*"
            embed.add_field(name=LABELS[key], value=shorten(show_value(key, value) + marker, EMBED_FIELD_VALUE),
                            inline=False)
        history = await self.bot.store.config.history(interaction.guild_id or 0, limit=5)
        if history:
            embed.add_field(name="Recent changes", inline=False, value="\n".join(
                f"<t:{_epoch(at)}:R> <@{who}> {LABELS.get(key, key)}" for at, who, key, _, _ in history))
        await interaction.response.send_message(embed=embed, ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="set", description="Change one or more settings")
    @app_commands.describe(channel="Where replays and articles go by default",
                           pace="Default pace: seconds between comments, reading, original or manual",
                           profanity="What to do with words on the filter list",
                           webhooks="Post each comment under its author's name (needs Manage Webhooks)",
                           role="Members with this role may start and control replays",
                           auto_poll="Post a poll on the best comment when a replay finishes",
                           archive="How long a discussion's thread stays in the channel list without messages")
    @app_commands.choices(archive=[app_commands.Choice(name=label, value=minutes)
                                   for minutes, label in ARCHIVE_CHOICES.items()])
    async def set_(self, interaction: discord.Interaction[RethreadBot], channel: discord.TextChannel | None = None,
                   pace: PaceArg | None = None, profanity: Literal["off", "mask", "spoiler", "skip"] | None = None,
                   webhooks: bool | None = None, role: discord.Role | None = None,
                   auto_poll: bool | None = None, archive: app_commands.Choice[int] | None = None) -> None:
        values: dict[str, Any] = {}
        if channel is not None:
            values["replay_channel_id"] = channel.id
        if pace is not None:
            values["default_pace"] = str(pace)
        if profanity is not None:
            values["profanity"] = profanity
        if webhooks is not None:
            values["use_webhooks"] = webhooks
        if role is not None:
            values["replay_role_id"] = None if role.is_default() else role.id
        if auto_poll is not None:
            values["auto_poll"] = auto_poll
        if archive is not None:
            values["thread_archive_minutes"] = archive.value
        if not values:
            raise UserError("Give at least one setting to change, e.g. `/config set pace:reading`.")
        changes = await self.bot.store.config.set(interaction.guild_id or 0, interaction.user.id, **values)
        await interaction.response.send_message(describe(changes), ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="reset", description="Put a setting back to its default")
    @app_commands.describe(setting="The setting to put back to its default")
    async def reset(self, interaction: discord.Interaction[RethreadBot],
                    setting: Literal["channel", "pace", "profanity", "words", "webhooks", "role", "auto_poll",
                                     "archive"]) -> None:
        key = {"channel": "replay_channel_id", "pace": "default_pace", "profanity": "profanity",
               "words": "profanity_words", "webhooks": "use_webhooks", "role": "replay_role_id",
               "auto_poll": "auto_poll", "archive": "thread_archive_minutes"}[setting]
        changes = await self.bot.store.config.reset(interaction.guild_id or 0, interaction.user.id, key)
        await interaction.response.send_message(describe(changes), ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="words", description="Add or remove words on the profanity filter list")
    @app_commands.describe(action="add or remove", words="Words separated by spaces or commas")
    async def words(self, interaction: discord.Interaction[RethreadBot], action: Literal["add", "remove"],
                    words: app_commands.Range[str, 1, 1000]) -> None:
        config = self.bot.store.config
        settings: GuildSettings = await config.get(interaction.guild_id or 0)
        current = list(settings.profanity_words if settings.profanity_words is not None else shipped_words())
        given = [w.strip().lower() for w in words.replace(",", " ").split() if w.strip()]
        if action == "add":
            updated = current + [w for w in given if w not in current]
        else:
            updated = [w for w in current if w not in given]
        changes = await config.set(interaction.guild_id or 0, interaction.user.id, profanity_words=tuple(updated))
        note = "" if settings.profanity != "off" else "\nThe filter is off: turn it on with `/config set profanity:`."
        await interaction.response.send_message(describe(changes) + note, ephemeral=True)


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(ConfigCog(bot))
