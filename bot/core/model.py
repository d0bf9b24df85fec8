"""The parsed shape of a thread file: an article and its comments.

Plain frozen dataclasses so parsed threads compare by value (the export round-trip test relies on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ReplySource = Literal["header", "quote", "mention"]


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of a comment, in file order. ``quote`` marks a paragraph that repeats an earlier comment."""

    text: str
    quote: bool = False


@dataclass(frozen=True, slots=True)
class Comment:
    number: int
    author: str
    verified: bool
    posted_at: datetime | None
    reply_to: int | None
    reply_to_author: str | None
    reply_source: ReplySource | None
    body: tuple[Block, ...]

    @property
    def quotes(self) -> list[str]:
        return [b.text for b in self.body if b.quote]

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.body if not b.quote]

    @property
    def text(self) -> str:
        """All of the comment's text in file order (quotes included), for search and length-based pacing."""
        return "\n\n".join(b.text for b in self.body)

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "author": self.author,
            "verified": self.verified,
            "posted_at": self.posted_at.isoformat(timespec="seconds") if self.posted_at else None,
            "reply_to": self.reply_to,
            "reply_to_author": self.reply_to_author,
            "reply_source": self.reply_source,
            "quotes": self.quotes,
            "paragraphs": self.paragraphs,
            # Quotes and paragraphs interleaved as in the file, so nothing about the order is lost.
            "body": [{"text": b.text, "quote": b.quote} for b in self.body],
        }


@dataclass(frozen=True, slots=True)
class Thread:
    title: str
    byline: str | None
    article: tuple[str, ...]
    comments: tuple[Comment, ...]
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "byline": self.byline,
            "article": list(self.article),
            "comments": [c.to_json() for c in self.comments],
            "warnings": list(self.warnings),
        }
