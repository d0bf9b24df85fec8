"""``rethread db``: apply schema migrations and show what the database holds."""

from __future__ import annotations

import click

from bot.cli.common import CliError, load_settings, opened_store, out, run_async
from bot.cli.terminal import plain
from db.migrate import available, current_version
from db.migrate import migrate as apply_migrations


@click.group()
def db() -> None:
    """Database schema: apply migrations, show the version."""


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
