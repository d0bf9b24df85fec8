"""Write a :class:`~bot.core.model.Thread` back in the input format, so that ``parse(export(t)) == t`` for every
thread the parser produces (a hypothesis test in tests/test_export.py checks it on generated files); and a
discussion: the thread followed by what members wrote, each reply naming its parent in its header line as the
input does, so that parsing the file gives back the same comments and reply links."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.core.discussions import CapturedComment
from bot.core.model import Block, Comment, Thread
from bot.core.parser import header_needs_placeholder_date

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Written after a header parent that itself ends in something date-like when the comment has no timestamp, so the
# parent keeps its whole name: a date that does not exist, which the parser reads as "no timestamp" (as it did the
# original line's, or the parent would not end that way).
PLACEHOLDER_DATE = "Jan 1, 0000 12:00 AM"


def format_timestamp(moment: datetime) -> str:
    """``Feb 15, 2017 2:17 PM``: the form the thread files use (no zero padding, but four-digit years, so that
    ``Mar 3, 0987 ...`` reads back). Independent of the locale."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year:04d} {hour}:{moment.minute:02d} {half}"


def _comment_lines(comment: Comment) -> list[str]:
    lines = [f"{comment.author}'s picture"]
    if not comment.verified:
        header = f"{comment.author} (not verified)"
        parent = comment.reply_to_author if comment.reply_source == "header" else None
        if parent:
            header += f" {parent}"
        if comment.posted_at:
            header += f" {format_timestamp(comment.posted_at)}"
        elif parent and header_needs_placeholder_date(parent):
            header += f" {PLACEHOLDER_DATE}"
        lines.append(header)
    for block in comment.body:
        lines += ["", block.text]
    lines.append("")
    return lines


def export_thread(thread: Thread) -> str:
    lines = [thread.title, ""]
    if thread.byline:
        lines += [thread.byline, ""]
    for paragraph in thread.article:
        lines += [paragraph, ""]
    for comment in thread.comments:
        lines += _comment_lines(comment)
    text = "\n".join(lines)
    # The parser drops one byte-order mark at the start of a file: a title that begins with one keeps it.
    return "\ufeff" + text if text.startswith("\ufeff") else text


# A line of a member's message that the parser would take for the start of a comment (a picture line, a dated
# header): a zero-width space after it keeps it inside the message (the parser matches those lines to their end).
_OPENER_LIKE = re.compile(r"(?:'s|’s|'|’) picture$|\(not verified\).*(?:AM|PM)$", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def _message_blocks(text: str, attachments: Sequence[str]) -> tuple[Block, ...]:
    """A member's message as paragraphs: blank lines separate them, as in the input; attachments last."""
    lines = [line.rstrip() + (ZERO_WIDTH_SPACE if _OPENER_LIKE.search(line.rstrip()) else "")
             for line in text.splitlines()]
    blocks, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(Block("\n".join(current)))
            current = []
    if attachments:
        blocks.append(Block("Attachments: " + " ".join(attachments)))
    return tuple(blocks) or (Block("(no text)"),)


def discussion_comments(thread: Thread, captured: Sequence[CapturedComment]) -> list[Comment]:
    """The captured comments as comments of the thread, numbered on from its last, each reply naming its parent
    (an original comment or a captured one; a reply to a deleted message is a reply to nothing)."""
    authors = {c.number: c.author for c in thread.comments}
    original = set(authors)
    renumbered = {c.number: len(thread.comments) + i + 1 for i, c in enumerate(captured)}
    out = []
    for comment in captured:
        parent = comment.reply_to if comment.reply_to in original else renumbered.get(comment.reply_to or 0)
        parent_author = authors.get(parent) if parent is not None else None
        posted = datetime.fromisoformat(comment.posted_at).replace(tzinfo=None, second=0, microsecond=0)
        number = renumbered[comment.number]
        authors[number] = comment.author
        out.append(Comment(number=number, author=comment.author, verified=False, posted_at=posted,
                           reply_to=parent, reply_to_author=parent_author,
                           reply_source="header" if parent is not None else None,
                           body=_message_blocks(comment.text, comment.attachments)))
    return out


def export_discussion(thread: Thread, captured: Sequence[CapturedComment]) -> str:
    """The thread, then the discussion's captured comments: one file in the input format."""
    return export_thread(Thread(title=thread.title, byline=thread.byline, article=thread.article,
                                comments=(*thread.comments, *discussion_comments(thread, captured)),
                                warnings=thread.warnings))
