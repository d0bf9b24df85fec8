"""What people type into a search box, as safe FTS5 queries; and snippets as plain text with highlighted spans.

By default every word and every ``"double-quoted phrase"`` is looked for literally, all of them required, in
any order: FTS5's operators (``AND``, ``NEAR(``, ``-``, ``*``, ``:``, parentheses) are just words or ignored
punctuation, so no input is a syntax error. A trailing ``*`` on a word keeps its meaning: any word starting with
it. Terms in scripts written without spaces (CJK, Thai, ...) are found as substrings (see ``comments_cjk``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from db.folding import needs_substring

# Marks around the matches in FTS5 snippets (private-use characters: no thread text is expected to hold them).
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
_MARKS = re.compile(f"{MARK_OPEN}(.*?){MARK_CLOSE}", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TOKENS = re.compile(r'"([^"]*)"|([^\s"]+)')
_SPACES = re.compile(r"\s+")

Snippet = tuple[tuple[str, bool], ...]  # (text, highlighted) pieces, in order


class SearchSyntaxError(ValueError):
    """An advanced (raw FTS5) query that SQLite cannot read; the message says why."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False  # ``word*``: any word that starts with it

    @property
    def substring(self) -> bool:
        """Found anywhere inside the text (a script written without spaces), not as whole words."""
        return needs_substring(self.text)


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def parse_query(text: str) -> list[Term]:
    """Words and ``"phrases"`` of ``text``; pieces with no letter or digit (``*``, ``-``, ``"``) are dropped."""
    terms = []
    for match in _TOKENS.finditer(_CONTROL.sub(" ", text)):
        phrase, word = match[1], match[2]
        if phrase is not None:
            cleaned = _SPACES.sub(" ", phrase).strip()
            if _has_word(cleaned):
                terms.append(Term(cleaned))
            continue
        prefix = word.endswith("*") and _has_word(word)
        word = word.rstrip("*") if prefix else word
        if _has_word(word):
            terms.append(Term(word, prefix=prefix and not needs_substring(word)))
    return terms


def fts_string(text: str) -> str:
    """``text`` as one FTS5 string (a phrase of its tokens): nothing in it is an operator."""
    return '"' + text.replace('"', '""') + '"'


def words_query(terms: list[Term]) -> str:
    """The FTS5 query requiring every term (implicit AND)."""
    return " ".join(fts_string(t.text) + ("*" if t.prefix else "") for t in terms)


def flatten(text: str) -> str:
    """One line: every run of whitespace (newlines between paragraphs included) becomes one space."""
    return _SPACES.sub(" ", text).strip()


def marked_snippet(marked: str) -> Snippet:
    """An FTS5 ``snippet()`` made with :data:`MARK_OPEN`/:data:`MARK_CLOSE` as (text, highlighted) pieces."""
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for match in _MARKS.finditer(marked):
        if match.start() > pos:
            pieces.append((marked[pos : match.start()], False))
        pieces.append((match[1], True))
        pos = match.end()
    if pos < len(marked):
        pieces.append((marked[pos:], False))
    return _tidy(pieces)


def substring_snippet(text: str, needles: list[str], width: int = 120) -> Snippet:
    """A window of ``text`` around the first of ``needles`` (case-insensitive), each occurrence highlighted."""
    text = flatten(text)
    needles = [n for n in needles if n]
    if not needles:
        return _tidy([(text[:width] + ("…" if len(text) > width else ""), False)])
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 3)
    end = min(len(text), start + width)
    window = text[start:end]
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    pos = 0
    for match in pattern.finditer(window):
        pieces.append((window[pos : match.start()], False))
        pieces.append((match[0], True))
        pos = match.end()
    pieces.append((window[pos:], False))
    if end < len(text):
        pieces.append(("…", False))
    return _tidy(pieces)


def _tidy(pieces: list[tuple[str, bool]]) -> Snippet:
    """Whitespace flattened, empty pieces dropped, neighbours of the same kind joined."""
    out: list[tuple[str, bool]] = []
    for text, marked in pieces:
        text = _SPACES.sub(" ", text)
        if not text:
            continue
        if out and out[-1][1] == marked:
            out[-1] = (out[-1][0] + text, marked)
        else:
            out.append((text, marked))
    if out:
        out[0] = (out[0][0].lstrip(), out[0][1])
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return tuple((text, marked) for text, marked in out if text)


# -- the SQL ----------------------------------------------------------------------------------------------------------

# Matches counted up to this many ("10,000+"), and ranked by bm25 among the newest this many: ranking every match of
# a common word cost 0.2 s at 400,000 comments (bm25 for 235,000 rows), the newest 5,000 15 ms, 2,000 6 ms.
COUNT_CAP = 10_000
RANK_WITHIN = 2_000


@dataclass(frozen=True, slots=True)
class SearchSource:
    """One kind of searchable text, described to :class:`SearchQuery`: its FTS5 table (for words), the rows shown
    (``rows``: tables and joins yielding only searchable rows) with the SQL of what a hit shows, and optionally a
    trigram table over the same ids for the scripts written without spaces. Sources are queried as one UNION ALL,
    so another kind of text (captured discussion comments, say) is one more SearchSource."""

    name: str
    fts: str
    rows: str
    id: str  # the FTS table's rowid
    thread_id: str
    number: str
    author: str
    text: str
    substring_table: str | None = None


