"""Pacing and the per-channel send budget, as plain code."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.budget import BudgetSpec, ChannelBudget
from bot.core.model import Block, Comment
from bot.core.pacing import Pace, PaceError, parse_pace, stored_pace


def comment(number: int, words: int = 10, at: datetime | None = None) -> Comment:
    return Comment(number, "A", at is None, at, None, None, None, (Block(" ".join(["word"] * words)),))


@pytest.mark.parametrize(("text", "pace"), [
    ("6", Pace("fixed", seconds=6)), ("0", Pace("fixed", seconds=0)), ("2.5s", Pace("fixed", seconds=2.5)),
    ("Reading", Pace("reading")), ("manual", Pace("manual")), ("original", Pace("original", speedup=60)),
    ("original:120", Pace("original", speedup=120)),
])
def test_parse_pace(text, pace):
    assert parse_pace(text) == pace
    assert parse_pace(str(pace)) == pace  # what is stored reads back the same


@pytest.mark.parametrize("text", ["fast", "-1", "99999", "original:0", ""])
def test_bad_paces_say_what_is_allowed(text):
    with pytest.raises(PaceError):
        parse_pace(text)


def test_delays():
    t0 = datetime(2017, 2, 15, 14, 0)
    first, second = comment(1, at=t0), comment(2, words=400, at=t0 + timedelta(minutes=30))
    assert parse_pace("6").delay(first, None) == 0 and parse_pace("6").delay(second, first) == 6
    assert parse_pace("reading").delay(comment(3), second) == 90  # 400 words, capped at 90 s
    assert parse_pace("reading").delay(second, first) == 2.5  # 10 words at 4 words/s
    assert parse_pace("original").delay(second, first) == 30  # 30 minutes at 60x
    assert parse_pace("original").delay(comment(3), comment(2)) == 6  # no timestamps: the default gap
    assert parse_pace("manual").delay(second, first) is None


def test_budget_spec():
    assert BudgetSpec.parse("30/60") == BudgetSpec(30, 60.0)
    assert BudgetSpec.parse(" 5 / 2.5s ") == BudgetSpec(5, 2.5)
    for bad in ("30", "0/60", "30/0", "a/b"):
        with pytest.raises(ValueError, match="30/60"):
            BudgetSpec.parse(bad)


async def test_budget_counts_from_each_answer():
    now = [0.0]
    budget = ChannelBudget(BudgetSpec(3, 10.0), clock=lambda: now[0])
    for _ in range(3):
        async with budget.slot():
            now[0] += 0.5  # each answer takes half a second
    assert budget.wait_needed() == pytest.approx(0.5 + 10 - 1.5)  # the first answer came at 0.5
    now[0] = 10.49
    assert budget.wait_needed() > 0
    now[0] = 10.5
    assert budget.wait_needed() == 0


async def test_budget_holds_a_slot_while_in_flight():
    budget = ChannelBudget(BudgetSpec(1, 0.05))
    order = []

    async def send(name: str):
        async with budget.slot():
            order.append(f"{name} start")
            await asyncio.sleep(0.02)
            order.append(f"{name} end")

    await asyncio.gather(send("a"), send("b"))
    assert order == ["a start", "a end", "b start", "b end"]


@pytest.mark.parametrize(("text", "stored"), [
    ("0.00001", "0"), ("1e-05", "0"), ("2.5e1", "25"), ("0.0006", "0.001"), ("3600", "3600"), ("7.", "7"),
    (".5", "0.5"), ("original:1", "original:1"), ("original: 10000", "original:10000"),
    ("ORIGINAL x 2.25", "original:2.25"),
])
def test_paces_are_stored_in_a_form_that_reads_back(text, stored):
    assert str(parse_pace(text)) == stored
    assert parse_pace(stored) == parse_pace(text)


@pytest.mark.parametrize("text", ["inf", "nan", "3600.1", "1e9", "original:0.5", "original:10001", "original:inf",
                                  "original:1e9", "- 1", "0x10"])
def test_paces_out_of_range_are_refused(text):
    with pytest.raises(PaceError):
        parse_pace(text)


@given(st.one_of(st.floats(min_value=0, max_value=3600, allow_nan=False),
                 st.floats(min_value=1, max_value=10_000).map(lambda f: f"original:{f!r}")))
def test_every_accepted_pace_round_trips(value):
    text = value if isinstance(value, str) else repr(value)
    pace = parse_pace(text)
    assert parse_pace(str(pace)) == pace
    assert "e" not in str(pace).replace("original", "")


@pytest.mark.parametrize(("stored", "read"), [
    ("original:0.5", "original:1"), ("original:99999", "original:10000"), ("99999", "3600"), ("6", "6"),
    ("whenever", "6"),
])
def test_paces_stored_by_older_versions_read_back_within_bounds(stored, read):
    assert str(stored_pace(stored)) == read
