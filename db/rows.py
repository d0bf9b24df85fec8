"""A parsed thread as the plain rows the store writes: what an import worker sends back to the importing process.

Plain tuples of str, int and None pickle about fifteen times faster than the parser's frozen dataclasses, and the
store writes them as they are. Nothing here touches SQLite, so a parse worker can import it without aiosqlite.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import NamedTuple

from bot.core.model import Comment, Thread
from db.folding import fold, needs_substring

BLOCK_SEPARATOR = "\n\n"  # paragraphs never contain a blank line, so this join is reversible
TOP_AUTHORS = 10  # kept with each revision

# (number, author, verified, posted_at, reply_to, reply_to_author, reply_source, text, blocks): INSERT_COMMENT's
# columns after revision_id, in its order.
CommentRow = tuple[int, str, int, str | None, int | None, str | None, str | None, str, str]

INSERT_COMMENT = (
    "INSERT INTO comments (revision_id, number, author, verified, posted_at, reply_to, reply_to_author,"
    " reply_source, text, blocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class ThreadRows(NamedTuple):
    """One file's revision and comments, ready to insert (the thread's identity is decided by the store)."""

    title: str
    byline: str | None
    article: str  # JSON array of paragraphs
    warnings: str  # JSON array
    title_key: str  # the folded title (db.folding.fold)
    replies: int
    commenters: int
    top_authors: str  # JSON [[author, comments], ...], most first
    comments: list[CommentRow]
    substring: list[int]  # numbers of the comments in a script written without spaces (for comments_cjk)

    @property
    def comment_count(self) -> int:
        return len(self.comments)

    @property
    def warning_list(self) -> list[str]:
        return [str(w) for w in json.loads(self.warnings)]


def comment_values(comment: Comment) -> CommentRow:
    return (
        comment.number,
        comment.author,
        int(comment.verified),
        comment.posted_at.isoformat(timespec="seconds") if comment.posted_at else None,
        comment.reply_to,
        comment.reply_to_author,
        comment.reply_source,
        BLOCK_SEPARATOR.join(b.text for b in comment.body),
        "".join("q" if b.quote else "p" for b in comment.body),
    )


def thread_rows(thread: Thread) -> ThreadRows:
    """The rows of a parsed thread, with the summaries kept beside its revision (so no command counts comments)."""
    authors = Counter(c.author for c in thread.comments)
    top = sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_AUTHORS]
    return ThreadRows(
        title=thread.title,
        byline=thread.byline,
        article=json.dumps(list(thread.article), ensure_ascii=False),
        warnings=json.dumps(list(thread.warnings), ensure_ascii=False),
        title_key=fold(thread.title),
        replies=sum(1 for c in thread.comments if c.reply_to is not None),
        commenters=len(authors),
        top_authors=json.dumps(top, ensure_ascii=False),
        comments=[comment_values(c) for c in thread.comments],
        substring=[c.number for c in thread.comments
                   if needs_substring(c.author) or any(needs_substring(b.text) for b in c.body)],
    )
