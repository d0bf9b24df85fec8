"""What every ``rethread`` command shares: the consoles, one-line errors, settings, and the store.

Nothing here imports discord.py or aiohttp: commands that only read the store start quickly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from bot.core.model import Thread
from bot.core.parser import ThreadFileError
from bot.settings import Settings, SettingsError
from db.migrate import MigrationError
from db.store import Store

P = ParamSpec("P")
T = TypeVar("T")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per message, whatever the width


class CliError(click.ClickException):
    """A problem the user can fix: printed as one line, exit status 1, never a traceback."""

    def show(self, file: Any = None) -> None:
        err.print(f"[bold red]error:[/] {escape(self.message)}")


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def run_async(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async click command; known failures become one-line errors."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except (ThreadFileError, MigrationError) as exc:
            raise CliError(str(exc)) from None

    return wrapper


@asynccontextmanager
async def opened_store(settings: Settings, *, migrate_schema: bool = True) -> AsyncIterator[Store]:
    """The store for one command, closed whatever happens; a file that cannot be opened is a one-line error."""
    try:
        store = await Store.open(settings.db_path, migrate_schema=migrate_schema)
    except MigrationError:
        raise
    except Exception as exc:  # an unreadable or non-SQLite file: say so plainly
        raise CliError(f"cannot open the database {settings.db_path}: {exc}") from None
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
