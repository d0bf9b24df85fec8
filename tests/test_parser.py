"""The parser on real files, demo seeds, format variants, bad input, and generated threads (hypothesis)."""

from __future__ import annotations

import gc
import os
import random
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import parser
from bot.core.export import export_thread, format_timestamp
from bot.core.model import Block, Comment
from bot.core.parser import ThreadFileError, decode_thread_bytes, load_thread_file, parse_thread
from tests.conftest import DEMO_SEEDS, all_seed_params
from tests.textcheck import content_lines, output_lines

# -- the real file ------------------------------------------------------------------------------------------


def test_real_seed_structure(shared_seeds):
    path = next(p for p in shared_seeds if "us-russia-generals" in p.name)
    thread = load_thread_file(path).thread
    assert thread.title == "Top US, Russian Military Generals To Meet Thursday"
    assert len(thread.comments) == 45
    assert [c.number for c in thread.comments] == list(range(1, 46))
    by_number = {c.number: c for c in thread.comments}

    saint = by_number[6]  # unverified, header names the parent
    assert (saint.author, saint.verified, saint.posted_at) == ("The Saint", False, datetime(2017, 2, 15, 14, 17))
    assert (saint.reply_to, saint.reply_to_author, saint.reply_source) == (5, "Duc888", "header")

    # A header parent whose name has a space resolves to that author's latest comment before this one.
    angry = by_number[33]
    assert (angry.reply_to, angry.reply_to_author, angry.reply_source) == (32, "Dickweed Wang", "header")

    # A whole paragraph repeating an earlier comment is a quote, and the reply goes to the quoted comment.
    dickweed = by_number[11]
    assert dickweed.quotes == ["Does any sane person take Soros seriously?"]
    assert (dickweed.reply_to, dickweed.reply_source) == (10, "quote")
    assert dickweed.paragraphs[0].startswith("You may not take him seriously")

    # A passage in quotation marks inside a paragraph also finds the parent; the paragraph stays whole.
    king = by_number[8]
    assert (king.reply_to, king.reply_to_author, king.reply_source) == (5, "Duc888", "quote")
    assert king.quotes == [] and king.paragraphs[0].startswith('" Europe has a deathy fear of Russia"')

    ace = by_number[29]  # a ** ** passage
    assert (ace.reply_to, ace.reply_source) == (28, "quote")
    assert ace.quotes[0].startswith("**") and "negotiating away our sovereignty" in ace.quotes[0]

    chupa = by_number[31]  # "@ Hannibal,"
    assert (chupa.reply_to, chupa.reply_to_author, chupa.reply_source) == (30, "Hannibal", "mention")

    # A header without a parent still gives the date; a picture line followed directly by text is not a header.
    list_maker = by_number[24]
    assert (list_maker.verified, list_maker.reply_to, list_maker.posted_at) == (False, None,
                                                                                 datetime(2017, 2, 15, 13, 36))
    assert by_number[30].paragraphs[0].startswith("Trump’s National Security Adviser")
    assert by_number[44].paragraphs == [
        "Wow, first time since Potsdam? In 1945?\nNEVER in my lifetime and I'm almost 70"]


@pytest.mark.parametrize("path", all_seed_params())
def test_no_text_lost_or_duplicated(path: Path):
    thread = load_thread_file(path).thread
    assert output_lines(thread) == content_lines(path.read_text(encoding="utf-8-sig"))


@pytest.mark.parametrize("path", all_seed_params())
def test_export_round_trip(path: Path):
    thread = load_thread_file(path).thread
    assert parse_thread(export_thread(thread)) == thread


@pytest.mark.parametrize("path", all_seed_params())
def test_replies_point_backwards_at_the_named_author(path: Path):
    thread = load_thread_file(path).thread
    authors = {c.number: c.author for c in thread.comments}
    for comment in thread.comments:
        if comment.reply_to is not None:
            assert comment.reply_to < comment.number
            assert authors[comment.reply_to].casefold() == comment.reply_to_author.casefold()
            assert comment.reply_source in ("header", "quote", "mention")


# -- the demo seeds cover every feature of the format --------------------------------------------------------


