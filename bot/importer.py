"""Import thread files (or folders of them) into the store, streaming; each file all or nothing.

A thread is identified by its file's resolved path (:func:`source_key`): see :meth:`db.store.Store.import_thread`
for what makes a file new, a revision or unchanged."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.parser import DEFAULT_MAX_BYTES, LoadedFile
from bot.heap import threshold_environment
from bot.parse_worker import HEADER, answer
from db.file_writer import FileImport, ImportRefused, ImportResult
from db.store import Store


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


# Below this many files a worker process costs more to start than it saves.
PARALLEL_FROM = 8
# Sent to the workers ahead of the file being stored: MIN_AHEAD files per worker, then more while their text is
# under ahead_bytes(workers) in all (at most MAX_AHEAD files per worker), so that the writer does not wait for a
# long file. Parsed files wait in this process's memory: this bounds it, whatever the corpus's size.
MIN_AHEAD, MAX_AHEAD = 2, 64
AHEAD_BYTES, AHEAD_BYTES_LEAST = 8 * 1024 * 1024, 3 * 1024 * 1024


def ahead_bytes(workers: int) -> int:
    """One worker parses about as fast as SQLite writes, so it needs room to get ahead before a run of long files:
    8 MB instead of 3 (and 64 files instead of 32, so that small files fill it too) took the 2,000-file corpus from
    17.18 s to 16.33 s (median of 4 interleaved runs each, the ranges apart), for 3 MB more memory. Several workers
    parse long files side by side and need less, so they share AHEAD_BYTES, with at least AHEAD_BYTES_LEAST in all
    (four workers stay under 150 MB)."""
    return max(AHEAD_BYTES_LEAST, AHEAD_BYTES // max(1, workers))


BATCH_COMMENTS = 5000  # several small files share one transaction, up to this many comments
BATCH_FILES = 64


def default_workers() -> int:
    """Parse workers when none are asked for: one core is left to the process writing to SQLite."""
    return max(1, min(3, (os.cpu_count() or 2) - 1))


_ROOT = str(Path(__file__).resolve().parent.parent)  # where the bot package is, installed or not


class WorkerDied(Exception):
    """A parse worker exited before answering (killed, out of memory): its files are parsed by the importer."""


class ParseWorkers:
    """``python -m bot.parse_worker`` processes. Each request goes to the worker with the fewest waiting (one
    long file holds up one worker, not every n-th file); each worker answers in the order it was asked, so every
    request's future gets its own answer."""

    def __init__(self, count: int, max_bytes: int):
        self.count = count
        self.max_bytes = max_bytes
        self.procs: list[asyncio.subprocess.Process] = []
        self._pending: list[deque[asyncio.Future[tuple[Any, ...]]]] = []
        self._readers: list[asyncio.Task[None]] = []

    async def start(self) -> ParseWorkers:
        # A fixed mmap threshold from the start: a worker's long files otherwise stay resident (bot/heap.py).
        env = {**threshold_environment(), **os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))}
        for _ in range(self.count):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.parse_worker", str(self.max_bytes),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env)
            pending: deque[asyncio.Future[tuple[Any, ...]]] = deque()
            self.procs.append(proc)
            self._pending.append(pending)
            self._readers.append(asyncio.create_task(self._read(proc, pending)))
        return self

    def submit(self, request: str | dict) -> asyncio.Future[tuple[Any, ...]]:
        """Send one request (a path, or ``{"ask": "modules"}``) to the next worker; its answer, when it comes."""
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        alive = [i for i in range(self.count) if not self._readers[i].done()]
        if not alive:
            future.set_exception(WorkerDied("every parse worker has exited"))
            return future
        index = min(alive, key=lambda i: len(self._pending[i]))
        self._pending[index].append(future)
        stdin = self.procs[index].stdin
        assert stdin is not None
        # ASCII JSON: a path's undecodable bytes (surrogate escapes) travel as \udcXX and come back the same.
        stdin.write(json.dumps(request).encode() + b"\n")
        return future

    @staticmethod
    async def _read(proc: asyncio.subprocess.Process, pending: deque[asyncio.Future[tuple[Any, ...]]]) -> None:
        assert proc.stdout is not None
        try:
            while True:
                header = await proc.stdout.readexactly(HEADER.size)
                message = pickle.loads(await proc.stdout.readexactly(HEADER.unpack(header)[0]))
                future = pending.popleft()
                if not future.done():
                    future.set_result(message)
        except (asyncio.IncompleteReadError, ConnectionError):
            status = await proc.wait()
            while pending:
                future = pending.popleft()
                if not future.done():
                    future.set_exception(WorkerDied(f"the parse worker exited with status {status}"))

    async def close(self) -> None:
        for proc in self.procs:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Import every file; a bad file is recorded in ``failed`` with its reason and the rest go on.

    For many files, reading and parsing run in ``workers`` processes (default :func:`default_workers`; 0 parses
    here) while this process writes to SQLite: a worker *thread* would hold the GIL that the database thread
    needs for every row. Files that are ready together are written in one transaction (up to BATCH_COMMENTS
    comments), each file still all or nothing (:meth:`db.store.Store.import_files`).
    """
    summary = ImportSummary()
    files = list(thread_files(paths))
    count = default_workers() if workers is None else max(0, workers)
    pool = await ParseWorkers(count, max_bytes).start() if count and len(files) >= PARALLEL_FROM else None
    pending: deque[tuple[Path, asyncio.Future[tuple[Any, ...]], int]] = deque()
    queue = deque(files)
    n = pool.count if pool else 0
    ahead = ahead_bytes(n)
    in_flight = 0  # bytes of the files in ``pending``
    try:
        while True:
            while queue and (len(pending) < max(1, MIN_AHEAD * n)
                             or (in_flight < ahead and len(pending) < MAX_AHEAD * n)):
                path = queue.popleft()
                size = _file_size(path)
                in_flight += size
                pending.append((path, pool.submit(str(path)) if pool else _parsed_here(path, max_bytes), size))
            if not pending:
                break
            path, future, size = pending.popleft()
            batch, comments = [(path, future)], _comments_in(_ready(future))
            in_flight -= size
            # Then whatever else is parsed already, for the same transaction.
            while pending and pending[0][1].done() and len(batch) < BATCH_FILES and comments < BATCH_COMMENTS:
                path, future, size = pending.popleft()
                batch.append((path, future))
                comments += _comments_in(_ready(future))
                in_flight -= size
            await _store_batch(store, batch, summary, on_file, max_bytes)
    finally:
        for _, future, _ in pending:
            future.cancel()
        if pool is not None:
            await pool.close()
    return summary


def _ready(future: asyncio.Future[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    return future.result() if future.done() and not future.cancelled() and future.exception() is None else None


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the worker reports why it cannot be read


def _comments_in(message: tuple[Any, ...] | None) -> int:
    return len(message[3].comments) if message and message[0] == "ok" else 0


def _parsed_here(path: Path, max_bytes: int) -> asyncio.Future[tuple[Any, ...]]:
    """Parse right here, as a finished future (few files: not worth a worker process)."""
    future = asyncio.get_running_loop().create_future()
    future.set_result(answer(str(path), max_bytes))
    return future


async def _store_batch(
    store: Store,
    batch: list[tuple[Path, asyncio.Future[tuple[Any, ...]]]],
    summary: ImportSummary,
    on_file: Callable[[Path], None] | None,
    max_bytes: int,
) -> None:
    items: list[tuple[Path, FileImport]] = []
    warnings: list[list[str]] = []
    for path, future in batch:
        try:
            message = await future
        except WorkerDied:  # killed (out of memory?) before answering: the file is parsed here instead
            message = answer(str(path), max_bytes)
        if message[0] == "ok":
            _, name, sha256, rows = message
            items.append((path, FileImport(rows, source_key(name), sha256, name, slug_for(name), legacy_keys(name))))
            warnings.append(rows.warning_list)
        elif message[0] == "bad":
            summary.failed.append((path, message[2]))
        else:
            summary.failed.append((path, f"could not be parsed ({message[2]}); please report this file"))
    results = await store.import_files([item for _, item in items]) if items else []
    for (path, _), result, file_warnings in zip(items, results, warnings, strict=True):
        if isinstance(result, ImportRefused):
            summary.failed.append((path, result.reason))
        else:
            summary.stored.append((path, result))
            summary.warnings.extend(file_warnings)
    if on_file:
        for path, _ in batch:
            on_file(path)
