"""Is the bot ready to work in each server? Over REST only (no gateway): for every guild the bot is in, the
channels it uses and the permissions it lacks in each, computed from roles and overwrites as Discord does; and
whether the Message Content intent is enabled for the application. ``rethread check`` prints the result."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.http import HTTPClient, Route

from bot.runtime.app import use_api_base
from bot.runtime.permissions import permission_label
from bot.settings import Settings
from db.operator_stats import ChannelUse

# Everything a replay, an article, a poll or a discussion may need, in the order Discord's settings list them.
CHANNEL_NEEDS = ("view_channel", "send_messages", "send_messages_in_threads", "create_public_threads",
                 "embed_links", "attach_files", "read_message_history", "manage_webhooks", "send_polls")

GATEWAY_MESSAGE_CONTENT = 1 << 18  # application flags: the intent, for a verified bot
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19  # the intent, for a bot in under 100 servers
THREAD_TYPES = (10, 11, 12)  # announcement, public and private threads


class TokenRejected(RuntimeError):
    """Discord answered 401 to the token."""


@dataclass(frozen=True, slots=True)
class ChannelReadiness:
    channel_id: int
    name: str | None  # None: the channel no longer exists
    reasons: tuple[str, ...]
    missing: tuple[str, ...]  # permission labels as Discord's UI shows them


@dataclass(frozen=True, slots=True)
class GuildReadiness:
    guild_id: int
    name: str
    channels: tuple[ChannelReadiness, ...]
    replay_channel_set: bool


@dataclass(frozen=True, slots=True)
class Readiness:
    bot_name: str
    message_content: bool
    guilds: tuple[GuildReadiness, ...] = field(default_factory=tuple)
    left_guilds: tuple[int, ...] = ()  # guilds the store has channels in, which the bot is no longer in

    @property
    def all_good(self) -> bool:
        return self.message_content and all(
            c.name is not None and not c.missing for g in self.guilds for c in g.channels)


def message_content_enabled(flags: int) -> bool:
    return bool(flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED))


def channel_permissions(*, guild_id: int, owner_id: int, member_id: int, member_roles: Sequence[int],
                        roles: dict[int, int], overwrites: Sequence[dict[str, Any]]) -> discord.Permissions:
    """A member's permissions in a channel (docs: topics/permissions, "Permission Hierarchy"): the owner has all;
    else @everyone and the member's roles together, Administrator meaning all; then the channel's overwrites for
    @everyone, for the member's roles, for the member; then what follows from lacking View Channel or Send
    Messages."""
    if member_id == owner_id:
        return discord.Permissions.all()
    value = roles.get(guild_id, 0)
    for role in member_roles:
        value |= roles.get(role, 0)
    if value & discord.Permissions.administrator.flag:
        return discord.Permissions.all()
    by_target = {(int(o["id"]), int(o.get("type", 0))): (int(o.get("allow", 0)), int(o.get("deny", 0)))
                 for o in overwrites}
    allow, deny = by_target.get((guild_id, 0), (0, 0))
    value = (value & ~deny) | allow
    allow = deny = 0
    for role in member_roles:
        role_allow, role_deny = by_target.get((role, 0), (0, 0))
        allow, deny = allow | role_allow, deny | role_deny
    value = (value & ~deny) | allow
    allow, deny = by_target.get((member_id, 1), (0, 0))
    perms = discord.Permissions((value & ~deny) | allow)
    if not perms.send_messages:
        perms.embed_links = perms.attach_files = perms.mention_everyone = perms.send_tts_messages = False
    if not perms.view_channel:
        perms = discord.Permissions(perms.value & ~discord.Permissions.all_channel().value)
    return perms


async def _all_guilds(http: HTTPClient) -> list[dict[str, Any]]:
    guilds: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        page = await http.get_guilds(200, after=after)
        guilds += [dict(g) for g in page]
        if len(page) < 200:
            return guilds
        after = int(page[-1]["id"])


async def _guild(http: HTTPClient, bot_id: int, summary: dict[str, Any], uses: Sequence[ChannelUse],
                 replay_channel_set: bool) -> GuildReadiness:
    guild_id = int(summary["id"])
    guild, channels, member = await asyncio.gather(
        http.get_guild(guild_id, with_counts=False), http.get_all_guild_channels(guild_id),
        http.get_member(guild_id, bot_id))
    roles = {int(r["id"]): int(r["permissions"]) for r in guild["roles"]}
    by_id = {int(c["id"]): dict(c) for c in channels}
    member_roles = [int(r) for r in member["roles"]]
    found = []
    for use in uses:
        channel = by_id.get(use.channel_id)
        if channel is None:  # a thread is not listed with the guild's channels: ask for it
            try:
                channel = dict(await http.get_channel(use.channel_id))
            except discord.NotFound:
                found.append(ChannelReadiness(use.channel_id, None, tuple(use.reasons), ()))
                continue
            except discord.Forbidden:  # there, but hidden from the bot: known by its id only
                found.append(ChannelReadiness(use.channel_id, str(use.channel_id), tuple(use.reasons),
                                              (permission_label("view_channel"),)))
                continue
        where = by_id.get(int(channel["parent_id"])) if channel["type"] in THREAD_TYPES else channel
        perms = channel_permissions(guild_id=guild_id, owner_id=int(guild["owner_id"]), member_id=bot_id,
                                    member_roles=member_roles, roles=roles,
                                    overwrites=(where or channel).get("permission_overwrites") or [])
        missing = tuple(permission_label(p) for p in CHANNEL_NEEDS if not getattr(perms, p))
        found.append(ChannelReadiness(use.channel_id, channel.get("name"), tuple(use.reasons), missing))
    return GuildReadiness(guild_id, guild["name"], tuple(found), replay_channel_set)


async def readiness(settings: Settings, uses: dict[int, list[ChannelUse]]) -> Readiness:
    """Log in over REST with the settings' token and look at every guild; ``uses`` are the channels the store
    says the bot uses, by guild (see :func:`db.operator_stats.channels_in_use`)."""
    use_api_base(settings.api_base)
    http = HTTPClient(asyncio.get_running_loop())
    try:
        try:
            me = await http.static_login(settings.discord_token or "")
        except discord.LoginFailure:
            raise TokenRejected("Discord rejected DISCORD_TOKEN (401 Unauthorized); copy the token again from the "
                                "Developer Portal (Bot -> Reset Token)") from None
        application = await http.request(Route("GET", "/applications/@me"))
        guilds = []
        for summary in await _all_guilds(http):
            guild_uses = uses.get(int(summary["id"]), [])
            replay_channel_set = any("replay channel" in use.reasons for use in guild_uses)
            guilds.append(await _guild(http, int(me["id"]), summary, guild_uses, replay_channel_set))
        left = tuple(sorted(set(uses) - {g.guild_id for g in guilds}))
        return Readiness(me.get("global_name") or me["username"], message_content_enabled(
            int(application.get("flags") or 0)), tuple(guilds), left)
    finally:
        await http.close()
