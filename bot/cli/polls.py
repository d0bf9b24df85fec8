"""``rethread polls export``: every poll answer with its count, as CSV, for the operator. Counts only: who
voted for what is never shown."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from bot.cli.common import err, load_settings, opened_store, run_async

COLUMNS = ("poll", "thread", "guild", "kind", "question", "answer_id", "answer", "votes", "final")


def spreadsheet_safe(cell: object) -> object:
    """Members wrote the questions and answers: a cell starting with =, +, - or @ would be a spreadsheet formula."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


@click.group()
def polls() -> None:
    """Polls about the threads: export their results."""


@polls.command(name="export")
@click.option("--thread", "thread_id", type=click.IntRange(min=1), help="Only the polls about this thread.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Write the CSV here ('-' for standard output).")
@run_async
async def export_polls(thread_id: int | None, csv_path: Path) -> None:
    """One row per poll answer: the poll, its thread and guild, the answer and its vote count."""
    async with opened_store(load_settings()) as store:
        rows = await store.polls.export_rows(thread_id)
    with click.open_file(str(csv_path), "w", encoding="utf-8") as handle:  # "-" is standard output
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([tuple(spreadsheet_safe(cell) for cell in row) for row in rows])
    if str(csv_path) != "-":
        err.print(f"wrote {len(rows)} answer(s) to {csv_path}")
