"""Showing threads in a terminal with rich: the replay preview (what the bot would post) and the reply tree.

Thread text is untrusted: it never reaches the terminal as Rich markup (it goes in :class:`Text` objects, or
through :func:`plain`) nor as a control sequence (:func:`clean` removes C0 and C1 control characters, DEL and the
bidirectional overrides, keeping newlines and tabs where text may have them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text
from rich.tree import Tree

from bot.core.export import format_timestamp
from bot.core.model import Comment, Thread
from bot.core.render import article_messages, render_comment

_INLINE = re.compile(r"\*\*(.+?)\*\*|\[([^\]]+)\]\([^)]+\)|(?<!\*)\*([^*]+)\*(?!\*)")
_ESCAPED = re.compile(r"\\([\\*_~`|\[\]<>#>-]|\d)")  # Discord shows an escaped character as itself
_NAME_COLOURS = ("cyan", "magenta", "green", "yellow", "bright_blue", "bright_red")
# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and isolates, which
# would reorder what follows them on the line (the "Trojan Source" trick).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Whole escape sequences go, not just their ESC: CSI (colours, cursor, clear screen), OSC (titles, hyperlinks)
# when terminated, and two-character escapes. What is left over is removed by _CONTROL.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)
_WHITESPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """``text`` without escape sequences or control characters (tabs and newlines kept): safe to write to a
    terminal."""
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def one_line(text: str) -> str:
    """``text`` cleaned, on one line (every run of whitespace, newlines included, becomes a space)."""
    return _WHITESPACE.sub(" ", clean(text)).strip()


def plain(value: object) -> str:
    """A value to put inside a Rich markup string: on one line, cleaned, its brackets escaped."""
    return escape(one_line(str(value)))


def line_text(value: str, style: str = "") -> Text:
    """A :class:`Text` of untrusted text on one line (never markup, never a control sequence)."""
    return Text(one_line(value), style=style)


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
    for i, line in enumerate(clean(text).replace("\u200b", "").split("\n")):
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
            console.print(Panel(discord_markdown(embed.description),
                                title=line_text(embed.title, "bold") if embed.title else None,
                                subtitle=line_text(embed.footer) if embed.footer else None,
                                border_style="blue", title_align="left"))
    for comment in thread.comments:
        if pace > 0:
            sleep(pace)
        posted = render_comment(comment)
        for content in posted.contents:
            header = line_text(posted.username, style=f"bold {name_colour(posted.username)}")
            console.print(Group(header, discord_markdown(content)), "")


def _label(comment: Comment) -> Text:
    label = Text(f"#{comment.number} ", style="dim")
    label.append(one_line(comment.author), style=f"bold {name_colour(comment.author)}")
    details = []
    if not comment.verified:
        details.append("not verified")
    if comment.posted_at:
        details.append(format_timestamp(comment.posted_at))
    if comment.reply_source:
        details.append(f"reply by {comment.reply_source}")
    if details:
        label.append(f"  ({', '.join(details)})", style="dim")
    first = one_line((comment.paragraphs or comment.quotes or [""])[0])
    label.append("\n" + (first if len(first) <= 100 else first[:99] + "…"))
    return label


def reply_tree(thread: Thread) -> Tree:
    """The thread as a tree: the article at the root, each reply under the comment it answers."""
    root = Tree(line_text(thread.title, style="bold"))
    nodes: dict[int, Tree] = {}
    for comment in thread.comments:
        parent = nodes.get(comment.reply_to) if comment.reply_to is not None else None
        nodes[comment.number] = (parent or root).add(_label(comment))
    return root
