"""The fault table's short form (`python bench/faults.py --quick` prints it; the full sweep runs on demand):
the bot as its own process against the stand-in, faults injected for real, and nothing lost or posted twice.

The database lock, SIGTERM mid-send and a restart inside Discord's window are in test_replay_durability.py;
the scenarios themselves are in tests/harness/faults.py, shared with bench/faults.py."""

from __future__ import annotations

import pytest

from tests.harness.faults import (
    FaultThread,
    Rig,
    disk_full,
    gateway_drops,
    kill_sweep,
    quick_moments,
    rate_limit_burst,
    server_error_bursts,
)

pytestmark = pytest.mark.faults

NOTHING_LOST = (0, 0, [])


def outcome(row) -> tuple:
    return row.comments_lost, row.comments_duplicated, row.problems


async def test_kill_9_at_five_moments_with_votes_meanwhile_loses_and_repeats_nothing(tmp_path):
    """Killed as a send is held before Discord has it, after Discord stored it but before the bot heard, in the
    settle step's read, mid-way through a three-message comment, at a status edit; restarted each time; members
    vote while it is down and while it runs."""
    async with Rig(tmp_path, FaultThread(14)) as rig:
        faults = await kill_sweep(rig, quick_moments())
        row = await rig.verdict("kill", faults, 0)
        status = rig.status()
        starts = rig.bot.log().count("===== start")
    assert faults == "5 kill -9 at distinct moments, 18 votes"
    assert outcome(row) == NOTHING_LOST and row.votes_lost == 0
    assert starts == 6
    assert status.splitlines()[:2] == ["✅ Finished **Fault Line**", "`▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰` 14/14"]


async def test_gateway_resumed_and_re_identified_mid_replay_loses_no_vote(tmp_path):
    """Votes cast while the gateway is down come back on RESUME; after op 9 (a new session, nothing replayed)
    the bot reads them back from Discord."""
    async with Rig(tmp_path, FaultThread(30)) as rig:
        faults = await gateway_drops(rig)
        row = await rig.verdict("gateway", faults, 0)
        assert (rig.fake.resumes, rig.fake.identifies) == (1, 2)
    assert faults == "2 gateway drops (1 resumed, 1 re-identified after op 9), 15 votes"
    assert outcome(row) == NOTHING_LOST and row.votes_lost == 0


async def test_bursts_of_500_502_and_503_on_the_webhook_route_lose_and_repeat_nothing(tmp_path):
    async with Rig(tmp_path, FaultThread(34)) as rig:
        faults = await server_error_bursts(rig, 2)
        row = await rig.verdict("5xx", faults, 0)
        statuses = [r.status for r in rig.fake.requests_to("POST", "/webhooks/*")]
    assert outcome(row) == NOTHING_LOST
    assert (statuses.count(500), statuses.count(502), statuses.count(503)) == (2, 2, 2)


@pytest.mark.parametrize("is_global", [False, True], ids=["route", "global"])
async def test_more_429s_in_a_row_than_discord_py_retries_lose_and_repeat_nothing(tmp_path, is_global):
    """discord.py's webhook client gives up after 5 tries; the replay goes on after 6 429s all the same."""
    async with Rig(tmp_path, FaultThread(12)) as rig:
        faults = await rate_limit_burst(rig, 6, is_global=is_global)
        row = await rig.verdict("429", faults, 0)
    assert faults.startswith("6× 429 in a row")
    assert outcome(row) == NOTHING_LOST


async def test_a_full_disk_pauses_the_replay_with_a_message_and_it_goes_on_by_itself(tmp_path):
    async with Rig(tmp_path, FaultThread(16)) as rig:
        faults = await disk_full(rig, 3)
        row = await rig.verdict("disk", faults, 0)
        notes = [text for text in rig.bot_notes() if "Replay of" in text or "Saving works" in text]
        log = rig.bot.log()
    assert outcome(row) == NOTHING_LOST, row  # integrity_check included
    assert notes == ["⏸ Replay of **Fault Line** paused: I could not save its progress (the disk is full or "
                     "failing). It goes on by itself once saving works again.",
                     "▶ Saving works again: the replay of **Fault Line** goes on."]
    assert "could not save its progress (disk I/O error)" in log
