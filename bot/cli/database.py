"""``rethread db``: apply schema migrations, show what the database holds, back it up and restore it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from bot.cli.common import CliError, load_settings, lock_policy, opened_store, out, run_async, storage_error
from bot.cli.terminal import plain
from db import backup as backups
from db.migrate import available, current_version
from db.migrate import migrate as apply_migrations


@click.group()
def db() -> None:
    """Database schema, backups and restores."""


@db.command()
@run_async
async def migrate() -> None:
    """Apply any pending migrations."""
    settings = load_settings()
    async with opened_store(settings, migrate_schema=False) as store:
        applied = await apply_migrations(store.conn, store.policy)
    for m in applied:
        out.print(f"applied {m.version:04d}_{m.name}")
    out.print(f"{plain(settings.db_path)} is at schema version {available()[-1].version}")


@db.command()
@run_async
async def status() -> None:
    """Show the schema version and what the database holds."""
    settings = load_settings()
    async with opened_store(settings, migrate_schema=False) as store:
        version = await current_version(store.conn)
        known = available()
        out.print(f"database: {plain(settings.db_path)}")
        out.print(f"schema version: {version} (this Rethread knows up to {known[-1].version})")
        for m in known:
            mark = "[green]applied[/]" if m.version <= version else "[yellow]pending[/]"
            out.print(f"  {m.version:04d}_{m.name}: {mark}")
        if version > known[-1].version:
            raise CliError(f"the database is at schema version {version}, newer than this Rethread knows "
                           f"({known[-1].version}); upgrade Rethread or point RETHREAD_DB at another file")
        if version == known[-1].version:
            counts = await store.counts()
            out.print(", ".join(f"{n:,} {table}" for table, n in counts.items()))


@contextmanager
def _one_line_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except backups.BackupError as exc:
        raise CliError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CliError(storage_error(exc, path)) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or path}: {exc.strerror or exc}") from None


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup(file: Path, force: bool) -> None:
    """Copy the database to FILE, consistently, while the bot goes on running.

    The copy is readable by its owner only (0600) and checked with SQLite's integrity_check."""
    settings = load_settings()
    with _one_line_errors(file):
        result = backups.backup(settings.db_path, file, overwrite=force, busy_timeout=lock_policy().max_wait)
    out.print(f"backed up {plain(settings.db_path)} to {plain(result.path)}: {_size(result.bytes)}, schema version "
              f"{result.schema_version}, integrity ok", soft_wrap=True)


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Replace the database with the backup FILE; the bot must be stopped.

    The replaced database is kept beside it as a .bak file."""
    settings = load_settings()
    with _one_line_errors(settings.db_path):
        result = backups.restore(file, settings.db_path)
    kept = f"; the previous database is kept as {plain(result.kept_as)}" if result.kept_as else ""
    out.print(f"restored {plain(settings.db_path)} from {plain(file)} (schema version {result.schema_version}){kept}",
              soft_wrap=True)
