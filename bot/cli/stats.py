"""``rethread stats``: what the database holds, for an operator (or a monitoring script, with ``--json``)."""

from __future__ import annotations

import dataclasses
import json
from functools import partial

import click

from bot.cli.common import load_settings, opened_store, out, run_async
from bot.cli.terminal import plain
from db.operator_stats import operator_stats

say = partial(out.print, soft_wrap=True)  # one line per figure, whatever the terminal's width


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def _states(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {state}" for state, n in counts.items())


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@run_async
async def stats(as_json: bool) -> None:
    """Guilds, threads, replays, polls, discussions and the database's size."""
    settings = load_settings()
    async with opened_store(settings) as store:
        figures = await operator_stats(store.conn, settings.db_path)
    if as_json:
        click.echo(json.dumps({"database": str(settings.db_path), **dataclasses.asdict(figures)}))
        return
    say(f"database: {plain(settings.db_path)}, {_size(figures.database_bytes)} "
              f"(+ {_size(figures.wal_bytes)} write-ahead log)")
    say(f"guilds: {figures.guilds:,}")
    say(f"threads: {figures.threads:,} ({figures.revisions:,} revisions, {figures.comments:,} comments)")
    say(f"replays: {_states(figures.replays)}")
    say(f"polls: {figures.polls_open:,} open, {figures.polls_ended:,} ended; {figures.votes:,} votes")
    say(f"discussions: {_states(figures.discussions)}; {figures.captured_comments:,} captured comments")
