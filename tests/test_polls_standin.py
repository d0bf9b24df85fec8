"""Polls against the stand-in, for what SimCord does not check: Discord's poll limits and the Send Polls
permission, voters paged 100 at a time with `after`, and a poll that ended while the bot was offline."""

from __future__ import annotations

import sqlite3

from tests.fakediscord import FakeDiscord
from tests.test_replay_durability import until


def stored_votes(db_path) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM poll_votes").fetchone()[0]


def polls(fake: FakeDiscord):
    return [m for m in fake.channel_messages() if m.poll]


async def slash_and_follow_up(fake: FakeDiscord, user: dict, name: str, **options):
    """A command that defers: its answer is the follow-up."""
    answer = await fake.slash(user, name, **options)
    await until(lambda: answer.followups, f"/{name} to follow up")
    return answer


async def test_missing_send_polls_is_named_before_anything_is_posted(bot, fast_fake):
    await fast_fake.revoke(fast_fake.text_channel, "send_polls")
    answer = await fast_fake.slash(fast_fake.admin, "poll best", thread="Café", candidates="3, 8")
    assert answer.ephemeral
    assert answer.texts() == [f"I need Create Polls in <#{fast_fake.text_channel}> to post a poll there."]
    assert not polls(fast_fake) and not fast_fake.requests_to("POST", "/channels/*/messages")


async def test_answers_too_long_for_discord_are_shortened_not_refused(bot, fast_fake):
    long_answer = "An answer far longer than the fifty-five characters Discord allows for one"
    answer = await slash_and_follow_up(fast_fake, fast_fake.admin, "poll ask", thread="Café", question="Which?",
                                       answers=f"{long_answer}; Short one")
    assert answer.texts()[-1].startswith("Poll #1 posted:"), answer.texts()
    (poll,) = polls(fast_fake)
    texts = [a["poll_media"]["text"] for a in poll.poll["answers"]]
    assert texts == ["An answer far longer than the fifty-five characters…", "Short one"]
    refused = [r for r in fast_fake.requests if r.status == 400]
    assert refused == [], "nothing the bot sent was refused"


async def test_votes_cast_while_offline_are_read_back_page_by_page(bot, fast_fake):
    await slash_and_follow_up(fast_fake, fast_fake.admin, "poll ask", thread="Café", question="Reopen?",
                              answers="Yes; No", duration=1)
    (poll,) = polls(fast_fake)
    early = fast_fake.add_user("early")
    await fast_fake.vote(early, poll.id, 2)
    bot.kill()
    voters = [fast_fake.add_user(f"voter{i}") for i in range(230)]
    for voter in voters:
        await fast_fake.vote(voter, poll.id, 1)
    await bot.start()
    pages = lambda: fast_fake.requests_to("GET", "/channels/*/polls/*/answers/1")  # noqa: E731
    await until(lambda: len(pages()) >= 3, "the voters to be read", proc=bot)
    await until(lambda: stored_votes(bot.db_path) == 231, "the voters to be stored", proc=bot)  # after the pages
    queries = [r.query for r in pages()]
    assert all(q["limit"] == "100" for q in queries) and "after" not in queries[0]
    assert len({q["after"] for q in queries[1:]}) == len(queries) - 1, "each page starts after the last one"
    answer = await slash_and_follow_up(fast_fake, fast_fake.member, "poll results")
    assert answer.texts()[-1].splitlines()[-1] == "-# 231 votes, so far", answer.texts()


async def test_a_poll_ended_while_the_bot_was_offline_gets_its_final_results(bot, fast_fake):
    await slash_and_follow_up(fast_fake, fast_fake.admin, "poll ask", thread="Café", question="Keep it?",
                              answers="Yes; No; Maybe")
    (poll,) = polls(fast_fake)
    bot.kill()
    for i, choice in enumerate((1, 1, 3)):
        await fast_fake.vote(fast_fake.add_user(f"v{i}"), poll.id, choice)
    await fast_fake.expire_poll(poll.id)
    await bot.start()
    await until(lambda: "poll 1 in guild" in bot.log() and "ended: 3 votes" in bot.log(), "the final results",
                proc=bot)
    answer = await slash_and_follow_up(fast_fake, fast_fake.member, "poll results")
    assert answer.texts()[-1].splitlines()[1:] == [
        "`████████████████` 2 (67%) · Yes",
        "`░░░░░░░░░░░░░░░░` 0 (0%) · No",
        "`████████░░░░░░░░` 1 (33%) · Maybe",
        "-# 3 votes, final results",
    ]


async def test_results_come_with_a_chart_or_as_text_without_attach_files(bot, fast_fake):
    await slash_and_follow_up(fast_fake, fast_fake.admin, "poll ask", thread="Café", question="Which?",
                              answers="One; Two")
    (poll,) = polls(fast_fake)
    await fast_fake.vote(fast_fake.add_user("v"), poll.id, 2)
    with_chart = await slash_and_follow_up(fast_fake, fast_fake.member, "poll results")
    (posted,) = [m for m in fast_fake.channel_messages() if m.attachments]
    assert [a["filename"] for a in posted.attachments] == ["poll-1.png"]
    assert posted.files[0].startswith(b"\x89PNG")
    assert with_chart.texts()[-1].splitlines()[0] == "**Which?**"

    await fast_fake.revoke(fast_fake.text_channel, "attach_files")
    text_only = await fast_fake.slash(fast_fake.member, "poll results")
    assert text_only.texts()[0].splitlines()[-1] == "-# (no chart: I need Attach Files here)"
    assert len([m for m in fast_fake.channel_messages() if m.attachments]) == 1, "no upload was tried"
