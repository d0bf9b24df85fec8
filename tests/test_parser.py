"""The parser on real files, demo seeds, format variants, bad input, and generated threads (hypothesis)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.export import export_thread, format_timestamp
from bot.core.parser import ThreadFileError, load_thread_file, parse_thread
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
    for _ in range(draw(st.integers(0, 8))):
        author = draw(st.sampled_from(pool))
        lines.append("")
        markers.add(len(lines))
        lines.append(f"{author}'s picture")
        if draw(st.booleans()):  # unverified: a header line, with or without parent and date
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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thread_files())
def test_generated_threads_lose_and_duplicate_nothing(generated):
    text, markers = generated
    thread = parse_thread(text)
    assert output_lines(thread) == content_lines(text, markers=markers)
    assert parse_thread(export_thread(thread)) == thread
    for comment in thread.comments:
        assert comment.reply_to is None or comment.reply_to < comment.number
