"""Write a :class:`~bot.core.model.Thread` back in the input format, so that ``parse(export(t)) == t``."""

from __future__ import annotations

from datetime import datetime

from bot.core.model import Comment, Thread


def format_timestamp(moment: datetime) -> str:
    """``Feb 15, 2017 2:17 PM``: the form the thread files use (no zero padding)."""
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment.year} {hour}:{moment:%M} {moment:%p}"


def _comment_lines(comment: Comment) -> list[str]:
    lines = [f"{comment.author}'s picture"]
    if not comment.verified:
        header = f"{comment.author} (not verified)"
        if comment.reply_source == "header" and comment.reply_to_author:
            header += f" {comment.reply_to_author}"
        if comment.posted_at:
            header += f" {format_timestamp(comment.posted_at)}"
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
    return "\n".join(lines)