def test_demo_seeds_cover_the_format():
    threads = [load_thread_file(p).thread for p in DEMO_SEEDS]
    assert len(threads) >= 3
    comments = [c for t in threads for c in t.comments]
    sources = {c.reply_source for c in comments}
    assert {"header", "quote", "mention"} <= sources
    assert any(c.verified for c in comments) and any(not c.verified for c in comments)
    assert any(c.posted_at for c in comments)
    assert any(t.byline for t in threads)
    assert any(len(c.text) > 2000 for c in comments), "a long comment, to exercise message splitting"
    assert any(not c.text.isascii() for c in comments) and any(not c.author.isascii() for c in comments)
    assert any("'" in c.author for c in comments) and any(" " in c.author for c in comments)
    assert any(c.quotes for c in comments)
    # Captions: short article lines without closing punctuation, between paragraphs.
    assert any(len(p) < 120 and p[-1] not in ".!?\"" for t in threads for p in t.article)


# -- variants in the wild -----------------------------------------------------------------------------------

BASIC = (
    "A Title\n\nFirst paragraph of the article.\n\n"
    "Alice Smith's picture\n\nHello there, this is my opinion on it.\n\n"
    "Bob's picture\nBob (not verified) Alice Smith Feb 15, 2017 2:17 PM\n\nI disagree, Alice.\n"
)


def test_crlf_bom_nbsp_and_blank_runs_parse_like_the_plain_file():
    plain = parse_thread(BASIC)
    messy = "\ufeff" + BASIC.replace("\n\n", "\n\u00a0\n\n\n").replace("\n", "\r\n")
    assert parse_thread(messy) == plain
    assert parse_thread(BASIC.replace("\n", "\r")) == plain


def test_curly_apostrophe_and_bare_apostrophe_picture_lines():
    thread = parse_thread("T\n\nBody.\n\nO’Neil’s picture\n\nHi.\n\nJames' picture\n\nHello.\n")
    assert [c.author for c in thread.comments] == ["O’Neil", "James"]


def test_header_variants():
    text = (
        "T\n\nBody.\n\nAnn's picture\n\nFirst.\n\n"
        "Zed's picture\nZed (not verified) Ann Sept. 3, 2019, 11:05 a.m.\n\nDotted date.\n\n"
        "Quinn's picture\nQuinn (not verified)\n\nNo date at all.\n\n"
        "Mo (not verified) Zed March 9, 2020 9:00 PM\n\nNo picture line before the header.\n"
    )
    zed, quinn, mo = parse_thread(text).comments[1:]
    assert (zed.posted_at, zed.reply_to) == (datetime(2019, 9, 3, 11, 5), 1)
    assert (quinn.verified, quinn.posted_at, quinn.reply_to) == (False, None, None)
    assert (mo.author, mo.posted_at, mo.reply_to, mo.reply_source) == ("Mo", datetime(2020, 3, 9, 21), 2, "header")


def test_header_parent_who_never_commented_keeps_the_name():
    thread = parse_thread("T\n\nBody.\n\nBob's picture\nBob (not verified) Ghost Writer Feb 1, 2017 1:00 PM\n\nHi.")
    bob = thread.comments[0]
    assert (bob.reply_to, bob.reply_to_author, bob.reply_source) == (None, "Ghost Writer", "header")


def test_short_repeats_are_not_quotes():
    thread = parse_thread("T\n\nBody.\n\nA's picture\n\nLOL\n\nB's picture\n\nLOL\n")
    assert thread.comments[1].quotes == [] and thread.comments[1].reply_to is None


def test_mention_matches_the_longest_known_name():
    thread = parse_thread("T\n\nBody.\n\nJim's picture\n\nOne.\n\nJim in MN's picture\n\nTwo.\n\n"
                          "C's picture\n\n@Jim in MN yes.\n\nD's picture\n\n@Jimmy no such person.\n")
    assert thread.comments[2].reply_to == 2
    assert thread.comments[3].reply_to is None


def test_article_without_comments_is_valid():
    thread = parse_thread("Only a title\n\nAnd an article.\n")
    assert (thread.title, thread.article, thread.comments) == ("Only a title", ("And an article.",), ())


# -- bad input ----------------------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"\xef\xbb\xbf \r\n\n")
    with pytest.raises(ThreadFileError, match=r"empty\.txt: the file is empty"):
        load_thread_file(path)


def test_binary_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(ThreadFileError, match="binary"):
        load_thread_file(path)


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "word " * 300)
    with pytest.raises(ThreadFileError, match="over the 1,000-byte limit"):
        load_thread_file(path, max_bytes=1000)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ThreadFileError, match="no such file"):
        load_thread_file(tmp_path / "nope.txt")
    with pytest.raises(ThreadFileError, match="folder"):
        load_thread_file(tmp_path)


