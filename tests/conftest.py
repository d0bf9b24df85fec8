"""Shared fixtures: the real seed files from ../shared, the project's demo seeds, and a fresh SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SHARED_SEEDS_DIR = ROOT.parent / "shared" / "seeds"
SHARED_SEEDS = sorted(SHARED_SEEDS_DIR.glob("*.txt")) if SHARED_SEEDS_DIR.is_dir() else []
NO_SHARED = "../shared/seeds is not beside this checkout (it is in CI); real-file tests skipped"


@pytest.fixture
def shared_seeds() -> list[Path]:
    if not SHARED_SEEDS:
        pytest.skip(NO_SHARED)
    return SHARED_SEEDS


def all_seed_params() -> list:
    """Every thread file the tests can read: demo seeds always, real ones when ../shared is present."""
    params = [pytest.param(p, id=f"demo:{p.stem}") for p in DEMO_SEEDS]
    params += [pytest.param(p, id=f"shared:{p.stem}") for p in SHARED_SEEDS]
    return params


@pytest.fixture
async def store(tmp_path):
    from db.store import Store

    store = await Store.open(tmp_path / "rethread.sqlite3")
    yield store
    await store.close()
