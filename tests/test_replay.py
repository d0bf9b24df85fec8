"""Replays as members see them, with the real bot under SimCord."""

from __future__ import annotations

import itertools

import simcord

from bot.runtime.errors import UserError
from tests.expected import CAFE_FOOTERS, CAFE_NAMES, LIGHTHOUSE_NAMES


async def test_replay_posts_each_comment_under_its_authors_name_in_order(world):
    result = await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="0")
    assert result.ephemeral and result.response.content == (
        f"Replaying **Café Zürich Closes After 62 Years as Regulars Say Goodbye** in {world.text.mention}: "
        "comments 1 to 10, as fast as Discord allows.")
    await world.env.advance_time(60)
    shown = [(m.author.display_name, m.content) for m in world.messages() if m.webhook_id]
    assert [name for name, _ in shown] == CAFE_NAMES
    assert [content.splitlines()[-1] for _, content in shown] == CAFE_FOOTERS
    status = [m for m in world.messages() if not m.webhook_id]
    assert len(status) == 1 and "✅ Finished" in status[0].content and "10/10" in status[0].content


LIGHTHOUSE = "Lighthouse Keepers"



async def test_replies_link_to_the_replayed_parent_and_quotes_are_discord_quotes(world):
    await world.slash("replay start", as_admin=True, thread=LIGHTHOUSE, pace="0")
    await world.env.advance_time(60)
    messages = world.replayed()
    by_first_line = {m.content.splitlines()[0]: m for m in messages}
    parent = next(m for m in messages if m.author.display_name == "weather_nerd_1987")
    jurgen = next(m for m in messages if m.author.display_name == "Jürgen Weiß")
    link = f"https://discord.com/channels/{world.guild.id}/{world.text.id}/{parent.id}"
    assert jurgen.content.splitlines()[0] == f"-# ↪ replying to **weather\\_nerd\\_1987** ([#3]({link}))"
    assert jurgen.content.splitlines()[-1] == "-# #5 · not verified · Jan 9, 2026 10:05 AM"
    fiona = next(m for m in messages if m.author.display_name == "Fiona Moir-Hastings" and "> " in m.content)
    assert "\n> she really was extraordinary, and we talked about her as if she were a colleague.\n" in fiona.content
    assert by_first_line  # every replayed message has content


async def test_long_comment_is_split_in_order_under_2000(world):
    await world.slash("replay start", as_admin=True, thread=LIGHTHOUSE, pace="0")
    await world.env.advance_time(60)
    nerd = [m for m in world.replayed() if m.author.display_name == "weather_nerd_1987"]
    long_parts = nerd[:-1]  # comment 3 is long; comment 8 (the last of theirs) is short
    assert len(long_parts) >= 2 and all(len(m.content) <= 2000 for m in long_parts)
    joined = " ".join(" ".join(m.content for m in long_parts).split())
    assert joined.index("First, the handwriting changes") < joined.index("Finally, a thank-you")


async def test_fixed_pace_waits_between_comments(world):
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="6")
    await world.env.advance_time(6 * 10)
    times = [m.created_at for m in world.replayed()]
    assert len(times) == 10
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [6.0] * 9


async def test_reading_pace_grows_with_the_previous_comment(world):
    await world.slash("replay start", as_admin=True, thread=LIGHTHOUSE, pace="reading")
    await world.env.advance_time(600)
    messages = world.replayed()
    starts, new_comment = [], True  # the time of each comment's first message; its last ends in "-# #N ..."
    for m in messages:
        if new_comment:
            starts.append(m.created_at)
        new_comment = m.content.splitlines()[-1].startswith("-# #")
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert len(starts) == 10
    assert max(gaps) == gaps[2] and gaps[2] >= 60, "the long comment 3 gives readers the longest pause after it"
    assert min(gaps) >= 2


async def test_pause_resume_skip_and_stop_by_command(world):
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="60")
    assert len(world.replayed()) == 1
    paused = await world.slash("replay pause", as_admin=True)
    assert paused.response.content.startswith("Paused")
    await world.env.advance_time(600)
    assert len(world.replayed()) == 1, "nothing is posted while paused"
    assert "Resumed" in (await world.slash("replay resume", as_admin=True)).response.content
    posted_now = await world.slash("replay next", as_admin=True)
    assert posted_now.response.content == "Posting comment 2 now."
    assert len(world.replayed()) == 2
    status = await world.slash("replay status", as_admin=True)
    assert "2/10" in status.response.content
    stopped = await world.slash("replay stop", as_admin=True)
    assert stopped.response.content.startswith("Stopped after 2")
    await world.env.advance_time(600)
    assert len(world.replayed()) == 2
    assert "⏹ Stopped" in next(m for m in world.messages() if not m.webhook_id).content


async def test_manual_pace_posts_on_each_next_press(world):
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="manual")
    assert len(world.replayed()) == 0
    status = next(m for m in world.messages() if not m.webhook_id)
    for expected in (1, 2, 3):
        await world.admin.click(status, label="Next")
        assert len(world.replayed()) == expected
    await world.env.advance_time(3600)
    assert len(world.replayed()) == 3


