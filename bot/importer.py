"""Import thread files (or folders of them) into the store, streaming; each file all or nothing.

A thread is identified by its file's resolved path (:func:`source_key`): see :meth:`db.store.Store.import_thread`
for what makes a file new, a revision or unchanged."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.parser import DEFAULT_MAX_BYTES, LoadedFile, ThreadFileError, load_thread_file
from db.store import ImportBusy, ImportResult, Store


@dataclass(slots=True)
class ImportSummary:
    stored: list[tuple[Path, ImportResult]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def new_threads(self) -> int:
        return sum(1 for _, r in self.stored if r.status == "new")

    @property
    def new_revisions(self) -> int:
        return sum(1 for _, r in self.stored if r.status == "revision")

    @property
    def unchanged(self) -> int:
        return sum(1 for _, r in self.stored if r.status == "unchanged")

    @property
    def comments(self) -> int:
        return sum(r.comments for _, r in self.stored if r.status != "unchanged")


def slug_for(path: str | Path) -> str:
    """A readable short name for a thread: the file's name without its extension (the store adds -2, -3... when
    another thread has it). It does not identify the thread: see :func:`source_key`."""
    return Path(path).stem.strip().lower() or "thread"


def source_key(path: str | Path) -> str:
    """What identifies a thread: the absolute path of its file, symbolic links resolved. The same file imported
    again (by any relative path) is the same thread; two files are two threads, whatever their names."""
    return str(Path(path).resolve())


def legacy_keys(path: str | Path) -> tuple[str, ...]:
    """How threads stored before identity by path (migration 0004) are found: by the path they were last
    imported from, as it was given then."""
    return tuple(dict.fromkeys(f"legacy:{p}" for p in (str(path), os.path.abspath(path), source_key(path))))


async def import_loaded(store: Store, loaded: LoadedFile) -> ImportResult:
    """Store one read and parsed file (the store takes plain values, not the parser's wrapper)."""
    return await store.import_thread(loaded.thread, source_key=source_key(loaded.path), sha256=loaded.sha256,
                                     source_path=str(loaded.path), slug=slug_for(loaded.path),
                                     legacy_keys=legacy_keys(loaded.path))


def thread_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each named file, and every ``*.txt`` below each named folder (sorted, so imports are reproducible)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.txt") if p.is_file())
        else:
            yield path  # a missing file is reported by the import, not silently dropped


# Below this many files the worker process costs more to start than it saves.
PARALLEL_FROM = 8
READ_AHEAD = 4  # parsed files waiting to be written, at most: keeps memory flat whatever the corpus size


async def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
) -> ImportSummary:
    """Import every file; a bad file is recorded in ``failed`` with its reason and the rest go on.

    For many files, reading and parsing run in worker processes while this process writes to SQLite: a
    worker *thread* would hold the GIL that the database thread needs for every row, halving throughput.
    """
    summary = ImportSummary()
    files = list(thread_files(paths))
    load = functools.partial(load_thread_file, max_bytes=max_bytes)
    loop = asyncio.get_running_loop()
    pool = None
    if len(files) >= PARALLEL_FROM:
        workers = max(1, min(3, (os.cpu_count() or 2) - 1))
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: deque[tuple[Path, asyncio.Future[LoadedFile]]] = deque()
    try:
        for path in files:
            pending.append((path, loop.run_in_executor(pool, load, path) if pool else _done(load, path)))
            if len(pending) >= READ_AHEAD:
                await _store_next(store, pending.popleft(), summary, on_file)
        while pending:
            await _store_next(store, pending.popleft(), summary, on_file)
    finally:
        for _, future in pending:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return summary


def _done(load: Callable[[Path], LoadedFile], path: Path) -> asyncio.Future[LoadedFile]:
    """Parse right here, as a finished future (few files: not worth a worker process)."""
    future = asyncio.get_running_loop().create_future()
    try:
        future.set_result(load(path))
    except ThreadFileError as exc:
        future.set_exception(exc)
    return future


async def _store_next(
    store: Store,
    item: tuple[Path, asyncio.Future[LoadedFile]],
    summary: ImportSummary,
    on_file: Callable[[Path], None] | None,
) -> None:
    path, future = item
    try:
        loaded = await future
        summary.stored.append((path, await import_loaded(store, loaded)))
        summary.warnings.extend(loaded.thread.warnings)
    except ThreadFileError as exc:
        summary.failed.append((path, exc.reason))
    except ImportBusy:
        summary.failed.append((path, "another process is importing this file right now; try again later"))
    finally:
        if on_file:
            on_file(path)