COMMENTS = SearchSource(
    name="comment", fts="comments_fts", rows="comments c JOIN threads t ON t.current_revision_id = c.revision_id",
    id="c.id", thread_id="t.id", number="c.number", author="c.author", text="c.text", substring_table="comments_cjk")
CAPTURED = "captured"  # the source name of comments members wrote in discussions


def comment_source(thread_id: int | None = None) -> SearchSource:
    """The imported comments: of every thread, or of one."""
    if thread_id is None:
        return COMMENTS
    return dataclasses.replace(COMMENTS, rows=f"{COMMENTS.rows} AND t.id = {int(thread_id)}")


def captured_source(guild_id: int, thread_id: int | None = None) -> SearchSource:
    """What members wrote in one guild's discussions (another guild's are never found): of every thread, or of
    one. (Numbers only are written into the SQL.)"""
    rows = f"discussion_comments dc JOIN discussions d ON d.id = dc.discussion_id AND d.guild_id = {int(guild_id)}"
    if thread_id is not None:
        rows += f" AND d.thread_id = {int(thread_id)}"
    return SearchSource(name=CAPTURED, fts="discussion_comments_fts", rows=rows, id="dc.id", thread_id="d.thread_id",
                        number="dc.number", author="dc.author", text="dc.text")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search as SQL over one or more sources: ``words`` is an FTS5 query (empty: none), ``substrings`` are
    found inside the text (see :attr:`Term.substring`). Every row found matches all of them."""

    words: str
    substrings: tuple[str, ...] = ()
    sources: tuple[SearchSource, ...] = (COMMENTS,)

    def _where(self, source: SearchSource) -> tuple[str, list[Any]]:
        """`` FROM ... WHERE ...`` of the source's matching rows, and its parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        tables = source.rows
        if self.words:
            tables = f"{source.fts} JOIN {source.rows}"
            conditions += [f"{source.fts} MATCH ?", f"{source.id} = {source.fts}.rowid"]
            params.append(self.words)
        table = source.substring_table
        long = [text for text in self.substrings if len(text) >= 3]
        if long and table:  # its trigram index, for three characters or more
            conditions.append(f"{source.id} IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)")
            params.append(" ".join(fts_string(text) for text in long))
        for text in self.substrings:
            if not table:
                conditions.append(f"(instr({source.text}, ?) > 0 OR instr({source.author}, ?) > 0)")
                params += [text, text]
            elif len(text) < 3:  # a scan of the (small) trigram table
                conditions.append(f"{source.id} IN (SELECT rowid FROM {table} WHERE instr(text, ?) > 0"
                                  " OR instr(author, ?) > 0)")
                params += [text, text]
        return f" FROM {tables} WHERE " + " AND ".join(conditions or ["1"]), params

    def count(self, cap: int = COUNT_CAP) -> tuple[str, list[Any]]:
        """SQL for how many rows match, counting no further than ``cap``."""
        parts, params = [], []
        for source in self.sources:
            where, more = self._where(source)
            parts.append(f"SELECT 1{where}")
            params += more
        return f"SELECT COUNT(*) FROM ({' UNION ALL '.join(parts)} LIMIT ?)", [*params, cap]

    def top(self, limit: int, rank_within: int = RANK_WITHIN) -> tuple[str, list[Any]]:
        """SQL for the hits to show, as (source, id, thread_id, number, author, text): with words, the best by
        bm25 among each source's newest ``rank_within`` matches (text NULL: see :meth:`snippets`); with
        substrings only, the newest."""
        parts, params = [], []
        for source in self.sources:
            where, more = self._where(source)
            score, text = (f"bm25({source.fts})", "NULL") if self.words else (f"-{source.id}", source.text)
            newest = f"{source.fts}.rowid" if self.words else source.id  # FTS5 reads its rowids backwards cheaply
            parts.append(f"SELECT * FROM (SELECT '{source.name}' AS source, {source.id} AS id,"
                         f" {source.thread_id} AS thread_id, {source.number} AS number, {source.author} AS author,"
                         f" {text} AS text, {score} AS score{where} ORDER BY {newest} DESC LIMIT ?)")
            params += [*more, rank_within if self.words else limit]
        return (f"SELECT source, id, thread_id, number, author, text FROM ({' UNION ALL '.join(parts)})"
                " ORDER BY score LIMIT ?", [*params, limit])

    def snippets(self, source: SearchSource, ids: list[int]) -> tuple[str, list[Any]]:
        """SQL for (id, FTS5 snippet with :data:`MARK_OPEN`/:data:`MARK_CLOSE` around the matches) of some hits."""
        marks = ", ".join("?" * len(ids))
        return (f"SELECT rowid, snippet({source.fts}, -1, ?, ?, '…', 16) FROM {source.fts}"
                f" WHERE {source.fts} MATCH ? AND rowid IN ({marks})", [MARK_OPEN, MARK_CLOSE, self.words, *ids])
