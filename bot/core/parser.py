"""Parse scraped thread files (an article followed by its comments) into :class:`~bot.core.model.Thread`.

The format, as scraped from news sites::

    Title line
    NAME's picture                      <- right after the title: the article author's photo (a caption)
    article paragraphs, separated by blank lines...

    NAME's picture                      <- opens a comment (verified commenter)
    comment paragraphs...

    NAME's picture
    NAME (not verified) [PARENT] Feb 15, 2017 2:17 PM   <- unverified commenters get a header line
    comment paragraphs...

A picture line is any line ending in ``'s picture`` (or ``’s``, ``'``, ``’``): the name is whatever stands before
it, however long. The one exception is a picture line right after the title (and an optional byline), before any
article paragraph and not followed by its header line: Drupal shows the article author's picture there, so it is
article text, not a comment.

Every line that is not one of those two structural markers ends up exactly once in the result (title, byline,
article, or a comment's quote/paragraph blocks): the parser never drops or duplicates text.

Parsing takes time linear in the file's size: earlier comments are indexed (words with their neighbours' edges
for quotes, a hash trie of name tokens for @-mentions, a dict for header parents), never rescanned.

Pure code: no I/O here except :func:`load_thread_file`, which reads one file.
"""

from __future__ import annotations

import codecs
import importlib
import os
import re
import stat
from array import array
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.model import Block, Comment, ReplySource, Thread
from bot.core.text import shorten

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Shortest paragraph (after normalisation) that may count as a quote: shorter repeats ("LOL", "Exactly.")
# are coincidences far more often than quotations.
MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 3
# How many warnings of one kind a file gets before the rest are counted in one line.
MAX_WARNINGS = 10

