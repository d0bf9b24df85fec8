"""Export round-trips everything the parser accepts: ``parse(export(parse(text))) == parse(text)`` for any text
that parses (issue 8, class 9), on generated files full of names and lines that look like nothing else."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.core.export import export_thread, format_timestamp
from bot.core.parser import ThreadFileError, parse_thread

any_line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)
TRICKY_NAMES = [
    "Dr. Engali", "J. R. R. Tolkien", "By Jove", "@everyone", "x (not verified)", "Bob (NOT VERIFIED)",
    "Feb 1, 2017 1:00 PM", "James'", "O’Neil’s", "a's picture", "'s", "’", "Ann  Lee", "Ann\u00a0Lee", "ß", "SS",
    "(not verified) Ann", "Bob (not verified) Ann", "\ufeffBOM", "\u200b", "**bold**", "> quote", "Jim in MN",
    "one two three four five six seven eight nine ten eleven", "word " * 30 + "end", "Zoë_Ş", "李明",
]
names = st.one_of(st.sampled_from(TRICKY_NAMES), any_line.filter(str.strip),
                  st.text("ab .'’", min_size=1, max_size=200).filter(str.strip))
sentences = st.lists(st.sampled_from(["the", "Cat", "sat", "on", "a", "mat.", "“so”", "it's", "Dr.", "Engali"]),
                     min_size=3, max_size=12).map(" ".join)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "Sept.", "October",
               "November", "December"]


@st.composite
def date_texts(draw):
    """A date as the files write it, in every variant the parser reads, or one that does not exist."""
    if draw(st.integers(0, 4)) == 0:  # impossible
        month = draw(st.sampled_from(MONTHS))
        return f"{month} {draw(st.integers(0, 39))}, {draw(st.integers(0, 9999)):04d} " \
               f"{draw(st.integers(0, 99))}:{draw(st.integers(0, 99)):02d} {draw(st.sampled_from(['AM', 'PM']))}"
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    month = draw(st.sampled_from([MONTHS, LONG_MONTHS]))[moment.month - 1]
    hour = moment.hour % 12 or 12
    half = draw(st.sampled_from([("AM", "PM"), ("a.m.", "p.m."), ("am", "pm")]))[moment.hour >= 12]
    day_comma, year_comma = draw(st.sampled_from(["", ","])), draw(st.sampled_from(["", ","]))
    space = draw(st.sampled_from(["", " "]))
    return f"{month} {moment.day}{day_comma} {moment.year:04d}{year_comma} {hour}:{moment.minute:02d}{space}{half}"


@st.composite
def thread_texts(draw):
    """A thread file: a title, maybe a byline and the author's picture, article lines, then a soup of picture
    lines, headers (with the picture's name in other cases and spacings, parents, dates real or not), dated
    headers alone, quotes of earlier lines, @-mentions and arbitrary lines."""
    pool = draw(st.lists(names, min_size=1, max_size=4))
    lines = [draw(any_line.filter(str.strip))]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["By A. Reporter", "Submitted by Tyler Durden on Feb 1"])))
    if draw(st.booleans()):
        lines += [draw(st.sampled_from(["", ""])), f"{draw(names)}'s picture"]
    written: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append("")
        elif kind in (1, 2):
            name = draw(st.sampled_from(pool))
            suffix = draw(st.sampled_from(["'s", "’s", "'", "’"]))
            lines.append(f"{name}{suffix} picture")
            if draw(st.booleans()):
                spelled = draw(st.sampled_from([name, name.upper(), name.replace(" ", "  "), f" {name} "]))
                header = f"{spelled} (not verified)"
                if draw(st.booleans()):
                    header += " " + draw(st.one_of(st.sampled_from(pool), names))
                if draw(st.booleans()):
                    header += draw(st.sampled_from([" ", "  "])) + draw(date_texts())
                lines.append(header)
        elif kind == 3:
            lines.append(f"{draw(st.sampled_from(pool))} (not verified) {draw(st.sampled_from(pool))} "
                         f"{draw(date_texts())}")
        elif kind == 4 and written:
            line = draw(st.sampled_from(written))
            start = draw(st.integers(0, len(line)))
            cut = line[start : draw(st.integers(start, len(line)))]
            lines += ["", draw(st.sampled_from([cut, line, f'He said "{cut}" then', f"**{cut}**", line.upper()])), ""]
        elif kind == 5:
            lines.append(f"@{draw(st.sampled_from(['', ' ']))}{draw(st.sampled_from(pool))} {draw(any_line)}")
        else:
            line = draw(st.one_of(any_line, sentences))
            written.append(line)
            lines.append(line)
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


def _parsed(text: str):
    try:
        return parse_thread(text)
    except ThreadFileError:
        assume(False)
        raise


@given(thread_texts())
@example("T\n\nB.\n\nBob's picture\nBob (not verified) Ann Feb 1, 2017 1:00 PM Feb 31, 2017 1:00 PM\n")
@example("T\n\nB.\n\nx (not verified)'s picture\nx (NOT VERIFIED) (not verified) Ann\n\nHi.\n")
@example("\ufeff\ufeffT\n\nB.\n")
def test_export_round_trips_what_the_parser_accepts(text):
    thread = _parsed(text)
    exported = export_thread(thread)
    assert parse_thread(exported) == thread
    assert export_thread(parse_thread(exported)) == exported


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_every_timestamp_reads_back(moment):
    moment = moment.replace(second=0, microsecond=0)
    text = f"T\n\nB.\n\nBob's picture\nBob (not verified) {format_timestamp(moment)}\n\nHi.\n"
    assert parse_thread(text).comments[0].posted_at == moment


@pytest.mark.parametrize(("moment", "written"), [
    (datetime(987, 3, 3, 0, 5), "Mar 3, 0987 12:05 AM"), (datetime(1, 1, 1, 12, 0), "Jan 1, 0001 12:00 PM"),
    (datetime(2017, 2, 15, 14, 17), "Feb 15, 2017 2:17 PM"),
])
def test_format_timestamp_writes_four_digit_years(moment, written):
    assert format_timestamp(moment) == written


@pytest.mark.parametrize("name", [
    "Dr. Engali", "one two three four five six seven eight nine ten", "A" * 120, "x (not verified)",
    "Feb 1, 2017 1:00 PM", "By Jove", "James'", "Bob's",
])
def test_names_of_every_shape_round_trip(name):
    text = (f"T\n\nBody.\n\n{name}'s picture\n\nFirst.\n\n"
            f"Kim's picture\nKim (not verified) {name} Mar 3, 0987 10:05 PM\n\nSecond.\n")
    thread = parse_thread(text)
    assert [c.author for c in thread.comments] == [name, "Kim"]
    assert thread.comments[1].reply_to_author == name and thread.comments[1].posted_at == datetime(987, 3, 3, 22, 5)
    assert parse_thread(export_thread(thread)) == thread


def test_a_parent_ending_in_a_date_keeps_its_name_when_the_date_does_not_exist():
    thread = parse_thread("T\n\nB.\n\nBob's picture\nBob (not verified) Feb 1, 2017 1:00 PM Feb 31, 2017 1:00 PM\n")
    bob = thread.comments[0]
    assert (bob.reply_to_author, bob.posted_at) == ("Feb 1, 2017 1:00 PM", None)
    assert parse_thread(export_thread(thread)) == thread
