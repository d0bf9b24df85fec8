"""Replays survive what production throws at them: kill -9 at any moment, 5xx, 429s, a permission taken away
mid-replay, a deleted channel. The bot runs as its own process (`rethread run`) against the stand-in."""

from __future__ import annotations

import asyncio
import re
import signal

import pytest

from tests.expected import CAFE_NAMES, LIGHTHOUSE_NAMES
from tests.fakediscord import FakeDiscord
from tests.harness.botprocess import BotProcess

FOOTER = re.compile(r"^-# #(\d+)\b", re.MULTILINE)


async def until(condition, what: str, timeout: float = 40.0, proc: BotProcess | None = None) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{proc.log()[-3000:]}" if proc else ""))


def replayed(fake: FakeDiscord, channel_id: int | None = None):
    return [m for m in fake.channel_messages(channel_id) if m.webhook_id]


def status(fake: FakeDiscord, channel_id: int | None = None) -> str:
    """The replay's status message ("" until it is posted)."""
    return next((m.content for m in fake.channel_messages(channel_id) if not m.webhook_id and "/" in m.content), "")


def comment_numbers(fake: FakeDiscord, channel_id: int | None = None) -> list[int]:
    """The comment number in each comment's last message, in channel order."""
    return [int(n) for m in replayed(fake, channel_id) for n in FOOTER.findall(m.content)]


async def start_replay(fake: FakeDiscord, thread: str, pace: str = "0", **options) -> None:
    answer = await fake.slash(fake.admin, "replay start", thread=thread, pace=pace, **options)
    assert answer.texts()[0].startswith("Replaying"), answer.texts()


def assert_each_comment_once_in_order(fake: FakeDiscord, names: list[str]) -> None:
    assert comment_numbers(fake) == list(range(1, len(names) + 1))
    last_parts = [m for m in replayed(fake) if FOOTER.search(m.content)]
    assert [m.name for m in last_parts] == names
    assert "✅ Finished" in status(fake)


async def test_kill_9_while_discord_holds_the_answer_posts_nothing_twice(bot, fast_fake):
    """The 4th webhook message is stored by Discord, but its answer never reaches the bot: the bot is killed
    while waiting. On restart it finds that message in the channel and does not post it again."""
    fast_fake.delay_next("POST", "/webhooks/*", 60, skip=3)
    await start_replay(fast_fake, "Café Zürich")
    await until(lambda: len(replayed(fast_fake)) == 4, "the 4th message", proc=bot)
    bot.kill()
    await bot.start()
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    assert_each_comment_once_in_order(fast_fake, CAFE_NAMES)
    assert "comment 4 was in flight at shutdown; 1 of its 1 messages were already posted" in bot.log()


@pytest.mark.parametrize("kill_after", [2, 6])
async def test_kill_9_at_any_moment_neither_duplicates_nor_skips(bot, fast_fake, kill_after):
    """Lighthouse has a comment long enough for several messages: killing mid-way through it is covered too."""
    await start_replay(fast_fake, "Lighthouse")
    await until(lambda: len(replayed(fast_fake)) >= kill_after, f"{kill_after} messages", proc=bot)
    bot.kill()
    await bot.start()
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    assert comment_numbers(fast_fake) == list(range(1, 11))
    assert [m.name for m in replayed(fast_fake) if FOOTER.search(m.content)] == LIGHTHOUSE_NAMES
    long_parts = [m for m in replayed(fast_fake) if m.name == "weather_nerd_1987"]
    assert len(long_parts) == len({m.content for m in long_parts}), "no part of the long comment twice"


async def test_server_errors_and_429s_are_retried_without_duplicates(bot, fast_fake):
    fast_fake.fail_next("POST", "/webhooks/*", status=503, times=2, skip=2)  # discord.py does not retry 503
    fast_fake.fail_next("POST", "/webhooks/*", status=500, times=1, skip=5)
    await start_replay(fast_fake, "Café Zürich")
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    assert_each_comment_once_in_order(fast_fake, CAFE_NAMES)
    statuses = [r.status for r in fast_fake.requests_to("POST", "/webhooks/*")]
    assert statuses.count(503) == 2 and statuses.count(500) == 1 and statuses.count(200) == 10


