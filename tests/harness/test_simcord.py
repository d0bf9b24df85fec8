"""The SimCord harness: the unmodified discord.py client, our bot and cogs, against a simulated Discord."""

from __future__ import annotations

import pytest
import simcord

from bot.core.render import avatar_url
from bot.runtime.errors import UserError

pytestmark = pytest.mark.harness  # a self-test of the test harness, not of the bot


async def test_slash_command_is_answered(world):
    result = await world.slash("thread list")
    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "3 threads"
    assert "Café Zürich Closes After 62 Years" in embed.description


async def test_autocomplete_matches_title_words(world):
    choices = await world.member.autocomplete(world.text, "thread info", "thread", "LIGHTHOUSE logbooks")
    assert [c["name"] for c in choices] == [
        "Lighthouse Keepers' Logbooks Fill a Gap in 1890s Weather Records (10 comments)"]


async def test_user_error_is_an_ephemeral_explanation(world):
    result = await world.slash("thread info", thread="no such story anywhere")
    assert result.ephemeral
    assert result.response.content.startswith("No thread matches “no such story anywhere”")
    simcord.assert_error(world.env, UserError, contains="No thread matches")


async def test_bot_sends_a_message_and_a_webhook_posts_under_another_name(world):
    bot = world.env.bot
    channel = bot.get_channel(world.text.id)
    await channel.send("Replay starting")
    webhook = await channel.create_webhook(name="Rethread")
    await webhook.send("I was there.", username="Gus 'the Rook' Malone", avatar_url=avatar_url("Gus"), wait=True)
    shown = [(m.author.display_name, m.content, m.webhook_id is not None) for m in world.messages()]
    assert shown == [(bot.user.display_name, "Replay starting", False), ("Gus 'the Rook' Malone", "I was there.", True)]
