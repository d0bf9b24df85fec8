"""`rethread check`, run as an admin runs it (a separate process): every bad setting named at once, migrations
applied or (--dry-run) only listed, and against the stand-in the channels the bot uses in each server with the
permissions it lacks there, as Discord's settings name them. Exit 0 all good, 1 something missing, 78 config."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import discord
from discord.state import ConnectionState
from hypothesis import given
from hypothesis import strategies as st

from bot.core.replays import ReplayState
from bot.importer import import_paths
from bot.runtime.readiness import CHANNEL_NEEDS, channel_permissions
from db.migrate import available, statements
from db.store import Store
from tests.conftest import DEMO_SEEDS
from tests.fakediscord import FakeDiscord

LATEST = available()[-1].version
ALL_MIGRATIONS = ", ".join(f"{m.version:04d}_{m.name}" for m in available())
ADMIN = 4242


def rethread(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DISCORD_", "RETHREAD_", "LOG_", "SHARD_", "DEV_GUILD"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=workdir,
                          env={**base, "RETHREAD_DB": str(workdir / "bot.sqlite3"), "COLUMNS": "80", **env},
                          capture_output=True, text=True, timeout=60)


def database_at(path: Path, version: int) -> None:
    """A database as an older Rethread left it: the first ``version`` migrations applied."""
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in available()[:version]:
        for statement in statements(migration.sql):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


# -- settings and the database, no Discord ----------------------------------------------------------------------


def test_every_bad_setting_is_named_at_once_exit_78(tmp_path):
    result = rethread(tmp_path, "check", LOG_LEVEL="loud", SHARD_COUNT="-2", DISCORD_API_BASE="localhost:8080",
                      RETHREAD_DB_LOCK_WAIT="soon")
    assert result.returncode == 78, result.stderr
    assert result.stdout.splitlines() == [
        "  ✗ DISCORD_API_BASE must be an http:// or https:// address, not 'localhost:8080'",
        "  ✗ LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'loud'",
        "  ✗ SHARD_COUNT must be auto, off or a whole number of shards from 1, not '-2'",
        "  ✗ RETHREAD_DB_LOCK_WAIT must be a number of seconds, not 'soon'",
    ]
    assert result.stderr.strip() == "error: 4 settings to fix (see .env.example)"
    assert not (tmp_path / "bot.sqlite3").exists()


def test_without_a_token_it_migrates_and_skips_discord(tmp_path):
    result = rethread(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "settings: ok",
        f"database: {tmp_path / 'bot.sqlite3'} at schema version {LATEST}; applied {ALL_MIGRATIONS}",
        "Discord: skipped (no DISCORD_TOKEN set)",
    ]
    again = rethread(tmp_path, "check")
    assert again.stdout.splitlines()[1] == (
        f"database: {tmp_path / 'bot.sqlite3'} at schema version {LATEST}; schema up to date")


def test_dry_run_lists_pending_migrations_and_changes_nothing(tmp_path):
    fresh = rethread(tmp_path, "check", "--dry-run")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.splitlines()[1] == (
        f"database: {tmp_path / 'bot.sqlite3'} does not exist yet; would create it and apply {ALL_MIGRATIONS}")
    assert not (tmp_path / "bot.sqlite3").exists()

    path = tmp_path / "bot.sqlite3"
    database_at(path, 3)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = rethread(tmp_path, "check", "--dry-run")
    assert result.returncode == 0, result.stderr
    pending = ", ".join(f"{m.version:04d}_{m.name}" for m in available()[3:])
    assert result.stdout.splitlines()[1] == (
        f"database: {path} at schema version 3; would apply {pending} (dry run: nothing changed)")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before

    applied = rethread(tmp_path, "check")
    assert applied.stdout.splitlines()[1] == f"database: {path} at schema version {LATEST}; applied {pending}"


async def test_a_database_from_a_newer_rethread_is_a_configuration_error(tmp_path):
    path = tmp_path / "bot.sqlite3"
    async with Store.opened(path) as store:
        await store.conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    for args in (("check",), ("check", "--dry-run")):
        result = await asyncio.to_thread(rethread, tmp_path, *args)
        assert result.returncode == 78, result.stderr
        assert result.stderr.strip() == (
            f"error: {path} is at schema version {LATEST + 1}, newer than this Rethread knows ({LATEST}); "
            "upgrade Rethread or point RETHREAD_DB at another file")


# -- against the stand-in --------------------------------------------------------------------------------------


async def start_thread(fake: FakeDiscord, parent_id: int, name: str) -> int:
    """A Discord thread, started over REST as the bot would."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{fake.api_base}/channels/{parent_id}/threads", json={"name": name, "type": 11},
            headers={"Authorization": f"Bot {fake.token}"}) as response:
        assert response.status == 200, await response.text()
        return int((await response.json())["id"])


