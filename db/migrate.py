"""Versioned schema migrations: ``db/migrations/NNNN_name.sql`` applied in order, version in ``user_version``.

Each migration runs in its own transaction together with the version bump, so a failed migration leaves the
database at the previous version. The transaction takes the write lock first (``BEGIN IMMEDIATE``) and reads the
version again inside it: two processes starting on a new database at once apply each migration exactly once. A
database newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from db.busy import DEFAULT_POLICY, LockPolicy, retry_busy
from db.folding import fold

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


def statements(sql: str) -> Iterator[str]:
    """The statements of a migration script, one by one (a trigger's ``BEGIN ... END;`` stays whole)."""
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in pending.splitlines()):
        raise MigrationError(f"incomplete statement at the end of a migration: {pending.strip()[:80]!r}")


async def register_functions(conn: aiosqlite.Connection) -> None:
    """SQL functions migrations may use: ``rethread_fold(text)`` is :func:`db.folding.fold`."""
    await conn.create_function("rethread_fold", 1, fold, deterministic=True)


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _newer(version: int, latest: int) -> MigrationError:
    return MigrationError(
        f"the database is at schema version {version}, newer than this Rethread knows ({latest}); "
        "upgrade Rethread or point RETHREAD_DB at another file"
    )


async def migrate(conn: aiosqlite.Connection, policy: LockPolicy = DEFAULT_POLICY) -> list[Migration]:
    """Bring the schema up to date; returns the migrations applied (empty when already current).

    ``conn`` must be in autocommit mode (``isolation_level=None``), as the store's connections are."""
    migrations = available()
    latest = migrations[-1].version if migrations else 0
    version = await current_version(conn)
    if version > latest:
        raise _newer(version, latest)
    if version == latest:
        return []  # nothing to do, and no write lock taken: a read-only database can still be read
    await register_functions(conn)
    applied: list[Migration] = []
    while True:
        await retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"), policy, what="the schema migration")
        try:
            version = await current_version(conn)  # again, under the lock: another process may have migrated
            if version > latest:
                raise _newer(version, latest)
            if version == latest:
                await conn.execute("COMMIT")
                return applied
            migration = migrations[version]
            try:
                for statement in statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {migration.version}")
            except sqlite3.Error as exc:
                raise MigrationError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        applied.append(migration)
