"""SHARD_COUNT, proven with the bot as its own process against the stand-in: the bot opens the shards it is told
to (or Discord recommends), the guild arrives on its own shard, and slash commands there are answered."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import Settings, SettingsError
from tests.harness.botprocess import BotProcess
from tests.test_replay_durability import until

TITLES = ("Café Zürich Closes After 62 Years as Regulars Say Goodbye",
          "Lighthouse Keepers' Logbooks Fill a Gap in 1890s Weather Records",
          "Town Council Votes to Turn Old Rail Depot Into a Night Market")


async def answers_thread_list(fake) -> None:
    await asyncio.wait_for(fake.connected.wait(), 30)  # the shard holding the guild has identified
    answer = await fake.slash(fake.member, "thread list")
    shown = "\n".join(answer.texts()) + "".join(
        str(embed) for embed in ((answer.response or {}).get("data") or {}).get("embeds") or [])
    for title in TITLES:
        assert title in shown, shown


@pytest.mark.parametrize(("setting", "recommended", "identified"), [
    ({"SHARD_COUNT": "2"}, 1, [[0, 2], [1, 2]]),  # told: two, whatever Discord recommends
    ({}, 2, [[0, 2], [1, 2]]),  # unset: as many as GET /gateway/bot recommends
    ({"SHARD_COUNT": "off"}, 2, [None]),  # one plain connection, no shard in its IDENTIFY
])
async def test_the_bot_opens_the_shards_and_answers_in_the_guild(fake_discord, tmp_path, setting, recommended,
                                                                 identified):
    fake_discord.recommended_shards = recommended
    bot = BotProcess(fake_discord, tmp_path, env=setting)
    await bot.start(timeout=40)
    try:
        await answers_thread_list(fake_discord)
        # discord.py identifies one shard after the other, 5 s apart (Discord's identify rate).
        await until(lambda: len(fake_discord.shards_identified) >= len(identified), "every shard", timeout=30,
                    proc=bot)
        assert sorted(fake_discord.shards_identified, key=str) == identified
        assert "Traceback" not in bot.log()
        assert await bot.stop() == 0
    finally:
        bot.kill()


async def test_sharded_without_the_message_content_switch_runs_in_reduced_mode(fake_discord, tmp_path):
    """A refused intent closes every shard of a sharded client, so the bot asks the application's flags first and
    identifies without Message Content instead of stopping."""
    fake_discord.message_content_enabled = False
    bot = BotProcess(fake_discord, tmp_path, env={"SHARD_COUNT": "2"})
    await bot.start(timeout=40)
    try:
        await answers_thread_list(fake_discord)
        assert "capturing discussions in reduced mode (only messages that mention me or reply to me)" in bot.log()
        assert bot.running
        assert await bot.stop() == 0
    finally:
        bot.kill()


# -- the setting --------------------------------------------------------------------------------------------------


def shards_from(raw: str | None):
    saved = os.environ.pop("SHARD_COUNT", None)
    try:
        if raw is not None:
            os.environ["SHARD_COUNT"] = raw
        return Settings.from_env(dotenv=None).shards
    finally:
        os.environ.pop("SHARD_COUNT", None)
        if saved is not None:
            os.environ["SHARD_COUNT"] = saved


@given(st.integers(1, 10**6), st.sampled_from(["", " ", "\t"]))
def test_a_number_of_shards_is_taken_as_is(n, space):
    assert shards_from(f"{space}{n}{space}") == n


def test_auto_and_off_in_any_case():
    assert [shards_from(raw) for raw in (None, "", "auto", " AUTO ", "off", "Off")] == [
        "auto", "auto", "auto", "auto", "off", "off"]


@given(st.one_of(st.integers(max_value=0).map(str), st.sampled_from(["two", "2.5", "1e3", "-", "auto-ish", "0x2"])))
def test_anything_else_is_refused_naming_the_variable(raw):
    with pytest.raises(SettingsError) as refused:
        shards_from(raw)
    assert str(refused.value) == (
        f"SHARD_COUNT must be auto, off or a whole number of shards from 1, not {raw.strip().lower()!r}")


async def test_two_shards_lose_no_vote_when_the_guilds_shard_must_identify_anew(tmp_path):
    """With several shards, a new session on one of them dispatches shard_ready, not ready: the votes cast while
    that shard was away are read back from Discord all the same."""
    from tests.harness.faults import FaultThread, Rig, gateway_drops

    async with Rig(tmp_path, FaultThread(30), env={"SHARD_COUNT": "2"}) as rig:
        faults = await gateway_drops(rig)
        row = await rig.verdict("gateway", faults, 0)
        assert (rig.fake.resumes, rig.fake.identifies) == (1, 2)
        assert sorted(rig.fake.shards_identified, key=str)[-1] == [1, 2]  # both shards were open
    assert faults == "2 gateway drops (1 resumed, 1 re-identified after op 9), 15 votes"
    assert (row.comments_lost, row.comments_duplicated, row.problems, row.votes_lost) == (0, 0, [], 0)