async def check_against(fake: FakeDiscord, workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    # In a thread: the stand-in answers from this test's event loop.
    return await asyncio.to_thread(rethread, workdir, "check", *args, DISCORD_TOKEN=env.pop("token", fake.token),
                                   DISCORD_API_BASE=fake.api_base, **env)


async def test_each_used_channel_is_listed_with_the_permissions_missing_exit_1(fake_discord, tmp_path):
    fake = fake_discord
    talk = fake.add_channel("talk")
    replays = fake.add_channel("replays")
    thread_channel = await start_thread(fake, talk, "Café Zürich, together")
    gone = fake.snowflake()  # a channel deleted while its replay was paused
    async with Store.opened(tmp_path / "bot.sqlite3") as store:
        summary = await import_paths(store, DEMO_SEEDS[:1])
        thread_id = summary.stored[0][1].thread_id
        revision_id = await store.revision_id(thread_id)
        assert revision_id is not None
        await store.config.set(fake.guild_id, ADMIN, replay_channel_id=fake.text_channel)
        await store.discussions.open(guild_id=fake.guild_id, parent_id=talk, channel_id=thread_channel,
                                     thread_id=thread_id, revision_id=revision_id, last_number=5, pace="6",
                                     use_webhooks=True, started_by=ADMIN)
        await store.replays.create(guild_id=fake.guild_id, channel_id=replays, revision_id=revision_id, first=1,
                                   last=5, pace="6", use_webhooks=True, started_by=ADMIN)
        paused = await store.replays.create(guild_id=fake.guild_id, channel_id=gone, revision_id=revision_id,
                                            first=1, last=5, pace="6", use_webhooks=True, started_by=ADMIN)
        await store.replays.set_state(paused.id, ReplayState.PAUSED, "the channel was deleted")
        await store.replays.create(guild_id=999, channel_id=998, revision_id=revision_id, first=1, last=5,
                                   pace="6", use_webhooks=True, started_by=ADMIN)  # a server the bot has left
    await fake.revoke(talk, "create_public_threads", "send_messages")
    await fake.revoke(replays, "manage_webhooks", "send_polls", "view_channel")

    result = await check_against(fake, tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "settings: ok",
        f"database: {tmp_path / 'bot.sqlite3'} at schema version {LATEST}; schema up to date",
        f"Discord through {fake.api_base}: logged in as Rethread, in 1 server",
        "  Message Content intent: ok",
        f"server Rethread Club ({fake.guild_id}):",
        f"  #general ({fake.text_channel}, replay channel): ok",
        # No Send Messages takes Embed Links and Attach Files with it, as in Discord.
        f"  #talk ({talk}, open discussion): missing Send Messages, Create Public Threads, Embed Links, "
        "Attach Files",
        f"  #Café Zürich, together ({thread_channel}, running replay): missing Send Messages, Create Public "
        "Threads, Embed Links, Attach Files",
        # No View Channel: nothing at all.
        f"  #replays ({replays}, running replay): missing View Channel, Send Messages, Send Messages in Threads, "
        "Create Public Threads, Embed Links, Attach Files, Read Message History, Manage Webhooks, Create Polls",
        f"  a deleted channel ({gone}, paused replay): missing: the channel no longer exists",
        "server 999: the bot is no longer in it; its replays and discussions there cannot go on",
    ]
    assert result.stderr.strip() == "not ready: the bot lacks something listed above"

    # The admin fixes the overwrites, and the paused replay in the deleted channel is stopped.
    await fake.restore(talk)
    await fake.restore(replays)
    async with Store.opened(tmp_path / "bot.sqlite3") as store:
        await store.replays.set_state(paused.id, ReplayState.STOPPED)
    fixed = await check_against(fake, tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout.splitlines()[5:] == [
        f"  #general ({fake.text_channel}, replay channel): ok",
        f"  #talk ({talk}, open discussion): ok",
        f"  #Café Zürich, together ({thread_channel}, running replay): ok",
        f"  #replays ({replays}, running replay): ok",
        "server 999: the bot is no longer in it; its replays and discussions there cannot go on",
    ]


async def test_no_replay_channel_and_no_message_content_intent(fake_discord, tmp_path):
    fake_discord.message_content_enabled = False  # the Developer Portal switch is off
    result = await check_against(fake_discord, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[3:] == [
        "  Message Content intent: missing (discussions capture only messages that mention or reply to the bot); "
        "enable it in the Developer Portal: Bot -> Privileged Gateway Intents",
        f"server Rethread Club ({fake_discord.guild_id}):",
        "  no replay channel configured (/config set channel: sets it; until then replays go where /replay start "
        "is used)",
    ]


async def test_all_good_exits_0(fake_discord, tmp_path):
    async with Store.opened(tmp_path / "bot.sqlite3") as store:
        await store.config.set(fake_discord.guild_id, ADMIN, replay_channel_id=fake_discord.text_channel)
    result = await check_against(fake_discord, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[3:] == [
        "  Message Content intent: ok",
        f"server Rethread Club ({fake_discord.guild_id}):",
        f"  #general ({fake_discord.text_channel}, replay channel): ok",
    ]
    assert result.stderr == ""


async def test_a_rejected_token_exits_78_and_is_never_printed(fake_discord, tmp_path):
    result = await check_against(fake_discord, tmp_path, token="not-the-token")
    assert result.returncode == 78
    assert result.stderr.strip() == ("error: Discord rejected DISCORD_TOKEN (401 Unauthorized); copy the token "
                                     "again from the Developer Portal (Bot -> Reset Token)")
    assert "not-the-token" not in result.stdout + result.stderr


def test_an_unreachable_discord_is_one_line_exit_1(tmp_path):
    result = rethread(tmp_path, "check", DISCORD_TOKEN="some-token", DISCORD_API_BASE="http://127.0.0.1:9/api/v10")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach Discord through http://127.0.0.1:9/api/v10: ")
    assert "Traceback" not in result.stderr


# -- the permission arithmetic, against discord.py's own ---------------------------------------------------------

BITS = [3, 10, 11, 14, 15, 16, 29, 35, 38, 49]  # Administrator and what CHANNEL_NEEDS names
GUILD, OWNER, BOT, ROLES = 1000, 1, 5, (2001, 2002, 2003)
masks = st.lists(st.sampled_from(BITS), max_size=5).map(lambda bits: sum({1 << b for b in bits}))
overwrite = st.tuples(masks, masks)


def _role(role_id: int, perms: int, position: int) -> dict:
    return {"id": str(role_id), "name": f"r{position}", "permissions": str(perms), "position": position, "color": 0,
            "hoist": False, "managed": False, "mentionable": False, "flags": 0}


@given(everyone=masks, roles=st.tuples(masks, masks, masks), held=st.sets(st.sampled_from(ROLES)),
       overwrites=st.dictionaries(st.sampled_from([(GUILD, 0), *((r, 0) for r in ROLES), (BOT, 1)]), overwrite),
       owner=st.booleans())
def test_permissions_are_computed_as_discord_py_computes_them(everyone, roles, held, overwrites, owner):
    role_perms = {GUILD: everyone, **dict(zip(ROLES, roles, strict=True))}
    listed = [{"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny & ~allow)}
              for (target, kind), (allow, deny) in overwrites.items()]
    ours = channel_permissions(guild_id=GUILD, owner_id=BOT if owner else OWNER, member_id=BOT,
                               member_roles=sorted(held), roles=role_perms, overwrites=listed)

    state = ConnectionState(dispatch=lambda *a: None, handlers={}, hooks={}, http=None,
                            intents=discord.Intents.all())
    guild = discord.Guild(state=state, data={
        "id": str(GUILD), "name": "g", "owner_id": str(BOT if owner else OWNER), "emojis": [], "stickers": [],
        "features": [], "roles": [_role(r, p, i) for i, (r, p) in enumerate(role_perms.items())],
        "members": [{"user": {"id": str(BOT), "username": "bot", "discriminator": "0", "avatar": None,
                              "global_name": None}, "roles": [str(r) for r in sorted(held)], "joined_at": None,
                     "deaf": False, "mute": False, "flags": 0}],
        "channels": [{"id": "300", "type": 0, "name": "c", "position": 0, "permission_overwrites": listed,
                      "nsfw": False, "parent_id": None}]})
    channel, member = guild.get_channel(300), guild.get_member(BOT)
    assert channel is not None and member is not None
    theirs = channel.permissions_for(member)
    assert {p: getattr(ours, p) for p in CHANNEL_NEEDS} == {p: getattr(theirs, p) for p in CHANNEL_NEEDS}
