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


def poll_expired() -> DiscordError:
    return DiscordError(400, 520001, "Poll expired")


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
    if not (content or embeds or poll or payload.get("components") or payload.get("attachments")
            or payload.get("_files")):
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


class FormErrors:
    """Field errors gathered as Discord reports them: every bad field at once, nested by path."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, field: str, code: str, message: str) -> None:
        node = self.tree
        for part in field.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordError(400, 50035, "Invalid Form Body", self.tree)


POLL_QUESTION_MAX, POLL_ANSWERS_MAX, POLL_ANSWER_MAX, POLL_HOURS_MAX = 300, 10, 55, 768


def check_poll(poll: Any) -> None:
    """A poll create request (.../resources/poll#poll-create-request-object): question 1-300, 1-10 answers of
    1-55, duration 1-768 whole hours (discord.py sends 24.0), allow_multiselect a bool, layout_type 1."""
    errors = FormErrors()
    if not isinstance(poll, dict):
        errors.add("poll", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        errors.raise_if_any()
    question = poll.get("question")
    if not isinstance(question, dict):
        errors.add("poll.question", "BASE_TYPE_REQUIRED", "This field is required")
    else:
        text = question.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= POLL_QUESTION_MAX:
            errors.add("poll.question.text", "BASE_TYPE_BAD_LENGTH",
                       f"Must be between 1 and {POLL_QUESTION_MAX} in length.")
    answers = poll.get("answers")
    if not isinstance(answers, list):
        errors.add("poll.answers", "BASE_TYPE_REQUIRED", "This field is required")
        answers = []
    elif not 1 <= len(answers) <= POLL_ANSWERS_MAX:
        errors.add("poll.answers", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {POLL_ANSWERS_MAX} in length.")
    for i, answer in enumerate(answers):
        media = answer.get("poll_media") if isinstance(answer, dict) else None
        if not isinstance(media, dict):
            errors.add(f"poll.answers.{i}.poll_media", "BASE_TYPE_REQUIRED", "This field is required")
            continue
        text = media.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= POLL_ANSWER_MAX:
            errors.add(f"poll.answers.{i}.poll_media.text", "BASE_TYPE_BAD_LENGTH",
                       f"Must be between 1 and {POLL_ANSWER_MAX} in length.")
    duration = poll.get("duration", 24)
    if isinstance(duration, bool) or not isinstance(duration, int | float) or duration != int(duration):
        errors.add("poll.duration", "NUMBER_TYPE_COERCE", f'Value "{duration}" is not int.')
    elif duration < 1:
        errors.add("poll.duration", "NUMBER_TYPE_MIN", "int value should be greater than or equal to 1.")
    elif duration > POLL_HOURS_MAX:
        errors.add("poll.duration", "NUMBER_TYPE_MAX",
                   f"int value should be less than or equal to {POLL_HOURS_MAX}.")
    if "allow_multiselect" in poll and not isinstance(poll["allow_multiselect"], bool):
        errors.add("poll.allow_multiselect", "BASE_TYPE_BOOLEAN", "Must be either true or false.")
    if poll.get("layout_type", 1) != 1:
        errors.add("poll.layout_type", "ENUM_TYPE_COERCE", f'Value "{poll["layout_type"]}" is not a valid enum value.')
    errors.raise_if_any()


def poll_duration_hours(poll: dict[str, Any]) -> int:
    return int(poll.get("duration", 24))
