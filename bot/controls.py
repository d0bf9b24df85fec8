"""Buttons on a replay's status message. Dynamic items: their custom ids carry the replay id, so they keep
working after the bot restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord

from db.guild_config import GuildSettings
from db.replays import Replay

if TYPE_CHECKING:
    from bot.app import RethreadBot

_BUTTONS = {
    "pause": ("Pause", "⏸", discord.ButtonStyle.secondary),
    "resume": ("Resume", "▶", discord.ButtonStyle.success),
    "next": ("Next", "⏭", discord.ButtonStyle.primary),
    "stop": ("Stop", "⏹", discord.ButtonStyle.danger),
}


def may_control(member: discord.Member | discord.User, settings: GuildSettings) -> bool:
    """Who may start and steer replays: Manage Server or Manage Messages, or the role the admins chose."""
    if not isinstance(member, discord.Member):
        return False
    perms = member.guild_permissions
    if perms.manage_guild or perms.manage_messages:
        return True
    return settings.replay_role_id is not None and any(r.id == settings.replay_role_id for r in member.roles)


def control_refusal(settings: GuildSettings) -> str:
    role = f" or the <@&{settings.replay_role_id}> role" if settings.replay_role_id else ""
    return f"Only members with Manage Server or Manage Messages{role} can start or control replays."


class ReplayButton(discord.ui.DynamicItem[discord.ui.Button], template=r"rethread:replay:(?P<action>\w+):(?P<id>\d+)"):
    def __init__(self, action: str, replay_id: int):
        label, emoji, style = _BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, emoji=emoji, style=style,
                                           custom_id=f"rethread:replay:{action}:{replay_id}"))
        self.action = action
        self.replay_id = replay_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: RethreadBot = interaction.client  # type: ignore[assignment]
        replay = await bot.store.replays.get(self.replay_id)
        settings = await bot.store.config.get(interaction.guild_id)
        if not may_control(interaction.user, settings):
            await interaction.response.send_message(control_refusal(settings), ephemeral=True)
            return
        if replay is None or not replay.live:
            await interaction.response.send_message("This replay has already ended.", ephemeral=True)
            return
        await interaction.response.defer()  # the status message itself shows the result
        await bot.replays.control(replay, self.action)


def controls_view(replay: Replay) -> discord.ui.View | None:
    if not replay.live:
        return None
    actions = ["pause", "next", "stop"] if replay.state == "running" else ["resume", "stop"]
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(ReplayButton(action, replay.id))
    return view
