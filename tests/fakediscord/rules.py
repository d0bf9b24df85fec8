"""Discord's content rules, answered with Discord's JSON error codes."""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict | None = None):
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def _form_error(field: str, code: str, message: str) -> DiscordError:
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field.split(".")):
        node = {part: node}
    return DiscordError(400, 50035, "Invalid Form Body", node)


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def unknown(kind: str) -> DiscordError:
    codes = {"channel": 10003, "message": 10008, "webhook": 10015, "interaction": 10062}
    return DiscordError(404, codes[kind], f"Unknown {kind.title()}")


def check_webhook_name(name: Any, field: str) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise _form_error(field, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
    folded = name.casefold()
    for word in ("discord", "clyde"):
        if word in folded:
            raise _form_error(field, "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"')
    if folded.strip() in ("everyone", "here"):
        raise _form_error(field, "USERNAME_INVALID", "Username is invalid")


EMBED_LIMITS = {"title": 256, "description": 4096}


def check_message(payload: dict[str, Any]) -> None:
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    poll = payload.get("poll")
    if not (content or embeds or poll or payload.get("components") or payload.get("attachments")):
        raise DiscordError(400, 50006, "Cannot send an empty message")
    if len(content) > 2000:
        raise _form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    if len(embeds) > 10:
        raise _form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                raise _form_error(f"embeds.{i}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise _form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for field in fields:
            if len(field.get("name", "")) > 256 or len(field.get("value", "")) > 1024:
                raise _form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Field too long.")
            total += len(field.get("name", "")) + len(field.get("value", ""))
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        if len(footer) > 2048 or len(author) > 256:
            raise _form_error(f"embeds.{i}", "BASE_TYPE_MAX_LENGTH", "Footer or author too long.")
        total += len(footer) + len(author)
    if total > 6000:
        raise _form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    if poll:
        check_poll(poll)


def check_poll(poll: dict[str, Any]) -> None:
    question = (poll.get("question") or {}).get("text") or ""
    if not 1 <= len(question) <= 300:
        raise _form_error("poll.question.text", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 300 in length.")
    answers = poll.get("answers") or []
    if not 1 <= len(answers) <= 10:
        raise _form_error("poll.answers", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 10 in length.")
    for i, answer in enumerate(answers):
        text = (answer.get("poll_media") or {}).get("text") or ""
        if not 1 <= len(text) <= 55:
            raise _form_error(f"poll.answers.{i}.poll_media.text", "BASE_TYPE_BAD_LENGTH",
                              "Must be between 1 and 55 in length.")
    duration = poll.get("duration", 24)
    if not 1 <= int(duration) <= 768:
        raise _form_error("poll.duration", "NUMBER_TYPE_MAX", "Must be between 1 and 768.")
