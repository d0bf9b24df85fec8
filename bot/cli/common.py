"""What every ``rethread`` command shares: the consoles, one-line errors, settings, and the store.

Nothing here imports discord.py or aiohttp: commands that only read the store start quickly."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console

from bot.cli.terminal import plain
from bot.core.model import Thread
from bot.core.parser import ThreadFileError
from bot.settings import Settings, SettingsError
from db.busy import DEFAULT_POLICY, LockPolicy, is_busy
from db.migrate import MigrationError
from db.store import Store

P = ParamSpec("P")
T = TypeVar("T")
# No emoji codes, no highlighting: what the commands print is the text as stored (see bot.cli.terminal.plain).
out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)  # one line per message, whatever the width

LOCK_WAIT_VARIABLE = "RETHREAD_DB_LOCK_WAIT"  # seconds a command waits for a database another process is writing
DEFAULT_LOCK_WAIT = 60.0


class Seconds(click.FloatRange):
    """Seconds between comments: 0 to 3600, and a real number (not nan, which every comparison lets through)."""

    name = "seconds"

    def __init__(self) -> None:
        super().__init__(0, 3600)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # nan
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


class CliError(click.ClickException):
    """A problem the user can fix: printed as one line, exit status 1, never a traceback."""

    def show(self, file: Any = None) -> None:
        err.print(f"[bold red]error:[/] {plain(self.message)}")


class ConfigurationError(CliError):
    """A bad setting or token: exit status 78 (EX_CONFIG), which tells a supervisor such as systemd that
    restarting will not help."""

    exit_code = 78


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None


def lock_policy() -> LockPolicy:
    raw = os.environ.get(LOCK_WAIT_VARIABLE, "").strip()
    try:
        wait = float(raw) if raw else DEFAULT_LOCK_WAIT
    except ValueError:
        raise ConfigurationError(f"{LOCK_WAIT_VARIABLE} must be a number of seconds, not {raw!r}") from None
    if not 0 <= wait <= 24 * 3600:
        raise ConfigurationError(f"{LOCK_WAIT_VARIABLE} must be between 0 and 86400 seconds")
    return LockPolicy(busy_timeout_ms=min(DEFAULT_POLICY.busy_timeout_ms, int(wait * 1000)), max_wait=wait)


_database: Path | None = None  # the database the running command opened, for error messages


def storage_error(exc: BaseException, path: Path | None = None) -> str:
    """A storage failure as one line that says what happened and what to do."""
    where = f"the database {path or _database or ''}".rstrip()
    message = str(exc).strip() or type(exc).__name__
    lowered = message.lower()
    if is_busy(exc):
        return (f"{where} is busy: another process kept it locked too long ({message}); try again when it is "
                f"done, or wait longer with {LOCK_WAIT_VARIABLE}=SECONDS")
    if "disk is full" in lowered or "disk full" in lowered or getattr(exc, "errno", None) == 28:
        return f"{where} cannot grow: the disk is full ({message}); nothing was half-written, free some space"
    if "readonly" in lowered or "read-only" in lowered or isinstance(exc, PermissionError):
        return f"{where} cannot be written: the file or its folder is read-only ({message})"
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"{where} is damaged or not a Rethread database ({message}); point RETHREAD_DB at another file"
    if "unable to open" in lowered:
        return f"cannot open {where}: check that the file and its folder exist and can be read and written"
    return f"{where}: {message}"


def run_async(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async click command; known failures, storage failures included, become one-line errors."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except (ThreadFileError, MigrationError) as exc:
            raise CliError(str(exc)) from None
        except (sqlite3.Error, OverflowError) as exc:
            raise CliError(storage_error(exc)) from None
        except OSError as exc:  # e.g. an output file that cannot be written
            raise CliError(str(exc)) from None

    return wrapper


@asynccontextmanager
async def opened_store(settings: Settings, *, migrate_schema: bool = True) -> AsyncIterator[Store]:
    """The store for one command, closed whatever happens; a file that cannot be opened is a one-line error."""
    global _database
    _database = settings.db_path
    try:
        store = await Store.open(settings.db_path, migrate_schema=migrate_schema, policy=lock_policy())
    except (MigrationError, CliError):
        raise
    except Exception as exc:  # locked, unreadable, read-only, not SQLite, no such folder...: say so plainly
        raise CliError(storage_error(exc, settings.db_path)) from None
    try:
        yield store
    finally:
        await store.close()


async def stored_thread(store: Store, thread_id: int, revision: int | None = None) -> Thread:
    thread = await store.load_thread(thread_id, revision)
    if thread is None:
        what = f"thread {thread_id}" + (f" revision {revision}" if revision else "")
        raise CliError(f"no {what} in {store.path}; see `rethread threads`")
    return thread
