"""Polls as members see them, with the real bot under SimCord: each command posts the poll members would see,
votes are stored as they arrive, a poll ends by expiry or by /poll end, and /poll results shows the counts."""

from __future__ import annotations

import asyncio

import simcord

from bot.core.model import Block, Comment, Thread
from bot.runtime.errors import UserError
from bot.runtime.polls import PollKeeper


def poll_messages(world):
    return [m for m in world.messages() if m.poll is not None]


async def test_poll_comment_quotes_the_comment_and_asks_agreement(world):
    answer = await world.slash("poll comment", as_admin=True, thread="Café", comment=8, duration=2)
    (message,) = poll_messages(world)
    assert answer.ephemeral and answer.response.content == f"Poll #1 posted: {message.jump_url} (open for 2 hours)."
    assert message.poll.duration.total_seconds() == 2 * 3600
    assert message.poll.question == "Do you agree with Quiet Reader?"
    assert [a.text for a in message.poll.answers] == ["Agree", "Disagree", "Not sure"]
    assert message.content.splitlines()[0] == "**Quiet Reader** (#8) wrote:"
    assert message.content.splitlines()[1].startswith("> I proposed to my wife at the window table in 1991.")
    assert message.author.id == world.env.bot.user.id, "posted as the bot: only a poll's author can end it"


async def test_poll_best_offers_the_chosen_comments_within_55_characters(world):
    await world.slash("poll best", as_admin=True, thread="Café", candidates="3, 8, 10")
    (message,) = poll_messages(world)
    assert message.poll.question == "Which comment made the best point?"
    answers = [a.text for a in message.poll.answers]
    assert [a.split(":")[0] for a in answers] == ["#3 Gus 'the Rook' Malone", "#8 Quiet Reader", "#10 Zoë_Ş"]
    assert all(len(a) <= 55 for a in answers)


async def test_votes_are_stored_and_results_counted_after_expiry(world):
    await world.slash("poll ask", as_admin=True, thread="Café", question="Will it reopen?", answers="Yes; No; Maybe",
                      duration=1)
    (message,) = poll_messages(world)
    voters = [world.guild.add_member(world.env.create_user(f"voter{i}")) for i in range(5)]
    for voter, choice in zip(voters, (1, 1, 2, 3, 1), strict=True):
        await voter.vote(message, answer=choice)
    await voters[4].vote(message, answer=2)  # a changed vote: remove 1, add 2 (single choice)
    stored = (await world.env.bot.store.polls.in_guild(world.guild.id))[0]
    assert (await world.env.bot.store.polls.counts(stored)).counts == (2, 2, 1)
    extra = world.guild.add_member(world.env.create_user("undecided"))
    await extra.vote(message, answer=3)
    assert (await world.env.bot.store.polls.counts(stored)).counts == (2, 2, 2)
    await extra.remove_vote(message, answer=3)  # a vote taken back
    assert (await world.env.bot.store.polls.counts(stored)).counts == (2, 2, 1)
    await world.env.advance_time(3600 + 120)  # the poll ends; the bot collects Discord's final results
    stored = await world.env.bot.store.polls.get(stored.id)
    assert stored.final_counts == (2, 2, 1)
    shown = await world.slash("poll results")
    assert not shown.ephemeral, "results are posted for everyone"
    assert shown.response.content == "\n".join([
        "**Will it reopen?**",
        "`████████████████` 2 (40%) · Yes",
        "`████████████████` 2 (40%) · No",
        "`████████░░░░░░░░` 1 (20%) · Maybe",
        "-# 5 votes, final results",
    ])
    (chart,) = shown.response.attachments
    assert chart.filename == "poll-1.png"
    assert (await chart.read()).startswith(b"\x89PNG")


