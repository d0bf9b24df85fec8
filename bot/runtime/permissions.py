"""Who may do what, and which permissions are missing, named as Discord's own UI names them."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.runtime.errors import UserError
from db.guild_config import GuildSettings

# discord.py's attribute names → the names members and admins see in Discord's settings.
PERMISSION_LABELS = {
    "administrator": "Administrator",
    "view_channel": "View Channel",
    "manage_channels": "Manage Channels",
    "manage_guild": "Manage Server",
    "manage_roles": "Manage Roles",
    "manage_webhooks": "Manage Webhooks",
    "manage_messages": "Manage Messages",
    "manage_threads": "Manage Threads",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "create_public_threads": "Create Public Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "send_polls": "Create Polls",
    "mention_everyone": "Mention @everyone, @here, and All Roles",
}

REPLAY_NEEDS = ("view_channel", "send_messages", "embed_links", "read_message_history")
ARTICLE_NEEDS = ("view_channel", "send_messages", "embed_links")
# A discussion: a public thread (or forum post) with the article in it, then the replay.
DISCUSSION_NEEDS = ("view_channel", "send_messages", "create_public_threads", "send_messages_in_threads",
                    "embed_links", "read_message_history")


def permission_label(name: str) -> str:
    return PERMISSION_LABELS.get(name, name.replace("_", " ").title())


def missing(perms: discord.Permissions, needed: Iterable[str]) -> list[str]:
    """The labels of the permissions in ``needed`` that ``perms`` lacks, in the order given."""
    return [permission_label(name) for name in needed if not getattr(perms, name)]


def bot_missing_for_replay(channel: discord.abc.GuildChannel | discord.Thread, use_webhooks: bool) -> list[str]:
    """The permissions a replay needs in ``channel`` (a Discord thread included) that the bot lacks."""
    needed: tuple[str, ...] = (*REPLAY_NEEDS, "manage_webhooks") if use_webhooks else REPLAY_NEEDS
    if isinstance(channel, discord.Thread):
        needed = tuple("send_messages_in_threads" if n == "send_messages" else n for n in needed)
    return missing(channel.permissions_for(channel.guild.me), needed)


def may_run_replays(member: discord.Member | discord.User, settings: GuildSettings) -> bool:
    """Who may start and steer replays: Manage Server or Manage Messages, or the role the admins chose."""
    if not isinstance(member, discord.Member):
        return False
    perms = member.guild_permissions
    if perms.manage_guild or perms.manage_messages:
        return True
    return settings.replay_role_id is not None and any(r.id == settings.replay_role_id for r in member.roles)


def replay_runner_refusal(settings: GuildSettings) -> str:
    role = f" or the <@&{settings.replay_role_id}> role" if settings.replay_role_id else ""
    return f"Only members with Manage Server or Manage Messages{role} can start or control replays."


def ensure_may_run_replays(member: discord.Member | discord.User, settings: GuildSettings) -> None:
    if not may_run_replays(member, settings):
        raise UserError(replay_runner_refusal(settings))


def ensure_member_can_post(member: discord.Member | discord.User,
                           channel: discord.abc.GuildChannel | discord.Thread) -> None:
    """The bot posts on a member's behalf only where the member could post themselves."""
    if not isinstance(member, discord.Member):
        raise UserError("This command works in a server only.")
    needed = ("view_channel", "send_messages_in_threads") if isinstance(channel, discord.Thread) else (
        "view_channel", "send_messages")
    lacking = missing(channel.permissions_for(member), needed)
    if lacking:
        raise UserError(f"You need {', '.join(lacking)} in {channel.mention} to have me post there.")


def ensure_bot_can_post(channel: discord.abc.GuildChannel | discord.Thread, needed: Iterable[str], what: str) -> None:
    if isinstance(channel, discord.Thread):  # in a thread, Send Messages in Threads is what counts
        needed = ["send_messages_in_threads" if n == "send_messages" else n for n in needed]
    lacking = missing(channel.permissions_for(channel.guild.me), needed)
    if lacking:
        raise UserError(f"I need {', '.join(lacking)} in {channel.mention} to {what}.")