def test_no_title_before_the_first_comment():
    with pytest.raises(ThreadFileError, match="no article title"):
        parse_thread("Ann's picture\n\nHello.\n", source="x.txt")


def test_windows_1252_is_read_with_a_warning(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\xe9 news\n\n\x93Quoted\x94 text \x81 here.\n".encode("latin-1"))
    loaded = load_thread_file(path)
    assert loaded.thread.title == "Café news"
    assert loaded.thread.article == ("“Quoted” text \x81 here.",)  # the undefined byte 0x81 is kept, not dropped
    assert any("Windows-1252" in w for w in loaded.thread.warnings)


# -- generated threads --------------------------------------------------------------------------------------

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-' éßЖ"
_TEXT_CHARS = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?\"'*@-–—“”’é漢字\u00a0"

names = st.text(_NAME_CHARS, min_size=1, max_size=20).map(str.strip).filter(
    lambda n: n and not n.endswith("'") and "'s " not in f"{n} " and "@" not in n
)
text_lines = st.text(_TEXT_CHARS, min_size=1, max_size=70).filter(
    lambda s: s.strip() and not s.strip().endswith("picture") and not s.strip().startswith(("by ", "By "))
)
paragraph = st.lists(text_lines, min_size=1, max_size=3)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@st.composite
def thread_files(draw):
    """A thread file and the indexes of its marker lines. Some comments quote or @-mention earlier ones."""
    pool = draw(st.lists(names, min_size=1, max_size=5, unique_by=str.casefold))
    lines = [draw(text_lines)]
    for para in draw(st.lists(paragraph, max_size=3)):
        lines += [""] * draw(st.integers(1, 3)) + para
    markers: set[int] = set()
    written: list[list[str]] = []  # each comment's paragraphs, for quoting
    for number in range(draw(st.integers(0, 8))):
        author = draw(st.sampled_from(pool))
        unverified = draw(st.booleans())
        lines.append("")
        # Right after the title, a picture line with no header is the article's caption (issue 8, class 5).
        if not (number == 0 and len(lines) == 2 and not unverified):
            markers.add(len(lines))
        lines.append(f"{author}'s picture")
        if unverified:  # a header line, with or without parent and date
            header = f"{author} (not verified)"
            if draw(st.booleans()):
                header += " " + draw(st.sampled_from(pool))
            if draw(st.booleans()):
                header += " " + format_timestamp(draw(moments))
            markers.add(len(lines))
            lines.append(header)
        paragraphs = draw(st.lists(paragraph, max_size=3))
        if written and draw(st.booleans()):
            paragraphs.insert(0, draw(st.sampled_from(written)))  # quote an earlier comment's paragraph
        if draw(st.booleans()):
            paragraphs.insert(0, [f"@{draw(st.sampled_from(pool))} " + draw(text_lines)])
        written.extend(paragraphs)
        for para in paragraphs:
            if draw(st.booleans()):
                lines.append("")
            lines += para
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(lines), markers


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thread_files())
def test_generated_threads_lose_and_duplicate_nothing(generated):
    text, markers = generated
    thread = parse_thread(text)
    assert output_lines(thread) == content_lines(text, markers=markers)
    assert parse_thread(export_thread(thread)) == thread
    for comment in thread.comments:
        assert comment.reply_to is None or comment.reply_to < comment.number


# -- issue 8, class 4: reply inference in linear time, the same answers as the definition ----------------------

_WRAPPERS = " \t\"'*.…_>"


def _key(name: str) -> str:
    return " ".join(name.replace("\u00a0", " ").split()).casefold()


