"""What a member, an admin or a hostile file can throw at the bot under SimCord: posting where the member could
not, paces that do not read back, text over Discord's limits, markup and mentions inside thread text."""

from __future__ import annotations

import discord
import simcord

from bot.core.model import Block, Comment, Thread
from bot.runtime.errors import UserError
from tests.expected import CAFE_NAMES


async def test_a_member_cannot_have_the_bot_post_where_they_cannot(world):
    replayers = world.guild.create_role("Replayers")
    await world.slash("config set", as_admin=True, role=replayers)
    cy = world.guild.add_member(world.env.create_user("cy"), roles=[replayers])
    announcements = world.guild.create_text_channel(
        "announcements", overwrites={world.guild.default_role: discord.PermissionOverwrite(send_messages=False)})
    for command, options in [("replay start", {"thread": "Café", "pace": "0"}), ("article post", {"thread": "Café"})]:
        refused = await cy.slash(world.text, command, channel=announcements, **options)
        assert refused.ephemeral
        assert refused.response.content == f"You need Send Messages in {announcements.mention} to have me post there."
    await world.env.advance_time(60)
    assert list(announcements.history(viewer=world.admin)) == []
    allowed = await cy.slash(world.text, "replay start", thread="Café", pace="0")
    assert allowed.response.content.startswith("Replaying **Café Zürich")
    assert len(simcord.assert_error(world.env, UserError).args) == 1


async def test_replay_status_is_for_replay_runners_only(world):
    await world.slash("replay start", as_admin=True, thread="Café", pace="60")
    refused = await world.slash("replay status")
    assert refused.response.content == (
        "Only members with Manage Server or Manage Messages can start or control replays.")
    allowed = await world.slash("replay status", as_admin=True)
    assert "1/10" in allowed.response.content
    simcord.assert_error(world.env, UserError)


async def test_a_tiny_pace_is_stored_in_a_form_that_reads_back(world):
    started = await world.slash("replay start", as_admin=True, thread="Café", pace="0.00001")
    assert started.response.content.endswith("comments 1 to 10, as fast as Discord allows.")
    await world.env.advance_time(60)
    assert [m.author.display_name for m in world.replayed()] == CAFE_NAMES
    changed = await world.slash("config set", as_admin=True, pace="0.00001")
    assert changed.response.content == "**Default pace**: 6 (every 6 s) → 0 (as fast as Discord allows)"
    shown = await world.slash("config show", as_admin=True)
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Default pace"] == "0 (as fast as Discord allows)"


async def test_paces_out_of_range_are_explained(world):
    answers = [(await world.slash("replay start", as_admin=True, thread="Café", pace=pace)).response.content
               for pace in ("inf", "99999", "original:0.5", "1e9")]
    assert answers == [
        "“inf” is not a pace: use a number of seconds from 0 to 3600, reading, original, original:120 or manual.",
        "a pace of 99999 s is over the 3600 s maximum.",
        "the original-timing speed-up must be from 1 to 10,000, not 0.5.",
        "a pace of 1000000000 s is over the 3600 s maximum.",
    ]
    assert not world.replayed()
    simcord.assert_error(world.env, UserError)


async def hostile_thread(world, title: str, author: str, parent: str) -> None:
    comments = (
        Comment(1, parent, True, None, None, None, None, (Block("First."),)),
        Comment(2, author, False, None, 1, parent, "header", (Block("@everyone <@1> [x](https://evil.example)"),)),
    )
    thread = Thread(title=title, byline=None, article=("An article.",), comments=comments)
    await world.env.bot.store.import_thread(thread, source_key="h.txt", sha256="0" * 64, source_path="h.txt")


async def test_long_and_hostile_titles_and_names_stay_within_limits_and_inert(world):
    title = "Title [click](https://evil.example) **bold** " + "word " * 500  # about 2,500 characters
    await hostile_thread(world, title, "\u202eevil\u202c", "x** [click](https://evil.example)")
    started = await world.slash("replay start", as_admin=True, thread="Title click evil", pace="0")
    assert started.response.content == (
        "Replaying **Title \\[click\\](https://evil.example) \\*\\*bold\\*\\*" + " word" * 30 + "…** in "
        f"{world.text.mention}: comments 1 to 2, as fast as Discord allows.")
    await world.env.advance_time(60)
    parent, reply = world.replayed()
    link = f"https://discord.com/channels/{world.guild.id}/{world.text.id}/{parent.id}"
    assert reply.author.display_name == "evil", "the right-to-left override is gone"
    assert reply.content.splitlines()[0] == (
        f"-# ↪ replying to **x\\*\\* \\[click\\](https://evil.example)** ([#1]({link}))")
    assert "@\u200beveryone" in reply.content and "<\u200b@1>" in reply.content and not reply.mention_everyone
    status = next(m for m in world.messages() if not m.webhook_id)
    assert len(status.content) <= 2000 and "✅ Finished" in status.content
    article = await world.slash("article post", as_admin=True, thread="Title click evil")
    assert article.response.content.startswith("Posted **Title \\[click\\](https://evil.example) \\*\\*bold")
    assert len(article.response.content) < 400
    embeds = [e for m in world.messages() if m.embeds for e in m.embeds]
    assert embeds and all(len(e.title or "") <= 256 and len(e.description or "") <= 4096 for e in embeds)


async def test_config_show_fits_discords_limits_with_huge_filtered_words(world):
    await world.slash("config words", as_admin=True, action="add", words=("a" * 600) + " " + ("b" * 390))
    await world.slash("config words", as_admin=True, action="add", words="c" * 600)
    shown = await world.slash("config show", as_admin=True)
    embed = shown.response.embeds[0]
    assert all(len(f.value) <= 1024 for f in embed.fields)
    assert len(embed) <= 6000
