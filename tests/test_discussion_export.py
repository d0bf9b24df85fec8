"""A discussion exported in the thread-file format parses back to the same comments and reply links: the
original thread, then what members wrote, each reply naming its parent in its header line as the input does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.discussions import CapturedComment
from bot.core.export import export_discussion
from bot.core.parser import parse_thread
from tests.conftest import DEMO_SEEDS

CAFE = next(p for p in DEMO_SEEDS if p.name == "cafe-closing.txt")
MEMBERS = ["bob", "ada", "Zoë_Ş", "Jean-Luc", "李明", "Sam O'Brien", "night owl"]
# Lines of a message that read like the start of a comment, and how they come back: a zero-width space after them
# keeps them inside their message.
OPENER_LIKE = {"That's Gus's picture": "That's Gus's picture\u200b",
               "ada (not verified) Jun 1, 2024 9:00 AM": "ada (not verified) Jun 1, 2024 9:00 AM\u200b"}
WORDS = ["strudel", "Sundays", "the", "rent", "was", "unfair", "café", "we’ll", "miss", "it"]


def captured(number: int, author: str, text: str, reply_to: int | None, attachments: tuple[str, ...] = ()):
    return CapturedComment(number=number, message_id=10**18 + number, author_id=hash(author), author=author,
                           posted_at="2026-11-25T07:30:12+00:00", edited_at=None, reply_to=reply_to, text=text,
                           attachments=attachments)


def test_replies_to_original_and_captured_comments_come_back():
    thread = parse_thread(CAFE.read_text(encoding="utf-8"))
    members = [captured(11, "bob", "I went there.\n\nEvery Sunday.", None),
               captured(12, "ada", "Nadia is right.", 9),
               captured(14, "bob", "Same, ada.\nThat's Gus's picture", 12, ("https://cdn.example/menu.png",)),
               captured(15, "zed", "Replying to a message that was deleted.", 13)]
    back = parse_thread(export_discussion(thread, members))
    assert back.comments[:10] == thread.comments
    assert [(c.number, c.author, c.reply_to, c.reply_to_author, c.text) for c in back.comments[10:]] == [
        (11, "bob", None, None, "I went there.\n\nEvery Sunday."),
        (12, "ada", 9, "Nadia Haddad", "Nadia is right."),
        (13, "bob", 12, "ada", "Same, ada.\nThat's Gus's picture\u200b\n\nAttachments: https://cdn.example/menu.png"),
        (14, "zed", None, None, "Replying to a message that was deleted."),
    ]
    assert back.warnings == ()


@st.composite
def discussions(draw):
    """Captured comments (some numbers missing: deleted messages), each maybe replying to the latest comment of
    an earlier author, with the links and texts the file must give back."""
    thread = parse_thread(CAFE.read_text(encoding="utf-8"))
    latest = {}  # author → the newest number in the exported file
    for c in thread.comments:
        latest[c.author] = c.number
    members, expected, number = [], [], 10
    for index in range(draw(st.integers(1, 12))):
        number += draw(st.integers(1, 3))  # gaps: deleted messages keep their numbers
        author = draw(st.sampled_from(MEMBERS))
        parent_author = draw(st.one_of(st.none(), st.sampled_from(sorted(latest))))
        paragraphs, shown = [], []
        for _ in range(draw(st.integers(1, 3))):
            lines = [f"m{index}"]  # a word no other comment has: no paragraph repeats another (a quote)
            lines += [draw(st.sampled_from([*WORDS, *OPENER_LIKE])) for _ in range(draw(st.integers(0, 3)))]
            paragraphs.append("\n".join(lines))
            shown.append("\n".join(OPENER_LIKE.get(line, line) for line in lines))
        exported_number = len(thread.comments) + index + 1
        parent = latest.get(parent_author) if parent_author else None
        stored_parent = parent if parent is None or parent <= 10 else members[parent - 11].number
        members.append(captured(number, author, "\n\n".join(paragraphs), stored_parent))
        expected.append((exported_number, author, parent, parent_author if parent else None, "\n\n".join(shown)))
        latest[author] = exported_number
    return thread, members, expected


@given(discussions())
def test_any_discussion_parses_back_to_its_comments_and_reply_links(case):
    thread, members, expected = case
    back = parse_thread(export_discussion(thread, members))
    assert back.comments[:len(thread.comments)] == thread.comments
    assert [(c.number, c.author, c.reply_to, c.reply_to_author, c.text)
            for c in back.comments[len(thread.comments):]] == expected


async def test_the_operator_exports_a_discussion_from_the_command_line(tmp_path):
    import os
    import subprocess
    import sys

    from bot.core.discussions import CapturedMessage, NewComment
    from bot.importer import import_paths
    from db.store import Store

    db_path = tmp_path / "rethread.sqlite3"
    source = tmp_path / "cafe-closing.txt"
    source.write_text(CAFE.read_text(encoding="utf-8"), encoding="utf-8")
    async with Store.opened(db_path) as store:
        summary = await import_paths(store, [source])
        thread_id = summary.stored[0][1].thread_id
        revision_id = await store.revision_id(thread_id)
        talk, _ = await store.discussions.open(guild_id=1, parent_id=2, channel_id=3, thread_id=thread_id,
                                               revision_id=revision_id, last_number=10, pace="manual",
                                               use_webhooks=True, started_by=4)
        await store.discussions.apply([
            NewComment(talk.id, CapturedMessage(message_id=100, author_id=5, author="bob", text="First.",
                                                posted_at="2026-11-25T07:00:00+00:00")),
            NewComment(talk.id, CapturedMessage(message_id=101, author_id=6, author="ada", text="Yes, bob.",
                                                posted_at="2026-11-25T07:01:00+00:00", replies_to_message=100)),
        ])
        # The file changes and is imported again: a new revision with one comment fewer. The discussion was held
        # on the first, and its numbers and reply links are that revision's.
        text = source.read_text(encoding="utf-8")
        source.write_text(text[:text.rindex("Zoë_Ş's picture")], encoding="utf-8")
        again = await import_paths(store, [source])
        assert again.new_revisions == 1 and (await store.load_thread(thread_id)).comments[-1].number == 9
    env = {**os.environ, "RETHREAD_DB": str(db_path), "DISCORD_TOKEN": ""}
    run = lambda *args: subprocess.run([sys.executable, "-m", "bot", "export", *args], env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    done = run(str(thread_id), "--discussion", str(talk.id))
    assert done.returncode == 0, done.stderr
    back = parse_thread(done.stdout)
    assert back.comments[9].author == "Zoë_Ş", "the discussion's revision, not the current one"
    assert [(c.number, c.author, c.reply_to, c.text) for c in back.comments[10:]] == [
        (11, "bob", None, "First."), (12, "ada", 11, "Yes, bob.")]
    wrong = run(str(thread_id), "--discussion", "99")
    assert wrong.returncode == 1 and wrong.stderr.strip() == f"error: thread {thread_id} has no discussion 99; " \
                                                              f"its discussions: {talk.id}"
