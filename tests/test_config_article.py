"""/config, /article post, the profanity filter and mention safety, as members see them under SimCord."""

from __future__ import annotations

import simcord
from discord import app_commands

from bot.core.budget import BudgetSpec
from bot.core.profanity import ProfanityFilter
from bot.runtime.errors import UserError


async def test_config_show_set_reset_and_log(world):
    shown = await world.slash("config show", as_admin=True)
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Default pace"] == "6 (every 6 s) *(default)*"
    assert fields["Profanity filter"] == "off *(default)*"

    changed = await world.slash("config set", as_admin=True, pace="reading", profanity="mask", webhooks=False)
    assert changed.response.content.splitlines() == [
        "**Default pace**: 6 (every 6 s) → reading (at reading speed)",
        "**Profanity filter**: off → mask",
        "**Post as the authors (webhooks)**: yes → no: the bot posts each comment, the author in an embed",
    ]
    shown = await world.slash("config show", as_admin=True)
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Default pace"] == "reading (at reading speed)"
    assert fields["Recent changes"].count(f"<@{world.admin.id}>") == 3

    reset = await world.slash("config reset", as_admin=True, setting="pace")
    assert reset.response.content == "**Default pace**: reading (at reading speed) → 6 (every 6 s)"
    history = await world.env.bot.store.config.history(world.guild.id)
    assert next((who, key, old, new) for _, who, key, old, new in history) == (
        world.admin.id, "default_pace", "reading", None)


async def test_config_bad_pace_and_plain_members(world):
    bad = await world.slash("config set", as_admin=True, pace="sometimes")
    assert bad.ephemeral and "is not a pace" in bad.response.content
    simcord.assert_error(world.env, UserError)
    assert "config" not in world.member.available_commands(world.text)  # hidden by default_permissions


async def test_runtime_permission_check_when_admins_open_config_to_everyone(world):
    config = next(c for c in await world.env.bot.tree.fetch_commands() if c.name == "config")
    world.guild.set_command_permissions(config, {world.guild.default_role: True})  # an Integrations override
    refused = await world.slash("config set", pace="0")
    assert refused.ephemeral and refused.response.content == "You need the Manage Server permission to do that."
    simcord.assert_error(world.env, app_commands.MissingPermissions)


async def test_replay_without_webhooks_posts_embeds_with_the_author(world):
    await world.slash("config set", as_admin=True, webhooks=False)
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="0")
    await world.env.advance_time(60)
    posts = [m for m in world.messages() if m.embeds and m.embeds[0].author]
    assert [m.embeds[0].author.name for m in posts][:3] == ["Gus 'the Rook' Malone", "Nadia Haddad",
                                                             "Gus 'the Rook' Malone"]
    assert not world.replayed()


async def test_article_post_respects_limits_and_names_the_comments(world):
    result = await world.slash("article post", as_admin=True, thread="Lighthouse")
    assert result.ephemeral
    assert "Replay its 10 comments with `/replay start`" in result.response.content
    embeds = [e for m in world.messages() for e in m.embeds]
    assert embeds[0].title == "Lighthouse Keepers' Logbooks Fill a Gap in 1890s Weather Records"
    assert embeds[0].description.startswith("*Written by Tomás Ferreira*\n\nVolunteers have finished")
    assert embeds[-1].footer.text == "10 comments follow · replay them with /replay start"
    assert all(len(e.description) <= 4096 for e in embeds)


async def test_plain_members_cannot_start_replays_unless_given_the_role(world):
    refused = await world.slash("replay start", thread="Café", pace="0")
    assert refused.response.content.startswith("Only members with Manage Server or Manage Messages")
    simcord.assert_error(world.env, UserError)
    replayers = world.guild.create_role("Replayers")
    await world.slash("config set", as_admin=True, role=replayers)
    cy = world.guild.add_member(world.env.create_user("cy"), roles=[replayers])
    allowed = await cy.slash(world.text, "replay start", thread="Café", pace="0")
    assert allowed.response.content.startswith("Replaying **Café Zürich")


async def import_real_seed(world, shared_seeds) -> str:
    from bot.core.parser import load_thread_file
    from bot.importer import import_loaded

    loaded = load_thread_file(shared_seeds[0])
    await import_loaded(world.env.bot.store, loaded)
    return loaded.thread.title


async def replay_with_filter(world, shared_seeds, mode: str) -> list[str]:
    # The real seed has more comments than the webhook budget allows a minute. SimCord enforces no such limit,
    # and its virtual clock moves only in real time while a command settles: widen the budget so the test does
    # not idle. (The budget itself is tested against the stand-in.)
    world.env.bot.replayer.webhook_budgets.spec = BudgetSpec(1000, 60.0)
    title = await import_real_seed(world, shared_seeds)
    await world.slash("config set", as_admin=True, profanity=mode)
    await world.slash("replay start", as_admin=True, thread=title[:30], pace="0")
    await world.env.advance_time(600)
    return [m.content for m in world.replayed()]


async def test_profanity_mask(world, shared_seeds):
    contents = await replay_with_filter(world, shared_seeds, "mask")
    text = "\n".join(contents)
    assert "give two s**** about" in text and "grow the f*** up" in text
    assert "shits" not in text and "fuck up" not in text


async def test_profanity_spoiler(world, shared_seeds):
    text = "\n".join(await replay_with_filter(world, shared_seeds, "spoiler"))
    assert "give two ||shits|| about" in text and "grow the ||fuck|| up" in text


async def test_profanity_skip_leaves_those_comments_out(world, shared_seeds):
    contents = await replay_with_filter(world, shared_seeds, "skip")
    numbers = [int(c.splitlines()[-1].split(" ")[1].lstrip("#")) for c in contents
               if c.splitlines()[-1].startswith("-# #")]
    assert 3 not in numbers and 5 not in numbers  # "shits", "fuck"
    assert 1 in numbers and 4 in numbers and numbers == sorted(numbers)
    assert not any(ProfanityFilter("skip").contains(c) for c in contents)  # whole words; "McShitstain" stays


async def test_nothing_in_a_replayed_comment_can_ping(world):
    await world.slash("replay start", as_admin=True, thread="night market", pace="0")
    await world.env.advance_time(600)
    executes = [r for r in world.env.http_requests if r.method == "POST" and r.path.startswith("/webhooks/")]
    assert len(executes) == 14
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in executes)
    dan = next(m for m in world.replayed() if m.author.display_name == "Disc-ordDan")
    assert "@\u200beveryone who wants a stall" in dan.content and not dan.mention_everyone
    edits = [r for r in world.env.http_requests if r.method == "PATCH"]
    assert edits and all(r.json.get("allowed_mentions") == {"parse": []} for r in edits)
    sends = [r for r in world.env.http_requests if r.method == "POST" and r.path.endswith("/messages")]
    assert sends and all(r.json.get("allowed_mentions") == {"parse": []} for r in sends)
    webhook_names = {m.author.display_name for m in world.replayed()}
    assert {"Disc-ordDan", "everyone (commenter)"} <= webhook_names
