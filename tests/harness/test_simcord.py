"""The SimCord harness: the unmodified discord.py client, our bot and cogs, against a simulated Discord."""

from __future__ import annotations

import datetime

import discord
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


# -- where SimCord 3.2.1 differs from Discord: these pin the gaps, so the bot's tests for them use the stand-in --


async def test_simcord_ignores_after_when_paging_poll_voters(world):
    """Discord pages an answer's voters by `after`; SimCord returns the first page again. Voter paging is
    therefore proven against the stand-in (tests/test_polls_standin.py)."""
    channel = world.env.bot.get_channel(world.text.id)
    poll = discord.Poll(question="Q?", duration=datetime.timedelta(hours=1))
    poll.add_answer(text="A")
    poll.add_answer(text="B")
    message = await channel.send(poll=poll)
    voters = [world.guild.add_member(world.env.create_user(f"v{i}")) for i in range(3)]
    for voter in voters:
        await voter.vote(message, answer=1)
    http = world.env.bot.http
    first = await http.get_poll_answer_voters(channel.id, message.id, 1, limit=2)
    second = await http.get_poll_answer_voters(channel.id, message.id, 1, limit=2,
                                               after=int(first["users"][-1]["id"]))
    assert [u["id"] for u in second["users"]] == [u["id"] for u in first["users"]], "SimCord fixed `after`?"


async def test_simcord_does_not_check_poll_limits(world):
    """Discord refuses a question over 300 characters (400 50035); SimCord accepts it. The bot shortens its polls
    itself, and the stand-in enforces the limits (tests/harness/test_standin_polls.py)."""
    channel = world.env.bot.get_channel(world.text.id)
    poll = discord.Poll(question="Q" * 301, duration=datetime.timedelta(hours=1))
    poll.add_answer(text="A" * 56)
    message = await channel.send(poll=poll)
    assert len(message.poll.question) == 301, "SimCord now enforces poll limits?"


async def test_simcord_ignores_a_webhooks_thread_id(world):
    """Discord posts a webhook message sent with thread_id into that thread; SimCord posts it in the parent channel.
    So a discussion's replayed comments are proven against the stand-in (tests/test_discuss_standin.py), whose
    test fails, as this one shows SimCord would, if one comment lands outside its Discord thread."""
    from tests.expected import CAFE_NAMES
    from tests.test_discuss_standin import misplaced_comments

    await world.slash("discuss start", as_admin=True, thread="Café Zürich", pace="0")
    await world.env.advance_time(60)
    (thread,) = world.text.threads
    in_parent = [m.author.display_name for m in world.messages() if m.webhook_id]
    in_thread = [m.author.display_name for m in world.messages(thread) if m.webhook_id]
    assert in_parent == CAFE_NAMES and in_thread == [], "SimCord now honours thread_id? Move the tests to SimCord"
    assert misplaced_comments(in_thread, in_parent, CAFE_NAMES), "the stand-in's check catches SimCord's behaviour"
