"""Versioned schema migrations: ``db/migrations/NNNN_name.sql`` applied in order, version in ``user_version``.

Each migration runs in its own transaction together with the version bump, so a failed migration leaves the
database at the previous version. A database newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    found = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 1, 2, 3... without gaps; found {versions}")
    return found


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> list[Migration]:
    """Bring the schema up to date; returns the migrations applied (empty when already current)."""
    migrations = available()
    version = await current_version(conn)
    latest = migrations[-1].version if migrations else 0
    if version > latest:
        raise MigrationError(
            f"the database is at schema version {version}, newer than this Rethread knows ({latest}); "
            "upgrade Rethread or point RETHREAD_DB at another file"
        )
    applied = []
    for migration in migrations[version:]:
        script = f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise MigrationError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
        applied.append(migration)
    return applied