@pytest.mark.parametrize("after_effect", [False, True], ids=["lost before Discord", "posted, answer lost"])
async def test_connections_dropped_mid_send_neither_duplicate_nor_end_the_replay(bot, fast_fake, after_effect):
    """Sends whose connection closes with no answer: before Discord took them, or after it posted them. The bot
    never resends blindly: it waits, reads the channel, records what Discord has, and posts only the rest; five in
    a row (15 s of Discord away: the waits double from 0.5 s) do not end the replay."""
    fast_fake.drop_next("POST", "/webhooks/*", times=5, skip=3, after_effect=after_effect)
    await start_replay(fast_fake, "Café Zürich")
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot, timeout=60)
    assert_each_comment_once_in_order(fast_fake, CAFE_NAMES)
    assert "Discord is not answering" in bot.log() and "Traceback" not in bot.log()
    settled = "comment 4 got no answer from Discord; 1 of its 1 messages were already posted"
    assert (settled in bot.log()) is after_effect


async def test_a_permission_taken_away_pauses_and_says_which(bot, fast_fake):
    """Without webhooks the bot posts itself; take Send Messages away mid-replay, then give it back."""
    await fast_fake.slash(fast_fake.admin, "config set", webhooks=False)
    channel = fast_fake.text_channel
    answer = await fast_fake.slash(fast_fake.admin, "replay start", thread="Café Zürich", pace="0.5")
    assert answer.texts()[0].startswith("Replaying")
    await until(lambda: len(fast_fake.channel_messages()) >= 4, "a few comments", proc=bot)
    await fast_fake.revoke(channel, "send_messages")
    # Without Send Messages Discord also withholds Embed Links; the log and the status message name both.
    await until(lambda: "paused: I am missing Send Messages, Embed Links in #general" in bot.log(), "the pause",
                proc=bot)
    await until(lambda: "⏸ Paused" in fast_fake.channel_messages()[0].content
                and "I am missing Send Messages, Embed Links" in fast_fake.channel_messages()[0].content,
                "the status to show the reason", proc=bot)
    await fast_fake.restore(channel)
    resumed = await fast_fake.slash(fast_fake.admin, "replay resume")
    assert resumed.texts() == ["Resumed."]
    await until(lambda: "Finished" in fast_fake.channel_messages()[0].content, "the replay to finish", proc=bot)
    authors = [m.embeds[0]["author"]["name"] for m in fast_fake.channel_messages() if m.embeds]
    assert authors == CAFE_NAMES, "each comment once, in order, after the pause"


async def test_a_deleted_channel_ends_the_replay_cleanly(bot, fast_fake):
    other = fast_fake.add_channel("doomed")
    await fast_fake.dispatch("CHANNEL_CREATE", fast_fake.channels[other])
    await start_replay(fast_fake, "Lighthouse", pace="1", channel=str(other))
    await until(lambda: len(replayed(fast_fake, other)) >= 2, "two comments", proc=bot)
    await fast_fake.delete_channel(other)
    await until(lambda: "failed (Replay ended: the channel was deleted" in bot.log(), "the replay to end", proc=bot)
    answer = await fast_fake.slash(fast_fake.member, "thread list")
    assert answer.response is not None, "the bot still answers"
    assert "Traceback" not in bot.log()


async def test_one_refused_message_never_ends_the_replay(bot, fast_fake):
    """Discord refuses an author's name under rules it does not publish, and one comment's text outright: the
    name is replaced by a neutral one, the text by a note, and every other comment is posted in order."""
    fast_fake.refuse_name("Tom Nguyen")
    fast_fake.refuse_content("I proposed to my wife")  # comment 8, Quiet Reader
    await start_replay(fast_fake, "Café Zürich")
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    shown = [(m.name, m.content.splitlines()[-1]) for m in fast_fake.channel_messages()[1:]]
    assert shown == [
        ("Gus 'the Rook' Malone", "-# #1"),
        ("Nadia Haddad", "-# #2"),
        ("Gus 'the Rook' Malone", "-# #3 · not verified · Jun 20, 2024 9:45 AM"),
        ("ana-lucía", "-# #4"),
        ("#5 Tom Nguyen", "-# #5"),
        ("Chen Wei", "-# #6 · not verified · Jun 20, 2024 11:02 AM"),
        ("#7 Tom Nguyen", "-# #7"),
        ("Rethread", "-# Comment #8 could not be posted: Discord refused it. The replay goes on."),
        ("Nadia Haddad", "-# #9 · not verified · Jun 20, 2024 1:15 PM"),
        ("Zoë_Ş", "-# #10"),
    ]
    assert "✅ Finished" in status(fast_fake) and "10/10" in status(fast_fake)
    assert "comment 8 (part 1) in #general was refused in every form" in bot.log()


