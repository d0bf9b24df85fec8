"""``rethread`` commands for thread files and the stored threads: parse, import, list, show, export, search,
preview. They use the store only, never discord.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli.common import CliError, err, load_settings, opened_store, out, run_async, stored_thread
from bot.cli.terminal import preview_thread, reply_tree
from bot.core.export import export_thread
from bot.core.model import Thread
from bot.core.parser import ThreadFileError, load_thread_file
from bot.importer import import_paths, thread_files


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed thread as JSON.")
def parse(file: Path, as_json: bool) -> None:
    """Parse one thread FILE and print what was found (without storing it)."""
    settings = load_settings()
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


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@run_async
async def import_(paths: tuple[Path, ...]) -> None:
    """Import thread files, or every *.txt in folders, into the database.

    Importing the same file again stores nothing new; a changed file becomes a new revision of its thread.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    settings = load_settings()
    files = list(thread_files(paths))
    if not files:
        raise CliError("no thread files found in " + ", ".join(map(str, paths)))
    async with opened_store(settings) as store:
        progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=err, transient=True, disable=len(files) < 2 or not err.is_terminal)
        with progress:
            task = progress.add_task("import", total=len(files))
            summary = await import_paths(store, files, max_bytes=settings.max_file_bytes,
                                         on_file=lambda _: progress.advance(task))
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


@click.command()
@run_async
async def threads() -> None:
    """List the stored threads."""
    from rich.table import Table

    async with opened_store(load_settings()) as store:
        rows = await store.threads()
    if not rows:
        out.print("No threads yet. Import some with: rethread import seeds/")
        return
    table = Table("ID", "Title", "Comments", "Rev", "Imported", box=None, header_style="bold")
    for row in rows:
        table.add_row(str(row.id), row.title, str(row.comments), str(row.revision), row.imported_at)
    out.print(table)


@click.command()
@click.argument("thread_id", type=int)
@click.option("--revision", type=int, help="Show an earlier revision instead of the current one.")
@run_async
async def show(thread_id: int, revision: int | None) -> None:
    """Print stored thread THREAD_ID as a reply tree."""
    async with opened_store(load_settings()) as store:
        thread = await stored_thread(store, thread_id, revision)
    out.print(reply_tree(thread))


@click.command()
@click.argument("thread_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@run_async
async def export(thread_id: int, output: Path | None) -> None:
    """Write stored thread THREAD_ID back in the thread-file format."""
    async with opened_store(load_settings()) as store:
        text = export_thread(await stored_thread(store, thread_id))
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
@run_async
async def search(query: str, limit: int) -> None:
    """Full-text search over every stored comment (SQLite FTS5 syntax: words, "phrases", OR, prefix*)."""
    async with opened_store(load_settings()) as store:
        try:
            hits = await store.search_comments(query, limit)
        except Exception as exc:
            raise CliError(f"cannot search for {query!r}: {exc}") from None
    for thread_id, number, author, snippet in hits:
        out.print(f"[dim]thread {thread_id} #{number}[/] [bold]{author}[/]: {snippet}")
    if not hits:
        out.print("no matches")


@click.command()
@click.argument("source")
@click.option("--pace", type=float, default=0.0, show_default=True, help="Seconds between comments.")
@run_async
async def preview(source: str, pace: float) -> None:
    """Replay a thread in the terminal exactly as the bot posts it. SOURCE is a file or a stored thread ID."""
    settings = load_settings()
    thread: Thread
    if source.isdigit() and not Path(source).exists():
        async with opened_store(settings) as store:
            thread = await stored_thread(store, int(source))
    else:
        thread = load_thread_file(source, settings.max_file_bytes).thread
    preview_thread(out, thread, pace=max(pace, 0.0))


COMMANDS = (parse, import_, threads, show, export, search, preview)
