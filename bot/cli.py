"""The ``rethread`` command line: import and inspect threads, preview replays, run the bot."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.export import export_thread
from bot.importer import import_paths, thread_files
from bot.parser import ThreadFileError, load_thread_file
from bot.sandbox import SandboxUnavailable, run_sandbox
from bot.service import TokenRejected, force_sync, serve
from bot.settings import Settings, SettingsError
from bot.terminal import preview_thread, reply_tree
from db.migrate import MigrationError, available, current_version
from db.migrate import migrate as apply_migrations
from db.store import Store

T = TypeVar("T")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per message, whatever the width


class CliError(click.ClickException):
    """A problem the user can fix: printed as one line, exit status 1, never a traceback."""

    def show(self, file: Any = None) -> None:
        err.print(f"[bold red]error:[/] {escape(self.message)}")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def run_async(fn: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Run an async click command; known failures become one-line errors."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except (ThreadFileError, MigrationError) as exc:
            raise CliError(str(exc)) from None

    return wrapper


async def _open_store(settings: Settings) -> Store:
    try:
        return await Store.open(settings.db_path)
    except MigrationError:
        raise
    except Exception as exc:  # an unreadable or non-SQLite file: say so plainly
        raise CliError(f"cannot open the database {settings.db_path}: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rethread")
def main() -> None:
    """Rethread: replay a news article's comment thread in Discord, so a community can relive it together.

    Settings come from the environment or a .env file (see .env.example).
    """


# -- parsing and importing ----------------------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed thread as JSON.")
def parse(file: Path, as_json: bool) -> None:
    """Parse one thread FILE and print what was found (without storing it)."""
    settings = _settings()
    try:
        loaded = load_thread_file(file, settings.max_file_bytes)
    except ThreadFileError as exc:
        raise CliError(str(exc)) from None
    for warning in loaded.thread.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    thread = loaded.thread
    if as_json:
        click.echo(json.dumps(thread.to_json(), ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]{thread.title}[/]" + (f"  [dim]{thread.byline}[/]" if thread.byline else ""))
    out.print(f"{len(thread.article)} article paragraphs, {len(thread.comments)} comments, "
              f"{sum(1 for c in thread.comments if c.reply_to is not None)} replies found")
    out.print(reply_tree(thread))


@main.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@run_async
async def import_(paths: tuple[Path, ...]) -> None:
    """Import thread files, or every *.txt in folders, into the database.

    Importing the same file again stores nothing new; a changed file becomes a new revision of its thread.
    """
    settings = _settings()
    files = list(thread_files(paths))
    if not files:
        raise CliError("no thread files found in " + ", ".join(map(str, paths)))
    store = await _open_store(settings)
    try:
        progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=err, transient=True, disable=len(files) < 2 or not err.is_terminal)
        with progress:
            task = progress.add_task("import", total=len(files))
            summary = await import_paths(store, files, max_bytes=settings.max_file_bytes,
                                         on_file=lambda _: progress.advance(task))
    finally:
        await store.close()
    for warning in summary.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    out.print(
        f"[green]imported[/] {summary.new_threads} new thread(s), {summary.new_revisions} new revision(s), "
        f"{summary.comments:,} comments; {summary.unchanged} unchanged; {len(summary.failed)} failed"
        f" -> {settings.db_path}"
    )
    for path, reason in summary.failed:
        err.print(f"[red]skipped[/] {path}: {reason}")
    if summary.failed:
        sys.exit(1)


# -- inspecting ---------------------------------------------------------------------------------------------


@main.command()
@run_async
async def threads() -> None:
    """List the stored threads."""
    store = await _open_store(_settings())
    try:
        rows = await store.threads()
    finally:
        await store.close()
    if not rows:
        out.print("No threads yet. Import some with: rethread import seeds/")
        return
    table = Table("ID", "Title", "Comments", "Rev", "Imported", box=None, header_style="bold")
    for row in rows:
        table.add_row(str(row.id), row.title, str(row.comments), str(row.revision), row.imported_at)
    out.print(table)


async def _stored_thread(store: Store, thread_id: int, revision: int | None = None):
    thread = await store.load_thread(thread_id, revision)
    if thread is None:
        what = f"thread {thread_id}" + (f" revision {revision}" if revision else "")
        raise CliError(f"no {what} in {store.path}; see `rethread threads`")
    return thread


@main.command()
@click.argument("thread_id", type=int)
@click.option("--revision", type=int, help="Show an earlier revision instead of the current one.")
@run_async
async def show(thread_id: int, revision: int | None) -> None:
    """Print stored thread THREAD_ID as a reply tree."""
    store = await _open_store(_settings())
    try:
        thread = await _stored_thread(store, thread_id, revision)
    finally:
        await store.close()
    out.print(reply_tree(thread))


@main.command()
@click.argument("thread_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@run_async
async def export(thread_id: int, output: Path | None) -> None:
    """Write stored thread THREAD_ID back in the thread-file format."""
    store = await _open_store(_settings())
    try:
        text = export_thread(await _stored_thread(store, thread_id))
    finally:
        await store.close()
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
@run_async
async def search(query: str, limit: int) -> None:
    """Full-text search over every stored comment (SQLite FTS5 syntax: words, "phrases", OR, prefix*)."""
    store = await _open_store(_settings())
    try:
        hits = await store.search_comments(query, limit)
    except Exception as exc:
        raise CliError(f"cannot search for {query!r}: {exc}") from None
    finally:
        await store.close()
    for thread_id, number, author, snippet in hits:
        out.print(f"[dim]thread {thread_id} #{number}[/] [bold]{author}[/]: {snippet}")
    if not hits:
        out.print("no matches")


@main.command()
@click.argument("source")
@click.option("--pace", type=float, default=0.0, show_default=True, help="Seconds between comments.")
@run_async
async def preview(source: str, pace: float) -> None:
    """Replay a thread in the terminal exactly as the bot posts it. SOURCE is a file or a stored thread ID."""
    settings = _settings()
    if source.isdigit() and not Path(source).exists():
        store = await _open_store(settings)
        try:
            thread = await _stored_thread(store, int(source))
        finally:
            await store.close()
    else:
        thread = load_thread_file(source, settings.max_file_bytes).thread
    preview_thread(out, thread, pace=max(pace, 0.0))


# -- the database -------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema: apply migrations, show the version."""


