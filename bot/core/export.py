"""Write a :class:`~bot.core.model.Thread` back in the input format, so that ``parse(export(t)) == t`` for every
thread the parser produces (a hypothesis test in tests/test_export.py checks it on generated files)."""

from __future__ import annotations

from datetime import datetime

from bot.core.model import Comment, Thread
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
