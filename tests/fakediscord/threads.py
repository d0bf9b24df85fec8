"""Discord threads and forum posts in the stand-in, and members' messages in them, as Discord has them:

- a thread is a channel (type 11) with a parent; a forum (type 15) holds only posts, each a thread whose first
  message has the thread's id; messages cannot be posted in the forum itself;
- a webhook belongs to the parent and posts into a thread only with ``thread_id`` (a webhook of a forum must name
  one); a thread from another channel is refused;
- a send into an archived thread unarchives it, unless it is locked (error 50083); in a locked thread that is
  not archived only moderators post (403);
- a guild has at most ``max_active_threads`` active threads (error 160006);
- without the message-content intent (declared at IDENTIFY, and enabled for the app: ``message_content_enabled``)
  the bot gets members' messages with content, embeds and attachments blanked, except those that mention it;
  asking for the intent when the app does not have it closes the gateway with 4014.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from tests.fakediscord.rules import DiscordError, missing_permissions, unknown

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

PUBLIC_THREAD = 11
FORUM = 15
MESSAGE_CONTENT_INTENT = 1 << 15
THREAD_EVENTS_WITH_CONTENT = ("MESSAGE_CREATE", "MESSAGE_UPDATE")


def thread_archived() -> DiscordError:
    return DiscordError(400, 50083, "Thread is archived")


def too_many_threads() -> DiscordError:
    return DiscordError(400, 160006, "Maximum number of active threads reached")


class ThreadsMixin:
    """Mixed into :class:`FakeDiscord`; uses its channels, messages and dispatch."""

    max_active_threads = 1000
    message_content_enabled = True  # the Developer Portal switch for the privileged intent

    # -- what tests read and do --------------------------------------------------------------------------------

    def threads_of(self: FakeDiscord, parent_id: int) -> list[dict]:
        return [c for c in self.channels.values()
                if c["type"] == PUBLIC_THREAD and c.get("parent_id") == str(parent_id)]

    def is_thread(self: FakeDiscord, channel_id: int) -> bool:
        channel = self.channels.get(channel_id)
        return channel is not None and channel["type"] == PUBLIC_THREAD

    async def set_thread(self: FakeDiscord, thread_id: int, *, archived: bool | None = None,
                         locked: bool | None = None) -> None:
        """As a moderator: archive, lock (or undo either); the bot hears a THREAD_UPDATE."""
        meta = self.channels[thread_id]["thread_metadata"]
        if archived is not None:
            meta["archived"] = archived
            meta["archive_timestamp"] = self._iso()
        if locked is not None:
            meta["locked"] = locked
        await self.dispatch("THREAD_UPDATE", self.channels[thread_id])

    async def member_writes(self: FakeDiscord, user: dict, channel_id: int, content: str, *,
                            reply_to: int | None = None, attachments: list[str] | None = None,
                            mention_bot: bool = False) -> dict:
        """A member posts in a channel or thread (a reply when ``reply_to`` names a message there)."""
        channel = self._channel(str(channel_id))
        if channel["type"] == FORUM:
            raise AssertionError("members post in a forum's posts, not in the forum")
        await self._unarchive_for_send(channel_id)
        extra: dict[str, Any] = {}
        if reply_to is not None:
            extra["type"] = 19
            extra["message_reference"] = {"type": 0, "message_id": str(reply_to), "channel_id": str(channel_id),
                                          "guild_id": str(self.guild_id)}
            replied = self._find_message(str(channel_id), str(reply_to))
            extra["referenced_message"] = self._render(replied)
        if mention_bot:
            extra["mentions"] = [self.bot_user]
            content = f"<@{self.bot_user['id']}> {content}"
        message = self._store_message(channel_id, user, {"content": content}, **extra)
        for i, name in enumerate(attachments or []):
            url = f"https://cdn.discordapp.com/attachments/{channel_id}/{message['id']}{i}/{name}"
            message["attachments"].append({"id": str(self.snowflake()), "filename": name, "size": 1, "url": url,
                                           "proxy_url": url})
        self._count_message(channel_id)
        await self.dispatch("MESSAGE_CREATE", self._render(message))
        return message

    async def member_edits(self: FakeDiscord, channel_id: int, message_id: int, content: str) -> None:
        message = self._find_message(str(channel_id), str(message_id))
        message["content"] = content
        message["edited_timestamp"] = self._iso()
        await self.dispatch("MESSAGE_UPDATE", self._render(message))

    async def member_deletes(self: FakeDiscord, channel_id: int, *message_ids: int) -> None:
        """One id: MESSAGE_DELETE; several: a moderator's bulk delete, MESSAGE_DELETE_BULK."""
        for message_id in message_ids:
            self.messages[channel_id].remove(self._find_message(str(channel_id), str(message_id)))
        base = {"channel_id": str(channel_id), "guild_id": str(self.guild_id)}
        if len(message_ids) == 1:
            await self.dispatch("MESSAGE_DELETE", {**base, "id": str(message_ids[0])})
        else:
            await self.dispatch("MESSAGE_DELETE_BULK", {**base, "ids": [str(m) for m in message_ids]})

    # -- hooks called by the server ----------------------------------------------------------------------------

    def active_threads(self: FakeDiscord) -> list[dict]:
        return [c for c in self.channels.values()
                if c["type"] == PUBLIC_THREAD and not c["thread_metadata"]["archived"]]

    def refuses_intents(self: FakeDiscord, intents: int) -> bool:
        return bool(intents & MESSAGE_CONTENT_INTENT) and not self.message_content_enabled

    def as_seen_by_bot(self: FakeDiscord, event: str, data: dict, intents: int) -> dict:
        """A message event as the bot receives it: its text blanked without the message-content intent."""
        if event not in THREAD_EVENTS_WITH_CONTENT or intents & MESSAGE_CONTENT_INTENT or "author" not in data:
            return data
        if data["author"].get("id") == self.bot_user["id"]:
            return data
        if any(m.get("id") == self.bot_user["id"] for m in data.get("mentions") or []):
            return data
        blanked = copy.copy(data)
        blanked.update(content="", embeds=[], attachments=[], components=[])
        return blanked

    def thread_payload(self: FakeDiscord, thread_id: int, parent_id: int, name: str, archive: int) -> dict:
        return {
            "id": str(thread_id), "type": PUBLIC_THREAD, "guild_id": str(self.guild_id), "parent_id": str(parent_id),
            "owner_id": self.bot_user["id"], "name": name, "last_message_id": None, "message_count": 0,
            "total_message_sent": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": archive, "locked": False,
                                "archive_timestamp": self._iso(), "create_timestamp": self._iso()},
        }

    async def _create_thread(self: FakeDiscord, request, body, channel_id):
        """Start Thread without Message (a text channel) or Start Thread in Forum Channel (with its message)."""
        parent = self._channel(channel_id)
        self._require(int(channel_id), "create_public_threads")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body", {"name": {"_errors": [
                {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]}})
        archive = int(body.get("auto_archive_duration") or 4320)
        if archive not in (60, 1440, 4320, 10080):
            raise DiscordError(400, 50035, "Invalid Form Body", {"auto_archive_duration": {"_errors": [
                {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of {60, 1440, 4320, 10080}."}]}})
        if len(self.active_threads()) >= self.max_active_threads:
            raise too_many_threads()
        thread_id = self.snowflake()
        thread = self.thread_payload(thread_id, int(channel_id), name, archive)
        first = None
        if parent["type"] == FORUM:
            starter = body.get("message") or {}
            from tests.fakediscord.rules import check_message
            check_message(starter)
            self._check_refused_content(starter)
            self.channels[thread_id] = thread
            self.messages[thread_id] = []
            first = self._store_message(thread_id, self.bot_user, starter)
            first["id"] = str(thread_id)  # a forum post's first message has the post's id
            self._count_message(thread_id)
        elif parent["type"] == 0:
            self.channels[thread_id] = thread
            self.messages[thread_id] = []
        else:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        if first is not None:
            await self.dispatch("MESSAGE_CREATE", self._render(first))
            return {**thread, "message": self._render(first)}
        return thread

    async def check_send(self: FakeDiscord, channel_id: int, *, by_webhook: bool) -> None:
        """Before a message is stored in ``channel_id``: Discord's rules for forums and threads."""
        channel = self.channels[channel_id]
        if channel["type"] == FORUM:
            if by_webhook:
                raise DiscordError(400, 220001, "Webhooks posted to forum channels must have a thread_name or "
                                                "thread_id")
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        if channel["type"] != PUBLIC_THREAD:
            return
        parent = int(channel["parent_id"])
        if not by_webhook:
            missing = self.denied.get(parent, set()) & {"send_messages_in_threads"}
            if missing:
                raise missing_permissions()
        await self._unarchive_for_send(channel_id)
        self._count_message(channel_id)

    async def _unarchive_for_send(self: FakeDiscord, channel_id: int) -> None:
        channel = self.channels[channel_id]
        if channel["type"] != PUBLIC_THREAD:
            return
        meta = channel["thread_metadata"]
        if meta["locked"]:
            if meta["archived"]:
                raise thread_archived()
            raise missing_permissions()
        if meta["archived"]:
            if len(self.active_threads()) >= self.max_active_threads:
                raise too_many_threads()
            meta["archived"] = False
            meta["archive_timestamp"] = self._iso()
            await self.dispatch("THREAD_UPDATE", channel)

    def webhook_target(self: FakeDiscord, webhook: dict, thread_id: str | None) -> int:
        """Where a webhook's message goes: its channel, or one of that channel's threads (``thread_id``)."""
        home = int(webhook["channel_id"])
        if home not in self.channels:
            raise unknown("channel")
        if not thread_id:
            return home
        thread = self.channels.get(int(thread_id))
        if thread is None or thread["type"] != PUBLIC_THREAD or thread.get("parent_id") != str(home):
            raise unknown("channel")
        return int(thread_id)

    def _count_message(self: FakeDiscord, channel_id: int) -> None:
        channel = self.channels[channel_id]
        if channel["type"] == PUBLIC_THREAD:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
