"""Thread statistics from reply links: counts, the most active authors, the most replied-to comments and the
deepest reply chain, checked on a hand-made thread and against a plain recursive definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.thread_stats import ThreadActivity, thread_activity


def test_a_small_discussion_by_hand():
    original = [(1, "Gus", None), (2, "Nadia", 1), (3, "Gus", 2), (4, "Tom", None)]
    members = [(5, "bob", 3), (7, "ada", 5), (8, "bob", 1), (9, "Gus", 42)]  # 6 was deleted; 42 never existed
    assert thread_activity(original, [members]) == ThreadActivity(
        comments=8, original=4, members=4, authors=5,
        most_active=(("Gus", 2, 1), ("bob", 0, 2), ("Nadia", 1, 0), ("Tom", 1, 0), ("ada", 0, 1)),
        most_replied=((1, "Gus", 2), (2, "Nadia", 1), (3, "Gus", 1), (5, "bob", 1)),
        deepest=4)  # 7 → 5 → 3 → 2 → 1


def test_two_discussions_sharing_numbers_are_counted_apart():
    original = [(1, "Gus", None)]
    first, second = [(2, "bob", 1), (3, "ada", 2)], [(2, "zed", 1)]  # both start at 2: each its own comment
    activity = thread_activity(original, [first, second])
    assert (activity.comments, activity.members, activity.deepest) == (4, 3, 2)
    assert activity.most_replied == ((1, "Gus", 2), (2, "bob", 1))


def test_no_replies_no_depth():
    assert thread_activity([(1, "a", None)]).deepest == 0
    assert thread_activity([], []) == ThreadActivity(0, 0, 0, 0, (), (), 0)


@st.composite
def reply_forests(draw):
    """Comments 1..n, each replying to nothing or to an earlier comment (as in Discord: no loops)."""
    n = draw(st.integers(1, 60))
    return [(i, draw(st.sampled_from("abcde")), draw(st.one_of(st.none(), st.integers(1, i - 1))) if i > 1 else None)
            for i in range(1, n + 1)]


@given(reply_forests(), st.integers(0, 60))
def test_depth_is_the_longest_chain_of_replies(links, split):
    parents = {n: r for n, _, r in links}

    def depth(n):  # the definition, recursively
        return 0 if parents[n] is None else 1 + depth(parents[n])

    activity = thread_activity(links[:split], [links[split:]])
    assert activity.deepest == max(depth(n) for n, _, _ in links)
    assert activity.comments == len(links) and sum(o + m for _, o, m in activity.most_active) <= len(links)
