"""The stand-in's native polls, checked against Discord's documentation (resources/poll, resources/message,
events/gateway-events, topics/opcodes-and-status-codes) through discord.py's own client: limits, permissions,
votes and their gateway events, the voters list, ending a poll and its final results."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import struct
import zlib
from datetime import datetime, timedelta

import aiohttp
import discord
import pytest
import yarl

from bot.runtime.app import use_api_base
from tests.fakediscord import FakeDiscord
from tests.fakediscord.rules import DiscordError
from tests.harness.test_standin import logged_in_http, webhook_for

pytestmark = pytest.mark.harness  # a self-test of the test harness, not of the bot

GUILDS, GUILD_MESSAGES, GUILD_MESSAGE_POLLS = 1 << 0, 1 << 9, 1 << 24
HOUR = 3600


@pytest.fixture
async def fake():
    """The stand-in without rate limits: these tests are about polls, and many requests go to one channel."""
    fake = await FakeDiscord(rate_limits=False).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def http(fake):
    async with logged_in_http(fake) as client:
        yield client


def make_poll(question: str = "Best comment?", answers=("Ann", "Bob", "Cy"), *, hours: float = 24,
              multiple: bool = False) -> discord.Poll:
    poll = discord.Poll(question=question, duration=timedelta(hours=hours), multiple=multiple)
    for answer in answers:
        poll.add_answer(text=answer)
    return poll


async def post_poll(http, fake: FakeDiscord, poll: discord.Poll | None = None, **params) -> dict:
    return await http.send_message(fake.text_channel, params=discord.http.handle_message_parameters(
        poll=poll or make_poll(), **params))


async def get_message(http, fake: FakeDiscord, message_id) -> dict:
    return await http.get_message(fake.text_channel, message_id)


def counts(message: dict) -> dict[int, int]:
    return {c["id"]: c["count"] for c in message["poll"]["results"]["answer_counts"]}


class Gateway:
    """A bare gateway client, as discord.py speaks it: IDENTIFY with intents, RESUME, and every dispatch kept."""

    def __init__(self, fake: FakeDiscord, intents: int):
        self.fake, self.intents = fake, intents
        self.events: list[tuple[str, dict]] = []
        self.session_id: str | None = None
        self.seq = 0
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None

    async def _open(self, frame: dict) -> None:
        self._http = self._http or aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(self.fake.gateway_url)
        assert (await self._ws.receive_json())["op"] == 10
        await self._ws.send_json(frame)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def identify(self) -> Gateway:
        await self._open({"op": 2, "d": {"token": self.fake.token, "intents": self.intents, "properties": {}}})
        await self.wait_for("GUILD_CREATE")
        return self

    async def resume(self) -> None:
        await self._open({"op": 6, "d": {"token": self.fake.token, "session_id": self.session_id, "seq": self.seq}})
        await self.wait_for("RESUMED")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            frame = json.loads(message.data)
            if frame.get("op") == 0:
                self.seq = frame["s"]
                self.events.append((frame["t"], frame["d"]))
                if frame["t"] == "READY":
                    self.session_id = frame["d"]["session_id"]

    def named(self, *names: str) -> list[tuple[str, dict]]:
        return [(t, d) for t, d in self.events if t in names]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 3.0) -> list[dict]:
        for _ in range(int(timeout / 0.01)):
            found = [d for t, d in self.events if t == name]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(f"{count} {name} expected; got {[t for t, _ in self.events]}")

    async def settle(self) -> None:
        await asyncio.sleep(0.05)  # events already sent have arrived

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._http is not None:
            await self._http.close()


@pytest.fixture
async def gateway(fake):
    opened: list[Gateway] = []

    async def connect(intents: int = GUILDS | GUILD_MESSAGES | GUILD_MESSAGE_POLLS) -> Gateway:
        opened.append(await Gateway(fake, intents).identify())
        return opened[-1]

    yield connect
    for gw in opened:
        await gw.close()


# -- creating a poll: Discord's limits and permissions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("poll", "field"),
    [
        (make_poll("q" * 301), "poll.question.text"),
        (make_poll(answers=[f"answer {i}" for i in range(11)]), "poll.answers"),
        (make_poll(answers=["fine", "a" * 56]), "poll.answers.1.poll_media.text"),
        (make_poll(hours=769), "poll.duration"),
        (make_poll(hours=0), "poll.duration"),
        (make_poll(hours=1.5), "poll.duration"),
        (make_poll(question=""), "poll.question.text"),
        (make_poll(answers=[]), "poll.answers"),
    ],
    ids=["question-301", "answers-11", "answer-56", "duration-769", "duration-0", "duration-1.5", "question-empty",
         "no-answers"],
)
async def test_poll_limits_are_refused_with_50035_and_the_field(http, fake, poll, field):
    with pytest.raises(discord.HTTPException) as caught:
        await post_poll(http, fake, poll)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert f"In {field}: " in caught.value.text  # discord.py flattens Discord's field errors into the text
    assert fake.channel_messages() == []


async def test_every_bad_field_is_reported_at_once(fake):
    async with aiohttp.ClientSession() as session, session.post(
        f"{fake.api_base}/channels/{fake.text_channel}/messages",
        json={"poll": {"question": {"text": "q" * 301}, "answers": [{"poll_media": {"text": "a" * 56}}],
                       "duration": 769, "allow_multiselect": "yes", "layout_type": 2}},
        headers={"Authorization": f"Bot {fake.token}"},
    ) as response:
        body = await response.json()
    assert response.status == 400 and body["code"] == 50035
    errors = body["errors"]["poll"]
    assert set(errors) == {"question", "answers", "duration", "allow_multiselect", "layout_type"}
    assert errors["duration"]["_errors"][0]["code"] == "NUMBER_TYPE_MAX"


async def test_a_poll_at_every_limit_is_accepted_with_its_expiry(http, fake):
    """discord.py sends the duration as hours in a float (768.0): accepted, as Discord does."""
    sent = make_poll("q" * 300, [f"{i:02d}" + "a" * 53 for i in range(10)], hours=768, multiple=True)
    message = await post_poll(http, fake, sent)
    poll = message["poll"]
    assert [a["answer_id"] for a in poll["answers"]] == list(range(1, 11))
    assert poll["allow_multiselect"] is True and poll["layout_type"] == 1
    assert poll["results"] == {"is_finalized": False, "answer_counts": []}
    lasts = datetime.fromisoformat(poll["expiry"]) - datetime.fromisoformat(message["timestamp"])
    assert lasts == timedelta(hours=768)
    recorded = fake.requests_to("POST", "/channels/*/messages")[-1].json["poll"]
    assert recorded["duration"] == 768.0


async def test_duration_defaults_to_24_hours(fake):
    async with aiohttp.ClientSession() as session, session.post(
        f"{fake.api_base}/channels/{fake.text_channel}/messages",
        json={"poll": {"question": {"text": "Tea?"}, "answers": [{"poll_media": {"text": "Yes"}}]}},
        headers={"Authorization": f"Bot {fake.token}"},
    ) as response:
        message = await response.json()
    lasts = datetime.fromisoformat(message["poll"]["expiry"]) - datetime.fromisoformat(message["timestamp"])
    assert lasts == timedelta(hours=24) and message["poll"]["allow_multiselect"] is False


async def test_send_polls_missing_is_403_50013_for_the_bot_and_its_webhooks(http, fake):
    webhook = await webhook_for(http, fake)
    fake.deny(fake.text_channel, "send_polls")
    with pytest.raises(discord.Forbidden) as caught:
        await post_poll(http, fake)
    assert caught.value.code == 50013
    with pytest.raises(discord.Forbidden) as caught:
        await webhook.send(poll=make_poll(), username="Ann", wait=True)
    assert caught.value.code == 50013
    await http.send_message(fake.text_channel, params=discord.http.handle_message_parameters(content="no poll"))
    assert [m.content for m in fake.channel_messages()] == ["no poll"]


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))


async def test_a_file_is_stored_as_an_attachment_and_needs_attach_files(http, fake):
    chart = png(640, 360)
    message = await http.send_message(fake.text_channel, params=discord.http.handle_message_parameters(
        content="Results", file=discord.File(io.BytesIO(chart), "results.png")))
    attachment = message["attachments"][0]
    assert attachment["filename"] == "results.png" and attachment["size"] == len(chart)
    assert attachment["content_type"] == "image/png" and (attachment["width"], attachment["height"]) == (640, 360)
    assert attachment["url"].endswith("/results.png") and int(attachment["id"])
    shown = fake.channel_messages()[-1]
    assert shown.content == "Results" and shown.files == [chart] and shown.attachments == [attachment]
    recorded = fake.requests_to("POST", "/channels/*/messages")[-1].json
    assert recorded["_multipart"] and recorded["content"] == "Results"

    fake.deny(fake.text_channel, "attach_files")
    with pytest.raises(discord.Forbidden) as caught:
        await http.send_message(fake.text_channel, params=discord.http.handle_message_parameters(
            content="again", file=discord.File(io.BytesIO(chart), "results.png")))
    assert caught.value.code == 50013
    webhook = await webhook_for(http, fake)
    with pytest.raises(discord.Forbidden):
        await webhook.send("chart", file=discord.File(io.BytesIO(chart), "r.png"), username="Ann", wait=True)
    assert len(fake.channel_messages()) == 1


async def test_a_poll_message_cannot_be_edited(http, fake):
    message = await post_poll(http, fake, content="Vote!")
    with pytest.raises(discord.HTTPException) as caught:
        await http.edit_message(fake.text_channel, message["id"],
                                params=discord.http.handle_message_parameters(content="edited"))
    assert (caught.value.status, caught.value.code) == (400, 520003)


# -- votes and their gateway events ---------------------------------------------------------------------------


async def test_votes_update_results_and_send_one_event_per_answer(http, fake, gateway):
    gw = await gateway()
    ann, bob = fake.add_user("ann"), fake.add_user("bob")
    single = await post_poll(http, fake)
    multi = await post_poll(http, fake, make_poll(multiple=True))
    await fake.vote(ann, single["id"], 1)
    await fake.vote(ann, single["id"], 3)  # single choice: replaces the vote for 1
    await fake.vote(bob, multi["id"], [1, 2])
    await fake.vote(bob, multi["id"], [2, 3])  # multiple choice: 2 already counted, adds 3
    await fake.unvote(bob, multi["id"], 1)
    await fake.unvote(bob, multi["id"], 1)  # not voted any more: nothing happens
    await gw.settle()
    votes = [(t.rsplit("_", 1)[1], d["user_id"], d["message_id"], d["answer_id"])
             for t, d in gw.named("MESSAGE_POLL_VOTE_ADD", "MESSAGE_POLL_VOTE_REMOVE")]
    assert votes == [("ADD", ann["id"], single["id"], 1), ("REMOVE", ann["id"], single["id"], 1),
                     ("ADD", ann["id"], single["id"], 3), ("ADD", bob["id"], multi["id"], 1),
                     ("ADD", bob["id"], multi["id"], 2), ("ADD", bob["id"], multi["id"], 3),
                     ("REMOVE", bob["id"], multi["id"], 1)]
    event = gw.named("MESSAGE_POLL_VOTE_ADD")[0][1]
    assert event == {"user_id": ann["id"], "channel_id": str(fake.text_channel), "message_id": single["id"],
                     "guild_id": str(fake.guild_id), "answer_id": 1}
    assert counts(await get_message(http, fake, single["id"])) == {3: 1}  # answers without votes are left out
    assert counts(await get_message(http, fake, multi["id"])) == {2: 1, 3: 1}
    assert fake.poll_votes(int(multi["id"])) == {2: [int(bob["id"])], 3: [int(bob["id"])]}
    with pytest.raises(DiscordError, match="50035"):
        await fake.vote(ann, single["id"], [1, 2])  # one answer only
    with pytest.raises(DiscordError, match="50035"):
        await fake.vote(ann, single["id"], 4)


async def test_vote_events_only_with_the_guild_message_polls_intent(http, fake, gateway):
    gw = await gateway(GUILDS | GUILD_MESSAGES)
    message = await post_poll(http, fake)
    await fake.vote(fake.add_user("ann"), message["id"], 2)
    await gw.settle()
    assert [t for t, _ in gw.events if t.startswith("MESSAGE_")] == ["MESSAGE_CREATE"]
    assert counts(await get_message(http, fake, message["id"])) == {2: 1}


async def test_votes_while_the_bot_is_away_wait_for_resume_or_are_lost(http, fake, gateway):
    gw = await gateway()
    message = await post_poll(http, fake)
    ann, bob = fake.add_user("ann"), fake.add_user("bob")
    await fake.drop_gateway()
    await fake.vote(ann, message["id"], 1)
    await gw.resume()
    assert [d["user_id"] for d in await gw.wait_for("MESSAGE_POLL_VOTE_ADD")] == [ann["id"]]

    await fake.drop_gateway()
    await fake.vote(bob, message["id"], 2)
    fresh = await gateway()  # a new session (IDENTIFY) gets nothing of what happened before it
    await fresh.settle()
    assert fresh.named("MESSAGE_POLL_VOTE_ADD") == []
    assert counts(await get_message(http, fake, message["id"])) == {1: 1, 2: 1}  # the REST view has every vote


async def test_results_can_be_missing_from_an_open_poll_never_from_an_ended_one(http, fake):
    fake.poll_results_missing = True
    message = await post_poll(http, fake)
    await fake.vote(fake.add_user("ann"), message["id"], 1)
    assert "results" not in message["poll"]
    assert "results" not in (await get_message(http, fake, message["id"]))["poll"]
    assert fake.channel_messages()[0].poll["results"]["answer_counts"] == [{"id": 1, "count": 1, "me_voted": False}]
    ended = await http.end_poll(fake.text_channel, message["id"])
    assert ended["poll"]["results"]["is_finalized"] is True


# -- the voters of an answer ----------------------------------------------------------------------------------


async def test_voters_are_paged_by_user_id_with_after(http, fake):
    message = await post_poll(http, fake)
    voters = [fake.add_user(f"voter {i}") for i in range(230)]
    for user in reversed(voters):  # voting order does not matter: pages are in user id order
        await fake.vote(user, message["id"], 2)
    pages, after = [], None
    while True:
        page = (await http.get_poll_answer_voters(fake.text_channel, message["id"], 2, after=after, limit=100))["users"]
        if not page:
            break
        pages.append([int(u["id"]) for u in page])
        after = page[-1]["id"]
    assert [len(p) for p in pages] == [100, 100, 30]
    seen = [uid for page in pages for uid in page]
    assert seen == sorted(int(u["id"]) for u in voters) and len(set(seen)) == 230

    default = (await http.get_poll_answer_voters(fake.text_channel, message["id"], 2))["users"]
    assert [int(u["id"]) for u in default] == seen[:25]
    assert (await http.get_poll_answer_voters(fake.text_channel, message["id"], 1))["users"] == []
    for limit in (0, 101):
        with pytest.raises(discord.HTTPException) as caught:
            await http.get_poll_answer_voters(fake.text_channel, message["id"], 2, limit=limit)
        assert (caught.value.status, caught.value.code) == (400, 50035)


@contextlib.asynccontextmanager
async def rest_client(fake: FakeDiscord):
    """A discord.Client logged in over REST only: Message and Poll objects as the bot's code gets them."""
    original = discord.http.Route.BASE
    use_api_base(fake.api_base)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(fake.token)
        yield client
    finally:
        await client.close()
        discord.http.Route.BASE = original


