"""Discussions as members see them, with the real bot under SimCord: a Discord thread (or forum post) per
discussion, the article and comments in it, and what members write there captured, edited and deleted.

SimCord 3.2.1 ignores a webhook's thread_id (tests/harness/test_simcord.py proves it), so comments replayed
through webhooks are checked against the stand-in (tests/test_discuss_standin.py); here the bot posts them itself
(webhooks off) where their place matters."""

from __future__ import annotations

import discord
import pytest
import simcord

from bot.runtime.errors import UserError
from tests.expected import CAFE_NAMES, CAFE_TITLE

CAFE = "Café Zürich"


async def start(world, *, channel=None, **options):
    result = await world.slash("discuss start", as_admin=True, thread=CAFE, **options,
                               **({"channel": channel} if channel else {}))
    return result


def store(world):
    return world.env.bot.store


async def captured(world, thread):
    discussion = await store(world).discussions.in_channel(thread.id)
    return [(c.number, c.author, c.text, c.reply_to) for c in await store(world).discussions.comments(discussion.id)]


async def test_a_discussion_opens_a_thread_named_after_the_article_with_the_article_first(world):
    result = await start(world, pace="manual")
    (thread,) = world.text.threads
    assert thread.name == CAFE_TITLE
    assert result.ephemeral and result.response.content == (
        f"Discussion of **{CAFE_TITLE}** opened: <#{thread.id}>. Its 10 comments follow there (pace: when someone "
        "presses Next); what members write there is kept with the thread until `/discuss close`.")
    shown = world.messages(thread)
    assert [e.title for e in shown[0].embeds] == [CAFE_TITLE]
    assert shown[0].embeds[0].footer.text == "10 comments follow"
    assert shown[1].content.startswith(f"▶ Replaying **{CAFE_TITLE}**")
    assert not [m for m in world.messages() if m.embeds], "the article is in the thread, not in the channel"


async def test_the_comments_follow_in_the_thread_under_their_authors_names(world):
    await world.slash("config set", as_admin=True, webhooks=False)
    await start(world, pace="0")
    await world.env.advance_time(60)
    (thread,) = world.text.threads
    replayed = [m for m in world.messages(thread) if m.embeds and m.embeds[0].author.name]
    assert [m.embeds[0].author.name for m in replayed] == CAFE_NAMES
    status = [m for m in world.messages(thread) if m.content.startswith("✅")]
    assert len(status) == 1 and "10/10" in status[0].content


async def test_a_forum_post_whose_first_message_is_the_article(world):
    await start(world, channel=world.forum, pace="manual")
    (post,) = world.forum.threads
    assert post.name == CAFE_TITLE
    first = world.messages(post)[0]  # (on Discord its id is the post's: SimCord gives it another)
    assert [e.title for e in first.embeds] == [CAFE_TITLE] and first.embeds[0].footer.text == "10 comments follow"


async def test_members_messages_become_comments_with_their_replies(world):
    await world.slash("config set", as_admin=True, webhooks=False)
    await start(world, pace="0")
    await world.env.advance_time(60)
    (thread,) = world.text.threads
    nadia = next(m for m in world.messages(thread) if m.embeds and m.embeds[0].author.name == "Nadia Haddad")
    first = await world.member.send(thread, "I went there every Sunday.")
    await world.admin.send(thread, "Nadia is right about the rent.", reply_to=nadia)
    await world.member.send(thread, "Same here, ada.", reply_to=first, attachments=[("menu.png", b"\x89PNG")])
    assert await captured(world, thread) == [
        (11, "bob", "I went there every Sunday.", None),
        (12, "ada", "Nadia is right about the rent.", 2),
        (13, "bob", "Same here, ada.", 11),
    ]
    discussion = await store(world).discussions.in_channel(thread.id)
    (*_, last) = await store(world).discussions.comments(discussion.id)
    assert len(last.attachments) == 1 and last.attachments[0].endswith("menu.png")


async def test_edits_update_and_deletions_remove_captured_comments(world):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    kept = await world.member.send(thread, "First thought.")
    gone = await world.member.send(thread, "Something I regret.")
    await world.member.edit(kept, "First thought, edited.")
    await world.member.delete(gone)
    assert await captured(world, thread) == [(11, "bob", "First thought, edited.", None)]
    later = await world.member.send(thread, "Another.")
    assert later and (await captured(world, thread))[-1][0] == 13, "a deleted comment's number is not reused"


async def test_messages_outside_discussions_and_by_bots_are_not_captured(world):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    await world.member.send(world.text, "In the channel, not the discussion.")
    assert await captured(world, thread) == []