_PICTURE = re.compile(r"^(?P<name>\S.*?)(?:'s|’s|'|’) picture$")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"{_MONTH} \d{{1,2}},? \d{{4}},? \d{{1,2}}:\d{{2}} ?[AaPp]\.?[Mm]\.?"
_NOT_VERIFIED = " (not verified)"
# What follows "NAME (not verified)" once its whitespace is collapsed: an optional parent name, an optional date.
_HEADER_TAIL = re.compile(rf"(?P<parent>.+?)??(?:(?:^| )(?P<date>{_DATE}))?")
_ENDS_IN_DATE = re.compile(rf"(?:^| ){_DATE}$")
_BYLINE = re.compile(r"^(?:by|written by|authored by|submitted by|posted by)\s+\S.{0,118}$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MENTION = re.compile(r"^@\s?(?P<rest>\S.*)", re.DOTALL)
_INLINE_QUOTE = re.compile(r'"([^"]+)"|\*\*(.+?)\*\*')
_SPACES = re.compile(r"\s+")
_QUOTE_WRAPPERS = " \t\"'*.…_>"
_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})
# A name's tokens: runs of letters and digits, and every other character on its own (as str.isalnum splits).
_NAME_TOKEN = re.compile(r"[^\W_]+|[\W_]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _builtin_sha256() -> Any:
    """CPython's own SHA-256 (``_sha2``, before 3.12 ``_sha256``), else hashlib's. hashlib loads OpenSSL, about
    4 MB of resident memory in every parse worker for one hash per file; the digests are the same."""
    for name in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    return importlib.import_module("hashlib").sha256


_sha256 = _builtin_sha256()


class ThreadFileError(Exception):
    """A thread file that cannot be read as a thread: says which file and why."""

    def __init__(self, source: str, reason: str):
        super().__init__(source, reason)  # both in args, so the error survives pickling from a worker process
        self.source = source
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LoadedFile:
    path: Path
    thread: Thread
    sha256: str


def _one_line(text: str, limit: int | None = None) -> str:
    """``text`` fit for a one-line warning: no line breaks or control characters, optionally shortened."""
    text = _UNPRINTABLE.sub("?", text)
    return shorten(text, limit) if limit else text


def _lines_phrase(numbers: list[int]) -> str:
    """``line 3``, ``lines 3, 9 and 12``, ``lines 3, 9, 12, 15, 20 and 41 more``."""
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    shown = ", ".join(map(str, numbers[:5]))
    rest = len(numbers) - 5
    if rest > 0:
        return f"lines {shown} and {rest:,} more"
    head, _, last = shown.rpartition(", ")
    return f"lines {head} and {last}"


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    """The distinct 1-based line numbers (lines end at CRLF, CR or LF) of ascending character ``positions``.

    Linear in ``len(text)``. No position may hold a line break (they are invalid bytes or NULs)."""
    numbers: list[int] = []
    line, previous = 1, 0
    for at in positions:
        line += text.count("\n", previous, at) + text.count("\r", previous, at) - text.count("\r\n", previous, at)
        previous = at
        if not numbers or numbers[-1] != line:
            numbers.append(line)
    return numbers


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; keep them as their Latin-1 characters rather than dropping them.
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("rethread-latin1", _latin1_fallback)

# Bytes that do not occur in text: C0 controls other than tab, LF, FF and CR (NUL included).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_BINARY_WINDOW = 8192
_BINARY_SHARE = 20  # over 1 byte in 20 (5%) being control bytes, in any window, means binary
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


def _looks_binary(data: bytes) -> bool:
    """Whether any 8 KB window (they overlap by half; a shorter file is one window) is over 5% control bytes."""
    step = _BINARY_WINDOW // 2
    starts = range(0, max(len(data) - step, 1), step)
    for start in starts:
        window = data[start : start + _BINARY_WINDOW]
        if len(window) - len(window.translate(None, _CONTROL_BYTES)) > len(window) // _BINARY_SHARE:
            return True
    return False


def decode_thread_bytes(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to text, line by line, with a warning per kind of repair naming the lines it touched.

    * Empty files (nothing but whitespace and a BOM) are refused.
    * Binary files are refused: a file is binary when, in any 8 KB window of it (anywhere, not only at the
      start), over 5% of the bytes are control bytes other than tab, LF, FF and CR; NUL counts as one.
    * Text is UTF-8 (a BOM is dropped). Each invalid byte sequence, and only it, is read as Windows-1252
      (its five undefined bytes as Latin-1), so one stray byte cannot garble the rest of the file.
    * NUL bytes left in a text file (wherever they are) are removed: they are never part of a line's text.
    """
    if not data.strip(b" \t\r\n\x0b\x0c\xef\xbb\xbf"):
        raise ThreadFileError(source, "the file is empty")
    if _looks_binary(data):
        raise ThreadFileError(source, "this looks like a binary file, not a text thread file")
    data = data.removeprefix(codecs.BOM_UTF8)
    warnings: list[str] = []
    where = _one_line(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Invalid bytes become lone surrogates (U+DC80-U+DCFF), found again below: one pass, linear.
        text = data.decode("utf-8", errors="surrogateescape")
        runs = list(_ESCAPED_BYTES.finditer(text))
        lines = _line_numbers(text, [run.start() for run in runs])
        text = _ESCAPED_BYTES.sub(_as_windows_1252, text)
        warnings.append(f"{where}: {_lines_phrase(lines)} not valid UTF-8; those bytes read as Windows-1252")
    if "\x00" in text:
        positions = [m.start() for m in re.finditer("\x00", text)]
        lines = _line_numbers(text, positions)
        text = text.replace("\x00", "")
        warnings.append(f"{where}: {_lines_phrase(lines)} had NUL bytes, removed")
    return text, warnings


def _as_windows_1252(run: re.Match[str]) -> str:
    raw = bytes(ord(ch) - 0xDC00 for ch in run[0])
    return raw.decode("cp1252", errors="rethread-latin1")


_FILE_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_regular(source: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise ThreadFileError(source, "this is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
        raise ThreadFileError(source, f"this is {kind}, not a regular file")


def _read_bounded(path: Path, source: str, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of a regular file. Special files are refused before they are opened (a FIFO would
    block, ``/dev/zero`` never ends), and checked again on the open descriptor."""
    _check_regular(source, os.stat(path).st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with open(fd, "rb", closefd=True) as handle:
        info = os.fstat(fd)
        _check_regular(source, info.st_mode)
        if info.st_size > max_bytes:
            raise ThreadFileError(source, f"the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while we read it
        raise ThreadFileError(source, f"the file is over the {max_bytes:,}-byte limit")
    return data


def load_thread_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedFile:
    """Read and parse one thread file. Every failure is a :class:`ThreadFileError` naming the file."""
    path = Path(path)
    source = str(path)
    try:
        data = _read_bounded(path, source, max_bytes)
    except IsADirectoryError:
        raise ThreadFileError(source, "this is a folder, not a file") from None
    except FileNotFoundError:
        raise ThreadFileError(source, "no such file") from None
    except PermissionError:
        raise ThreadFileError(source, "permission denied") from None
    except OSError as exc:
        raise ThreadFileError(source, f"cannot read it ({exc.strerror or exc})") from None
    text, warnings = decode_thread_bytes(data, source)
    thread = parse_thread(text, source=source)
    if warnings:
        thread = Thread(thread.title, thread.byline, thread.article, thread.comments, (*warnings, *thread.warnings))
    return LoadedFile(path=path, thread=thread, sha256=_sha256(data).hexdigest())


def _normalise(text: str) -> str:
    """The form in which quotes are compared: straight quotes, single spaces, lower case."""
    return " ".join(text.translate(_CURLY).split()).lower()


def _name_key(name: str) -> str:
    return _SPACES.sub(" ", name.replace("\u00a0", " ")).strip().casefold()


def _picture_name(line: str) -> str | None:
    """The name on a picture line (``NAME's picture``), whatever it is, or None."""
    if not line.endswith(" picture"):  # cheap test first: this runs on every line of every file
        return None
    match = _PICTURE.match(line)
    return match["name"].rstrip() if match else None


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), start=1)}
_DATE_PARTS = re.compile(r"([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4}),? (\d{1,2}):(\d{2}) ?([AaPp])")


def _parse_date(text: str | None) -> datetime | None:
    """``Feb 15, 2017 2:17 PM`` and its variants (full or dotted month, ``p.m.``) as a naive datetime.

    Only times and dates that exist: hours 1-12, minutes 0-59, a real day of a real month, years 1-9999."""
    match = _DATE_PARTS.match(text) if text else None
    if not match:
        return None
    month, day, year, hour, minute, half = match.groups()
    if not 1 <= int(hour) <= 12 or int(minute) > 59:
        return None
    hour24 = int(hour) % 12 + (12 if half in "Pp" else 0)
    try:
        return datetime(int(year), _MONTHS[month.lower()], int(day), hour24, int(minute))
    except (KeyError, ValueError):  # "Feb 31", year 0 and the like
        return None


@dataclass(frozen=True, slots=True)
class _Header:
    name: str
    parent: str | None
    date: str | None  # the date as written, if there is one


def _header_at(line: str, at: int) -> _Header | None:
    """The header whose `` (not verified)`` starts at ``at``, if what follows is nothing or whitespace."""
    end = at + len(_NOT_VERIFIED)
    if end < len(line) and not line[end].isspace():
        return None
    name = line[:at].rstrip()
    if not name:
        return None
    tail = _HEADER_TAIL.fullmatch(" ".join(line[end:].split()))
    assert tail is not None  # the parent alone can take any tail
    return _Header(name, tail["parent"], tail["date"])


def _header(line: str) -> _Header | None:
    """``NAME (not verified) [PARENT] [DATE]``: the name ends at the first `` (not verified)`` followed by a space."""
    at = line.find(_NOT_VERIFIED)
    while at >= 0:
        header = _header_at(line, at)
        if header:
            return header
        at = line.find(_NOT_VERIFIED, at + 1)
    return None


def _header_after_picture(line: str, name: str) -> _Header | None:
    """``line`` as the header of ``name``'s comment: the same name (case and spacing aside), then the rest."""
    if _NOT_VERIFIED not in line:
        return None
    if line.startswith(name + _NOT_VERIFIED) and (header := _header_at(line, len(name))):
        return header  # exactly the picture's name, even one containing " (not verified)" itself
    header = _header(line)
    return header if header and _name_key(header.name) == _name_key(name) else None


def _paragraphs(lines: list[str]) -> list[str]:
    """Group stripped lines into paragraphs: runs of non-blank lines, joined by newlines."""
    out: list[str] = []
    run: list[str] = []
    for line in lines:
        if line:
            run.append(line)
        elif run:
            out.append("\n".join(run))
            run = []
    if run:
        out.append("\n".join(run))
    return out


class _QuoteIndex:
    """Earlier comments' normalised text, to find the latest one containing a passage, in linear time overall.

    A passage of 3+ words occurs in a text only at word boundaries: its first and last words may be parts of
    words there, but every word between them is a whole word with the same neighbours' edges. So each word of
    a comment that has words on both sides is keyed with the last character of the word before and the first
    of the word after (``("e", "little", "w")``, narrow). Keys are hashed into a fixed table of buckets; each
    bucket keeps a linked list (newest first) of the comments with such a key. Every key a passage can compute
    is in every comment containing it, so the comments in the bucket of the passage's rarest key are the only
    candidates, each verified by a plain substring test, newest first.

    A narrow bucket can grow crowded (a small vocabulary, a common phrase). Once it holds CROWD comments, each
    later comment with that key also gets a wide key, three characters on each side (``("one", "little",
    "wor")``) where both neighbours are that long. A passage whose narrow bucket is crowded and which can compute
    the wide key looks among the wide bucket's comments and the narrow bucket's first CROWD (from
    ``_crowd_start``), and takes the later of the two finds. Only crowded keys pay for a second key: on threads
    like real ones (many distinct words) that is few of them, and keying every word twice was half of the parse.
    """

    WIDE = 3
    CROWD = 8

    def __init__(self, size_hint: int = 0) -> None:
        bits = min(22, max(10, (size_hint // 8).bit_length()))  # about one bucket per word of text
        self._mask = (1 << bits) - 1
        self._head = array("i", [-1]) * (1 << bits)  # bucket -> newest entry
        self._count = array("i", [0]) * (1 << bits)  # bucket -> number of comments in it
        self._crowd_start: dict[int, int] = {}  # crowded bucket -> its CROWD-th entry (the newest of its first CROWD)
        self._entry_comment = array("i")  # entry -> index into _texts
        self._entry_next = array("i")  # entry -> older entry of the same bucket
        self._texts: list[str] = []
        self._numbers: list[int] = []

    def add(self, number: int, text: str) -> None:
        index = len(self._texts)
        self._texts.append(text)
        self._numbers.append(number)
        head, count, older = self._head, self._count, self._entry_next
        words = text.split(" ")
        mask, wide, crowd = self._mask, self.WIDE, self.CROWD
        buckets: set[int] = set()
        put = buckets.add
        for a, b, c in zip(words, words[1:], words[2:], strict=False):
            narrow = hash((a[-1], b, c[0])) & mask
            put(narrow)
            if count[narrow] >= crowd and len(a) >= wide <= len(c):
                put(hash((a[-wide:], b, c[:wide])) & mask)
        entry = len(older)
        self._entry_comment.extend(array("i", [index]) * len(buckets))
        for bucket in buckets:
            older.append(head[bucket])
            head[bucket] = entry
            count[bucket] += 1
            if count[bucket] == crowd:
                self._crowd_start[bucket] = entry
            entry += 1

    def _walk(self, entry: int, needle: str, limit: int = -1) -> int:
        """The newest comment (index into _texts) containing ``needle`` along a bucket's list from ``entry``,
        looking at ``limit`` entries at most (-1: all), or -1."""
        texts, comment, older = self._texts, self._entry_comment, self._entry_next
        while entry >= 0 and limit:
            index = comment[entry]
            if needle in texts[index]:
                return index
            entry = older[entry]
            limit -= 1
        return -1

    def latest_containing(self, needle: str) -> int | None:
        """The number of the latest comment whose text contains ``needle``: 3+ words, single spaces, no space at
        either end (a passage normalised and stripped).

        Keys are computed one by one, so most passages that are not quotes (each paragraph of a comment is tried
        as one) stop at their first key no comment has."""
        words = needle.split(" ")
        mask, wide, crowd, count = self._mask, self.WIDE, self.CROWD, self._count
        fewest, best, early = 1 << 62, -1, -1  # early: a crowded narrow bucket, whose first CROWD go with best
        for a, b, c in zip(words, words[1:], words[2:], strict=False):
            narrow = hash((a[-1], b, c[0])) & mask
            seen = count[narrow]
            if not seen:
                return None
            if seen > crowd and len(a) >= wide <= len(c):
                bucket = hash((a[-wide:], b, c[:wide])) & mask
                if count[bucket] + crowd < fewest:
                    fewest, best, early = count[bucket] + crowd, bucket, narrow
            elif seen < fewest:
                fewest, best, early = seen, narrow, -1
        if best < 0:
            return None
        found = self._walk(self._head[best], needle)
        if early >= 0:
            found = max(found, self._walk(self._crowd_start[early], needle, crowd))
        return self._numbers[found] if found >= 0 else None


class _NameIndex:
    """Earlier commenters' name keys, for @-mentions: the longest whole name a mention starts with.

    A name matches when the mention's text starts with it and the next character is not a letter or digit, i.e.
    when the name's tokens (:data:`_NAME_TOKEN`) are the first tokens of the mention. Each name's token path is
    kept as a chain of hashes, so a mention is walked token by token, never compared with every name."""

    def __init__(self) -> None:
        self.latest: dict[str, int] = {}  # name key -> its author's latest comment
        self._paths: set[int] = set()  # hash chains of every name's first 1, 2, ... tokens
        self._names: set[int] = set()  # hash chains of whole names

    def add(self, key: str, number: int) -> None:
        if key not in self.latest:
            chain = 0
            for token in _NAME_TOKEN.findall(key):
                chain = hash((chain, token))
                self._paths.add(chain)
            self._names.add(chain)
        self.latest[key] = number

    def longest_prefix(self, text: str) -> int | None:
        """The latest comment of the longest known name that ``text`` (a name key) starts with, as a whole name."""
        chain = 0
        ends: list[int] = []
        for token in _NAME_TOKEN.finditer(text):
            chain = hash((chain, token[0]))
            if chain not in self._paths:
                break
            end = token.end()
            if chain in self._names and (end == len(text) or not text[end].isalnum()):
                ends.append(end)
        for end in reversed(ends):  # verified, in case two token chains ever hash alike
            number = self.latest.get(text[:end])
            if number is not None:
                return number
        return None


class _Replies:
    """What earlier comments said, indexed so each new comment's parent is found in time linear overall."""

    def __init__(self, size_hint: int = 0) -> None:
        self._quotes = _QuoteIndex(size_hint)
        self._names = _NameIndex()
        self.author_of: dict[int, str] = {}

    def add(self, comment: Comment, normalised_paragraphs: list[str]) -> None:
        self._names.add(_name_key(comment.author), comment.number)
        self.author_of[comment.number] = comment.author
        self._quotes.add(comment.number, " ".join(normalised_paragraphs))

    def by_author(self, name: str) -> int | None:
        return self._names.latest.get(_name_key(name))

    def quoted(self, normalised_passage: str) -> int | None:
        """The latest earlier comment whose text contains the passage, if it is long enough to be a quote."""
        needle = normalised_passage.strip(_QUOTE_WRAPPERS)
        if len(needle) < MIN_QUOTE_CHARS or needle.count(" ") + 1 < MIN_QUOTE_WORDS:
            return None
        return self._quotes.latest_containing(needle)

    def mentioned(self, first_paragraph: str) -> int | None:
        match = _MENTION.match(first_paragraph)
        return self._names.longest_prefix(_name_key(match["rest"])) if match else None


@dataclass(slots=True)
class _RawComment:
    author: str
    header: _Header | None
    lines: list[str]


def _split(lines: list[str]) -> tuple[list[str], list[_RawComment]]:
    """Split stripped lines into the article's lines and each comment's raw lines."""
    article: list[str] = []
    comments: list[_RawComment] = []
    opening: list[str] = []  # the article's first non-blank lines, while a caption may still come
    caption_possible = True
    i = 0
    while i < len(lines):
        line = lines[i]
        name = _picture_name(line)
        if name is not None:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            header = _header_after_picture(nxt, name)
            if header is None and caption_possible and _only_title_so_far(opening):
                article.append(line)  # the article author's picture (Drupal's byline photo): article text
                caption_possible = False
            else:
                if header is not None:
                    i += 1
                comments.append(_RawComment(name, header, []))
        elif "(not verified)" in line and (header := _header(line)) and header.date:
            # Variant: a dated header with no picture line before it still opens a comment.
            comments.append(_RawComment(header.name, header, []))
        elif comments:
            comments[-1].lines.append(line)
        else:
            article.append(line)
            if line and caption_possible:
                opening.append(line)
                caption_possible = len(opening) <= 2
        if comments:
            caption_possible = False
        i += 1
    return article, comments


def _only_title_so_far(opening: list[str]) -> bool:
    """Whether the article has shown only its title, and maybe a byline, so far."""
    return len(opening) == 1 or (len(opening) == 2 and bool(_BYLINE.match(opening[1])))


def parse_thread(text: str, source: str = "<text>") -> Thread:
    """Parse a thread file's text. Raises :class:`ThreadFileError` when there is no title to be found."""
    text = text.removeprefix("\ufeff")
    lines = [line.strip() for line in _LINE_BREAK.split(text)]
    article_lines, raw_comments = _split(lines)

    article = _paragraphs(article_lines)
    if not article:
        raise ThreadFileError(source, "no article title before the first comment")
    title, _, rest = article[0].partition("\n")
    body = [rest, *article[1:]] if rest else article[1:]
    byline = None
    if body and _is_byline(body[0]):
        byline, body = body[0], body[1:]
    elif len(body) > 1 and "\n" not in body[0] and _picture_name(body[0]) is not None and _is_byline(body[1]):
        byline, body = body[1], [body[0], *body[2:]]  # the author's picture, then "By ...": keep both

    replies = _Replies(len(text))
    comments: list[Comment] = []
    bad_dates: list[str] = []
    for number, raw in enumerate(raw_comments, start=1):
        comment, normalised = _build_comment(number, raw, replies)
        if raw.header and raw.header.date and comment.posted_at is None:
            bad_dates.append(f"comment {number} by {_one_line(comment.author, 40)!r}: no such time "
                             f"{_one_line(raw.header.date, 40)!r}, so no timestamp")
        replies.add(comment, normalised)
        comments.append(comment)
    where = _one_line(source)
    warnings = [f"{where}: {w}" for w in bad_dates[:MAX_WARNINGS]]
    if len(bad_dates) > MAX_WARNINGS:
        warnings.append(f"{where}: {len(bad_dates) - MAX_WARNINGS:,} more comments with no such time")
    return Thread(title=title, byline=byline, article=tuple(body), comments=tuple(comments),
                  warnings=tuple(warnings))


def _is_byline(paragraph: str) -> bool:
    return "\n" not in paragraph and bool(_BYLINE.match(paragraph))


def _build_comment(number: int, raw: _RawComment, replies: _Replies) -> tuple[Comment, list[str]]:
    """The comment, and its paragraphs normalised (computed once, for quote matching now and later)."""
    paragraphs = _paragraphs(raw.lines)
    normalised = [_normalise(p) for p in paragraphs]
    blocks: list[Block] = []
    quoted_parent: int | None = None
    for paragraph, norm in zip(paragraphs, normalised, strict=True):
        parent = replies.quoted(norm)
        if parent is not None:
            blocks.append(Block(paragraph, quote=True))
        else:
            blocks.append(Block(paragraph))
            # A quoted passage inside the paragraph ("..." or **...**) still says whom it answers.
            if '"' in norm or "**" in norm:
                for match in _INLINE_QUOTE.finditer(norm):
                    parent = replies.quoted(match[1] or match[2])
                    if parent is not None:
                        break
        if quoted_parent is None:
            quoted_parent = parent

    reply_to: int | None = None
    reply_author: str | None = None
    source: ReplySource | None = None
    header = raw.header
    if header and header.parent:
        # The parent's latest comment before this one; a parent with none in the file (a deleted comment)
        # keeps its name with no number.
        source, reply_author = "header", header.parent
        reply_to = replies.by_author(reply_author)
    elif quoted_parent is not None:
        source, reply_to = "quote", quoted_parent
    elif paragraphs and (mentioned := replies.mentioned(paragraphs[0])) is not None:
        source, reply_to = "mention", mentioned
    if reply_to is not None and source != "header":
        reply_author = replies.author_of[reply_to]
    comment = Comment(
        number=number,
        author=raw.author,
        verified=header is None,
        posted_at=_parse_date(header.date) if header else None,
        reply_to=reply_to,
        reply_to_author=reply_author,
        reply_source=source,
        body=tuple(blocks),
    )
    return comment, normalised


def header_needs_placeholder_date(parent: str) -> bool:
    """Whether a header's parent name ends in what reads as a date: exported with no date after it, the parent
    would lose that end to the date slot (see :func:`bot.core.export.export_thread`)."""
    return bool(_ENDS_IN_DATE.search(parent))