async def test_discord_py_voters_stops_at_the_answer_count_it_knows(http, fake):
    """discord.py's PollAnswer.voters() with no limit fetches vote_count voters, or 100 when the count is 0
    (e.g. results missing): with 230 voters it returns 230 only if the message's count says so. Each page comes
    out in reverse (highest id first)."""
    message = await post_poll(http, fake)
    voters = [fake.add_user(f"voter {i}") for i in range(230)]
    for user in voters:
        await fake.vote(user, message["id"], 1)
    async with rest_client(fake) as client:
        channel = client.get_partial_messageable(fake.text_channel, guild_id=fake.guild_id)
        fetched = await channel.fetch_message(int(message["id"]))
        answer = fetched.poll.get_answer(1)
        assert answer.vote_count == 230
        got = [u.id async for u in answer.voters()]
        assert sorted(got) == sorted(int(u["id"]) for u in voters)
        assert got[:2] == [int(voters[99]["id"]), int(voters[98]["id"])]

        fake.poll_results_missing = True
        fetched = await channel.fetch_message(int(message["id"]))
        assert fetched.poll.get_answer(1).vote_count == 0
        assert len([u async for u in fetched.poll.get_answer(1).voters()]) == 100
        assert len([u async for u in fetched.poll.get_answer(1).voters(limit=10_000)]) == 230