async def test_close_stops_capturing_and_status_lists_what_is_open(world):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    await world.member.send(thread, "Before closing.")
    status = await world.slash("discuss status")
    assert status.ephemeral and status.response.content.splitlines() == [
        "**Open discussions** (1):",
        f"<#{thread.id}> **{CAFE_TITLE}**: 1 comment by members; replay running, 0/10",
        "Capture: every message members write is captured.",
    ]
    closed = await world.slash("discuss close", as_admin=True, channel=thread)
    assert closed.response.content == (f"Discussion closed in <#{thread.id}>: 1 comment by members kept. Nothing "
                                       "written there from now on is kept.")
    await world.member.send(thread, "After closing.")
    assert await captured(world, thread) == [(11, "bob", "Before closing.", None)]
    replay = await store(world).replays.live_in(thread.id)
    assert replay is None, "closing a discussion stops its replay"
    status = await world.slash("discuss status")
    assert status.response.content.splitlines()[0] == "No discussion is open. Start one with `/discuss start`."


async def test_only_replay_runners_open_and_close_discussions(world):
    result = await world.slash("discuss start", thread=CAFE)
    assert result.ephemeral and result.response.content.startswith("Only members with Manage Server")
    simcord.assert_error(world.env, UserError)
    assert world.text.threads == []


async def test_replay_commands_work_inside_the_discussion_thread(world):
    await start(world, pace="60")
    (thread,) = world.text.threads
    paused = await world.admin.slash(thread, "replay pause")
    assert paused.response.content == "Paused. Use `/replay resume` or the Resume button to go on."


async def test_forget_me_removes_only_that_members_comments_in_this_guild(world):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    await world.member.send(thread, "Mine.")
    await world.admin.send(thread, "Theirs.")
    await world.member.send(thread, "Mine again.")
    assert [c[2] for c in await captured(world, thread)] == ["Mine.", "Theirs.", "Mine again."]
    result = await world.slash("discuss forget-me")
    assert result.ephemeral and result.response.content.startswith(
        "Deleted 2 comments you wrote in this server's discussions from Rethread's records.")
    assert await captured(world, thread) == [(12, "ada", "Theirs.", None)]


async def test_another_guild_never_sees_this_guilds_discussions(world):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    other_guild = world.env.create_guild("Elsewhere")
    elsewhere = other_guild.create_text_channel("general")
    admins = other_guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin_there = other_guild.add_member(world.env.create_user("zed"), roles=[admins])
    status = await admin_there.slash(elsewhere, "discuss status")
    assert status.response.content.splitlines()[0] == "No discussion is open. Start one with `/discuss start`."
    refused = await admin_there.slash(elsewhere, "discuss close")
    assert refused.response.content.startswith("There is no discussion here.")
    simcord.assert_error(world.env, UserError)
    await world.member.send(thread, "Said in the first guild.")
    bob_there = other_guild.add_member(world.member.user)  # the same person, a member of both guilds
    forgot = await bob_there.slash(elsewhere, "discuss forget-me")
    assert forgot.response.content.startswith("Deleted 0 comments")
    assert await captured(world, thread) == [(11, "bob", "Said in the first guild.", None)]
    assert (await store(world).discussions.in_channel(thread.id)).open


@pytest.mark.without_message_content
@pytest.mark.simcord(approved_intents=discord.Intents(guilds=True, guild_messages=True, guild_polls=True))
async def test_without_the_message_content_intent_only_messages_to_the_bot_are_captured(world):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    await world.member.send(thread, "Discord hides this text from the bot.")
    bot_id = world.env.bot.user.id
    await world.member.send(thread, f"<@{bot_id}> this one mentions the bot.")
    assert [c[2] for c in await captured(world, thread)] == [f"<@{bot_id}> this one mentions the bot."]
    status = await world.slash("discuss status")
    assert status.response.content.splitlines()[-1] == (
        "Capture: reduced: the Message Content intent is off, so Discord shows me only messages that mention me or "
        "reply to me; turn it on in the Developer Portal (Bot → Privileged Gateway Intents) and restart.")


async def test_polls_asked_inside_a_discussion_go_in_its_thread(world):
    await world.slash("config set", as_admin=True, webhooks=False, auto_poll=True)
    await start(world, pace="0")
    (thread,) = world.text.threads
    await world.env.advance_time(60)  # the replay finishes: the automatic "best point" poll follows
    await world.admin.slash(thread, "poll ask", thread=CAFE, question="Reopen it?", answers="Yes; No")
    questions = [m.poll.question for m in world.messages(thread) if m.poll]
    assert questions == ["Which comment made the best point?", "Reopen it?"]
    assert not [m for m in world.messages() if m.poll], "no poll in the parent channel"


# -- reading a discussion back ------------------------------------------------------------------------------------


async def discussion_with_replies(world):
    """A finished discussion (webhooks off: SimCord then shows the replay where Discord would) with three members'
    comments: one on its own, a reply to Nadia Haddad's last comment, and a reply to that reply."""
    await world.slash("config set", as_admin=True, webhooks=False)
    await start(world, pace="0")
    await world.env.advance_time(60)
    (thread,) = world.text.threads
    nadia = [m for m in world.messages(thread) if m.embeds and m.embeds[0].author.name == "Nadia Haddad"][-1]
    await world.member.send(thread, "I went there every Sunday.\n\nThe strudel was the best in town.")
    ada = await world.admin.send(thread, "Nadia is right about the rent.", reply_to=nadia)
    await world.member.send(thread, "Agreed, ada.", reply_to=ada)
    return thread, await store(world).discussions.in_channel(thread.id)