@db.command()
@run_async
async def migrate() -> None:
    """Apply any pending migrations."""
    settings = _settings()
    store = await Store.open(settings.db_path, migrate_schema=False)
    try:
        applied = await apply_migrations(store.conn)
    finally:
        await store.close()
    for m in applied:
        out.print(f"applied {m.version:04d}_{m.name}")
    out.print(f"{settings.db_path} is at schema version {available()[-1].version}")


@db.command()
@run_async
async def status() -> None:
    """Show the schema version and what the database holds."""
    settings = _settings()
    store = await Store.open(settings.db_path, migrate_schema=False)
    try:
        version = await current_version(store.conn)
        known = available()
        out.print(f"database: {settings.db_path}")
        out.print(f"schema version: {version} (this Rethread knows up to {known[-1].version})")
        for m in known:
            mark = "[green]applied[/]" if m.version <= version else "[yellow]pending[/]"
            out.print(f"  {m.version:04d}_{m.name}: {mark}")
        if version == known[-1].version:
            counts = await store.counts()
            out.print(", ".join(f"{n:,} {table}" for table, n in counts.items()))
    finally:
        await store.close()


# -- running ------------------------------------------------------------------------------------------------


@main.command()
@click.option("--seeds", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True,
              help="Folder of thread files imported before starting.")
@click.option("--terminal", is_flag=True, help="Without DISCORD_TOKEN: replay in the terminal instead of the sandbox.")
@click.option("--pace", type=float, default=0.3, show_default=True, help="Seconds between comments (--terminal).")
@click.option("--port", type=int, default=None, help="Sandbox port on 127.0.0.1 (default: any free one).")
@run_async
async def run(seeds: Path, terminal: bool, pace: float, port: int | None) -> None:
    """Import the seeds, then start the bot: in Discord with DISCORD_TOKEN, else in the local sandbox."""
    settings = _settings()
    store = await _open_store(settings)
    try:
        first = None
        if seeds.is_dir():
            summary = await import_paths(store, [seeds], max_bytes=settings.max_file_bytes)
            out.print(f"[dim]seeds: {summary.new_threads} new, {summary.unchanged} unchanged, "
                      f"{len(summary.failed)} failed -> {settings.db_path}[/]")
            for path, reason in summary.failed:
                err.print(f"[red]skipped[/] {path}: {reason}")
            if summary.stored:
                first = await store.load_thread(summary.stored[0][1].thread_id)
    finally:
        await store.close()
    if settings.discord_token:
        out.print(f"[dim]connecting to Discord{' through ' + settings.api_base if settings.api_base else ''}…[/]")
        try:
            await serve(settings)
        except TokenRejected as exc:
            raise CliError(str(exc)) from None
        return
    if terminal:
        if first is not None:
            out.rule("[bold]Replay preview[/]: what the bot posts in Discord")
            preview_thread(out, first, pace=pace)
            out.rule()
        out.print(CONNECT_HINT)
        return
    await _sandbox(settings, port)


CONNECT_HINT = (
    "To run in a real Discord server: copy .env.example to .env, set DISCORD_TOKEN to your bot's token "
    "(https://discord.com/developers/applications -> your app -> Bot -> Reset Token; invite the bot with the "
    "bot and applications.commands scopes), then run `make run` again."
)


async def _sandbox(settings: Settings, port: int | None) -> None:
    def ready(url: str) -> None:
        out.print(f"\n[bold green]Rethread sandbox[/] (no DISCORD_TOKEN set, so Discord is simulated locally)\n"
                  f"Open [bold]{url}[/] in a browser and try [bold]/article post[/], then [bold]/replay start[/] "
                  f"(pace 0 is fastest).\nPress Ctrl-C to stop.\n\n{CONNECT_HINT}\n")

    try:
        await run_sandbox(settings, port=port, on_ready=ready)
    except SandboxUnavailable as exc:
        raise CliError(str(exc)) from None


@main.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 (default: any free one).")
@run_async
async def sandbox(port: int | None) -> None:
    """Run the bot in a local simulated Discord (SimCord's preview page): no token needed."""
    await _sandbox(_settings(), port)


@main.command()
@run_async
async def sync() -> None:
    """Sync the slash commands with Discord now (normally done at start-up, only when they changed)."""
    settings = _settings()
    if not settings.discord_token:
        raise CliError("set DISCORD_TOKEN (in .env or the environment) to sync commands")
    try:
        await force_sync(settings)
    except TokenRejected as exc:
        raise CliError(str(exc)) from None
    out.print("slash commands synced" + (f" to guild {settings.dev_guild_id}" if settings.dev_guild_id else ""))