# -- the end of a poll ----------------------------------------------------------------------------------------


async def test_expire_finalizes_updates_and_posts_the_result(http, fake, gateway):
    gw = await gateway()
    message = await post_poll(http, fake, make_poll("Best comment?", ["Ann", "Bob", "Cy"]))
    users = [fake.add_user(n) for n in ("u1", "u2", "u3")]
    await fake.vote(users[0], message["id"], 2)
    await fake.vote(users[1], message["id"], 2)
    await fake.vote(users[2], message["id"], 3)
    ended = await http.end_poll(fake.text_channel, message["id"])
    assert ended["id"] == message["id"] and ended["poll"]["results"] == {
        "is_finalized": True, "answer_counts": [{"id": 2, "count": 2, "me_voted": False},
                                                {"id": 3, "count": 1, "me_voted": False}]}
    assert datetime.fromisoformat(ended["poll"]["expiry"]) < datetime.fromisoformat(message["poll"]["expiry"])
    update = (await gw.wait_for("MESSAGE_UPDATE"))[0]
    assert update["id"] == message["id"] and update["poll"]["results"]["is_finalized"] is True

    created = await gw.wait_for("MESSAGE_CREATE", 2)
    result = created[-1]
    assert result["type"] == 46 and result["author"]["id"] == fake.bot_user["id"]
    assert result["mentions"] == [fake.bot_user]
    assert result["message_reference"] == {"type": 0, "message_id": message["id"],
                                           "channel_id": str(fake.text_channel), "guild_id": str(fake.guild_id)}
    embed = result["embeds"][0]
    assert embed["type"] == "poll_result"
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "poll_question_text": "Best comment?", "victor_answer_votes": "2", "total_votes": "3",
        "victor_answer_id": "2", "victor_answer_text": "Bob"}
    assert [m.type for m in fake.channel_messages()] == [0, 46]

    with pytest.raises(DiscordError, match="520001"):
        await fake.vote(fake.add_user("late"), message["id"], 1)
    with pytest.raises(discord.HTTPException) as caught:
        await http.end_poll(fake.text_channel, message["id"])
    assert (caught.value.status, caught.value.code) == (400, 520001)


