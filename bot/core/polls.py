"""Polls about a thread's comments, as plain data that always meets Discord's poll rules: a question of at most
300 characters, 1 to 10 answers of at most 55, a duration of 1 to 768 whole hours. Text that is too long is
shortened at a word boundary with an ellipsis, so Discord never refuses a poll the bot composed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.core.limits import MESSAGE_CONTENT
from bot.core.text import defuse_mentions, escape_markdown, one_line, shorten

QUESTION_LIMIT = 300
ANSWER_LIMIT = 55
MAX_ANSWERS = 10
MIN_HOURS, MAX_HOURS, DEFAULT_HOURS = 1, 768, 24
QUOTE_LIMIT = 1200  # the comment quoted above a "Do you agree" poll

AGREEMENT = ("Agree", "Disagree", "Not sure")


class PollKind(StrEnum):
    COMMENT = "comment"  # "Do you agree with NAME?"
    BEST = "best"  # "Which comment made the best point?"
    ASK = "ask"  # a question a member wrote


class PollError(ValueError):
    """A poll that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True, slots=True)
class PollSpec:
    """What the bot sends: fits Discord's rules by construction (see :func:`make_poll`)."""

    question: str
    answers: tuple[str, ...]
    hours: int
    multiple: bool
    content: str | None = None  # the message text above the poll (a quoted comment)


def make_poll(question: str, answers: Iterable[str], *, hours: int = DEFAULT_HOURS, multiple: bool = False,
              content: str | None = None) -> PollSpec:
    """A poll within Discord's limits: texts shortened, answers 1 to 10 (blank ones dropped), hours 1 to 768."""
    fitted = tuple(shorten(one_line(a), ANSWER_LIMIT) for a in answers if one_line(a))
    if not fitted:
        raise PollError("a poll needs at least one answer")
    if len(fitted) > MAX_ANSWERS:
        raise PollError(f"a poll has at most {MAX_ANSWERS} answers, not {len(fitted)}")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise PollError(f"a poll lasts {MIN_HOURS} to {MAX_HOURS} hours (32 days), not {hours}")
    text = shorten(one_line(question), QUESTION_LIMIT) or "?"
    if content is not None:
        content = shorten(content, MESSAGE_CONTENT)
    return PollSpec(text, fitted, hours, multiple, content)


@dataclass(frozen=True, slots=True)
class CommentRef:
    """A comment as a poll shows it."""

    number: int
    author: str
    text: str


def quote_block(comment: CommentRef, jump_url: str | None = None) -> str:
    """The comment quoted as Discord quotes, with who wrote it and, when it was replayed here, a link to it."""
    words = shorten(comment.text.strip(), QUOTE_LIMIT)
    quoted = "\n".join(f"> {line}" if line else ">" for line in words.split("\n"))
    where = f" ([#{comment.number}]({jump_url}))" if jump_url else f" (#{comment.number})"
    return defuse_mentions(f"**{escape_markdown(one_line(comment.author))}**{where} wrote:\n{quoted}")


def comment_poll(comment: CommentRef, *, jump_url: str | None = None, hours: int = DEFAULT_HOURS,
                 multiple: bool = False) -> PollSpec:
    return make_poll(f"Do you agree with {one_line(comment.author)}?", AGREEMENT, hours=hours, multiple=multiple,
                     content=quote_block(comment, jump_url))


def best_answer(comment: CommentRef) -> str:
    """``#N NAME: first words…``, within the 55 characters of an answer."""
    head = f"#{comment.number} {shorten(one_line(comment.author), 24)}: "
    return head + shorten(one_line(comment.text), ANSWER_LIMIT - len(head))


def best_poll(comments: Sequence[CommentRef], *, hours: int = DEFAULT_HOURS) -> PollSpec:
    if len(comments) < 2:
        raise PollError("a best-comment poll needs at least two comments to choose from")
    return make_poll("Which comment made the best point?", (best_answer(c) for c in comments[:MAX_ANSWERS]),
                     hours=hours)


_SEPARATORS = re.compile(r"\s*;\s*")


def split_answers(text: str) -> list[str]:
    """``Yes; No; Maybe`` → the answers, 2 to 10 of them."""
    answers = [a for a in _SEPARATORS.split(text.strip()) if a]
    if not 2 <= len(answers) <= MAX_ANSWERS:
        raise PollError(f"give 2 to {MAX_ANSWERS} answers separated by semicolons (;), not {len(answers)}")
    return answers


_NUMBERS = re.compile(r"\d+")


def parse_numbers(text: str, last: int) -> list[int]:
    """``3, 8, 12`` → [3, 8, 12]: comment numbers from 1 to ``last``, each once, in the order given."""
    numbers = list(dict.fromkeys(int(n) for n in _NUMBERS.findall(text)))
    if len(numbers) < 2 or len(numbers) > MAX_ANSWERS:
        raise PollError(f"give 2 to {MAX_ANSWERS} comment numbers, such as 3, 8, 12")
    wrong = [n for n in numbers if not 1 <= n <= last]
    if wrong:
        raise PollError(f"this thread's comments are numbered 1 to {last}; there is no {wrong[0]}")
    return numbers


@dataclass(frozen=True, slots=True)
class PollResults:
    answers: tuple[str, ...]
    counts: tuple[int, ...]
    finalized: bool

    @property
    def total(self) -> int:
        return sum(self.counts)


BAR_WIDTH = 16


def results_text(question: str, results: PollResults) -> str:
    """Counts as text, one bar per answer, for members without images (and as the chart's caption)."""
    most = max(results.counts, default=0)
    lines = [f"**{escape_markdown(question)}**"]
    for answer, count in zip(results.answers, results.counts, strict=True):
        filled = round(BAR_WIDTH * count / most) if most else 0
        share = f"{100 * count / results.total:.0f}%" if results.total else "0%"
        lines.append(f"`{'█' * filled}{'░' * (BAR_WIDTH - filled)}` {count} ({share}) · {escape_markdown(answer)}")
    state = "final results" if results.finalized else "so far"
    lines.append(f"-# {results.total} vote{'s' if results.total != 1 else ''}, {state}")
    return shorten("\n".join(lines), MESSAGE_CONTENT)