class BruteReplies:
    """Reply lookups exactly as the README defines them, by scanning every earlier comment: the reference that
    the parser's indexes (``parser._Replies``) must agree with."""

    def __init__(self, size_hint: int = 0) -> None:
        self.texts: list[tuple[int, str]] = []
        self.latest: dict[str, int] = {}
        self.author_of: dict[int, str] = {}

    def add(self, comment, normalised_paragraphs: list[str]) -> None:
        self.texts.append((comment.number, " ".join(normalised_paragraphs)))
        self.latest[_key(comment.author)] = comment.number
        self.author_of[comment.number] = comment.author

    def by_author(self, name: str) -> int | None:
        return self.latest.get(_key(name))

    def quoted(self, passage: str) -> int | None:
        needle = passage.strip(_WRAPPERS)
        if len(needle) < 12 or len(needle.split(" ")) < 3:
            return None
        return next((number for number, text in reversed(self.texts) if needle in text), None)

    def mentioned(self, first_paragraph: str) -> int | None:
        match = re.match(r"@\s?(\S.*)", first_paragraph, re.DOTALL)
        if not match:
            return None
        rest = _key(match[1])
        names = [k for k in self.latest if rest.startswith(k) and (rest == k or not rest[len(k)].isalnum())]
        return self.latest[max(names, key=len)] if names else None


# Few, short, overlapping words and names: passages hit many comments, partly or wholly, and names nest.
_VOCAB = ["a", "ab", "abc", "abcd", "b", "ba", "bab", "x", "xy", "xyz", "“q”", '"', "**", "é", "ß", "SS", "a-b"]
_AUTHORS = ["a", "a b", "A  b", "ab", "a-b", "a b c", "b", "x's", "ß", "ss", "Jim in MN", "Jim", "a_b", "Zoë."]
words_text = st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=9).map(" ".join)


@given(st.data())
def test_reply_index_agrees_with_brute_force(data):
    fast = parser._Replies(data.draw(st.sampled_from([0, 50_000_000])))  # a tiny table (collisions) or a big one
    slow = BruteReplies()
    texts: list[str] = []
    for number in range(1, data.draw(st.integers(1, 25)) + 1):
        passages = data.draw(st.lists(words_text, max_size=3))
        for text in data.draw(st.lists(st.sampled_from(texts), max_size=3)) if texts else []:
            start = data.draw(st.integers(0, len(text)))
            passages.append(text[start : data.draw(st.integers(start, len(text)))])  # any cut, mid-word too
        for passage in passages:
            norm = parser._normalise(passage)
            assert fast.quoted(norm) == slow.quoted(norm), norm
        mentions = [f"@{data.draw(st.sampled_from(['', ' ']))}{a}{data.draw(st.sampled_from(['', ',', ' x', 'x']))}"
                    for a in data.draw(st.lists(st.sampled_from(_AUTHORS), max_size=3))]
        for mention in mentions:
            assert fast.mentioned(mention) == slow.mentioned(mention), mention
        for author in _AUTHORS:
            assert fast.by_author(author) == slow.by_author(author)
        author = data.draw(st.sampled_from(_AUTHORS))
        paragraphs = data.draw(st.lists(words_text, max_size=3))
        comment = Comment(number, author, True, None, None, None, None, tuple(Block(p) for p in paragraphs))
        normalised = [parser._normalise(p) for p in paragraphs]
        fast.add(comment, normalised)
        slow.add(comment, normalised)
        texts.append(" ".join(normalised))


@pytest.mark.parametrize("crowd", [1, 2])
def test_reply_index_agrees_with_brute_force_when_every_bucket_crowds(crowd, monkeypatch):
    """The wide keys and the first-CROWD walk (_QuoteIndex), which threads like real ones seldom reach."""
    monkeypatch.setattr(parser._QuoteIndex, "CROWD", crowd)
    test_reply_index_agrees_with_brute_force()


def test_a_quote_of_a_comment_from_before_its_words_grew_common_is_found():
    """Comment 1 is among the first comments keyed ("e", "little", "w"), before that key crowded and later comments
    got wide keys too: the quote must still find it, not only the later ones."""
    others = "".join(f"\nposter{i}'s picture\n\nthe little wax number {i} melted\n" for i in range(2, 12))
    text = ("Title\n\nArticle text.\n\nAnn's picture\n\nsomeone little wording of things\n" + others
            + "\nBob's picture\n\none little wording\n\nQuite right.\n")
    last = parse_thread(text).comments[-1]
    assert (last.number, last.reply_to, last.reply_to_author, last.reply_source) == (12, 1, "Ann", "quote")
    assert [(b.text, b.quote) for b in last.body] == [("one little wording", True), ("Quite right.", False)]


@given(thread_files())
def test_parse_agrees_with_brute_force_replies(generated):
    text, _ = generated
    fast = parse_thread(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parser, "_Replies", BruteReplies)
        slow = parse_thread(text)
    assert [(c.reply_to, c.reply_to_author, c.reply_source, c.body) for c in fast.comments] == [
        (c.reply_to, c.reply_to_author, c.reply_source, c.body) for c in slow.comments]


