"""``rethread run``, ``sandbox`` and ``sync``: the commands that start the bot. discord.py is imported only
when one of them runs, so the other commands start quickly."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import CliError, ConfigurationError, Seconds, err, load_settings, opened_store, out, run_async
from bot.cli.terminal import plain, preview_thread
from bot.core.model import Thread
from bot.importer import import_paths
from bot.settings import Settings

CONNECT_HINT = (
    "To run in a real Discord server: copy .env.example to .env, set DISCORD_TOKEN to your bot's token "
    "(https://discord.com/developers/applications -> your app -> Bot -> Reset Token; invite the bot with the "
    "bot and applications.commands scopes), then run `make run` again."
)


@click.command()
@click.option("--seeds", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True,
              help="Folder of thread files imported before starting.")
@click.option("--terminal", is_flag=True, help="Without DISCORD_TOKEN: replay in the terminal instead of the sandbox.")
@click.option("--pace", type=Seconds(), default=0.3, show_default=True,
              help="Seconds between comments (--terminal).")
@click.option("--port", type=int, default=None, help="Sandbox port on 127.0.0.1 (default: any free one).")
@run_async
async def run(seeds: Path, terminal: bool, pace: float, port: int | None) -> None:
    """Import the seeds, then start the bot: in Discord with DISCORD_TOKEN, else in the local sandbox."""
    settings = load_settings()
    first: Thread | None = None
    async with opened_store(settings) as store:
        if seeds.is_dir():
            summary = await import_paths(store, [seeds], max_bytes=settings.max_file_bytes)
            out.print(f"[dim]seeds: {summary.new_threads} new, {summary.unchanged} unchanged, "
                      f"{len(summary.failed)} failed -> {plain(settings.db_path)}[/]")
            for path, reason in summary.failed:
                err.print(f"[red]skipped[/] {plain(path)}: {plain(reason)}")
            if summary.stored:
                first = await store.load_thread(summary.stored[0][1].thread_id)
    if settings.discord_token:
        from bot.runtime.service import IntentsNotEnabled, TokenRejected, serve

        out.print(f"[dim]connecting to Discord{' through ' + settings.api_base if settings.api_base else ''}…[/]")
        try:
            await serve(settings)
        except (TokenRejected, IntentsNotEnabled) as exc:
            raise ConfigurationError(str(exc)) from None
        return
    if terminal:
        if first is not None:
            out.rule("[bold]Replay preview[/]: what the bot posts in Discord")
            preview_thread(out, first, pace=pace)
            out.rule()
        out.print(CONNECT_HINT)
        return
    await _sandbox(settings, port)


async def _sandbox(settings: Settings, port: int | None) -> None:
    from bot.runtime.sandbox import SandboxUnavailable, run_sandbox

    def ready(url: str) -> None:
        out.print(f"\n[bold green]Rethread sandbox[/] (no DISCORD_TOKEN set, so Discord is simulated locally)\n"
                  f"Open [bold]{url}[/] in a browser and try [bold]/article post[/], then [bold]/replay start[/] "
                  f"(pace 0 is fastest).\nPress Ctrl-C to stop.\n\n{CONNECT_HINT}\n")

    try:
        await run_sandbox(settings, port=port, on_ready=ready)
    except SandboxUnavailable as exc:
        raise CliError(str(exc)) from None


@click.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 (default: any free one).")
@run_async
async def sandbox(port: int | None) -> None:
    """Run the bot in a local simulated Discord (SimCord's preview page): no token needed."""
    await _sandbox(load_settings(), port)


@click.command()
@run_async
async def sync() -> None:
    """Sync the slash commands with Discord now (normally done at start-up, only when they changed)."""
    from bot.runtime.service import TokenRejected, force_sync

    settings = load_settings()
    if not settings.discord_token:
        raise CliError("set DISCORD_TOKEN (in .env or the environment) to sync commands")
    try:
        await force_sync(settings)
    except TokenRejected as exc:
        raise ConfigurationError(str(exc)) from None
    out.print("slash commands synced" + (f" to guild {settings.dev_guild_id}" if settings.dev_guild_id else ""))


COMMANDS = (run, sandbox, sync)
