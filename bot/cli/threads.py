"""``rethread`` commands for thread files and the stored threads: parse, import, list, show, export, search,
preview. They use the store only, never discord.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.text import Text

from bot.cli.common import CliError, Seconds, err, load_settings, opened_store, out, run_async, stored_thread
from bot.cli.terminal import clean, line_text, one_line, plain, preview_thread, reply_tree
from bot.core.model import Thread
from bot.core.parser import ThreadFileError, load_thread_file
from bot.importer import import_paths, thread_files
from db.reading import exported
from db.search import SearchSyntaxError
from db.store import SearchResults

# JSON escapes C0 controls itself; DEL, C1 controls (U+009B is a one-character CSI) and bidi overrides it would
# print raw. As \uXXXX escapes the JSON means the same and the terminal sees no control character.
THREADS_PAGE = 50  # threads per page of `rethread threads`

_JSON_UNSAFE = {code: f"\\u{code:04x}" for code in (*range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


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
        err.print(f"[yellow]warning:[/] {plain(warning)}")
    thread = loaded.thread
    if as_json:
        click.echo(json.dumps(thread.to_json(), ensure_ascii=False, indent=2).translate(_JSON_UNSAFE))
        return
    heading = line_text(thread.title, "bold")
    if thread.byline:
        heading.append("  ").append_text(line_text(thread.byline, "dim"))
    out.print(heading)
    out.print(f"{len(thread.article)} article paragraphs, {len(thread.comments)} comments, "
              f"{sum(1 for c in thread.comments if c.reply_to is not None)} replies found")
    out.print(reply_tree(thread))


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Processes parsing files while this one writes (default: CPUs - 1, at most 3; 0: parse here).")
@run_async
async def import_(paths: tuple[Path, ...], workers: int | None) -> None:
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
            summary = await import_paths(store, files, max_bytes=settings.max_file_bytes, workers=workers,
                                         on_file=lambda _: progress.advance(task))
    for warning in summary.warnings:
        err.print(f"[yellow]warning:[/] {plain(warning)}")
    out.print(
        f"[green]imported[/] {summary.new_threads} new thread(s), {summary.new_revisions} new revision(s), "
        f"{summary.comments:,} comments; {summary.unchanged} unchanged; {len(summary.failed)} failed"
        f" -> {plain(settings.db_path)}"
    )
    for path, reason in summary.failed:
        err.print(f"[red]skipped[/] {plain(path)}: {plain(reason)}")
    if summary.failed:
        sys.exit(1)


@click.command()
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Which page of threads.")
@click.option("--limit", type=click.IntRange(0), default=THREADS_PAGE, show_default=True,
              help="Threads per page (0: all of them).")
@run_async
async def threads(page: int, limit: int) -> None:
    """List the stored threads, one per line: ID, comments, revision, when imported, title."""
    async with opened_store(load_settings()) as store:
        total = await store.thread_count()
        pages = max(1, -(-total // limit)) if limit else 1
        page = min(page, pages)
        rows = await store.threads(limit=limit or None, offset=(page - 1) * limit)
    if not rows:
        out.print("No threads yet. Import some with: rethread import seeds/")
        return
    # Plain lines, the title last: a table measuring every cell took seconds for a few thousand threads.
    width = max(2, len(str(rows[-1].id)))
    lines = [f"{'ID':>{width}}  {'Comments':>8}  {'Rev':>3}  {'Imported':<20}  Title"]
    lines += [f"{row.id:>{width}}  {row.comments:>8,}  {row.revision:>3}  {one_line(row.imported_at):<20}  "
              f"{one_line(row.title)}" for row in rows]
    click.echo("\n".join(lines))
    if pages > 1:
        more = f"; --page {page + 1} for more" if page < pages else ""
        err.print(f"[dim]page {page} of {pages} ({total:,} threads, {limit} a page){more}; --limit 0 for all[/]")


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
@click.option("--discussion", type=int, metavar="N",
              help="Add what members wrote in discussion N of this thread (any server's: you run the bot).")
@run_async
async def export(thread_id: int, output: Path | None, discussion: int | None) -> None:
    """Write stored thread THREAD_ID back in the thread-file format (with a discussion's comments after it)."""
    async with opened_store(load_settings()) as store:
        found = None
        if discussion is not None:
            found = await store.discussions.get(discussion)
            if found is None or found.thread_id != thread_id:
                held = await store.discussions.of_thread(thread_id)
                raise CliError(f"thread {thread_id} has no discussion {discussion}"
                               + (f"; its discussions: {', '.join(str(d.id) for d in held)}" if held else ""))
        else:
            await stored_thread(store, thread_id)  # a clear error for a thread that is not there
        result = await exported(store, thread_id, found)
        if result is None:
            raise CliError(f"thread {thread_id} was removed meanwhile")
        text = result.text
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {plain(output)}")
    else:
        click.echo(text, nl=False)


@click.command(context_settings={"ignore_unknown_options": True})  # `search -Putin` looks for the word
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Show at most this many.")
@click.option("--fts", "advanced", is_flag=True,
              help="Read the WORDS as an SQLite FTS5 query (AND, OR, NOT, NEAR, prefix*, column:) instead of words.")
@run_async
async def search(words: tuple[str, ...], limit: int, advanced: bool) -> None:
    """Search every stored comment for the WORDS and "quoted phrases" given (all of them, any order).

    Words in scripts written without spaces (Chinese, Japanese, Korean, Thai...) are found inside longer text.
    One hit per line: thread, comment number, author and the passage, the matches highlighted."""
    query = " ".join(words)
    async with opened_store(load_settings()) as store:
        try:
            results = await store.search_comments(query, limit, advanced=advanced)
        except SearchSyntaxError as exc:
            raise CliError(f"not a valid FTS5 query ({exc}); drop --fts to search for the words as typed") from None
    if not results.hits:
        out.print(f"no comments match “{plain(query)}”" if query.strip() else "nothing to search for")
        return
    out.print(_matched(results), soft_wrap=True)
    for hit in results.hits:
        line = Text(f"thread {hit.thread_id} #{hit.number} ", style="dim")
        line.append_text(line_text(hit.author, "bold")).append(": ")
        for piece, highlighted in hit.snippet:
            line.append(clean(piece), style="bold yellow" if highlighted else "")
        out.print(line, soft_wrap=True)  # never wrapped by Rich: one hit, one line


def _matched(results: SearchResults) -> Text:
    count = f"{results.total:,}{'+' if results.capped else ''}"
    shown = f" (showing {len(results.hits)})" if len(results.hits) < results.total else ""
    return Text(f"{count} comment{'' if results.total == 1 else 's'} match{'es' if results.total == 1 else ''}"
                f"{shown}", style="dim")


@click.command()
@click.argument("source")
@click.option("--pace", type=Seconds(), default=0.0, show_default=True,
              help="Seconds between comments (0 to 3600).")
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
