"""Showing threads in a terminal with rich: the replay preview (what the bot would post) and the reply tree."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text
from rich.tree import Tree

from bot.core.export import format_timestamp
from bot.core.model import Comment, Thread
from bot.core.render import article_messages, render_comment

_INLINE = re.compile(r"\*\*(.+?)\*\*|\[([^\]]+)\]\([^)]+\)|(?<!\*)\*([^*]+)\*(?!\*)")
_ESCAPED = re.compile(r"\\([\\*_~`|\[\]<>#>-]|\d)")  # Discord shows an escaped character as itself
_NAME_COLOURS = ("cyan", "magenta", "green", "yellow", "bright_blue", "bright_red")


def _inline(line: str, style: str = "") -> Text:
    """Bold, italics and masked links of Discord markdown, as rich styles."""
    out = Text(style=style)
    pos = 0
    for match in _INLINE.finditer(line):
        out.append(line[pos : match.start()])
        if match[1] is not None:
            out.append(match[1], style="bold")
        elif match[2] is not None:
            out.append(match[2], style="underline")
        else:
            out.append(match[3], style="italic")
        pos = match.end()
    out.append(line[pos:])
    return _unescape(out)


def _unescape(text: Text) -> Text:
    """Drop markdown escapes from already-styled text, keeping the styles."""
    plain = text.plain
    if "\\" not in plain:
        return text
    pieces = []
    pos = 0
    for match in _ESCAPED.finditer(plain):
        pieces.append(text[pos : match.start()])
        pos = match.start() + 1
    pieces.append(text[pos:])
    joined = Text(style=text.style)
    for piece in pieces:
        joined.append_text(piece)
    return joined


def discord_markdown(text: str) -> Text:
    """Discord markdown as it would look in the client, near enough for a terminal: quotes, subtext, bold."""
    out = Text()
    for i, line in enumerate(text.replace("\u200b", "").split("\n")):
        if i:
            out.append("\n")
        if line.startswith("-# "):
            out.append(_inline(line[3:], style="dim"))
        elif line == ">" or line.startswith("> "):
            out.append("▌ ", style="bright_black")
            out.append(_inline(line[2:], style="italic"))
        else:
            out.append(_inline(line))
    return out


def name_colour(name: str) -> str:
    return _NAME_COLOURS[sum(name.encode()) % len(_NAME_COLOURS)]


def preview_thread(
    console: Console, thread: Thread, *, pace: float = 0.0, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Replay ``thread`` in the terminal: the article's embeds, then each comment as its author's message."""
    for message in article_messages(thread, replay_hint=None):
        for embed in message:
            console.print(Panel(discord_markdown(embed.description), title=embed.title and Text(embed.title, "bold"),
                                subtitle=embed.footer, border_style="blue", title_align="left"))
    for comment in thread.comments:
        if pace > 0:
            sleep(pace)
        posted = render_comment(comment)
        for content in posted.contents:
            header = Text(posted.username, style=f"bold {name_colour(posted.username)}")
            console.print(Group(header, discord_markdown(content)), "")


def _label(comment: Comment) -> Text:
    label = Text(f"#{comment.number} ", style="dim")
    label.append(comment.author, style=f"bold {name_colour(comment.author)}")
    details = []
    if not comment.verified:
        details.append("not verified")
    if comment.posted_at:
        details.append(format_timestamp(comment.posted_at))
    if comment.reply_source:
        details.append(f"reply by {comment.reply_source}")
    if details:
        label.append(f"  ({', '.join(details)})", style="dim")
    first = (comment.paragraphs or comment.quotes or [""])[0].replace("\n", " ")
    label.append("\n" + (first if len(first) <= 100 else first[:99] + "…"))
    return label


def reply_tree(thread: Thread) -> Tree:
    """The thread as a tree: the article at the root, each reply under the comment it answers."""
    root = Tree(Text(thread.title, style="bold"))
    nodes: dict[int, Tree] = {}
    for comment in thread.comments:
        parent = nodes.get(comment.reply_to) if comment.reply_to is not None else None
        nodes[comment.number] = (parent or root).add(_label(comment))
    return root