async def test_only_the_polls_author_may_end_it(http, fake):
    plain = await http.send_message(fake.text_channel, params=discord.http.handle_message_parameters(content="x"))
    with pytest.raises(discord.HTTPException) as caught:
        await http.end_poll(fake.text_channel, plain["id"])
    assert (caught.value.status, caught.value.code) == (400, 520006)
    webhook = await webhook_for(http, fake)
    hooked = await webhook.send(poll=make_poll(), username="Ann", wait=True)
    with pytest.raises(discord.Forbidden) as caught:
        await http.end_poll(fake.text_channel, hooked.id)
    assert caught.value.code == 50013
    with pytest.raises(discord.NotFound):
        await http.end_poll(fake.text_channel, 12345)


async def test_a_tie_has_no_victor(http, fake):
    message = await post_poll(http, fake)
    await fake.vote(fake.add_user("a"), message["id"], 1)
    await fake.vote(fake.add_user("b"), message["id"], 2)
    await fake.expire_poll(int(message["id"]))
    fields = {f["name"]: f["value"] for f in fake.channel_messages()[-1].embeds[0]["fields"]}
    assert fields == {"poll_question_text": "Best comment?", "victor_answer_votes": "1", "total_votes": "2"}


async def test_finalize_lag(http, fake, gateway):
    gw = await gateway()
    fake.finalize_lag = 0.3
    message = await post_poll(http, fake)
    await fake.vote(fake.add_user("a"), message["id"], 1)
    ended = await http.end_poll(fake.text_channel, message["id"])
    assert ended["poll"]["results"]["is_finalized"] is False
    assert (await get_message(http, fake, message["id"]))["poll"]["results"]["is_finalized"] is False
    assert [m.type for m in fake.channel_messages()] == [0]
    first = (await gw.wait_for("MESSAGE_UPDATE"))[0]
    assert first["poll"]["results"]["is_finalized"] is False

    updates = await gw.wait_for("MESSAGE_UPDATE", 2)
    assert updates[1]["poll"]["results"] == {"is_finalized": True,
                                             "answer_counts": [{"id": 1, "count": 1, "me_voted": False}]}
    assert (await gw.wait_for("MESSAGE_CREATE", 2))[-1]["type"] == 46
    assert (await get_message(http, fake, message["id"]))["poll"]["results"]["is_finalized"] is True


