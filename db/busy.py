"""A busy database pauses, never kills: writes that meet another connection's write lock wait and try again.

SQLite lets one connection write at a time. Each attempt waits ``busy_timeout_ms`` inside SQLite (short, so the
shared connection's thread is not stuck behind one write and other queries queued on it go on between attempts),
then this module sleeps with backoff and tries again, up to ``max_wait`` seconds in all, logging a warning once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger("rethread.db")

T = TypeVar("T")

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_IOERR, _SQLITE_FULL = 10, 13


@dataclass(frozen=True, slots=True)
class LockPolicy:
    busy_timeout_ms: int = 250  # SQLite's own wait on each attempt
    max_wait: float = 300.0  # seconds, all attempts together, before the error is raised
    max_pause: float = 0.25  # the longest sleep between two attempts


DEFAULT_POLICY = LockPolicy()


def _is_error(exc: BaseException, codes: tuple[int, ...], words: tuple[str, ...]) -> bool:
    """An SQLite error with one of these primary result codes (or, from a Python without ``sqlite_errorcode``,
    one of these words in its message)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in codes
    message = str(exc).lower()
    return any(word in message for word in words)


def is_busy(exc: BaseException) -> bool:
    """Another connection holds the lock (``database is locked``, ``database table is locked``, SQLITE_BUSY)."""
    return _is_error(exc, (_SQLITE_BUSY, _SQLITE_LOCKED), ("locked", "busy"))


def cannot_save(exc: BaseException) -> bool:
    """The system refused the write: the disk is full (SQLITE_FULL) or the write failed (SQLITE_IOERR, e.g. EFBIG
    past a file-size limit). SQLite rolls the statement back and the connection stays usable: the same write may
    succeed once space returns."""
    return _is_error(exc, (_SQLITE_IOERR, _SQLITE_FULL), ("disk i/o error", "disk is full"))


async def retry_busy(operation: Callable[[], Awaitable[T]], policy: LockPolicy = DEFAULT_POLICY, *,
                     what: str = "a write") -> T:
    """``await operation()``, again and again while the database is busy, for at most ``policy.max_wait``
    seconds; then the last error is raised. ``operation`` must be safe to repeat after a busy error (a single
    autocommit statement, or ``BEGIN IMMEDIATE``)."""
    started = time.monotonic()
    pause = 0.02
    warned = False
    while True:
        try:
            return await operation()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            waited = time.monotonic() - started
            if waited >= policy.max_wait:
                log.error("the database stayed busy for %.0f s; %s gave up", waited, what)
                raise
            if not warned:
                log.warning("the database is busy (another connection is writing); %s waits and retries for up "
                            "to %.0f s", what, policy.max_wait)
                warned = True
            await asyncio.sleep(min(pause, policy.max_wait - waited))
            pause = min(pause * 2, policy.max_pause)