async def test_debug_logging_never_shows_a_webhook_token_or_the_bot_token(fast_fake, tmp_path):
    proc = BotProcess(fast_fake, tmp_path, env={"RETHREAD_WEBHOOK_BUDGET": "30/6", "LOG_LEVEL": "DEBUG"})
    await proc.start()
    try:
        await start_replay(fast_fake, "Café Zürich")
        await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=proc)
    finally:
        proc.kill()
    tokens = [hook["token"] for hook in fast_fake.webhooks.values()]
    log = proc.log()
    assert tokens and "DEBUG" in log, "the webhook was made, and the log is at DEBUG"
    assert not [t for t in tokens if t in log]
    assert fast_fake.token not in log


async def test_sigterm_mid_send_finishes_the_send_exits_0_and_resumes_after(bot, fast_fake):
    fast_fake.delay_next("POST", "/webhooks/*", 2, skip=3)  # Discord takes 2 s to answer the 4th message
    await start_replay(fast_fake, "Café Zürich")
    await until(lambda: len(replayed(fast_fake)) == 4, "the 4th message", proc=bot)
    assert await bot.stop(timeout=12) == 0
    log = bot.log()
    assert "received SIGTERM, shutting down (at most 10 s)" in log and "stopped cleanly" in log
    assert "in flight at shutdown" not in log, "the send finished before the exit"
    await bot.start()
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    assert_each_comment_once_in_order(fast_fake, CAFE_NAMES)


async def test_a_second_signal_exits_at_once(bot, fast_fake):
    fast_fake.delay_next("POST", "/webhooks/*", 60, skip=1)  # a send that would hold the shutdown up
    await start_replay(fast_fake, "Café Zürich")
    await until(lambda: len(replayed(fast_fake)) == 2, "the 2nd message", proc=bot)
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    await until(lambda: "shutting down" in bot.log(), "the first signal to be seen", proc=bot)
    started = asyncio.get_running_loop().time()
    bot.proc.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(bot.proc.wait, 5)
    assert code == 1 and asyncio.get_running_loop().time() - started < 2
    assert "second SIGTERM: exiting at once" in bot.log()
    await bot.start()
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    assert_each_comment_once_in_order(fast_fake, CAFE_NAMES)


async def test_a_restart_inside_discords_window_draws_no_429(fast_fake, tmp_path):
    """Discord counts webhook messages per channel over a window the bot cannot see. A bot restarted right after
    a burst seeds its budget from the channel's recent webhook messages, so it waits instead of drawing a 429."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    comments = "".join(f"Reader {n}'s picture\n\nThought number {n} on the matter.\n\n" for n in range(1, 46))
    (seeds / "busy.txt").write_text(f"A Busy Thread\n\nThe article.\n\n{comments}", encoding="utf-8")
    proc = BotProcess(fast_fake, tmp_path, seeds=seeds, env={"RETHREAD_WEBHOOK_BUDGET": "30/6"})
    await proc.start()
    try:
        await start_replay(fast_fake, "Busy Thread")
        await until(lambda: len(replayed(fast_fake)) >= 20, "20 messages", proc=proc)
        proc.kill()
        await proc.start()
        await until(lambda: "Finished" in status(fast_fake), "the replay to finish", timeout=60, proc=proc)
    finally:
        proc.kill()
    assert comment_numbers(fast_fake) == list(range(1, 46))
    assert fast_fake.limits.served_429["webhook_channel"] == 0, fast_fake.limits.served_429


async def test_a_database_locked_for_30_s_mid_replay_pauses_it_and_loses_nothing(bot, fast_fake):
    """Another process (a large import) holds the write lock for 30 s while the bot replays: the replay waits,
    then posts every comment once; it is not marked failed."""
    from tests.test_storage_faults import hold_write_lock

    await start_replay(fast_fake, "Café Zürich", pace="0.5")
    await until(lambda: len(replayed(fast_fake)) >= 3, "three comments", proc=bot)
    holder = await asyncio.to_thread(hold_write_lock, bot.db_path, 30)
    await asyncio.to_thread(holder.join)
    await until(lambda: "Finished" in status(fast_fake), "the replay to finish", proc=bot)
    assert_each_comment_once_in_order(fast_fake, CAFE_NAMES)
    assert "database is busy" in bot.log() and " failed" not in bot.log().replace(" 0 failed", "")