def _ordinary(n: int) -> str:
    rng = random.Random(n)
    words = [f"w{i}" for i in range(300)]
    return "T\n\nBody.\n" + "".join(
        f"\nu{rng.randrange(500)}'s picture\n\n{' '.join(rng.choices(words, k=rng.randint(2, 6)))}.\n"
        for _ in range(n))


def _mentions(n: int) -> str:
    rng = random.Random(n)
    return "T\n\nBody.\n" + "".join(f"\nuser {i}'s picture\n\n@user {rng.randrange(i or 1)} yes\n" for i in range(n))


def _quote_chain(n: int) -> str:
    parts = ["T\n\nBody.\n"]
    for i in range(n):
        parts.append(f"\np{i % 50}'s picture\n\n{'said number ' + str(i - 1) + ' here' if i else 'x'}\n\n"
                     f"said number {i} here\n")
    return "".join(parts)


@pytest.mark.parametrize("make", [_ordinary, _mentions, _quote_chain], ids=["ordinary", "mentions", "quote-chain"])
def test_parse_time_grows_linearly(make):
    """4x the comments may take about 4x the time, not 16x (the old parser rescanned every earlier comment)."""

    def cpu_seconds(n: int) -> float:
        text = make(n)
        runs = []
        for _ in range(3):
            gc.collect()
            start = time.process_time()
            assert len(parse_thread(text).comments) == n
            runs.append(time.process_time() - start)
        return min(runs)

    small, large = cpu_seconds(2_500), cpu_seconds(10_000)
    assert large / small < 8, (small, large)


# -- issue 8, class 5: comment openers and the article's own picture -------------------------------------------


@pytest.mark.parametrize("name", [
    "Dr. Engali", "J. R. R. Tolkien", "one two three four five six seven eight nine ten",
    "A" * 81, "The Reverend Dr. Martin St. John-Smythe of the Parish of St. Mary. Esq. and friends of his own",
])
def test_any_name_before_s_picture_opens_a_comment(name):
    thread = parse_thread(f"T\n\nBody.\n\nAnn's picture\n\nFirst comment.\n\n{name}'s picture\n\nSecond comment.\n")
    assert [c.author for c in thread.comments] == ["Ann", name]
    assert thread.comments[1].paragraphs == ["Second comment."]
    assert thread.comments[0].paragraphs == ["First comment."]


line_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=150)


@given(line_text.map(str.strip).filter(bool), st.sampled_from(["'s", "’s"]))
def test_any_picture_line_opens_a_comment(name, suffix):
    thread = parse_thread(f"T\n\nBody.\n\n{name}{suffix} picture\n\nHello.\n")
    assert [(c.author, c.paragraphs) for c in thread.comments] == [(name.rstrip(), ["Hello."])]
    assert thread.article == ("Body.",)


@pytest.mark.parametrize(("text", "byline", "article"), [
    ("T\n\nTyler Durden's picture\n\nThe article.\n\n", None, ("Tyler Durden's picture", "The article.")),
    ("T\n\nDr. Engali's picture\n\nThe article.\n\n", None, ("Dr. Engali's picture", "The article.")),
    ("T\nDr. Engali's picture\nThe article.\n\n", None, ("Dr. Engali's picture\nThe article.",)),
    ("T\n\nBy Dr. Engali\n\nDr. Engali's picture\n\nThe article.\n\n", "By Dr. Engali",
     ("Dr. Engali's picture", "The article.")),
    ("T\n\nDr. Engali's picture\n\nSubmitted by Dr. Engali\n\nThe article.\n\n", "Submitted by Dr. Engali",
     ("Dr. Engali's picture", "The article.")),
])
def test_picture_line_right_after_the_title_is_the_articles_caption(text, byline, article):
    thread = parse_thread(text + "Ann's picture\n\nA comment.\n")
    assert (thread.title, thread.byline, thread.article) == ("T", byline, article)
    assert [(c.author, c.paragraphs) for c in thread.comments] == [("Ann", ["A comment."])]
    assert output_lines(thread) == content_lines(text + "Ann's picture\n\nA comment.\n")
    assert parse_thread(export_thread(thread)) == thread


