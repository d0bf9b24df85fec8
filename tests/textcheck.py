"""The "no text lost or duplicated" check, written independently of the parser's own code."""

from __future__ import annotations

import re
from collections import Counter

from bot.core.model import Thread

_PICTURE = re.compile(r"^.+?(?:'s|’s|'|’) picture$")
_DATED = re.compile(r"\d{1,2}:\d{2} ?[AP]M$")


def content_lines(text: str, *, markers: set[int] | None = None) -> Counter:
    """The file's non-blank lines (stripped) that are not structural markers.

    ``markers`` gives the indexes of marker lines when the caller knows them (generated files); otherwise a
    line is a marker if it is a picture line, the header line right after one, or a dated header line.
    """
    lines = re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff"))
    found: Counter = Counter()
    previous_was_picture = False
    for index, raw in enumerate(lines):
        line = raw.strip()
        if markers is not None:
            is_marker = index in markers
        else:
            is_header = "(not verified)" in line and (previous_was_picture or bool(_DATED.search(line)))
            is_marker = bool(_PICTURE.match(line)) or is_header
            previous_was_picture = bool(_PICTURE.match(line))
        if line and not is_marker:
            found[line] += 1
    return found


def output_lines(thread: Thread) -> Counter:
    """Every line the parsed thread holds: title, byline, article, and each comment's quotes and paragraphs."""
    texts = [thread.title, *([thread.byline] if thread.byline else []), *thread.article]
    for comment in thread.comments:
        texts += comment.quotes + comment.paragraphs
    return Counter(line for text in texts for line in text.split("\n"))
