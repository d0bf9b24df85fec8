"""What a posted comment and article look like: Discord's limits, names, quotes, and inert mentions."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.model import Block, Comment, Thread
from bot.core.parser import load_thread_file
from bot.core.render import (
    EMBED_DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    EMBEDS_TOTAL_LIMIT,
    MESSAGE_LIMIT,
    article_messages,
    avatar_url,
    render_comment,
    split_text,
    webhook_name,
)
from tests.conftest import DEMO_SEEDS


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Jim in MN", "Jim in MN"),
        ("DiscordDan", "Disc-ordDan"),
        ("the clyde fan", "the cl-yde fan"),
        ("everyone", "everyone (commenter)"),
        ("HERE", "HERE (commenter)"),
        ("   ", "Anonymous commenter"),
        ("\u200b\u200d\u3164", "Anonymous commenter"),  # zero-width and Hangul filler only
        ("\u202eevil\u202c name", "evil name"),  # a right-to-left override is removed
        ("\u2067\u2069", "Anonymous commenter"),
        ("x" * 100, "x" * 79 + "…"),
    ],
)
def test_webhook_names_are_valid_and_recognisable(author, expected):
    assert webhook_name(author) == expected


@given(st.text(min_size=0, max_size=120))
def test_every_name_becomes_a_valid_webhook_name(author):
    name = webhook_name(author)
    assert 1 <= len(name) <= 80
    assert "discord" not in name.casefold() and "clyde" not in name.casefold()
    assert name.casefold() not in ("everyone", "here")
    assert not set(name) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert any(unicodedata.category(ch)[0] in "LNPS" and ch not in "\u3164\u115f\u1160\uffa0\u2800" for ch in name)


def test_avatars_are_deterministic_default_avatars():
    urls = {avatar_url(name) for name in ("Ann", "ann", " Ann ")}
    assert len(urls) == 1
    assert re.fullmatch(r"https://cdn\.discordapp\.com/embed/avatars/[0-5]\.png", urls.pop())
    assert len({avatar_url(f"user {i}") for i in range(60)}) == 6


words = st.text(alphabet="abcdefghij", min_size=1, max_size=30)
long_text = st.lists(
    st.lists(st.lists(words, min_size=1, max_size=60).map(" ".join), min_size=1, max_size=4).map("\n".join),
    min_size=1,
    max_size=12,
).map("\n\n".join)


@settings(max_examples=200, deadline=None)
@given(long_text, st.integers(min_value=40, max_value=2000))
def test_split_text_keeps_order_and_words_within_the_limit(text, limit):
    chunks = split_text(text, limit)
    assert all(1 <= len(c) <= limit for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())  # only whitespace at the cuts differs
    whole_words = set(text.split())
    assert all(w in whole_words for c in chunks for w in c.split()), "no word is cut (all are <= 30 chars)"


def test_long_demo_comment_is_split_under_2000_in_order():
    comment = max((c for p in DEMO_SEEDS for c in load_thread_file(p).thread.comments), key=lambda c: len(c.text))
    posted = render_comment(comment)
    assert len(posted.contents) >= 2 and all(len(c) <= MESSAGE_LIMIT for c in posted.contents)
    joined = " ".join(" ".join(posted.contents).split())
    assert " ".join(comment.text.split()) in joined


def test_reply_quote_and_details_markdown():
    comment = Comment(
        number=8, author="Sam", verified=False, posted_at=None, reply_to=3, reply_to_author="Ann",
        reply_source="quote", body=(Block("what Ann said\nsecond line", quote=True), Block("My answer.")),
    )
    text = render_comment(comment, parent_link="https://discord.com/channels/1/2/3").contents[0]
    assert text.splitlines() == [
        "-# ↪ replying to **Ann** ([#3](https://discord.com/channels/1/2/3))",
        "> what Ann said",
        "> second line",
        "",
        "My answer.",
        "-# #8 · not verified",
    ]


def test_mentions_in_comment_text_are_inert():
    comment = Comment(1, "Troll", True, None, None, None, None, (Block("@everyone @here look <@123> <@&9> <#5>"),))
    text = render_comment(comment).contents[0]
    assert "@everyone" not in text and "@here" not in text
    assert not re.search(r"<(@[!&]?|#)\d+>", text)
    assert "everyone" in text and "123" in text  # the words stay readable


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=400).map(" ".join), min_size=1, max_size=40))
def test_article_embeds_respect_discord_limits(paragraphs):
    thread = Thread("T" * 300, "By Someone", tuple(paragraphs), ())
    messages = article_messages(thread)
    for embeds in messages:
        assert 1 <= len(embeds) <= EMBEDS_PER_MESSAGE
        assert sum(e.size for e in embeds) <= EMBEDS_TOTAL_LIMIT
        assert all(len(e.description) <= EMBED_DESCRIPTION_LIMIT and len(e.title or "") <= 256 for e in embeds)
    flat = [e for m in messages for e in m]
    assert flat[0].title and all(e.title is None for e in flat[1:])
    assert flat[-1].footer == "No comments on this article"
    text = " ".join(e.description for e in flat)
    shown = re.sub(r"\\(.)", r"\1", text.strip("*"))  # as Discord shows it: a caption's italics and escapes gone
    assert " ".join(shown.split()).rstrip("*").endswith(" ".join(paragraphs[-1].split()))


def test_article_captions_stand_apart_in_italics():
    thread = Thread(title="T", byline="By A *Star* Reporter", article=(
        "A long paragraph that ends a sentence.", "A page from the 1893 logbook", "Short, but a sentence.",
        "“A quote that ends in a quote mark.”"), comments=())
    (message,) = article_messages(thread)
    assert message[0].description == (
        "*By A \\*Star\\* Reporter*\n\nA long paragraph that ends a sentence.\n\n*A page from the 1893 logbook*\n\n"
        "Short, but a sentence.\n\n“A quote that ends in a quote mark.”")