def test_only_the_first_picture_line_before_the_article_is_a_caption():
    thread = parse_thread("T\n\nEd's picture\n\nAnn's picture\n\nHi there.\n")
    assert thread.article == ("Ed's picture",)
    assert [c.author for c in thread.comments] == ["Ann"]
    # A picture line after an article paragraph opens a comment, as always.
    assert [c.author for c in parse_thread("T\n\nBody.\n\nEd's picture\n\nHi.\n").comments] == ["Ed"]


def test_picture_line_with_its_header_right_after_the_title_is_a_comment():
    thread = parse_thread("T\n\nBob's picture\nBob (not verified) Feb 1, 2017 1:00 PM\n\nFirst!\n")
    assert thread.article == ()
    assert [(c.author, c.verified, c.paragraphs) for c in thread.comments] == [("Bob", False, ["First!"])]


def test_header_parent_whose_comment_is_not_in_the_file_keeps_the_name():
    # Ann's comment was deleted before the page was saved (she comments only later): no number, but her name.
    thread = parse_thread("T\n\nBody.\n\nBob's picture\nBob (not verified) Ann Feb 1, 2017 1:00 PM\n\nAs Ann said.\n\n"
                          "Ann's picture\n\nHello.\n")
    bob = thread.comments[0]
    assert (bob.reply_to, bob.reply_to_author, bob.reply_source) == (None, "Ann", "header")
    assert parse_thread(export_thread(thread)) == thread


# -- issue 8, class 6: encodings line by line, NULs, special files -------------------------------------------


def test_one_stray_windows_1252_byte_garbles_nothing_else(tmp_path):
    path = tmp_path / "mixed.txt"
    before, after = "Café news\n\nThe article.\n\nZoë's picture\n\nIt’s true.\n\nBob's picture\n\nI don", "t agree.\n"
    path.write_bytes(before.encode() + b"\x92" + after.encode())  # a Windows-1252 apostrophe on line 11
    thread = load_thread_file(path).thread
    assert thread.title == "Café news"
    assert [(c.author, c.paragraphs) for c in thread.comments] == [("Zoë", ["It’s true."]), ("Bob", ["I don’t agree."])]
    assert thread.warnings == (f"{path}: line 11 not valid UTF-8; those bytes read as Windows-1252",)


@st.composite
def damaged_files(draw):
    """UTF-8 lines, some with single bytes that cannot start or continue a UTF-8 sequence where they stand."""
    lines = draw(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
                                  max_size=12), min_size=1, max_size=8))
    raw, expected, damaged = [], [], []
    for number, line in enumerate(lines, start=1):
        spots = draw(st.sets(st.integers(0, len(line)), max_size=3)) if draw(st.booleans()) else set()
        data, text = b"", ""
        for index in range(len(line) + 1):
            if index in spots:
                byte = draw(st.integers(0x80, 0xFF))
                data += bytes([byte])
                text += bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)
            if index < len(line):
                data += line[index].encode()
                text += line[index]
        raw.append(data)
        expected.append(text)
        if spots:
            damaged.append(number)
    return b"\n".join(raw), "\n".join(expected), damaged


@given(damaged_files())
def test_invalid_bytes_are_read_as_windows_1252_one_sequence_at_a_time(damaged):
    data, expected, damaged_lines = damaged
    if not data.strip(b" \t\r\n\x0b\x0c\xef\xbb\xbf") or parser._looks_binary(data):
        return
    text, warnings = decode_thread_bytes(data, "f.txt")
    assert text == expected.removeprefix("\ufeff")
    if damaged_lines:
        assert len(warnings) == 1 and "\n" not in warnings[0]
        named = [int(n) for n in re.findall(r"\d+", warnings[0].split(":", 1)[1].split("not valid")[0])]
        assert named[:5] == damaged_lines[:5]
        if len(damaged_lines) > 5:
            assert f"and {len(damaged_lines) - 5} more not valid" in warnings[0]
    else:
        assert warnings == []


@pytest.mark.parametrize("at", [5, 20_000])
def test_nul_bytes_are_removed_with_a_warning_wherever_they_are(tmp_path, at):
    text = "Title\n\n" + "The article goes on.\n" * 2000 + "\nAnn's picture\n\nHello there.\n"
    data = text.encode()
    data = data[:at] + b"\x00" + data[at:]
    path = tmp_path / "nul.txt"
    path.write_bytes(data)
    loaded = load_thread_file(path)
    assert loaded.thread == parse_thread(text)
    line = data[:at].count(b"\n") + 1
    assert [w for w in loaded.thread.warnings if "NUL" in w] == [f"{path}: line {line} had NUL bytes, removed"]


