"""The "no text lost or duplicated" check, written independently of the parser's own code."""

from __future__ import annotations

import re
from collections import Counter

from bot.core.model import Thread

_PICTURE = re.compile(r"^.+?(?:'s|’s|'|’) picture$")
_DATED = re.compile(r"\d{1,2}:\d{2} ?[AP]M$")
_BYLINE = re.compile(r"^(?:by|written by|authored by|submitted by|posted by)\s", re.IGNORECASE)


def content_lines(text: str, *, markers: set[int] | None = None) -> Counter:
    """The file's non-blank lines (stripped) that are not structural markers.

    ``markers`` gives the indexes of marker lines when the caller knows them (generated files); otherwise a
    line is a marker if it is a picture line, the header line right after one, or a dated header line; except
    that the first picture line after the title (and a byline), with no header after it, is the article's
    caption, i.e. content.
    """
    lines = re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff"))
    found: Counter = Counter()
    previous_was_picture = False
    opening: list[str] = []  # the non-blank lines before the first marker
    for index, raw in enumerate(lines):
        line = raw.strip()
        if markers is not None:
            is_marker = index in markers
        else:
            is_header = "(not verified)" in line and (previous_was_picture or bool(_DATED.search(line)))
            is_picture = bool(_PICTURE.match(line))
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            caption = is_picture and "(not verified)" not in following and (
                len(opening) == 1 or (len(opening) == 2 and bool(_BYLINE.match(opening[1]))))
            is_marker = (is_picture and not caption) or is_header
            previous_was_picture = is_picture and not caption
            if is_marker or caption:
                opening = ["", "", ""]  # one caption at most, and none once comments have started
            elif line:
                opening.append(line)
        if line and not is_marker:
            found[line] += 1
    return found


def output_lines(thread: Thread) -> Counter:
    """Every line the parsed thread holds: title, byline, article, and each comment's quotes and paragraphs."""
    texts = [thread.title, *([thread.byline] if thread.byline else []), *thread.article]
    for comment in thread.comments:
        texts += comment.quotes + comment.paragraphs
    return Counter(line for text in texts for line in text.split("\n"))
