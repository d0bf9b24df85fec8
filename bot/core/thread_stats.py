"""Who said how much in a thread and its discussion, and which comments drew the most replies: what
``/thread stats`` shows. Computed from (number, author, reply_to) links alone, in one pass plus a depth walk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

Link = tuple[int, str, int | None]  # a comment's number, author and the number it replies to
TOP = 5


@dataclass(frozen=True, slots=True)
class ThreadActivity:
    comments: int
    original: int  # comments of the imported thread
    members: int  # comments members wrote in the discussion
    authors: int
    most_active: tuple[tuple[str, int, int], ...]  # (author, original comments, members' comments), most first
    most_replied: tuple[tuple[int, str, int], ...]  # (number, author, replies), most first
    deepest: int  # the longest chain of replies: 0 when no comment replies to another


def thread_activity(original: Sequence[Link], members: Sequence[Link]) -> ThreadActivity:
    """A reply to a comment that is not there (deleted) counts as no reply."""
    numbers = {n for n, _, _ in original} | {n for n, _, _ in members}
    parent = {n: r for n, _, r in [*original, *members] if r is not None and r in numbers and r != n}
    authors: dict[int, str] = {n: a for n, a, _ in [*original, *members]}
    by_original = Counter(a for _, a, _ in original)
    by_members = Counter(a for _, a, _ in members)
    totals = by_original + by_members
    most_active = tuple((a, by_original[a], by_members[a])
                        for a, _ in sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP])
    replies = Counter(parent.values())
    most_replied = tuple((n, authors[n], count)
                         for n, count in sorted(replies.items(), key=lambda item: (-item[1], item[0]))[:TOP])
    return ThreadActivity(comments=len(numbers), original=len(original), members=len(members),
                          authors=len(totals), most_active=most_active, most_replied=most_replied,
                          deepest=_deepest(parent))


def _deepest(parent: dict[int, int]) -> int:
    """The longest reply chain, each comment's depth remembered once (a loop, impossible in Discord, stops)."""
    depth: dict[int, int] = {}
    for start in parent:
        chain, node, seen = [], start, set()
        while node in parent and node not in depth and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parent[node]
        base = depth.get(node, 0)
        for offset, item in enumerate(reversed(chain), 1):
            depth[item] = base + offset
    return max(depth.values(), default=0)
