"""Parse scraped thread files (an article followed by its comments) into :class:`~bot.core.model.Thread`.

The format, as scraped from news sites::

    Title line
    article paragraphs, separated by blank lines...

    NAME's picture                      <- opens a comment (verified commenter)
    comment paragraphs...

    NAME's picture
    NAME (not verified) [PARENT] Feb 15, 2017 2:17 PM   <- unverified commenters get a header line
    comment paragraphs...

Every line that is not one of those two structural markers ends up exactly once in the result (title, byline,
article, or a comment's quote/paragraph blocks): the parser never drops or duplicates text.

Pure code: no I/O here except :func:`load_thread_file`, which reads one file.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.model import Block, Comment, ReplySource, Thread

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Shortest paragraph (after normalisation) that may count as a quote: shorter repeats ("LOL", "Exactly.")
# are coincidences far more often than quotations.
MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 3
_MAX_NAME = 80

_PICTURE = re.compile(r"^(?P<name>\S.*?)(?:'s|’s|'|’) picture$")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?P<date>{_MONTH} \d{{1,2}},? \d{{4}},? \d{{1,2}}:\d{{2}} ?[AaPp]\.?[Mm]\.?)"
_HEADER = re.compile(rf"^(?P<name>.+?) \(not verified\)(?: (?P<parent>.+?))??(?: {_DATE})?$")
_BYLINE = re.compile(r"^(?:by|written by|authored by|submitted by|posted by)\s+\S.{0,118}$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MENTION = re.compile(r"^@\s?(?P<rest>\S.*)", re.DOTALL)
_INLINE_QUOTE = re.compile(r'"([^"]+)"|\*\*(.+?)\*\*')
_SPACES = re.compile(r"\s+")
_QUOTE_WRAPPERS = " \t\"'*.…_>"
_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})


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


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; keep them as their Latin-1 characters rather than dropping them.
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("rethread-latin1", _latin1_fallback)


def decode_thread_bytes(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to text: UTF-8 (BOM or not), else Windows-1252 with a warning. Rejects empty and binary files."""
    if not data.strip(b" \t\r\n\x0b\x0c\xef\xbb\xbf"):
        raise ThreadFileError(source, "the file is empty")
    head = data[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) // 20:
        raise ThreadFileError(source, "this looks like a binary file, not a text thread file")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = data.decode("cp1252", errors="rethread-latin1")
        warnings.append(f"{source}: not valid UTF-8 (byte {exc.start}); read as Windows-1252")
    return text, warnings


def load_thread_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedFile:
    """Read and parse one thread file. Every failure is a :class:`ThreadFileError` naming the file."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ThreadFileError(source, f"the file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
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
    return LoadedFile(path=path, thread=thread, sha256=hashlib.sha256(data).hexdigest())


def _normalise(text: str) -> str:
    """The form in which quotes are compared: straight quotes, single spaces, lower case."""
    return " ".join(text.translate(_CURLY).split()).lower()


def _name_key(name: str) -> str:
    return _SPACES.sub(" ", name.replace("\u00a0", " ")).strip().casefold()


def _picture_name(line: str) -> str | None:
    if not line.endswith(" picture"):  # cheap test first: this runs on every line of every file
        return None
    match = _PICTURE.match(line)
    if not match:
        return None
    name = match["name"].rstrip()
    # Guard against article sentences that happen to end in "'s picture".
    if len(name) > _MAX_NAME or ". " in name or len(name.split()) > 8:
        return None
    return name


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), start=1)}
_DATE_PARTS = re.compile(r"([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4}),? (\d{1,2}):(\d{2}) ?([AaPp])")


def _parse_date(text: str | None) -> datetime | None:
    """``Feb 15, 2017 2:17 PM`` and its variants (full or dotted month, ``p.m.``) as a naive datetime."""
    match = _DATE_PARTS.match(text) if text else None
    if not match:
        return None
    month, day, year, hour, minute, half = match.groups()
    hour = int(hour) % 12 + (12 if half in "Pp" else 0)
    try:
        return datetime(int(year), _MONTHS[month.lower()], int(day), hour, int(minute))
    except (KeyError, ValueError):  # "Feb 31" and the like: keep the header, drop the impossible date
        return None


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


class _Replies:
    """What earlier comments said, indexed so each new comment's parent can be found quickly."""

    def __init__(self) -> None:
        self.latest_by_author: dict[str, int] = {}
        self._hay = ""  # every earlier comment's normalised text, "\0"-separated, in file order
        self._starts: list[int] = []
        self._numbers: list[int] = []
        self.author_of: dict[int, str] = {}

    def add(self, comment: Comment, normalised_paragraphs: list[str]) -> None:
        key = _name_key(comment.author)
        self.latest_by_author[key] = comment.number
        self.author_of[comment.number] = comment.author
        self._starts.append(len(self._hay))
        self._numbers.append(comment.number)
        self._hay += " ".join(normalised_paragraphs) + "\0"

    def by_author(self, name: str) -> int | None:
        return self.latest_by_author.get(_name_key(name))

    def quoted(self, normalised_passage: str) -> int | None:
        """The latest earlier comment whose text contains the passage, if it is long enough to be a quote."""
        needle = normalised_passage.strip(_QUOTE_WRAPPERS)
        if len(needle) < MIN_QUOTE_CHARS or needle.count(" ") + 1 < MIN_QUOTE_WORDS:
            return None
        at = self._hay.rfind(needle)
        if at < 0:
            return None
        return self._numbers[bisect_right(self._starts, at) - 1]

    def mentioned(self, first_paragraph: str) -> int | None:
        match = _MENTION.match(first_paragraph)
        if not match:
            return None
        rest = _name_key(match["rest"])
        best: str | None = None
        for key in self.latest_by_author:
            whole_name = rest.startswith(key) and (len(rest) == len(key) or not rest[len(key)].isalnum())
            if whole_name and (best is None or len(key) > len(best)):
                best = key
        return self.latest_by_author[best] if best else None


@dataclass(slots=True)
class _RawComment:
    author: str
    header: re.Match[str] | None
    lines: list[str]


def _split(lines: list[str]) -> tuple[list[str], list[_RawComment]]:
    """Split stripped lines into the article's lines and each comment's raw lines."""
    article: list[str] = []
    comments: list[_RawComment] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        name = _picture_name(line)
        if name is not None:
            header = None
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            match = _HEADER.match(nxt) if "(not verified)" in nxt else None
            if match and _name_key(match["name"]) == _name_key(name):
                header = match
                i += 1
            comments.append(_RawComment(name, header, []))
        elif "(not verified)" in line and (match := _HEADER.match(line)) and match["date"]:
            # Variant: a dated header with no picture line before it still opens a comment.
            comments.append(_RawComment(match["name"], match, []))
        elif comments:
            comments[-1].lines.append(line)
        else:
            article.append(line)
        i += 1
    return article, comments


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
    if body and "\n" not in body[0] and _BYLINE.match(body[0]):
        byline, body = body[0], body[1:]

    replies = _Replies()
    comments: list[Comment] = []
    for number, raw in enumerate(raw_comments, start=1):
        comment, normalised = _build_comment(number, raw, replies)
        replies.add(comment, normalised)
        comments.append(comment)
    return Thread(title=title, byline=byline, article=tuple(body), comments=tuple(comments))


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
    if header and header["parent"]:
        source, reply_author = "header", header["parent"]
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
        posted_at=_parse_date(header["date"]) if header else None,
        reply_to=reply_to,
        reply_to_author=reply_author,
        reply_source=source,
        body=tuple(blocks),
    )
    return comment, normalised
