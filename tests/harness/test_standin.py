"""The wire-level stand-in: the bot as a separate process, Discord's rules and rate limits, faults, restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys

import aiohttp
import discord
import pytest

from bot.runtime.app import use_api_base
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.harness  # a self-test of the test harness, not of the bot

# -- the bot process ---------------------------------------------------------------------------------------


async def test_bot_process_logs_in_syncs_and_answers_a_slash_command(bot_process, fake_discord):
    assert fake_discord.identifies == 1
    assert {c["name"] for c in fake_discord.commands} >= {"thread"}
    answer = await fake_discord.slash(fake_discord.member, "thread list")
    assert answer.ephemeral
    embed = answer.response["data"]["embeds"][0]
    assert embed["title"] == "3 threads" and "Café Zürich" in embed["description"]


async def test_restart_does_not_resync_unchanged_commands(bot_process, fake_discord):
    assert len(fake_discord.requests_to("PUT", "/applications/*/commands")) == 1
    bot_process.kill()
    await bot_process.start()
    assert fake_discord.identifies == 2
    answer = await fake_discord.slash(fake_discord.member, "thread info", thread="night market")
    assert "Town Council Votes" in json.dumps(answer.response, ensure_ascii=False)
    assert len(fake_discord.requests_to("PUT", "/applications/*/commands")) == 1, "synced again on restart"


async def test_gateway_drop_is_resumed_and_events_still_arrive(bot_process, fake_discord):
    await fake_discord.drop_gateway()
    for _ in range(200):
        if fake_discord.resumes:
            break
        await asyncio.sleep(0.05)
    assert fake_discord.resumes == 1 and fake_discord.identifies == 1
    answer = await fake_discord.slash(fake_discord.member, "thread list")
    assert answer.response is not None


async def test_sigterm_closes_cleanly(bot_process):
    assert await bot_process.stop() == 0
    assert "Traceback" not in bot_process.log()


# -- the real client in this process, pointed at the stand-in ------------------------------------------------


@contextlib.asynccontextmanager
async def logged_in_http(fake: FakeDiscord):
    """discord.py's HTTP client, logged in to the stand-in (REST only), as the bot's cogs use it."""
    original = discord.http.Route.BASE
    use_api_base(fake.api_base)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(fake.token)
        yield http
    finally:
        await http.close()
        discord.http.Route.BASE = original


@pytest.fixture
async def client(fake_discord):
    async with logged_in_http(fake_discord) as http:
        yield http


async def webhook_for(http, fake: FakeDiscord, name: str = "Rethread") -> discord.Webhook:
    data = await http.create_webhook(fake.text_channel, name=name)
    session = http._HTTPClient__session  # the bot's own aiohttp session, as bot-owned webhooks use
    return discord.Webhook.partial(int(data["id"]), data["token"], session=session)


async def test_message_and_webhook_under_another_name_with_no_mentions(client, fake_discord):
    await client.send_message(fake_discord.text_channel, params=discord.http.handle_message_parameters(
        content="Replay starting", allowed_mentions=discord.AllowedMentions.none()))
    webhook = await webhook_for(client, fake_discord)
    await webhook.send("@everyone look", username="Jim in MN", allowed_mentions=discord.AllowedMentions.none(),
                       wait=True)
    shown = [(m.name, m.content) for m in fake_discord.channel_messages()]
    assert shown == [("Rethread", "Replay starting"), ("Jim in MN", "@everyone look")]
    sent = [r.json for r in fake_discord.requests
            if r.method == "POST" and (r.path.endswith("/messages") or r.path.startswith("/webhooks/"))]
    assert len(sent) == 2 and all(body["allowed_mentions"] == {"parse": []} for body in sent)


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"content": "x" * 2001}, 400, 50035),
        ({"content": ""}, 400, 50006),
        ({"embeds": [{"description": "x" * 4097}]}, 400, 50035),
        ({"embeds": [{"description": "x" * 3000}, {"description": "y" * 3001}]}, 400, 50035),
        ({"poll": {"question": {"text": "Q"}, "answers": [{"poll_media": {"text": "a" * 56}}]}}, 400, 50035),
    ],
    ids=["content-2000", "empty", "embed-description", "embeds-total-6000", "poll-answer-55"],
)
async def test_content_rules_are_enforced_with_discord_codes(fake_discord, payload, status, code):
    async with aiohttp.ClientSession() as session, session.post(
        f"{fake_discord.api_base}/channels/{fake_discord.text_channel}/messages", json=payload,
        headers={"Authorization": f"Bot {fake_discord.token}"},
    ) as response:
        assert response.status == status and response.content_type == "application/json"
        assert (await response.json())["code"] == code


@pytest.mark.parametrize("name", ["Discord fan", "the CLYDE", "everyone", "Here", "x" * 81])
async def test_invalid_webhook_usernames_are_refused(client, fake_discord, name):
    webhook = await webhook_for(client, fake_discord)
    with pytest.raises(discord.HTTPException) as caught:
        await webhook.send("hi", username=name, wait=True)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert fake_discord.channel_messages() == []


@pytest.mark.parametrize("name", ["", "my discord hook"])
async def test_invalid_webhook_names_are_refused_at_creation(client, fake_discord, name):
    with pytest.raises(discord.HTTPException) as caught:
        await client.create_webhook(fake_discord.text_channel, name=name)
    assert caught.value.code == 50035


async def test_missing_permission_is_403_50013(client, fake_discord):
    fake_discord.deny(fake_discord.text_channel, "manage_webhooks")
    with pytest.raises(discord.Forbidden) as caught:
        await client.create_webhook(fake_discord.text_channel, name="Rethread")
    assert caught.value.code == 50013


@pytest.fixture
async def scaled_client(fake_discord):
    """A fresh discord.py HTTP client, with the stand-in's windows scaled 10x shorter (5 per 0.5 s)."""
    fake_discord.limits.scale = 0.1
    async with logged_in_http(fake_discord) as http:
        yield http


