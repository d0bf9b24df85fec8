"""``rethread check``: before starting (or after changing .env), is everything in place? The settings, the
database's schema and, with a token, the bot's permissions in every server and the Message Content intent.

Exit status: 0 all good, 1 something is missing (a permission, a channel, the intent), 78 a configuration error
(a bad setting, a rejected token, a database newer than this Rethread). discord.py is loaded only to log in."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

import aiosqlite
import click

from bot.cli.common import CliError, ConfigurationError, err, lock_policy, opened_store, out, run_async
from bot.cli.terminal import plain
from bot.settings import Settings, SettingsError
from db.migrate import Migration, available, current_version
from db.migrate import migrate as apply_migrations
from db.operator_stats import ChannelUse, channels_in_use

say = partial(out.print, soft_wrap=True)  # one line per finding, whatever the terminal's width
OK = "[green]ok[/]"
MISSING = "[red]missing[/]"


class SomethingMissing(click.ClickException):
    """Printed already, line by line; only the exit status is left to give."""

    exit_code = 1

    def show(self, file: object = None) -> None:
        err.print(f"[bold red]not ready:[/] {plain(self.message)}")


def _settings() -> Settings:
    problems: list[str] = []
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        problems += exc.problems
    try:
        lock_policy()
    except ConfigurationError as exc:
        problems.append(exc.message)
    if problems or settings is None:
        for problem in problems:
            say(f"  [red]✗[/] {plain(problem)}")
        raise ConfigurationError(f"{len(problems)} setting{'s' if len(problems) != 1 else ''} to fix "
                                 "(see .env.example)")
    say(f"settings: {OK}")
    return settings


def _names(migrations: list[Migration]) -> str:
    return ", ".join(f"{m.version:04d}_{m.name}" for m in migrations)


def _newer(path: Path, version: int, latest: int) -> ConfigurationError:
    return ConfigurationError(f"{path} is at schema version {version}, newer than this Rethread knows ({latest}); "
                              "upgrade Rethread or point RETHREAD_DB at another file")


async def _database(settings: Settings, dry_run: bool) -> dict[int, list[ChannelUse]]:
    """Check (and unless ``dry_run``, bring up to date) the schema; returns the channels the bot uses."""
    path = settings.db_path
    known = available()
    latest = known[-1].version
    if dry_run:
        if not path.exists():
            say(f"database: {plain(path)} does not exist yet; would create it and apply {_names(known)}")
            return {}
        try:
            async with aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
                version = await current_version(conn)
                if version > latest:
                    raise _newer(path, version, latest)
                pending = known[version:]
                state = f"would apply {_names(pending)}" if pending else "schema up to date"
                say(f"database: {plain(path)} at schema version {version}; {state} (dry run: nothing changed)")
                return await channels_in_use(conn)
        except sqlite3.Error as exc:
            raise CliError(f"the database {path} cannot be read ({exc})") from None
    async with opened_store(settings, migrate_schema=False) as store:
        version = await current_version(store.conn)
        if version > latest:
            raise _newer(path, version, latest)
        applied = await apply_migrations(store.conn, store.policy)
        state = f"applied {_names(applied)}" if applied else "schema up to date"
        say(f"database: {plain(path)} at schema version {latest}; {state}")
        return await channels_in_use(store.conn)


async def _discord(settings: Settings, uses: dict[int, list[ChannelUse]]) -> bool:
    """Print what the bot can do in each server; True when nothing is missing."""
    from discord import HTTPException

    from bot.runtime.readiness import TokenRejected, readiness

    where = f" through {settings.api_base}" if settings.api_base else ""
    try:
        ready = await readiness(settings, uses)
    except TokenRejected as exc:
        raise ConfigurationError(str(exc)) from None
    except OSError as exc:  # aiohttp's connection errors are OSErrors
        raise CliError(f"cannot reach Discord{where}: {exc}") from None
    except HTTPException as exc:
        raise CliError(f"Discord{where} answered {exc.status} {exc.text or exc.response.reason}; try again later"
                       ) from None
    say(f"Discord{where}: logged in as {plain(ready.bot_name)}, in {len(ready.guilds)} "
              f"server{'s' if len(ready.guilds) != 1 else ''}")
    if ready.message_content:
        say(f"  Message Content intent: {OK}")
    else:
        say(f"  Message Content intent: {MISSING} (discussions capture only messages that mention or reply "
                  "to the bot); enable it in the Developer Portal: Bot -> Privileged Gateway Intents")
    for guild in ready.guilds:
        say(f"server {plain(guild.name)} ({guild.guild_id}):")
        if not guild.replay_channel_set:
            say("  no replay channel configured (/config set channel: sets it; until then replays go where "
                      "/replay start is used)")
        for channel in guild.channels:
            label = f"#{plain(channel.name)}" if channel.name else "a deleted channel"
            head = f"  {label} ({channel.channel_id}, {', '.join(channel.reasons)})"
            if channel.name is None:
                say(f"{head}: {MISSING}: the channel no longer exists")
            elif channel.missing:
                say(f"{head}: {MISSING} {', '.join(channel.missing)}")
            else:
                say(f"{head}: {OK}")
    for guild_id in ready.left_guilds:
        say(f"server {guild_id}: the bot is no longer in it; its replays and discussions there cannot go on")
    return ready.all_good


@click.command()
@click.option("--dry-run", is_flag=True, help="Say which migrations would be applied; change nothing.")
@run_async
async def check(dry_run: bool) -> None:
    """Check the settings, the database schema and, with DISCORD_TOKEN, the bot's permissions in every server.

    Exit status: 0 all good, 1 something missing, 78 a configuration error."""
    settings = _settings()
    uses = await _database(settings, dry_run)
    if not settings.discord_token:
        say("Discord: skipped (no DISCORD_TOKEN set)")
        return
    if not await _discord(settings, uses):
        raise SomethingMissing("the bot lacks something listed above")
