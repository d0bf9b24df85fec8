"""Import thread files (or folders of them) into the store, one transaction per file, streaming."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.parser import DEFAULT_MAX_BYTES, ThreadFileError, load_thread_file
from db.store import ImportResult, Store


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


def thread_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each named file, and every ``*.txt`` below each named folder (sorted, so imports are reproducible)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.txt") if p.is_file())
        else:
            yield path  # a missing file is reported by the import, not silently dropped


async def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
) -> ImportSummary:
    """Import every file; a bad file is recorded in ``failed`` with its reason and the rest go on."""
    summary = ImportSummary()
    for path in thread_files(paths):
        try:
            loaded = load_thread_file(path, max_bytes)
            summary.stored.append((path, await store.import_thread(loaded)))
            summary.warnings.extend(loaded.thread.warnings)
        except ThreadFileError as exc:
            summary.failed.append((path, exc.reason))
        finally:
            if on_file:
                on_file(path)
    return summary
