"""Everything the bot composes fits Discord's limits, whatever the thread text: a property test over long and
hostile text through each builder (the limits are written out here, not imported from the code under test)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.model import Block, Comment, Thread
from bot.core.pacing import parse_pace
from bot.core.render import article_messages, render_comment
from bot.core.replays import Replay, ReplayState
from bot.core.status import status_text
from bot.runtime.options import thread_choice
from cogs.replay import comment_label
from db.store import ThreadSummary

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="*_~`|[]()<>#-@ \n\\", max_size=300),
    st.builds(lambda word, n: (word + " ") * n, st.text(min_size=1, max_size=12), st.integers(0, 1200)),
    st.builds(lambda s: s * 3000, st.sampled_from(["x", "é", "\u202e", "\u200b", "@everyone "])),
)


def comment(text: str, author: str = "A", parent: str | None = None) -> Comment:
    return Comment(2, author, parent is None, None, 1 if parent else None, parent, "header" if parent else None,
                   (Block(text),) if text else ())


@given(title=HOSTILE, byline=st.none() | HOSTILE, article=st.lists(HOSTILE, max_size=4))
def test_article_embeds_fit(title, byline, article):
    thread = Thread(title=title or "t", byline=byline, article=tuple(article), comments=())
    for message in article_messages(thread):
        assert 1 <= len(message) <= 10
        assert sum(len(e.title or "") + len(e.description) + len(e.footer or "") for e in message) <= 6000
        for embed in message:
            assert len(embed.title or "") <= 256 and len(embed.description) <= 4096
            assert len(embed.footer or "") <= 2048


@given(text=HOSTILE, author=HOSTILE, parent=st.none() | HOSTILE)
def test_comment_messages_fit(text, author, parent):
    posted = render_comment(comment(text, author, parent or None),
                            parent_link="https://discord.com/channels/1/2/3" if parent else None)
    assert posted.contents and all(1 <= len(c) <= 2000 for c in posted.contents)
    assert 1 <= len(posted.username) <= 80
    assert all("@everyone" not in c for c in posted.contents)


@given(title=HOSTILE, note=st.none() | HOSTILE)
def test_status_message_fits(title, note):
    replay = Replay(id=1, guild_id=1, channel_id=2, revision_id=3, state=ReplayState.PAUSED, first_number=1,
                    next_number=5, last_number=600_000, in_flight=None, pace="6", use_webhooks=True,
                    status_message_id=None, started_by=4, note=note)
    assert len(status_text(replay, title, parse_pace(replay.pace))) <= 2000


@given(title=HOSTILE, author=HOSTILE, text=HOSTILE)
def test_autocomplete_choice_names_fit(title, author, text):
    summary = ThreadSummary(id=10**12, slug="s", title=title, revision=1, comments=10**9, imported_at="now")
    assert 1 <= len(thread_choice(summary).name) <= 100
    assert 1 <= len(comment_label(600_000, author, text)) <= 100