def send(http, channel_id: int, content: str):
    return http.send_message(channel_id, params=discord.http.handle_message_parameters(content=content))


async def test_bot_messages_are_paced_by_the_announced_bucket(scaled_client, fake_discord):
    """discord.py reads X-RateLimit-* from the first answer and paces the rest: 12 sends, no 429."""
    channel = fake_discord.text_channel
    await asyncio.gather(*(send(scaled_client, channel, f"message {i}") for i in range(12)))
    assert sorted(m.content for m in fake_discord.channel_messages()) == sorted(f"message {i}" for i in range(12))
    posted = fake_discord.requests_to("POST", "/channels/*/messages")
    assert [r.status for r in posted] == [200] * 12 and fake_discord.limits.total_429 == 0
    assert posted[-1].at - posted[0].at >= 2 * 0.5 * 0.9, "12 messages at 5 per 0.5 s span at least two windows"


async def test_an_unforeseen_429_is_retried_after_retry_after(scaled_client, fake_discord):
    """Another client (say, the bot before a restart) spent the window: the 429 comes as a surprise, and
    discord.py waits retry_after and sends again."""
    channel = fake_discord.text_channel
    async with aiohttp.ClientSession() as session:
        for i in range(5):
            async with session.post(f"{fake_discord.api_base}/channels/{channel}/messages",
                                    json={"content": f"earlier {i}"},
                                    headers={"Authorization": f"Bot {fake_discord.token}"}) as response:
                assert response.status == 200
    await send(scaled_client, channel, "after the 429")
    statuses = [r.status for r in fake_discord.requests_to("POST", "/channels/*/messages")]
    assert statuses == [200] * 5 + [429, 200]
    assert fake_discord.channel_messages()[-1].content == "after the 429"


async def test_webhook_limits_and_their_429s(client, fake_discord):
    fake_discord.limits.scale = 0.05  # 5 per 0.1 s per webhook; 30 per 3 s per channel
    webhook = await webhook_for(client, fake_discord)
    for i in range(35):
        await webhook.send(f"comment {i}", username="Ann", wait=True)
    assert [m.content for m in fake_discord.channel_messages()] == [f"comment {i}" for i in range(35)]
    # The per-channel webhook limit is not announced: crossing it costs 429s, which discord.py retries.
    assert fake_discord.limits.served_429["webhook_channel"] >= 1
    assert len(fake_discord.requests_to("POST", "/webhooks/*")) == 35 + fake_discord.limits.total_429


async def test_global_limit(fake_discord):
    fake_discord.limits.scale = 0.2
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(60):
            async with session.get(f"{fake_discord.api_base}/users/@me",
                                   headers={"Authorization": f"Bot {fake_discord.token}"}) as response:
                statuses.append(response.status)
                if response.status == 429:
                    body = await response.json()
                    assert body["global"] is True and response.headers["Via"]
    assert statuses.count(200) == 50 and statuses.count(429) == 10


async def test_injected_5xx_are_retried_by_discord_py(client, fake_discord):
    fake_discord.fail_next("POST", "/channels/*/messages", status=500, times=2)
    await client.send_message(fake_discord.text_channel,
                              params=discord.http.handle_message_parameters(content="after two 500s"))
    statuses = [r.status for r in fake_discord.requests_to("POST", "/channels/*/messages")]
    assert statuses == [500, 500, 200]
    assert [m.content for m in fake_discord.channel_messages()] == ["after two 500s"]


async def test_503_is_not_retried_by_discord_py(client, fake_discord):
    """discord.py retries 500/502/504 but not 503: the bot's replay must retry those itself."""
    fake_discord.fail_next("POST", "/channels/*/messages", status=503)
    with pytest.raises(discord.DiscordServerError):
        await client.send_message(fake_discord.text_channel,
                                  params=discord.http.handle_message_parameters(content="x"))


