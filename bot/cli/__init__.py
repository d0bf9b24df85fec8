"""The ``rethread`` command line: import and inspect threads, preview replays, run the bot."""

from __future__ import annotations

import click

from bot.cli import check, database, polls, running, stats, threads


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rethread")
def main() -> None:
    """Rethread: replay a news article's comment thread in Discord, so a community can relive it together.

    Settings come from the environment or a .env file (see .env.example).
    """


for command in (*threads.COMMANDS, database.db, polls.polls, stats.stats, check.check, *running.COMMANDS):
    main.add_command(command)