async def test_export_attaches_the_thread_and_the_discussion_in_the_input_format(world):
    from bot.core.parser import parse_thread

    _, discussion = await discussion_with_replies(world)
    result = await world.slash("thread export", thread=CAFE, discussion=discussion.id)
    follow_up = result.response  # (SimCord shows a deferred answer's first follow-up as the response)
    assert follow_up.content == f"**{CAFE_TITLE}**, with 3 comments by members, in the thread-file format."
    (attachment,) = follow_up.attachments
    assert attachment.filename == f"thread-1-discussion-{discussion.id}.txt"
    back = parse_thread((await attachment.read()).decode("utf-8"))
    assert [(c.number, c.author, c.reply_to, c.reply_to_author, c.text) for c in back.comments[10:]] == [
        (11, "bob", None, None, "I went there every Sunday.\n\nThe strudel was the best in town."),
        (12, "ada", 9, "Nadia Haddad", "Nadia is right about the rent."),
        (13, "bob", 12, "ada", "Agreed, ada."),
    ]
    assert [c.author for c in back.comments[:10]] == CAFE_NAMES


async def test_export_of_another_servers_discussion_is_refused(world):
    _, discussion = await discussion_with_replies(world)
    other_guild = world.env.create_guild("Elsewhere")
    elsewhere = other_guild.create_text_channel("general")
    zed = other_guild.add_member(world.env.create_user("zed"))
    result = await zed.slash(elsewhere, "thread export", thread=CAFE, discussion=discussion.id)
    assert result.ephemeral and result.response.content.startswith(
        f"This server has no discussion {discussion.id} of that thread")
    simcord.assert_error(world.env, UserError)
    plain = await zed.slash(elsewhere, "thread export", thread=CAFE)
    follow_up = plain.response
    assert follow_up.content == f"**{CAFE_TITLE}**, as imported, in the thread-file format."


async def test_search_finds_members_comments_here_with_jump_links_and_never_another_servers(world):
    thread, _ = await discussion_with_replies(world)
    result = await world.slash("thread search", query="strudel")
    (page,) = result.response.embeds
    lines = page.description.splitlines()
    assert page.title == "3 comments match “strudel”"
    member_line = next(line for line in lines if "*(member)*" in line)
    sunday = next(m for m in world.messages(thread) if m.content.startswith("I went there"))
    assert member_line.startswith("`1` #11 **bob**:")
    assert member_line.endswith(f"[↗](https://discord.com/channels/{world.guild.id}/{thread.id}/{sunday.id})")
    nadia = next(line for line in lines if "**Nadia Haddad**" in line)
    assert f"https://discord.com/channels/{world.guild.id}/{thread.id}/" in nadia, "replayed here: a link to it"
    other_guild = world.env.create_guild("Elsewhere")
    elsewhere = other_guild.create_text_channel("general")
    zed = other_guild.add_member(world.env.create_user("zed"))
    there = await zed.slash(elsewhere, "thread search", query="strudel")
    (page,) = there.response.embeds
    assert page.title == "2 comments match “strudel”" and "*(member)*" not in page.description
    assert "discord.com/channels" not in page.description, "nothing was replayed in that server"


async def test_stats_count_members_and_the_thread_with_a_chart(world):
    await discussion_with_replies(world)
    result = await world.slash("thread stats", thread=CAFE)
    follow_up = result.response
    (embed,) = follow_up.embeds
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Comments"] == "13: 10 in the thread, 3 by members (1 discussion)"
    assert fields["Authors"] == "9"  # 7 in the thread, bob and ada
    assert fields["Most active"].splitlines()[:2] == ["Gus 'the Rook' Malone · 2", "Nadia Haddad · 2"]
    # every comment with a reply has one (ada's #12 among them): ties go by number, five are shown
    assert fields["Most replied to"].splitlines() == [
        "#2 Nadia Haddad · 1 reply", "#5 Tom Nguyen · 1 reply", "#6 Chen Wei · 1 reply", "#8 Quiet Reader · 1 reply",
        "#9 Nadia Haddad · 1 reply"]
    assert fields["Deepest reply chain"] == "3 replies"  # bob #13 → ada #12 → Nadia #9 → Quiet Reader #8
    assert embed.image.url == "attachment://activity.png"
    (chart,) = follow_up.attachments
    assert (await chart.read()).startswith(b"\x89PNG")


async def test_forget_me_leaves_no_trace_of_the_words_in_the_database_file(world, bot_db):
    await start(world, pace="manual")
    (thread,) = world.text.threads
    await world.member.send(thread, "My secret word is zanzibarquux.")
    await world.admin.send(thread, "Ada keeps hers.")
    assert b"zanzibarquux" in bot_db.read_bytes() + wal(bot_db)
    await world.slash("discuss forget-me")
    assert [c[2] for c in await captured(world, thread)] == ["Ada keeps hers."]
    assert b"zanzibarquux" not in bot_db.read_bytes() + wal(bot_db)


def wal(db_path) -> bytes:
    path = db_path.with_name(db_path.name + "-wal")
    return path.read_bytes() if path.exists() else b""
