"""Online backups and restores of the database file, through SQLite's backup API.

A backup reads the database in steps of ``STEP_PAGES`` pages with a short sleep between them; in WAL mode a
reader never blocks the bot's writes, and a write between two steps makes SQLite restart the copy, so after
``MAX_RESTARTS`` restarts the rest is copied in one step (one read snapshot, still not blocking writers). The copy
is written beside its destination, checked with ``integrity_check``, and only then renamed into place (0600).

A restore takes the database for itself first: an exclusive lock in exclusive locking mode, which SQLite grants
only when no other connection, in any process, has the file open (the bot keeps its connection open for as long
as it runs). Holding that lock, it keeps the current content as a ``.bak`` file and copies the backup in.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db.migrate import available
from db.store import secure_location

STEP_PAGES = 1024  # 4 MB per step at SQLite's default page size
STEP_SLEEP = 0.01  # seconds between steps: the bot's writes go on meanwhile
MAX_RESTARTS = 3


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why and what to do. Nothing was changed."""


class DatabaseInUse(BackupError):
    """Another connection (the bot, a ``rethread`` command) has the database open."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    bytes: int
    schema_version: int
    restarts: int  # how often a write by another process made SQLite start the copy again


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored_from: Path
    schema_version: int
    kept_as: Path | None  # the replaced database, or None when there was none


class _TooManyRestarts(Exception):
    pass


def _check_copy(conn: sqlite3.Connection, what: str) -> int:
    """The schema version of a Rethread database that passes ``integrity_check``; else :class:`BackupError`."""
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not an SQLite database ({exc})") from None
    if verdict != ["ok"]:
        raise BackupError(f"{what} is damaged: integrity_check says {'; '.join(verdict[:3])}")
    latest = available()[-1].version
    if version < 1 or not {"threads", "revisions", "comments"} <= tables:
        raise BackupError(f"{what} is not a Rethread database (no Rethread schema in it)")
    if version > latest:
        raise BackupError(f"{what} is at schema version {version}, newer than this Rethread knows ({latest}); "
                          "restore it with the Rethread that made it")
    return version


def _private_file(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # O_CREAT's mode passes through the umask


def _remove_with_sidecars(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)


def backup(source: Path, destination: Path, *, overwrite: bool = False, busy_timeout: float = 60.0,
           step_pages: int = STEP_PAGES) -> BackupResult:
    """Copy the database at ``source`` to ``destination`` while other processes go on using it."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source} (RETHREAD_DB)")
    if destination.resolve() == source.resolve():
        raise BackupError("the backup cannot be the database itself")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} already exists; choose another name, or pass --force to replace it")
    if not destination.parent.is_dir():
        raise BackupError(f"no such folder: {destination.parent}")
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    _remove_with_sidecars(partial)
    _private_file(partial)
    restarts = 0
    try:
        src = sqlite3.connect(source, timeout=busy_timeout)
        dst = sqlite3.connect(partial)
        try:
            remaining_before = -1

            def progress(status: int, remaining: int, total: int) -> None:
                nonlocal remaining_before, restarts
                if remaining_before >= 0 and remaining > remaining_before:  # started again from the first page
                    restarts += 1
                    if restarts > MAX_RESTARTS:
                        raise _TooManyRestarts
                remaining_before = remaining

            try:
                src.backup(dst, pages=step_pages, progress=progress, sleep=STEP_SLEEP)
            except _TooManyRestarts:
                src.backup(dst, pages=-1)  # one snapshot: in WAL mode the writers still go on
            version = _check_copy(dst, f"the copy {destination}")
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
            src.close()
        os.replace(partial, destination)
    except BaseException:
        _remove_with_sidecars(partial)
        raise
    return BackupResult(destination, destination.stat().st_size, version, restarts)


def _free_backup_name(path: Path) -> Path:
    kept = Path(f"{path}.bak")
    n = 2
    while kept.exists():
        kept = Path(f"{path}.bak{n}")
        n += 1
    return kept


def _take_exclusively(path: Path) -> sqlite3.Connection:
    """A connection that holds the database alone until closed; :class:`DatabaseInUse` if anyone else has it."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")  # the lock outlives the transaction, until close
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise DatabaseInUse(
                f"{path} is in use by another process (the bot, or a rethread command); stop it first "
                "(e.g. systemctl stop rethread), then restore") from None
        raise
    return conn


def restore(backup_file: Path, database: Path) -> RestoreResult:
    """Replace the database with ``backup_file``, keeping the current one as ``<database>.bak``."""
    if not backup_file.is_file():
        raise BackupError(f"no such backup file: {backup_file}")
    if database.exists() and backup_file.resolve() == database.resolve():
        raise BackupError("the backup is the database itself")
    source = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _check_copy(source, str(backup_file))
        existed = database.exists()
        secure_location(database)
        target = _take_exclusively(database)
        try:
            kept: Path | None = None
            if existed and database.stat().st_size > 0:
                kept = _free_backup_name(database)
                _private_file(kept)
                keep = sqlite3.connect(kept)
                try:
                    target.backup(keep)
                    keep.execute("PRAGMA journal_mode = DELETE")
                finally:
                    keep.close()
            source.backup(target)
            restored = _check_copy(target, f"the restored {database}")
        finally:
            target.close()
    finally:
        source.close()
    return RestoreResult(backup_file, restored, kept)
