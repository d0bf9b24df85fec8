"""How a thread looks when posted to Discord: article embeds and one message (or a few) per comment.

Shared by the Discord cogs and the terminal preview so that both show exactly the same thing.
Pure code: it knows Discord's limits but does not talk to Discord.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.core import limits
from bot.core.export import format_timestamp
from bot.core.model import Comment, Thread
from bot.core.text import defuse_mentions, escape_markdown

MESSAGE_LIMIT = limits.MESSAGE_CONTENT
EMBED_DESCRIPTION_LIMIT = limits.EMBED_DESCRIPTION
EMBED_TITLE_LIMIT = limits.EMBED_TITLE
EMBEDS_TOTAL_LIMIT = limits.EMBEDS_TOTAL
EMBEDS_PER_MESSAGE = limits.EMBEDS_PER_MESSAGE
WEBHOOK_NAME_LIMIT = limits.WEBHOOK_NAME
DEFAULT_AVATARS = 6

# Discord refuses webhook names containing these words, and the names "everyone" and "here".
_FORBIDDEN_NAME_PARTS = re.compile(r"(disc)(ord)|(cl)(yde)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


# Characters that change the direction of the text around them, and characters that show nothing at all.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"))
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u115f\u1160\u3164\uffa0\u2800\u180e")
ANONYMOUS = "Anonymous commenter"


def _visible(text: str) -> bool:
    """Has a letter, digit, punctuation mark or symbol that a reader can see."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _INVISIBLE for ch in text)


def webhook_name(author: str) -> str:
    """A name Discord accepts for a webhook message, as close to the author's own as possible, and readable:
    no direction overrides, and a name made only of invisible characters becomes ``Anonymous commenter``."""
    name = " ".join(author.translate(_BIDI_CONTROLS).split())
    if not _visible(name):
        name = ANONYMOUS
    name = _FORBIDDEN_NAME_PARTS.sub(lambda m: f"{m[1] or m[3]}-{m[2] or m[4]}", name)
    if name.casefold() in ("everyone", "here"):
        name = f"{name} (commenter)"
    if len(name) > WEBHOOK_NAME_LIMIT:
        name = name[: WEBHOOK_NAME_LIMIT - 1].rstrip() + "…"
    return name


def avatar_url(author: str) -> str:
    """One of Discord's default avatars, the same for the same author on every run and machine."""
    digest = hashlib.sha256(" ".join(author.split()).casefold().encode()).digest()
    return f"https://cdn.discordapp.com/embed/avatars/{digest[0] % DEFAULT_AVATARS}.png"