async def test_status_buttons_follow_the_state_and_refuse_plain_members(world):
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="60")
    status = next(m for m in world.messages() if not m.webhook_id)
    refused = await world.member.click(status, label="Pause")
    assert refused.ephemeral and "Manage Server or Manage Messages" in refused.response.content
    await world.admin.click(status, label="Pause")
    await world.env.advance_time(5)
    status = next(m for m in world.messages() if not m.webhook_id)
    assert "⏸ Paused" in status.content
    assert [c.label for row in status.components for c in row.children] == ["Resume", "Stop"]


async def test_one_replay_per_channel_and_many_channels_at_once(world):
    other = world.guild.create_text_channel("second")
    first = await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="30")
    busy = await world.slash("replay start", as_admin=True, thread=LIGHTHOUSE, pace="30")
    assert first.response.content.startswith("Replaying")
    assert busy.ephemeral and busy.response.content == (
        f"{world.text.mention} already has a replay. Stop it with `/replay stop` first.")
    simcord.assert_error(world.env, UserError, contains="already has a replay")
    elsewhere = await world.slash("replay start", as_admin=True, thread=LIGHTHOUSE, pace="30", channel=other)
    assert elsewhere.response.content.startswith("Replaying")
    await world.env.advance_time(30 * 10)
    cafe = [m.author.display_name for m in world.replayed()]
    lighthouse = [m.author.display_name for m in other.history(viewer=world.member) if m.webhook_id]
    assert cafe == CAFE_NAMES
    assert [name for i, name in enumerate(lighthouse) if i != 3] == LIGHTHOUSE_NAMES, "comment 3 takes two messages"


async def test_from_comment_autocomplete_and_start(world):
    thread_id = next(t.id for t in await world.env.bot.store.threads() if t.title.startswith("Café"))
    choices = await world.admin.autocomplete(world.text, "replay start", "from_comment", "Quiet",
                                             thread=str(thread_id))
    assert [c["name"] for c in choices] == [
        "8 · Quiet Reader: I proposed to my wife at the window table in 1991. She said…"]
    await world.slash("replay start", as_admin=True, thread=str(thread_id), pace="0", from_comment=8)
    await world.env.advance_time(60)
    assert [m.author.display_name for m in world.replayed()] == ["Quiet Reader", "Nadia Haddad", "Zoë_Ş"]
    status = next(m for m in world.messages() if not m.webhook_id)
    assert "3/3" in status.content and "Finished" in status.content


async def test_bad_options_are_explained(world):
    bad_pace = await world.slash("replay start", as_admin=True, thread="Café", pace="whenever")
    assert "is not a pace" in bad_pace.response.content
    too_far = await world.slash("replay start", as_admin=True, thread="Café", from_comment=99)
    assert too_far.response.content == "That thread has 10 comments; choose a number from 1 to 10."
    nothing = await world.slash("replay pause", as_admin=True)
    assert nothing.response.content.startswith("There is no replay running in this channel")
    assert len(simcord.assert_error(world.env, UserError).args) == 1


async def test_a_deleted_webhook_is_made_again_and_the_replay_goes_on(world):
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="60")
    channel = world.env.bot.get_channel(world.text.id)
    for hook in await channel.webhooks():  # someone removes it in Integrations
        await hook.delete()
    await world.env.advance_time(60 * 10)
    assert [m.author.display_name for m in world.replayed()] == CAFE_NAMES, "each comment once, none lost"
    hooks = await channel.webhooks()
    assert [h.name for h in hooks] == ["Rethread"], "one new webhook"
    status = next(m for m in world.messages() if not m.webhook_id)
    assert "✅ Finished" in status.content and "10/10" in status.content



async def test_a_replay_started_as_the_last_one_shows_finished_starts(world, monkeypatch):
    """The status says Finished a moment before the end is saved (so a kill in between cannot leave it saying
    "Replaying"): a member who starts the next replay in that moment gets it, not "already has a replay"."""
    import asyncio

    from bot.core.replays import ReplayState
    from db.replays import ReplayConflict

    replays = world.env.bot.store.replays
    save_end, set_state, held = asyncio.Event(), replays.set_state, []

    async def held_end(replay_id, state, note=None):
        if state is ReplayState.FINISHED:
            held.append(state)
            await world.env.external_wait(save_end.wait(), reason="the test holds the end's save")  # shown, not saved
        await set_state(replay_id, state, note)

    monkeypatch.setattr(replays, "set_state", held_end)
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="0")
    await world.env.advance_time(60)
    assert len(world.replayed()) == 10 and held == [ReplayState.FINISHED]  # every comment posted, the end unsaved

    create = replays.create

    async def create_as_the_end_is_saved(**fields):
        try:
            return await create(**fields)
        except ReplayConflict:
            save_end.set()  # the save lands while the new start is being handled
            raise

    monkeypatch.setattr(replays, "create", create_as_the_end_is_saved)
    result = await world.slash("replay start", as_admin=True, thread=LIGHTHOUSE, pace="0")
    assert result.response.content.startswith("Replaying **Lighthouse Keepers")
    await world.env.advance_time(120)
    lighthouse = [m.author.display_name for m in world.replayed()][10:]
    assert [name for i, name in enumerate(lighthouse) if i != 3] == LIGHTHOUSE_NAMES, "comment 3 takes two messages"
