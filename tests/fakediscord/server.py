"""A small Discord on 127.0.0.1: REST v10 and the gateway, enough for the unmodified discord.py client run as a
separate process to log in, receive a guild and slash commands, and post through messages and webhooks.

It keeps what Discord would have shown (every message, under the name it was posted with, in order), records
every request with its JSON body, enforces Discord's content rules and rate limits, and injects faults.

Native polls live as on Discord: members vote (``vote``/``unvote``, with MESSAGE_POLL_VOTE_* events), the voters
of an answer are paged by user id, and a poll ends at its expiry on the stand-in's clock (``advance``) or through
the expire route, then is finalized (after ``finalize_lag``) with a MESSAGE_UPDATE and a poll-result message.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fnmatch
import itertools
import json
import mimetypes
import re
import secrets
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakediscord.limits import RateLimits, retry_after_header
from tests.fakediscord.rules import (
    DiscordError,
    FormErrors,
    check_message,
    check_webhook_name,
    missing_permissions,
    poll_duration_hours,
    poll_expired,
    unknown,
)
from tests.fakediscord.threads import ThreadsMixin

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 64
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
BOT_PERMISSIONS = ((1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 29) | (1 << 35) | (1 << 38)
                   | (1 << 49))
PERMISSION_BITS = {"send_messages": 1 << 11, "manage_webhooks": 1 << 29, "embed_links": 1 << 14,
                   "attach_files": 1 << 15, "create_public_threads": 1 << 35, "send_polls": 1 << 49,
                   "send_messages_in_threads": 1 << 38, "view_channel": 1 << 10, "read_message_history": 1 << 16}
PERMISSION_NAMES = set(PERMISSION_BITS)
GUILD_MESSAGES_INTENT = 1 << 9
GUILD_MESSAGE_POLLS_INTENT = 1 << 24
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19  # application flag: the Message Content intent is switched on
POLL_RESULT = 46  # the message type of the system message Discord posts when a poll's results are final


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    pattern: str
    status: int = 500
    times: int = 1
    delay: float = 0.0  # answer this late, after the request took effect (status unused)
    skip: int = 0  # let this many matching requests through first
    is_global: bool = False  # a 429: the global limit (X-RateLimit-Global, "global": true), not the route's
    retry_after: float = 0.2  # a 429: seconds, in the body (Retry-After, whole seconds, is at least 1)
    drop: bool = False  # no answer at all: the connection is closed (after the request took effect, if after_effect)
    after_effect: bool = False


@dataclass
class Trap:
    """Springs at the ``nth`` request matching ``method`` and the glob ``pattern``: runs ``action`` at once (a
    kill -9 of the bot, say), then holds that request until :meth:`release`. ``after_effect``: the request is
    served first (its message stored) and only its answer is held; otherwise it never takes effect."""

    method: str
    pattern: str
    nth: int
    after_effect: bool = False
    action: Callable[[], None] | None = None
    contains: str | None = None  # count only requests whose JSON body holds this text
    seen: int = 0
    sprung: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()

    def fire(self) -> None:
        if self.action is not None:
            self.action()
        self.sprung.set()


@dataclass
class ShownMessage:
    """A message as a member sees it in the channel."""

    id: int
    name: str
    content: str
    embeds: list[dict]
    webhook_id: int | None
    poll: dict | None  # with its current results, whatever ``poll_results_missing`` says
    avatar_url: str | None
    type: int = 0  # 46: a poll's result
    attachments: list[dict] = field(default_factory=list)
    reference: dict | None = None  # message_reference (a poll result points at its poll)
    files: list[bytes] = field(default_factory=list)  # the uploaded bytes, one per attachment


@dataclass
class PollState:
    """What Discord keeps of a poll beyond its message: the votes, and where the poll is in its life."""

    message_id: int
    channel_id: int
    author: dict
    expiry: float  # on the stand-in's clock (``FakeDiscord.now``)
    multiselect: bool
    answer_ids: list[int]
    votes: dict[int, dict[int, dict]] = field(default_factory=dict)  # answer id → user id → user
    ended_at: float | None = None
    finalize_at: float | None = None
    finalized: bool = False
    result_message_id: int | None = None


@dataclass
class InteractionRecord:
    id: int
    token: str
    channel_id: int
    created: float = field(default_factory=time.monotonic)
    answered_at: float | None = None
    callbacks: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def response(self) -> dict | None:
        return self.callbacks[0] if self.callbacks else None

    @property
    def ephemeral(self) -> bool:
        data = (self.response or {}).get("data") or {}
        return bool((data.get("flags") or 0) & EPHEMERAL)

    def texts(self) -> list[str]:
        """The content of the response and every follow-up, in order."""
        out = [((c.get("data") or {}).get("content") or "") for c in self.callbacks]
        return out + [f.get("content") or "" for f in self.followups]


class FakeDiscord(ThreadsMixin):
    def __init__(self, *, scale: float = 1.0, rate_limits: bool = True, token: str = "fake-bot-token"):
        self.token = token
        self.time_offset = 0.0  # seconds added to the wall clock by advance(): poll expiry, timestamps, snowflakes
        self.limits = RateLimits(scale=scale, enabled=rate_limits)
        self._ids = itertools.count(1)
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.traps: list[Trap] = []
        self.refuse_resumes = 0  # answer this many RESUMEs with op 9 (invalid session): the client identifies anew
        self.before_guilds: list[Callable[[], Awaitable[Any]]] = []  # run at the next IDENTIFY, after READY
        self.while_unresumed: list[Callable[[], Awaitable[Any]]] = []  # run when a RESUME is refused
        self.denied: dict[int, set[str]] = {}
        self.refused_names: set[str] = set()
        self.refused_fragments: set[str] = set()
        self.identifies = 0
        self.resumes = 0
        self.connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

        self.application_id = self.snowflake()
        self.bot_user = self._user("Rethread", bot=True, id=self.application_id)
        self.owner = self._user("owner")
        self.admin = self._user("ada")
        self.member = self._user("bob")
        self.guild_id = self.snowflake()
        self.admin_role = self.snowflake()
        self.bot_role = self.snowflake()
        self.channels: dict[int, dict] = {}
        self.messages: dict[int, list[dict]] = {}
        self.webhooks: dict[int, dict] = {}
        self.commands: list[dict] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.polls: dict[int, PollState] = {}  # by message id
        self.finalize_lag = 0.0  # seconds between a poll's end and its final tally (is_finalized true)
        self.poll_results_missing = False  # omit `results` from open polls, as Discord sometimes does
        self.recommended_shards = 1  # GET /gateway/bot
        self.shards_identified: list[list[int] | None] = []  # each IDENTIFY's [shard id, count]; None: unsharded
        self._other_shards: dict[int, str] = {}  # shard id → session id, for shards that do not hold the guild
        self._timers: set[asyncio.Task] = set()
        self.text_channel = self.add_channel("general")

        self._session: dict[str, Any] | None = None  # the gateway session: id, seq, events
        self._ws: web.WebSocketResponse | None = None

    # -- ids and payloads --------------------------------------------------------------------------------

    def now(self) -> float:
        """The stand-in's clock: the wall clock moved on by :meth:`advance`."""
        return time.time() + self.time_offset

    def _iso(self, at: float | None = None) -> str:
        return datetime.fromtimestamp(self.now() if at is None else at, UTC).isoformat()

    def snowflake(self) -> int:
        return ((int(self.now() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF)

    def _user(self, name: str, *, bot: bool = False, id: int | None = None) -> dict:
        return {"id": str(id or self.snowflake()), "username": name, "discriminator": "0", "global_name": None,
                "avatar": None, "bot": bot}

    def add_channel(self, name: str, *, kind: int = 0) -> int:
        channel_id = self.snowflake()
        self.channels[channel_id] = {
            "id": str(channel_id), "type": kind, "guild_id": str(self.guild_id), "name": name,
            "position": len(self.channels), "permission_overwrites": [], "nsfw": False, "parent_id": None,
            "rate_limit_per_user": 0, "topic": None, "last_message_id": None,
        }
        self.messages[channel_id] = []
        return channel_id

    def _role(self, role_id: int, name: str, permissions: int, position: int) -> dict:
        return {"id": str(role_id), "name": name, "permissions": str(permissions), "position": position, "color": 0,
                "hoist": False, "managed": False, "mentionable": False, "flags": 0}

    def _member(self, user: dict, roles: list[int]) -> dict:
        return {"user": user, "roles": [str(r) for r in roles], "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False, "mute": False, "flags": 0, "nick": None, "pending": False}

    def guild_payload(self) -> dict:
        return {
            "id": str(self.guild_id), "name": "Rethread Club", "icon": None, "owner_id": self.owner["id"],
            "roles": [self._role(self.guild_id, "@everyone", (1 << 10) | (1 << 11) | (1 << 16), 0),
                      self._role(self.admin_role, "Admins", MANAGE_GUILD, 1),
                      self._role(self.bot_role, "Rethread", BOT_PERMISSIONS, 2)],
            "emojis": [], "stickers": [], "features": [], "member_count": 4, "large": False, "unavailable": False,
            "members": [self._member(self.bot_user, [self.bot_role])],
            "channels": [c for c in self.channels.values() if c["type"] != 11],
            "threads": self.active_threads(), "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "system_channel_id": None,
            "nsfw_level": 0, "afk_timeout": 300, "joined_at": "2026-01-01T00:00:00+00:00",
        }

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeDiscord:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        # A held answer (delay_next) must not hold up shutdown: close at once, cancelling handlers still waiting.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for trap in self.traps:
            trap.release()
        for timer in list(self._timers):
            timer.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests read and do ---------------------------------------------------------------------------

    def channel_messages(self, channel_id: int | None = None) -> list[ShownMessage]:
        """The channel as Discord stored it, oldest first."""
        return [
            ShownMessage(int(m["id"]), m["author"]["username"], m["content"], m["embeds"],
                         int(m["webhook_id"]) if m.get("webhook_id") else None,
                         self._poll_payload(m, results=True) if m.get("poll") else None,
                         m.get("_avatar_url"), m["type"], copy.deepcopy(m["attachments"]),
                         m.get("message_reference"), list(m.get("_files") or []))
            for m in self.messages[channel_id or self.text_channel]
        ]

    def requests_to(self, method: str, pattern: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and fnmatch.fnmatch(r.path, pattern)]

    def refuse_name(self, name: str) -> None:
        """Refuse webhook messages under this name (400 50035), as Discord does under rules it does not publish."""
        self.refused_names.add(name)

    def refuse_content(self, fragment: str) -> None:
        """Refuse any message (webhook or bot, content or embeds) whose text contains ``fragment`` (400 50035)."""
        self.refused_fragments.add(fragment)

    def _check_refused_content(self, body: dict) -> None:
        text = (body.get("content") or "") + "".join(
            (e.get("description") or "") for e in body.get("embeds") or [])
        if any(fragment in text for fragment in self.refused_fragments):
            raise DiscordError(400, 50035, "Invalid Form Body", {"content": {"_errors": [
                {"code": "CONTENT_BLOCKED", "message": "Message was blocked"}]}})

    def fail_next(self, method: str, pattern: str, *, status: int = 500, times: int = 1, skip: int = 0) -> None:
        """The next ``times`` requests matching ``method`` and the glob ``pattern`` (e.g. /webhooks/*) fail."""
        self.faults.append(Fault(method, pattern, status=status, times=times, skip=skip))

    def delay_next(self, method: str, pattern: str, seconds: float, *, times: int = 1, skip: int = 0) -> None:
        """Matching requests take effect at once, but their answer comes ``seconds`` later."""
        self.faults.append(Fault(method, pattern, status=0, times=times, delay=seconds, skip=skip))

    def drop_next(self, method: str, pattern: str, *, times: int = 1, skip: int = 0,
                  after_effect: bool = False) -> None:
        """The next ``times`` matching requests get no answer: the connection closes, before the request takes
        effect or (``after_effect``) after, as when a network or Discord's edge fails mid-request."""
        self.faults.append(Fault(method, pattern, status=0, times=times, skip=skip, drop=True,
                                 after_effect=after_effect))

    def rate_limit_next(self, method: str, pattern: str, *, times: int = 1, skip: int = 0, is_global: bool = False,
                        retry_after: float = 0.2) -> None:
        """The next ``times`` matching requests draw a 429 as Discord sends it (``Via``, ``Retry-After``, the JSON
        body with ``retry_after`` and ``global``), of the global limit or of the route's."""
        self.faults.append(Fault(method, pattern, status=429, times=times, skip=skip, is_global=is_global,
                                 retry_after=retry_after))

    def trap(self, method: str, pattern: str, nth: int = 1, *, after_effect: bool = False,
             action: Callable[[], None] | None = None, contains: str | None = None) -> Trap:
        """Hold the ``nth`` matching request (from now), running ``action`` as it arrives (or, ``after_effect``,
        once it took effect): a deterministic moment to kill the bot at. Release it with ``Trap.release``."""
        trap = Trap(method, pattern, nth, after_effect=after_effect, action=action, contains=contains)
        self.traps.append(trap)
        return trap

    def deny(self, channel_id: int, *permissions: str) -> None:
        """Refuse these permissions in the channel from now on (403 50013); see :meth:`revoke` to also tell the bot."""
        unknown_names = set(permissions) - PERMISSION_NAMES
        assert not unknown_names, f"unknown permissions {unknown_names}"
        self.denied.setdefault(channel_id, set()).update(permissions)

    async def revoke(self, channel_id: int, *permissions: str) -> None:
        """As an admin editing the channel: an overwrite denies the bot's role these permissions."""
        self.deny(channel_id, *permissions)
        await self._sync_overwrites(channel_id)

    async def restore(self, channel_id: int) -> None:
        self.denied.pop(channel_id, None)
        await self._sync_overwrites(channel_id)

    async def _sync_overwrites(self, channel_id: int) -> None:
        bits = sum(PERMISSION_BITS[p] for p in self.denied.get(channel_id, ()))
        channel = self.channels[channel_id]
        channel["permission_overwrites"] = (
            [{"id": str(self.bot_role), "type": 0, "allow": "0", "deny": str(bits)}] if bits else [])
        await self.dispatch("CHANNEL_UPDATE", channel)

    async def drop_gateway(self) -> None:
        """Close the bot's gateway connection as Discord does on a hiccup: the client should resume."""
        if self._ws is not None:
            await self._ws.close(code=4000, message=b"dropped by test")

    async def invalidate_session(self) -> None:
        """Drop the gateway and refuse the client's RESUME (op 9): it must IDENTIFY anew, and gets nothing of what
        happened meanwhile (votes included) over the gateway."""
        self.refuse_resumes += 1
        await self.drop_gateway()

    async def delete_channel(self, channel_id: int) -> None:
        channel = self.channels.pop(channel_id)
        self.messages.pop(channel_id, None)
        self.polls = {mid: state for mid, state in self.polls.items() if state.channel_id != channel_id}
        if channel["type"] == 11:  # a thread: Discord sends THREAD_DELETE with its ids only
            await self.dispatch("THREAD_DELETE", {k: channel[k] for k in ("id", "guild_id", "parent_id", "type")})
            return
        await self.dispatch("CHANNEL_DELETE", channel)

    async def dispatch(self, event: str, data: dict) -> None:
        session = self._session
        if session is None:
            return
        if event.startswith("MESSAGE_POLL_VOTE_"):
            if not session["intents"] & GUILD_MESSAGE_POLLS_INTENT:
                return  # as Discord: vote events only for bots that asked for GUILD_MESSAGE_POLLS
        elif event.startswith("MESSAGE_") and not session["intents"] & GUILD_MESSAGES_INTENT:
            return  # as Discord: message events only for bots that asked for them
        session["seq"] += 1
        payload = {"op": 0, "t": event, "s": session["seq"], "d": self.as_seen_by_bot(event, data, session["intents"])}
        session["events"].append(payload)
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(ConnectionError):  # the bot was killed before the socket noticed: as closed
                await self._ws.send_str(json.dumps(payload))

    async def slash(self, user: dict, name: str, *, channel_id: int | None = None, timeout: float = 10.0,
                    **options: Any) -> InteractionRecord:
        """Run ``/name`` (e.g. "thread list") as ``user`` and wait until the bot answers."""
        parts = name.split()
        command = next((c for c in self.commands if c["name"] == parts[0]), None)
        assert command is not None, f"/{parts[0]} was never synced; synced: {[c['name'] for c in self.commands]}"
        record = self._new_interaction(channel_id or self.text_channel)
        data = {"id": command["id"], "name": parts[0], "type": 1,
                "options": _nest(command.get("options") or [], parts[1:], options)}
        channels = {str(v): {**self.channels[int(v)], "permissions": str(BOT_PERMISSIONS)}
                    for v in options.values() if str(v).isdigit() and int(v) in self.channels}
        if channels:
            data["resolved"] = {"channels": channels}  # discord.py builds channel options from these
        await self.dispatch("INTERACTION_CREATE", self._interaction_payload(record, user, 2, data))
        await asyncio.wait_for(record.answered.wait(), timeout)
        return record

    async def autocomplete(self, user: dict, name: str, focused: str, *, channel_id: int | None = None,
                           timeout: float = 10.0, **options: Any) -> InteractionRecord:
        """Type into option ``focused`` of ``/name`` (its value among ``options``) as ``user``, as Discord's client
        does on each keystroke; the bot's choices are in ``record.response["data"]["choices"]``."""
        parts = name.split()
        command = next((c for c in self.commands if c["name"] == parts[0]), None)
        assert command is not None, f"/{parts[0]} was never synced"
        record = self._new_interaction(channel_id or self.text_channel)
        nested = _nest(command.get("options") or [], parts[1:], options)
        leaves = nested
        while leaves and leaves[0].get("type") in (1, 2):
            leaves = leaves[0]["options"]
        for option in leaves:
            if option["name"] == focused:
                option["type"], option["focused"] = 3, True  # Discord sends what was typed, as a string
        data = {"id": command["id"], "name": parts[0], "type": 1, "options": nested}
        await self.dispatch("INTERACTION_CREATE", self._interaction_payload(record, user, 4, data))
        await asyncio.wait_for(record.answered.wait(), timeout)
        return record

    def _bot_permissions_in(self, channel_id: int) -> int:
        """The bot's permissions in a channel, less what an admin denied there (as interactions report them)."""
        denied = 0
        for name in self.denied.get(channel_id, set()):
            denied |= PERMISSION_BITS.get(name, 0)
        return BOT_PERMISSIONS & ~denied

    def _new_interaction(self, channel_id: int) -> InteractionRecord:
        record = InteractionRecord(self.snowflake(), secrets.token_urlsafe(16), channel_id)
        self.interactions[record.id] = record
        return record

    def _interaction_payload(self, record: InteractionRecord, user: dict, kind: int, data: dict) -> dict:
        roles = [self.admin_role] if user is self.admin else []
        permissions = MANAGE_GUILD | (1 << 11) if user is self.admin else (1 << 11)
        member = {**self._member(user, roles), "permissions": str(permissions)}
        return {"id": str(record.id), "application_id": str(self.application_id), "type": kind, "data": data,
                "guild_id": str(self.guild_id), "channel_id": str(record.channel_id),
                "channel": self.channels[record.channel_id], "member": member, "token": record.token,
                "version": 1, "app_permissions": str(self._bot_permissions_in(record.channel_id)), "locale": "en-US",
                "guild_locale": "en-US",
                "entitlements": [], "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
                "attachment_size_limit": 8388608}

    async def member_says(self, user: dict, content: str, *, channel_id: int | None = None) -> dict:
        channel_id = channel_id or self.text_channel
        message = self._store_message(channel_id, user, {"content": content})
        await self.dispatch("MESSAGE_CREATE", self._render(message))
        return message

    # -- polls: members vote, time passes -------------------------------------------------------------------

    def add_user(self, name: str) -> dict:
        """A new member of the guild (not in the bot's member cache: the bot has no members intent)."""
        return self._user(name)

    async def advance(self, seconds: float) -> None:
        """Move the stand-in's clock on: polls whose expiry has passed end (and finalize, see ``finalize_lag``),
        and later messages and snowflakes carry the moved time."""
        assert seconds >= 0, "Discord's clock only goes forward"
        self.time_offset += seconds
        await self._tick()

    async def expire_poll(self, message_id: int) -> None:
        """End the poll now as if its time ran out (anyone's poll: no author check, unlike the REST route)."""
        state = self._poll_state(message_id)
        await self._tick()
        if state.ended_at is None:
            await self._end_poll(state, self.now())

    async def vote(self, user: dict, message_id: int, answer_ids: int | Iterable[int]) -> None:
        """``user`` votes for these answers, as in Discord's client. On a single-choice poll a new vote replaces
        the old one (MESSAGE_POLL_VOTE_REMOVE, then _ADD); on a multi-choice poll the answers are added. One
        gateway event per answer, only for a bot with the GUILD_MESSAGE_POLLS intent; while the bot is away the
        events wait for a RESUME or are lost on a new IDENTIFY. Raises :class:`DiscordError` 520001 once the
        poll has ended."""
        assert user["id"] != self.bot_user["id"], "apps cannot vote on polls"
        state = self._poll_state(message_id)
        await self._tick()
        if state.ended_at is not None:
            raise poll_expired()
        wanted = [answer_ids] if isinstance(answer_ids, int) else list(dict.fromkeys(answer_ids))
        errors = FormErrors()
        if not wanted or (len(wanted) > 1 and not state.multiselect):
            errors.add("answer_ids", "BASE_TYPE_BAD_LENGTH",
                       f"Must be between 1 and {len(state.answer_ids) if state.multiselect else 1} in length.")
        for i, answer_id in enumerate(wanted):
            if answer_id not in state.answer_ids:
                errors.add(f"answer_ids.{i}", "POLL_ANSWER_INVALID", "Invalid poll answer")
        errors.raise_if_any()
        user_id = int(user["id"])
        if not state.multiselect:
            for old in [a for a, voters in state.votes.items() if user_id in voters and a not in wanted]:
                await self._unvote(state, user, old)
        for answer_id in wanted:
            voters = state.votes.setdefault(answer_id, {})
            if user_id not in voters:
                voters[user_id] = user
                await self._vote_event("MESSAGE_POLL_VOTE_ADD", state, user, answer_id)

    async def unvote(self, user: dict, message_id: int, answer_id: int) -> None:
        """``user`` takes back their vote for this answer (nothing happens if they had not voted for it)."""
        state = self._poll_state(message_id)
        await self._tick()
        if state.ended_at is not None:
            raise poll_expired()
        await self._unvote(state, user, answer_id)

    def poll_votes(self, message_id: int) -> dict[int, list[int]]:
        """Who voted for what, as Discord counts it: answer id → voter ids (ascending)."""
        state = self._poll_state(message_id)
        return {a: sorted(voters) for a, voters in sorted(state.votes.items()) if voters}

    async def _unvote(self, state: PollState, user: dict, answer_id: int) -> None:
        if state.votes.get(answer_id, {}).pop(int(user["id"]), None) is not None:
            await self._vote_event("MESSAGE_POLL_VOTE_REMOVE", state, user, answer_id)

    async def _vote_event(self, event: str, state: PollState, user: dict, answer_id: int) -> None:
        await self.dispatch(event, {"user_id": user["id"], "channel_id": str(state.channel_id),
                                    "message_id": str(state.message_id), "guild_id": str(self.guild_id),
                                    "answer_id": answer_id})

    def _poll_state(self, message_id: int) -> PollState:
        state = self.polls.get(int(message_id))
        assert state is not None, f"message {message_id} has no poll (or was deleted)"
        return state

    def _poll_message(self, state: PollState) -> dict | None:
        return next((m for m in self.messages.get(state.channel_id, []) if m["id"] == str(state.message_id)), None)

    def _start_poll(self, message: dict, poll: dict) -> None:
        created = datetime.fromisoformat(message["timestamp"]).timestamp()
        expiry = created + poll_duration_hours(poll) * 3600
        message["poll"] = {
            "question": {"text": poll["question"]["text"]},
            "answers": [{"answer_id": i + 1, "poll_media": copy.deepcopy(a["poll_media"])}
                        for i, a in enumerate(poll["answers"])],
            "expiry": self._iso(expiry), "allow_multiselect": bool(poll.get("allow_multiselect", False)),
            "layout_type": 1,
        }
        state = PollState(int(message["id"]), int(message["channel_id"]), message["author"], expiry,
                          bool(poll.get("allow_multiselect", False)), list(range(1, len(poll["answers"]) + 1)))
        self.polls[state.message_id] = state
        self._tick_after(expiry - created)

    def _poll_payload(self, message: dict, *, results: bool) -> dict:
        poll = copy.deepcopy(message["poll"])
        state = self.polls.get(int(message["id"]))
        # "Polls that have ended will also always contain results" (.../resources/poll#poll-results-object).
        if state is not None and (results or not self.poll_results_missing or state.ended_at is not None):
            poll["results"] = {"is_finalized": state.finalized, "answer_counts": [
                {"id": answer_id, "count": len(voters), "me_voted": False}  # apps cannot vote
                for answer_id, voters in sorted(state.votes.items()) if voters]}
        return poll

    def _render(self, message: dict) -> dict:
        """A stored message as Discord sends it, over REST and the gateway: the poll with its current results."""
        out = _public(message)
        if message.get("poll"):
            out["poll"] = self._poll_payload(message, results=False)
        return out

    def _tick_after(self, seconds: float) -> None:
        async def later() -> None:
            await asyncio.sleep(max(0.0, seconds) + 0.01)
            await self._tick()

        try:
            timer = asyncio.get_running_loop().create_task(later())
        except RuntimeError:
            return  # no loop (a FakeDiscord built outside one): advance() and every request still tick
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _tick(self) -> None:
        """Let time act: end the polls whose expiry has passed, finalize those whose tally is due."""
        now = self.now()
        for state in list(self.polls.values()):
            if state.ended_at is None and state.expiry <= now:
                await self._end_poll(state, state.expiry)
            elif state.ended_at is not None and not state.finalized and (state.finalize_at or 0) <= now:
                await self._finalize_poll(state)

    async def _end_poll(self, state: PollState, at: float) -> None:
        """The poll ends (at its expiry, or early through the expire route): Discord announces the end in a
        MESSAGE_UPDATE, and once the tally is final (``finalize_lag`` later) it sends the final results in
        another MESSAGE_UPDATE (the same one when there is no lag) and posts the poll-result message."""
        message = self._poll_message(state)
        state.ended_at = at
        state.finalize_at = at + max(0.0, self.finalize_lag)
        if message is not None:
            message["poll"]["expiry"] = self._iso(at)  # ended early: the expiry becomes the end
        if state.finalize_at <= self.now():
            await self._finalize_poll(state)
            return
        if message is not None:
            await self.dispatch("MESSAGE_UPDATE", self._render(message))
        self._tick_after(state.finalize_at - self.now())

    async def _finalize_poll(self, state: PollState) -> None:
        state.finalized = True
        message = self._poll_message(state)
        if message is None:
            return
        await self.dispatch("MESSAGE_UPDATE", self._render(message))
        result = self._store_message(state.channel_id, state.author, {"embeds": [self._result_embed(state, message)]},
                                     type=POLL_RESULT, mentions=[state.author],
                                     message_reference={"type": 0, "message_id": str(state.message_id),
                                                        "channel_id": str(state.channel_id),
                                                        "guild_id": str(self.guild_id)})
        state.result_message_id = int(result["id"])
        await self.dispatch("MESSAGE_CREATE", self._render(result))

    def _result_embed(self, state: PollState, message: dict) -> dict:
        """The ``poll_result`` embed (.../resources/message#embed-fields-by-embed-type-poll-result-embed-fields).
        The victor fields are left out when no answer has the most votes alone (a tie, or no votes)."""
        counts = {a: len(state.votes.get(a, {})) for a in state.answer_ids}
        top = max(counts.values(), default=0)
        leaders = [a for a, c in counts.items() if c == top]
        fields = [("poll_question_text", message["poll"]["question"]["text"]), ("victor_answer_votes", str(top)),
                  ("total_votes", str(sum(counts.values())))]
        if top and len(leaders) == 1:
            media = message["poll"]["answers"][leaders[0] - 1]["poll_media"]
            fields += [("victor_answer_id", str(leaders[0])), ("victor_answer_text", media.get("text") or "")]
            emoji = media.get("emoji") or {}
            if emoji.get("id"):
                fields.append(("victor_answer_emoji_id", str(emoji["id"])))
            if emoji.get("name"):
                fields.append(("victor_answer_emoji_name", emoji["name"]))
            if emoji.get("animated"):
                fields.append(("victor_answer_emoji_animated", "true"))
        return {"type": "poll_result", "fields": [{"name": n, "value": v, "inline": False} for n, v in fields]}

    # -- the gateway ---------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2 and not await self._identify_other_shard(ws, data):
                await self._take_over(ws)
                await self._identify(ws, data)
            elif op == 6 and not await self._resume_other_shard(ws, data):
                await self._take_over(ws)
                await self._resume(ws, data)
        if self._ws is ws:
            self._ws = None
            self.connected.clear()
        return ws

    async def _take_over(self, ws: web.WebSocketResponse) -> None:
        """This connection now carries the guild's shard: a connection that did before is closed."""
        if self._ws is not None and self._ws is not ws and not self._ws.closed:
            await self._ws.close(code=4000)
        self._ws = ws

    async def _identify_other_shard(self, ws: web.WebSocketResponse, data: dict) -> bool:
        """A sharded client opens one connection per shard, and a guild lives on shard (guild id >> 22) % count.
        A shard without the stand-in's one guild gets READY with no guilds, and no events after it."""
        if data.get("token") == self.token:
            self.shards_identified.append(data.get("shard"))
        shard = list(data.get("shard") or [0, 1])
        if shard[0] == (self.guild_id >> 22) % shard[1]:
            return False
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed")
        elif self.refuses_intents(int(data.get("intents", 0))):
            await ws.close(code=4014, message=b"Disallowed intent(s).")
        else:
            session_id = self._other_shards[shard[0]] = secrets.token_hex(8)
            await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": 1, "d": {
                "v": 10, "user": self.bot_user, "guilds": [], "session_id": session_id,
                "resume_gateway_url": self.gateway_url, "shard": shard, "private_channels": [], "relationships": [],
                "application": {"id": str(self.application_id), "flags": self.application_flags}}}))
        return True

    async def _resume_other_shard(self, ws: web.WebSocketResponse, data: dict) -> bool:
        if data.get("session_id") not in self._other_shards.values():
            return False
        await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": None, "d": {}}))
        return True

    async def _identify(self, ws: web.WebSocketResponse, data: dict) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed")
            return
        if self.refuses_intents(int(data.get("intents", 0))):
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identifies += 1
        self._session = {"id": secrets.token_hex(8), "seq": 0, "events": [], "intents": int(data.get("intents", 0))}
        await self.dispatch("READY", {
            "v": 10, "user": self.bot_user, "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": self._session["id"], "resume_gateway_url": self.gateway_url,
            "shard": data.get("shard") or [0, 1],
            "application": {"id": str(self.application_id), "flags": self.application_flags}, "private_channels": [],
            "relationships": [],
        })
        while self.before_guilds:  # events Discord sent between READY and the guilds (a test's, once each)
            await self.before_guilds.pop(0)()
        await self.dispatch("GUILD_CREATE", self.guild_payload())
        self.connected.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict) -> None:
        session = self._session
        refused = self.refuse_resumes > 0
        if refused or session is None or data.get("session_id") != session["id"] or data.get("token") != self.token:
            self.refuse_resumes -= refused
            if self._ws is ws:
                self._ws = None  # not resumed: no events for this connection until it identifies
            while self.while_unresumed:  # a test's events in the gap: the client never gets them
                await self.while_unresumed.pop(0)()
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        self.resumes += 1
        for event in session["events"]:
            if event["s"] > (data.get("seq") or 0):
                await ws.send_str(json.dumps(event))
        await self.dispatch("RESUMED", {})
        self.connected.set()

    # -- REST ----------------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            if request.content_type.startswith("multipart/"):
                body = await _read_multipart(request)
            else:
                raw = await request.read()
                if request.content_type == "application/json" and raw:
                    body = json.loads(raw)
        recorded = RecordedRequest(request.method, path, dict(request.query), body)
        self.requests.append(recorded)
        await self._tick()  # polls whose time ran out end before the request is served
        response = await self._serve(request, path, body)
        recorded.status = response.status
        return response

    async def _serve(self, request: web.Request, path: str, body: Any) -> web.Response:
        if request.headers.get("Authorization") not in (f"Bot {self.token}", None):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        trap = self._spring(request.method, path, body)
        if trap is not None:
            if not trap.after_effect:
                trap.fire()
                await trap.released.wait()
                return _json({"message": "503: dropped by a trap", "code": 0}, 503)
            response = await self._handle(request, path, body)
            trap.fire()
            await trap.released.wait()
            return response
        delay = 0.0
        for fault in self.faults:
            if fault.times > 0 and fault.method in (request.method, "*") and fnmatch.fnmatch(path, fault.pattern):
                if fault.skip:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.delay:
                    delay = fault.delay
                    break
                if fault.status == 429:
                    return _rate_limited(fault.retry_after, fault.is_global)
                if fault.drop:
                    if fault.after_effect:
                        await self._handle(request, path, body)
                    assert request.transport is not None
                    request.transport.close()  # the client sees the connection end with no answer
                    return web.Response(status=204)
                return _json({"message": f"{fault.status}: injected by test", "code": 0}, fault.status)
        response = await self._handle(request, path, body)
        if delay:
            await asyncio.sleep(delay)
        return response

    def _spring(self, method: str, path: str, body: Any) -> Trap | None:
        for trap in self.traps:
            if trap.sprung.is_set() or trap.method != method or not fnmatch.fnmatch(path, trap.pattern):
                continue
            if trap.contains is None or trap.contains in json.dumps(body, ensure_ascii=False, default=str):
                trap.seen += 1
                if trap.seen == trap.nth:
                    return trap
        return None

    async def _handle(self, request: web.Request, path: str, body: Any) -> web.Response:
        channel_id = self._webhook_channel(path)
        verdict = self.limits.check(request.method, path, channel_id=channel_id,
                                    authenticated="Authorization" in request.headers)
        if verdict.retry_after is not None:
            headers = {**verdict.headers, "Via": "1.1 google", "Retry-After": retry_after_header(verdict.retry_after)}
            return _json({"message": "You are being rate limited.", "retry_after": round(verdict.retry_after, 3),
                          "global": verdict.is_global}, 429, headers)
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if method == request.method and match:
                try:
                    result = await handler(request, body, *match.groups())
                except DiscordError as exc:
                    return _json(exc.body(), exc.status, verdict.headers)
                if result is None:
                    return web.Response(status=204, headers=verdict.headers)
                return _json(result, 200, verdict.headers)
        return _json({"message": f"404: Not Found (the stand-in has no {request.method} {path})", "code": 0}, 404)

    def _webhook_channel(self, path: str) -> int | None:
        match = re.fullmatch(r"/webhooks/(\d+)/[^/]+", path)
        if match and int(match[1]) in self.webhooks:
            return int(self.webhooks[int(match[1])]["channel_id"])
        return None

    def _routes(self) -> list[tuple[str, str, Callable[..., Awaitable[Any]]]]:
        return [
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/gateway", self._get_gateway_bot),
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/users/@me/guilds", self._get_my_guilds),
            ("GET", r"/guilds/(\d+)", self._get_guild),
            ("GET", r"/guilds/(\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(\d+)/roles", self._get_guild_roles),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_guild_member),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_guild_commands),
            ("GET", r"/applications/(\d+)/commands", self._get_commands),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/threads", self._create_thread),
            ("GET", r"/channels/(\d+)/messages", self._get_messages),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("POST", r"/channels/(\d+)/messages", self._post_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._patch_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._delete_message),
            ("GET", r"/channels/(\d+)/polls/(\d+)/answers/(\d+)", self._poll_voters),
            ("POST", r"/channels/(\d+)/polls/(\d+)/expire", self._expire_poll),
            ("POST", r"/channels/(\d+)/webhooks", self._create_webhook),
            ("GET", r"/channels/(\d+)/webhooks", self._channel_webhooks),
            ("GET", r"/webhooks/(\d+)", self._get_webhook),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._execute_webhook),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._edit_webhook_message),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._get_webhook_message),
        ]

    async def _get_gateway_bot(self, request, body):
        return {"url": self.gateway_url, "shards": self.recommended_shards,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}

    async def _get_me(self, request, body):
        return self.bot_user

    async def _get_application(self, request, body):
        return {"id": str(self.application_id), "name": "Rethread", "icon": None, "description": "",
                "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False, "owner": self.owner,
                "summary": "", "verify_key": "0" * 64, "flags": self.application_flags, "team": None,
                "bot": self.bot_user}

    @property
    def application_flags(self) -> int:
        """The flags Discord reports for the application: the Message Content switch (``message_content_enabled``)."""
        return GATEWAY_MESSAGE_CONTENT_LIMITED if self.message_content_enabled else 0

    def _guild(self, guild_id: str) -> dict:
        if int(guild_id) != self.guild_id:
            raise DiscordError(404, 10004, "Unknown Guild")
        return self.guild_payload()

    async def _get_my_guilds(self, request, body):
        """The bot's guilds, paged by ``after`` (ids ascending), as partial guilds with the bot's permissions."""
        guild = self.guild_payload()
        if int(request.query.get("after", "0")) >= self.guild_id:
            return []
        return [{"id": guild["id"], "name": guild["name"], "icon": None, "owner": False,
                 "permissions": str(BOT_PERMISSIONS | int(guild["roles"][0]["permissions"])), "features": []}]

    async def _get_guild(self, request, body, guild_id):
        guild = self._guild(guild_id)
        return {k: v for k, v in guild.items() if k not in ("members", "channels", "threads", "voice_states",
                                                            "presences", "stage_instances", "joined_at")}

    async def _get_guild_channels(self, request, body, guild_id):
        self._guild(guild_id)
        return [c for c in self.channels.values() if c["type"] not in (10, 11, 12)]  # threads are not listed

    async def _get_guild_roles(self, request, body, guild_id):
        return self._guild(guild_id)["roles"]

    async def _get_guild_member(self, request, body, guild_id, user_id):
        for member in self._guild(guild_id)["members"]:
            if member["user"]["id"] == user_id:
                return member
        raise DiscordError(404, 10007, "Unknown Member")

    def _synced(self, body: list[dict], guild_id: str | None = None) -> list[dict]:
        out = []
        for command in body:
            out.append({"id": str(self.snowflake()), "application_id": str(self.application_id), "version": "1",
                        "default_member_permissions": None, "dm_permission": True, "nsfw": False,
                        "type": 1, "options": [], **command, **({"guild_id": guild_id} if guild_id else {})})
        return out

    async def _put_commands(self, request, body, app_id):
        self.commands = self._synced(body)
        return self.commands

    async def _put_guild_commands(self, request, body, app_id, guild_id):
        self.commands = self._synced(body, guild_id)
        return self.commands

    async def _get_commands(self, request, body, app_id):
        return self.commands

    def _channel(self, channel_id: str) -> dict:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise unknown("channel")
        return channel

    def _require(self, channel_id: int, *permissions: str) -> None:
        missing = self.denied.get(channel_id, set()) & set(permissions)
        if missing:
            raise missing_permissions()

    async def _get_channel(self, request, body, channel_id):
        return self._channel(channel_id)

    async def _get_messages(self, request, body, channel_id):
        self._channel(channel_id)
        messages = self.messages[int(channel_id)]
        limit = int(request.query.get("limit", 50))
        before, after = request.query.get("before"), request.query.get("after")
        chosen = [m for m in messages if (not before or int(m["id"]) < int(before))
                  and (not after or int(m["id"]) > int(after))]
        chosen = chosen[:limit] if after else chosen[-limit:]
        return [self._render(m) for m in reversed(chosen)]  # Discord answers newest first

    def _find_message(self, channel_id: str, message_id: str) -> dict:
        self._channel(channel_id)
        for message in self.messages[int(channel_id)]:
            if message["id"] == message_id:
                return message
        raise unknown("message")

    async def _get_message(self, request, body, channel_id, message_id):
        return self._render(self._find_message(channel_id, message_id))

    def _store_message(self, channel_id: int, author: dict, body: dict, **extra: Any) -> dict:
        message = {
            "id": str(self.snowflake()), "channel_id": str(channel_id), "guild_id": str(self.guild_id),
            "author": author, "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "timestamp": self._iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "pinned": False,
            "type": 0, "flags": body.get("flags") or 0, "components": body.get("components") or [], **extra,
        }
        if body.get("_files"):
            message["attachments"] = self._attachments(channel_id, body)
            message["_files"] = [f["data"] for f in body["_files"]]
        if body.get("poll"):
            self._start_poll(message, body["poll"])
        self.messages[channel_id].append(message)
        return message

    def _attachments(self, channel_id: int, body: dict) -> list[dict]:
        """Uploaded files (multipart ``files[n]``) as Discord stores them, named by the ``attachments`` entry with
        the same id when there is one; the content type follows the file name, as Discord's does."""
        named = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for upload in body["_files"]:
            meta = named.get(str(upload["index"]), {})
            filename = meta.get("filename") or upload["filename"] or "unknown"
            attachment_id = self.snowflake()
            url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
            attachment = {"id": str(attachment_id), "filename": filename, "size": len(upload["data"]), "url": url,
                          "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
                          "content_type": mimetypes.guess_type(filename)[0] or upload["content_type"]
                          or "application/octet-stream"}
            if meta.get("description"):
                attachment["description"] = meta["description"]
            if upload["data"][:8] == b"\x89PNG\r\n\x1a\n" and len(upload["data"]) >= 24:
                attachment["width"], attachment["height"] = struct.unpack(">II", upload["data"][16:24])
            out.append(attachment)
        return out

    async def _post_message(self, request, body, channel_id):
        self._channel(channel_id)
        self._require(int(channel_id), "send_messages")
        if body.get("embeds"):
            self._require(int(channel_id), "embed_links")
        if body.get("poll"):
            self._require(int(channel_id), "send_polls")
        if body.get("_files"):
            self._require(int(channel_id), "attach_files")
        check_message(body)
        self._check_refused_content(body)
        await self.check_send(int(channel_id), by_webhook=False)
        message = self._store_message(int(channel_id), self.bot_user, body)
        await self.dispatch("MESSAGE_CREATE", message)
        return self._render(message)

    async def _patch_message(self, request, body, channel_id, message_id):
        message = self._find_message(channel_id, message_id)
        _refuse_poll_edit(message)
        check_message({**self._render(message), **body})
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags")})
        message["edited_timestamp"] = self._iso()
        message.setdefault("_edits", []).append(body)
        await self.dispatch("MESSAGE_UPDATE", self._render(message))
        return self._render(message)

    async def _delete_message(self, request, body, channel_id, message_id):
        message = self._find_message(channel_id, message_id)
        self.messages[int(channel_id)].remove(message)
        self.polls.pop(int(message_id), None)
        return None

    async def _poll_voters(self, request, body, channel_id, message_id, answer_id):
        """Get Answer Voters: users by id ascending, those with an id above ``after``, ``limit`` 1-100 (25)."""
        self._find_message(channel_id, message_id)
        state = self.polls.get(int(message_id))
        if state is None:
            raise unknown("message")
        errors = FormErrors()
        limit, after = request.query.get("limit", "25"), request.query.get("after", "0")
        if not limit.lstrip("-").isdigit():
            errors.add("limit", "NUMBER_TYPE_COERCE", f'Value "{limit}" is not int.')
        elif not 1 <= int(limit) <= 100:
            errors.add("limit", "NUMBER_TYPE_MAX" if int(limit) > 100 else "NUMBER_TYPE_MIN",
                       "int value should be less than or equal to 100." if int(limit) > 100
                       else "int value should be greater than or equal to 1.")
        if not after.isdigit():
            errors.add("after", "NUMBER_TYPE_COERCE", f'Value "{after}" is not snowflake.')
        if int(answer_id) not in state.answer_ids:
            errors.add("answer_id", "POLL_ANSWER_INVALID", "Invalid poll answer")
        errors.raise_if_any()
        voters = state.votes.get(int(answer_id), {})
        chosen = sorted(uid for uid in voters if uid > int(after))[:int(limit)]
        return {"users": [copy.deepcopy(voters[uid]) for uid in chosen]}

    async def _expire_poll(self, request, body, channel_id, message_id):
        """End Poll: only the poll's author may (a webhook's poll is the webhook's, not the bot's)."""
        message = self._find_message(channel_id, message_id)
        state = self.polls.get(int(message_id))
        if state is None:
            raise DiscordError(400, 520006, "Cannot expire a non-poll message")
        if message["author"]["id"] != self.bot_user["id"] or message.get("webhook_id"):
            raise missing_permissions()
        if state.ended_at is not None:
            raise poll_expired()
        await self._end_poll(state, self.now())
        return self._render(message)

    async def _create_webhook(self, request, body, channel_id):
        self._channel(channel_id)
        self._require(int(channel_id), "manage_webhooks")
        check_webhook_name(body.get("name"), "name")
        webhook_id = self.snowflake()
        webhook = {"id": str(webhook_id), "type": 1, "guild_id": str(self.guild_id), "channel_id": channel_id,
                   "name": body["name"], "avatar": None, "token": secrets.token_urlsafe(24),
                   "application_id": str(self.application_id), "user": self.bot_user}
        self.webhooks[webhook_id] = webhook
        return webhook

    async def _channel_webhooks(self, request, body, channel_id):
        self._channel(channel_id)
        self._require(int(channel_id), "manage_webhooks")
        return [w for w in self.webhooks.values() if w["channel_id"] == channel_id]

    async def _get_webhook(self, request, body, webhook_id):
        webhook = self.webhooks.get(int(webhook_id))
        if webhook is None:
            raise unknown("webhook")
        return webhook

    async def _execute_webhook(self, request, body, webhook_id, token):
        if int(webhook_id) == self.application_id:
            return await self._followup(request, body, token)
        webhook = self.webhooks.get(int(webhook_id))
        if webhook is None or webhook["token"] != token:
            raise unknown("webhook")
        channel_id = self.webhook_target(webhook, request.query.get("thread_id"))
        home = int(webhook["channel_id"])  # permissions are the parent's, for a thread too
        if body.get("poll"):
            self._require(home, "send_polls")
        if body.get("_files"):
            self._require(home, "attach_files")
        if "username" in body:
            check_webhook_name(body["username"], "username")
            if body["username"] in self.refused_names:
                raise DiscordError(400, 50035, "Invalid Form Body", {"username": {"_errors": [
                    {"code": "USERNAME_INVALID", "message": "Username is invalid"}]}})
        check_message(body)
        self._check_refused_content(body)
        author = {"id": webhook_id, "username": body.get("username") or webhook["name"], "avatar": None,
                  "discriminator": "0000", "bot": True, "global_name": None}
        await self.check_send(channel_id, by_webhook=True)
        message = self._store_message(channel_id, author, body, webhook_id=webhook_id,
                                      _avatar_url=body.get("avatar_url"))
        await self.dispatch("MESSAGE_CREATE", self._render(message))
        return self._render(message) if request.query.get("wait") in ("true", "1", "True") else None

    async def _interaction_callback(self, request, body, interaction_id, token):
        record = self.interactions.get(int(interaction_id))
        if record is None or record.token != token:
            raise unknown("interaction")
        if record.callbacks:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        record.callbacks.append(body)
        record.answered_at = time.monotonic()
        kind, data = body.get("type"), body.get("data") or {}
        if body.get("_files"):
            data = {**data, "_files": body["_files"]}  # multipart: the uploads belong to the response message
        response: dict[str, Any] = {"interaction": {"id": interaction_id, "type": 2,
                                                    "response_message_loading": kind == 5,
                                                    "response_message_ephemeral": bool((data.get("flags") or 0)
                                                                                       & EPHEMERAL)}}
        if kind == 4:
            check_message(data)
            message = self._interaction_message(record, data)
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": 4, "message": self._render(message)}
        elif kind == 8:
            response["resource"] = {"type": 8}
        record.answered.set()
        return response

    def _interaction_message(self, record: InteractionRecord, data: dict) -> dict:
        if (data.get("flags") or 0) & EPHEMERAL:
            message = {"id": str(self.snowflake()), "channel_id": str(record.channel_id), "author": self.bot_user,
                       "content": data.get("content") or "", "embeds": data.get("embeds") or [],
                       "flags": EPHEMERAL, "timestamp": self._iso(), "edited_timestamp": None,
                       "attachments": [], "mentions": [], "mention_roles": [], "pinned": False, "tts": False,
                       "mention_everyone": False, "type": 20, "components": data.get("components") or []}
        else:
            message = self._store_message(record.channel_id, self.bot_user, data, type=20)
        return message

    async def _followup(self, request, body, token):
        record = next((r for r in self.interactions.values() if r.token == token), None)
        if record is None:
            raise unknown("webhook")
        check_message(body)
        record.followups.append(body)
        record.answered.set()
        return self._render(self._interaction_message(record, body))

    async def _edit_webhook_message(self, request, body, webhook_id, token, message_id):
        if int(webhook_id) == self.application_id:
            record = next((r for r in self.interactions.values() if r.token == token), None)
            if record is None:
                raise unknown("webhook")
            record.followups.append({**body, "_edit_of": message_id})
            record.answered.set()
            return {"id": str(self.snowflake()), "channel_id": str(record.channel_id), "author": self.bot_user,
                    "content": body.get("content") or "", "embeds": body.get("embeds") or [], "attachments": [],
                    "timestamp": self._iso(), "edited_timestamp": None, "flags": 0,
                    "mentions": [], "mention_roles": [], "pinned": False, "tts": False, "mention_everyone": False,
                    "type": 20, "components": body.get("components") or []}
        webhook = self.webhooks.get(int(webhook_id))
        if webhook is None or webhook["token"] != token:
            raise unknown("webhook")
        message = self._find_message(webhook["channel_id"], message_id)
        _refuse_poll_edit(message)
        check_message({**self._render(message), **body})
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
        message.setdefault("_edits", []).append(body)
        return self._render(message)

    async def _get_webhook_message(self, request, body, webhook_id, token, message_id):
        webhook = self.webhooks.get(int(webhook_id))
        if webhook is None or webhook["token"] != token:
            raise unknown("webhook")
        return self._render(self._find_message(webhook["channel_id"], message_id))