async def test_poll_end_ends_it_now(world):
    await world.slash("poll ask", as_admin=True, thread="Café", question="Keep the table?", answers="Yes; No")
    (message,) = poll_messages(world)
    voter = world.guild.add_member(world.env.create_user("v"))
    await voter.vote(message, answer=2)
    ended = await world.slash("poll end", as_admin=True)
    assert ended.response.content == "Poll #1 ended. See the results with `/poll results`."
    stored = await world.env.bot.store.polls.get(1)
    assert stored.final_counts == (0, 1)


async def test_bad_poll_options_are_explained(world):
    few = await world.slash("poll ask", as_admin=True, thread="Café", question="Q?", answers="Only one")
    assert few.response.content == "Give 2 to 10 answers separated by semicolons (;), not 1."
    wrong = await world.slash("poll best", as_admin=True, thread="Café", candidates="3, 99")
    assert wrong.response.content == "This thread's comments are numbered 1 to 10; there is no 99."
    plain = await world.slash("poll best", thread="Café")
    assert plain.response.content.startswith("Only members with Manage Server or Manage Messages")
    assert not poll_messages(world)
    simcord.assert_error(world.env, UserError)


async def test_auto_poll_after_a_replay_finishes(world):
    changed = await world.slash("config set", as_admin=True, auto_poll=True)
    assert changed.response.content == (
        "**Poll when a replay finishes**: no → yes: a “which comment made the best point?” poll")
    await world.slash("replay start", as_admin=True, thread="Lighthouse", pace="0")
    await world.env.advance_time(120)
    (message,) = poll_messages(world)
    assert message.poll.question == "Which comment made the best point?"
    # Lighthouse has ten comments: all of them are candidates, in thread order.
    assert [a.text.split(":")[0] for a in message.poll.answers] == [
        "#1 Fiona Moir-Hastings", "#2 Ravi", "#3 weather_nerd_1987", "#4 Ravi", "#5 Jürgen Weiß",
        "#6 Fiona Moir-Hastings", "#7 skeptic'sCorner", "#8 weather_nerd_1987", "#9 李明", "#10 Ravi"]
    status = next(m for m in world.messages() if not m.webhook_id and m.poll is None)
    assert "✅ Finished" in status.content


async def test_best_poll_candidates_are_the_most_answered_comments(store):
    """20 comments; 17 is answered three times, 12 twice, 15 once: those three, then the earliest, in order."""
    def comment(n: int, reply_to: int | None = None) -> Comment:
        return Comment(n, f"Author {n}", True, None, reply_to, f"Author {reply_to}" if reply_to else None,
                       "quote" if reply_to else None, (Block(f"Comment {n} says something."),))
    replies = {18: 17, 19: 17, 20: 17, 13: 12, 14: 12, 16: 15}
    thread = Thread("T", None, ("A.",), tuple(comment(n, replies.get(n)) for n in range(1, 21)))
    await store.import_thread(thread, source_key="t.txt", sha256="1" * 64, source_path="t.txt")
    spec = await PollKeeper(None, store).best_poll(await store.revision_id(1), 20)  # type: ignore[arg-type]
    assert [a.split(":")[0] for a in spec.answers] == [
        "#1 Author 1", "#2 Author 2", "#3 Author 3", "#4 Author 4", "#5 Author 5", "#6 Author 6", "#7 Author 7",
        "#12 Author 12", "#15 Author 15", "#17 Author 17"]


async def test_polls_export_writes_one_row_per_answer_with_counts(world, tmp_path):
    from click.testing import CliRunner

    from bot.cli import main

    await world.slash("poll ask", as_admin=True, thread="Café", question="Reopen?", answers="Yes; No")
    (message,) = poll_messages(world)
    await world.guild.add_member(world.env.create_user("v")).vote(message, answer=2)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["polls", "export", "--csv", "-"],
                                     env={"RETHREAD_DB": str(world.env.bot.store.path)})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "poll,thread,guild,kind,question,answer_id,answer,votes,final",
        f"1,1,{world.guild.id},ask,Reopen?,1,Yes,0,False",
        f"1,1,{world.guild.id},ask,Reopen?,2,No,1,False",
    ]