def test_binary_content_after_the_first_8_kb_is_still_binary(tmp_path):
    path = tmp_path / "late.txt"
    path.write_bytes(b"Title\n\n" + b"Plain text for a while.\n" * 500 + bytes(range(256)) * 64)
    with pytest.raises(ThreadFileError, match="binary"):
        load_thread_file(path)


def _load_in_subprocess(path: str) -> subprocess.CompletedProcess:
    """load_thread_file in a child with a memory cap and a time limit: the old code hung or ran out of memory."""
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
            "from bot.core.parser import ThreadFileError, load_thread_file\n"
            "try:\n    load_thread_file(sys.argv[1])\n"
            "except ThreadFileError as exc:\n    print(exc)\n")
    return subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=30,
                          cwd=Path(__file__).resolve().parent.parent)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_device_files_are_refused():
    result = _load_in_subprocess("/dev/zero")
    assert result.stdout.strip() == "/dev/zero: this is a character device, not a regular file", result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    try:
        result = _load_in_subprocess(str(fifo))
    except subprocess.TimeoutExpired:
        pytest.fail("load_thread_file waited on the FIFO")
    assert result.stdout.strip() == f"{fifo}: this is a named pipe (FIFO), not a regular file", result.stderr


# -- issue 8, class 7: times that exist --------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["Feb 15, 2017 99:00 AM", "Feb 15, 2017 13:00 PM", "Feb 15, 2017 0:30 AM",
                                  "Feb 15, 2017 12:60 PM", "Feb 30, 2017 1:00 PM", "Feb 29, 2017 1:00 PM",
                                  "Feb 15, 0000 1:00 PM", "Feb 0, 2017 1:00 PM"])
def test_impossible_times_give_no_timestamp_and_a_warning(date):
    text = f"T\n\nBody.\n\nAnn's picture\n\nHi.\n\nBob's picture\nBob (not verified) Ann {date}\n\nYo.\n"
    thread = parse_thread(text, source="t.txt")
    bob = thread.comments[1]
    assert (bob.posted_at, bob.reply_to, bob.reply_to_author) == (None, 1, "Ann")
    assert thread.warnings == (f"t.txt: comment 2 by 'Bob': no such time {date!r}, so no timestamp",)


@pytest.mark.parametrize(("date", "moment"), [
    ("Feb 29, 2016 12:00 AM", datetime(2016, 2, 29, 0, 0)), ("Feb 1, 2017 12:59 PM", datetime(2017, 2, 1, 12, 59)),
    ("Dec 31, 2017 11:59 p.m.", datetime(2017, 12, 31, 23, 59)), ("Jan 1, 0001 1:00 AM", datetime(1, 1, 1, 1, 0)),
])
def test_times_at_the_edges_are_kept(date, moment):
    thread = parse_thread(f"T\n\nBody.\n\nBob's picture\nBob (not verified) {date}\n\nYo.\n")
    assert thread.comments[0].posted_at == moment and thread.warnings == ()


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 39), st.sampled_from(["AM", "PM"]))
def test_only_real_times_are_read(hour, minute, day, half):
    thread = parse_thread(f"T\n\nB.\n\nBob's picture\nBob (not verified) Feb {day}, 2016 {hour}:{minute:02d} {half}\n")
    real = 1 <= hour <= 12 and minute <= 59 and 1 <= day <= 29
    assert (thread.comments[0].posted_at is not None) == real
    assert len(thread.warnings) == (0 if real else 1)


def test_warnings_stay_one_short_line_each():
    name = "Bob\u2028the\x1b[31mbuilder" + "x" * 500
    comments = "".join(f"{name}'s picture\n{name} (not verified) Feb 30, 2017 1:00 PM\n\nHi.\n\n" for _ in range(40))
    thread = parse_thread("T\n\nBody.\n\n" + comments, source="a\nb.txt")
    assert len(thread.warnings) == parser.MAX_WARNINGS + 1
    assert all(len(w) < 200 and w.isprintable() for w in thread.warnings), thread.warnings
    assert thread.warnings[-1] == "a?b.txt: 30 more comments with no such time"