async def test_a_poll_ends_when_the_clock_passes_its_expiry(http, fake, gateway):
    gw = await gateway()
    message = await post_poll(http, fake, make_poll(hours=2))
    await fake.vote(fake.add_user("a"), message["id"], 3)
    await fake.advance(2 * HOUR - 60)
    assert (await get_message(http, fake, message["id"]))["poll"]["results"]["is_finalized"] is False
    fake.finalize_lag = 30
    await fake.advance(60)  # the poll ends now; its tally is final 30 s later on the stand-in's clock
    polled = (await get_message(http, fake, message["id"]))["poll"]
    assert polled["expiry"] == message["poll"]["expiry"] and polled["results"]["is_finalized"] is False
    await fake.advance(30)
    assert (await get_message(http, fake, message["id"]))["poll"]["results"]["is_finalized"] is True
    result = (await gw.wait_for("MESSAGE_CREATE", 2))[-1]
    assert result["type"] == 46
    posted = datetime.fromisoformat(result["timestamp"]) - datetime.fromisoformat(message["timestamp"])
    assert posted >= timedelta(hours=2, seconds=30)
    assert discord.utils.snowflake_time(int(result["id"])) >= datetime.fromisoformat(message["poll"]["expiry"])


async def test_discord_py_gets_raw_votes_but_not_cooked_ones_without_the_member_cached(fake):
    """The bot has no members intent: discord.py dispatches on_raw_poll_vote_add, but on_poll_vote_add needs the
    voter in its member cache, and the cached message's vote counts are not updated either."""
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.guild_polls = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    raw, cooked, edits = [], [], []
    client.event(_named("on_raw_poll_vote_add", lambda p: raw.append(p)))
    client.event(_named("on_poll_vote_add", lambda user, answer: cooked.append(user)))
    client.event(_named("on_raw_message_edit", lambda p: edits.append(p)))
    original, gateway_url = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    use_api_base(fake.api_base)
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        await client.login(fake.token)
        runner = asyncio.create_task(client.connect(reconnect=False))
        await asyncio.wait_for(client.wait_until_ready(), 5)
        channel = client.get_channel(fake.text_channel)
        sent = await channel.send(poll=make_poll())
        await fake.vote(fake.add_user("ann"), sent.id, 2)
        for _ in range(100):
            if raw:
                break
            await asyncio.sleep(0.01)
        assert [(p.message_id, p.answer_id) for p in raw] == [(sent.id, 2)] and cooked == []
        cached = discord.utils.get(client.cached_messages, id=sent.id)
        assert cached is not None and cached.poll.get_answer(2).vote_count == 0  # its count did not move
        ended = await sent.end_poll()
        assert ended.poll.is_finalised() and ended.poll.get_answer(2).vote_count == 1
        for _ in range(100):
            if edits:
                break
            await asyncio.sleep(0.01)
        assert edits[0].data["poll"]["results"]["is_finalized"] is True
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(runner, 2)
    finally:
        await client.close()
        discord.http.Route.BASE = original
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway_url


def _named(name: str, handler):
    async def event(*args):
        handler(*args)

    event.__name__ = name
    return event