def _public(message: dict) -> dict:
    return {k: v for k, v in message.items() if not k.startswith("_")}


def _refuse_poll_edit(message: dict) -> None:
    """"After creation, the poll message cannot be edited" (.../resources/poll#poll-endpoints)."""
    if message.get("poll"):
        raise DiscordError(400, 520003, "Cannot edit a poll message")


async def _read_multipart(request: web.Request) -> dict:
    """A multipart body as Discord reads it: ``payload_json`` holds the JSON params, ``files[n]`` the uploads.
    Recorded (and passed to the handlers) as that JSON plus ``_multipart`` and ``_files``."""
    body: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read(decode=False)
        match = re.fullmatch(r"files\[(\d+)\]", part.name or "")
        if match:
            files.append({"index": int(match[1]), "filename": part.filename, "data": bytes(data),
                          "content_type": part.headers.get("Content-Type")})
        elif part.name == "payload_json":
            body.update(json.loads(data))
        elif part.name:
            body[part.name] = data.decode()
    return {**body, "_multipart": True, "_files": files}


def _rate_limited(retry_after: float, is_global: bool) -> web.Response:
    """A 429 as Discord sends it; discord.py retries only one with ``Via`` (else it is Cloudflare's ban)."""
    headers = {"Via": "1.1 google", "Retry-After": retry_after_header(retry_after),
               "X-RateLimit-Scope": "global" if is_global else "user"}
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return _json({"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}, 429,
                 headers)


def _json(data: Any, status: int, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json (no charset).
    # aiohttp would append "; charset=utf-8" to a text body, so send bytes with the header set exactly.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={**(headers or {}), "Content-Type": "application/json"})


def _nest(schema: list[dict], path: list[str], values: dict[str, Any]) -> list[dict]:
    """Options for an interaction: subcommand groups and subcommands from ``path``, then typed leaf values."""
    if path:
        sub = next(o for o in schema if o["name"] == path[0] and o.get("type") in (1, 2))
        nested = _nest(sub.get("options") or [], path[1:], values)
        return [{"type": sub["type"], "name": sub["name"], "options": nested}]
    types = {o["name"]: o.get("type", 3) for o in schema}
    return [{"type": types.get(name, 3), "name": name, "value": value} for name, value in values.items()]
