"""What people type into a search box, as safe FTS5 queries; and snippets as plain text with highlighted spans.

By default every word and every ``"double-quoted phrase"`` is looked for literally, all of them required, in
any order: FTS5's operators (``AND``, ``NEAR(``, ``-``, ``*``, ``:``, parentheses) are just words or ignored
punctuation, so no input is a syntax error. A trailing ``*`` on a word keeps its meaning: any word starting with
it. Terms in scripts written without spaces (CJK, Thai, ...) are found as substrings (see ``comments_cjk``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