def _hard_split(text: str, limit: int) -> list[str]:
    """Split one over-long piece at sentence, then word boundaries; cut a word only if it alone is too long."""
    pieces: list[str] = []
    for separator in (_SENTENCE_END, re.compile(r"\s+")):
        parts = separator.split(text)
        if len(parts) > 1:
            current = ""
            for part in parts:
                candidate = f"{current} {part}" if current else part
                if len(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    pieces.append(current)
                if len(part) > limit:
                    pieces.extend(_hard_split(part, limit))
                    current = ""
                else:
                    current = part
            if current:
                pieces.append(current)
            return pieces
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, in order, at the best boundary available:
    paragraphs, then lines, then sentences, then words. Whitespace at the cuts is the only thing dropped."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for unit in _units(text, limit):
        joiner = "\n\n" if unit.startswith("\n\n") else "\n"
        unit = unit.lstrip("\n")
        candidate = f"{current}{joiner}{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks


def _units(text: str, limit: int) -> list[str]:
    """Lines of ``text``, each marked with the separator before it ("\\n\\n" or "\\n"); long lines pre-split."""
    units: list[str] = []
    for p_index, paragraph in enumerate(text.split("\n\n")):
        for l_index, line in enumerate(paragraph.split("\n")):
            prefix = "\n\n" if p_index and not l_index else "\n"
            if len(line) <= limit:
                units.append(prefix + line)
                continue
            quote = "> " if line.startswith("> ") else ""
            for i, piece in enumerate(_hard_split(line.removeprefix(quote), limit - len(quote))):
                units.append((prefix if i == 0 else "\n") + quote + piece)
    return units


@dataclass(frozen=True, slots=True)
class PostedComment:
    """One comment as it appears in the channel: sender name, avatar, and one or more message contents."""

    number: int
    username: str
    avatar_url: str
    contents: tuple[str, ...]


TextFilter = Callable[[str], str]


def comment_markdown(
    comment: Comment,
    *,
    parent_link: str | None = None,
    text_filter: TextFilter | None = None,
) -> str:
    """The comment's message text in Discord markdown (before splitting)."""
    lines: list[str] = []
    if comment.reply_to_author:
        target = f"**{escape_markdown(comment.reply_to_author)}**"
        if comment.reply_to is not None:
            target += f" ([#{comment.reply_to}]({parent_link}))" if parent_link else f" (#{comment.reply_to})"
        lines += [f"-# ↪ replying to {target}"]
    parts = []
    for block in comment.body:
        text = text_filter(block.text) if text_filter else block.text
        if block.quote:
            text = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
        parts.append(text)
    lines.append("\n\n".join(parts) if parts else "-# *(no text)*")
    details = [f"#{comment.number}"]
    if not comment.verified:
        details.append("not verified")
    if comment.posted_at:
        details.append(format_timestamp(comment.posted_at))
    lines.append("-# " + " · ".join(details))
    return defuse_mentions("\n".join(lines))


def render_comment(
    comment: Comment,
    *,
    parent_link: str | None = None,
    text_filter: TextFilter | None = None,
) -> PostedComment:
    text = comment_markdown(comment, parent_link=parent_link, text_filter=text_filter)
    return PostedComment(
        number=comment.number,
        username=webhook_name(comment.author),
        avatar_url=avatar_url(comment.author),
        contents=tuple(split_text(text)),
    )


@dataclass(frozen=True, slots=True)
class ArticleEmbed:
    title: str | None
    description: str
    footer: str | None = None

    @property
    def size(self) -> int:
        return len(self.title or "") + len(self.description) + len(self.footer or "")


CAPTION_MAX = 160


def is_caption(paragraph: str) -> bool:
    """An image caption as scraped pages leave them: one short line that does not end a sentence. Shown in
    italics, so it stands apart from the article's own paragraphs."""
    text = paragraph.strip()
    return 0 < len(text) <= CAPTION_MAX and "\n" not in text and text[-1] not in ".!?:;\"”'’)…"


def article_messages(thread: Thread, *, replay_hint: str | None = "/replay start") -> list[list[ArticleEmbed]]:
    """The article as messages of embeds within Discord's limits, in paragraph order, never cutting a word.

    The first embed carries the title (and byline); the last carries a footer naming how many comments follow.
    """
    title = thread.title if len(thread.title) <= EMBED_TITLE_LIMIT else thread.title[: EMBED_TITLE_LIMIT - 1] + "…"
    paragraphs = [f"*{escape_markdown(p)}*" if is_caption(p) else p for p in thread.article]
    if thread.byline:
        paragraphs.insert(0, f"*{escape_markdown(thread.byline)}*")
    if len(thread.title) > EMBED_TITLE_LIMIT:
        paragraphs.insert(0, f"**{escape_markdown(thread.title)}**")  # the full title: the embed's had to be cut
    descriptions = split_text(defuse_mentions("\n\n".join(paragraphs)), EMBED_DESCRIPTION_LIMIT) or [""]
    count = len(thread.comments)
    hint = f" · replay them with {replay_hint}" if replay_hint else ""
    footer = f"{count} comment{'s' if count != 1 else ''} follow{hint}" if count else "No comments on this article"
    embeds = [
        ArticleEmbed(title=title if i == 0 else None, description=text,
                     footer=footer if i == len(descriptions) - 1 else None)
        for i, text in enumerate(descriptions)
    ]
    messages: list[list[ArticleEmbed]] = [[]]
    for embed in embeds:
        current = messages[-1]
        if current and (len(current) == EMBEDS_PER_MESSAGE
                        or sum(e.size for e in current) + embed.size > EMBEDS_TOTAL_LIMIT):
            messages.append([])
        messages[-1].append(embed)
    return messages
