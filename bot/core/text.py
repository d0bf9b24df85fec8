"""Text helpers for everything the bot composes around untrusted thread text, in the spirit of
Red-DiscordBot's ``chat_formatting``: escape markdown, defuse mentions, shorten to Discord's limits."""

from __future__ import annotations

import re

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_ID_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
# The characters Discord reads as markdown anywhere (emphasis, code, spoilers, masked links, mentions), and the
# ones it reads only at the start of a line (quotes, headings, subtext, lists).
_MARKDOWN = re.compile(r"([\\*_~`|\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#>-]|\d+\.)", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """``text`` shown literally inside Discord markdown: no bold, links, quotes or headings of its own."""
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))


def defuse_mentions(text: str) -> str:
    """Make @everyone, @here and <@id>-style mentions inert text (allowed_mentions is the second guard)."""
    text = _MASS_MENTION.sub("@\u200b\\1", text)
    return _ID_MENTION.sub(lambda m: f"<\u200b{m[1]}{m[2]}>", text)


def one_line(text: str) -> str:
    """Any run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())


def shorten(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when one is near, ending in ``…``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space >= (limit - len(ellipsis)) // 2:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 comment``, ``2 comments``."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


TITLE_IN_TEXT = 200  # a thread title inside a sentence the bot writes: long enough to recognise, never too long


def title_in_text(title: str) -> str:
    """A thread title to put in bold inside the bot's own message: shortened, its markdown shown literally."""
    return escape_markdown(shorten(one_line(title), TITLE_IN_TEXT))