async def test_dev_guild_sync_at_every_start_and_forced_sync(fake_discord, tmp_path):
    from tests.harness.botprocess import BotProcess

    proc = BotProcess(fake_discord, tmp_path, env={"DEV_GUILD_ID": str(fake_discord.guild_id)})
    await proc.start()
    proc.kill()
    guild_syncs = fake_discord.requests_to("PUT", f"/applications/*/guilds/{fake_discord.guild_id}/commands")
    assert len(guild_syncs) == 1 and not global_syncs(fake_discord)

    env = {**proc._env(), "DEV_GUILD_ID": ""}
    for _ in range(2):  # `rethread sync` syncs even when nothing changed
        result = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "sync"], env=env,
                                         capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "slash commands synced" in result.stdout, result.stderr
    assert len(global_syncs(fake_discord)) == 2
    assert fake_discord.identifies == 1, "sync logs in over REST only"


def global_syncs(fake: FakeDiscord):
    return [r for r in fake.requests_to("PUT", "/applications/*/commands") if "/guilds/" not in r.path]


async def test_member_messages_are_stored_as_discord_shows_them(client, fake_discord):
    await fake_discord.member_says(fake_discord.member, "I remember this thread")
    history = await client.logs_from(fake_discord.text_channel, 10)
    assert [(m["author"]["username"], m["content"]) for m in history] == [("bob", "I remember this thread")]


# -- threads and forums, as Discord has them ------------------------------------------------------------------


async def rest(fake: FakeDiscord, method: str, path: str, **kwargs):
    async with aiohttp.ClientSession() as session, session.request(
            method, fake.api_base + path, headers={"Authorization": f"Bot {fake.token}"}, **kwargs) as response:
        return response.status, await response.json() if response.content_type == "application/json" else None


async def test_a_webhook_posts_into_a_thread_of_its_channel_only_with_thread_id(fake_discord):
    fake = fake_discord
    _, thread = await rest(fake, "POST", f"/channels/{fake.text_channel}/threads",
                           json={"name": "Talk", "type": 11, "auto_archive_duration": 60})
    _, hook = await rest(fake, "POST", f"/channels/{fake.text_channel}/webhooks", json={"name": "Rethread"})
    url = f"/webhooks/{hook['id']}/{hook['token']}"
    status, _ = await rest(fake, "POST", url, params={"wait": "true", "thread_id": thread["id"]},
                           json={"content": "in the thread", "username": "Gus"})
    assert status == 200
    assert [m.content for m in fake.channel_messages(int(thread["id"]))] == ["in the thread"]
    assert fake.channel_messages() == [], "nothing in the parent channel"
    other = fake.add_channel("elsewhere")
    _, foreign = await rest(fake, "POST", f"/channels/{other}/threads", json={"name": "Not its", "type": 11})
    status, body = await rest(fake, "POST", url, params={"wait": "true", "thread_id": foreign["id"]},
                              json={"content": "x"})
    assert (status, body["code"]) == (404, 10003), "a thread of another channel is refused"


async def test_a_forum_holds_posts_whose_first_message_has_the_posts_id(fake_discord):
    fake = fake_discord
    forum = fake.add_channel("forum", kind=15)
    status, post = await rest(fake, "POST", f"/channels/{forum}/threads",
                              json={"name": "A post", "message": {"content": "first"}})
    assert status == 200 and post["message"]["id"] == post["id"]
    _, hook = await rest(fake, "POST", f"/channels/{forum}/webhooks", json={"name": "Rethread"})
    status, body = await rest(fake, "POST", f"/webhooks/{hook['id']}/{hook['token']}", params={"wait": "true"},
                              json={"content": "where?"})
    assert (status, body["code"]) == (400, 220001), "a forum's webhook must name a post"


async def test_archived_threads_reopen_locked_ones_refuse_and_the_cap_holds(fake_discord):
    fake = fake_discord
    fake.max_active_threads = 1
    _, thread = await rest(fake, "POST", f"/channels/{fake.text_channel}/threads", json={"name": "One", "type": 11})
    status, body = await rest(fake, "POST", f"/channels/{fake.text_channel}/threads", json={"name": "Two"})
    assert (status, body["code"]) == (400, 160006)
    await fake.set_thread(int(thread["id"]), archived=True)
    status, _ = await rest(fake, "POST", f"/channels/{thread['id']}/messages", json={"content": "back"})
    assert status == 200 and fake.channels[int(thread["id"])]["thread_metadata"]["archived"] is False
    await fake.set_thread(int(thread["id"]), archived=True, locked=True)
    status, body = await rest(fake, "POST", f"/channels/{thread['id']}/messages", json={"content": "no"})
    assert (status, body["code"]) == (400, 50083)


async def test_asking_for_message_content_the_app_lacks_closes_the_gateway_with_4014(fake_discord):
    fake = fake_discord
    fake.message_content_enabled = False
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()  # HELLO
        await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": (1 << 9) | (1 << 15)}})
        closed = await ws.receive()
        assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4014
