"""SimCord scenes for behaviour tests: the real bot, its cogs and a fresh SQLite file, in a simulated guild."""

from __future__ import annotations

from dataclasses import dataclass

import discord
import simcord

from bot.importer import import_paths
from bot.settings import Settings
from db.store import Store
from tests.conftest import DEMO_SEEDS


def test_settings(db_path) -> Settings:
    return Settings(discord_token=None, db_path=db_path, max_file_bytes=20 * 1024 * 1024, dev_guild_id=None,
                    api_base=None, log_level="INFO")


async def seeded_database(db_path) -> None:
    """A database file holding the demo seeds, as `rethread import seeds/` leaves it."""
    async with Store.opened(db_path) as store:
        summary = await import_paths(store, DEMO_SEEDS)
        assert not summary.failed, summary.failed


@dataclass
class World:
    """A guild as a server admin sets one up: a text channel, a forum, an admin and a plain member."""

    env: simcord.Env
    guild: simcord.GuildHandle
    text: simcord.ChannelHandle
    forum: simcord.ChannelHandle
    admin: simcord.MemberActor
    member: simcord.MemberActor

    async def slash(self, name: str, /, *, as_admin=False, channel=None, **options) -> simcord.InteractionResult:
        actor = self.admin if as_admin else self.member
        return await actor.slash(channel or self.text, name, **options)

    def messages(self, channel=None) -> list[discord.Message]:
        """What a member sees in the channel, oldest first."""
        return list((channel or self.text).history(viewer=self.member))

    def replayed(self, channel=None) -> list[discord.Message]:
        """The replayed comments: the channel's webhook messages."""
        return [m for m in self.messages(channel) if m.webhook_id]


def build_world(env: simcord.Env) -> World:
    guild = env.create_guild("Rethread Club")
    text = guild.create_text_channel("general")
    forum = guild.create_forum_channel("discussions")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("ada"), roles=[admins])
    member = guild.add_member(env.create_user("bob"))
    return World(env, guild, text, forum, admin, member)
