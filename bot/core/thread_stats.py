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


def thread_activity(original: Sequence[Link], discussions: Sequence[Sequence[Link]] = ()) -> ThreadActivity:
    """The thread's comments, and each discussion's (numbered on from the thread's, so two discussions share
    numbers: a member's reply points into its own discussion, else at the thread). A reply to a comment that is
    not there (deleted) counts as no reply."""
    Node = tuple[int, int]  # (0 for the thread or the discussion's place + 1, number)
    authors: dict[Node, str] = {(0, n): a for n, a, _ in original}
    for place, links in enumerate(discussions, 1):
        authors.update(((place, n), a) for n, a, _ in links)
    parent: dict[Node, Node] = {}
    for place, links in enumerate([original, *discussions]):
        for n, _, r in links:
            target = (place, r) if (place, r) in authors else (0, r)
            if r is not None and target in authors and target != (place, n):
                parent[(place, n)] = target
    by_original = Counter(a for _, a, _ in original)
    by_members = Counter(a for links in discussions for _, a, _ in links)
    totals = by_original + by_members
    most_active = tuple((a, by_original[a], by_members[a])
                        for a, _ in sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP])
    replies = Counter(parent.values())
    most_replied = tuple((node[1], authors[node], count)
                         for node, count in sorted(replies.items(), key=lambda item: (-item[1], item[0]))[:TOP])
    members = sum(len(links) for links in discussions)
    return ThreadActivity(comments=len(authors), original=len(original), members=members,
                          authors=len(totals), most_active=most_active, most_replied=most_replied,
                          deepest=_deepest(parent))


def _deepest(parent: dict[tuple[int, int], tuple[int, int]]) -> int:
    """The longest reply chain, each comment's depth remembered once (a loop, impossible in Discord, stops)."""
    depth: dict[tuple[int, int], int] = {}
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
