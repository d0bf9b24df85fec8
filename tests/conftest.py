"""Shared fixtures: the real seed files from ../shared, the project's demo seeds, and a fresh SQLite store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: a short profile in CI and by default, a long one on demand (HYPOTHESIS_PROFILE=long).
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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


# -- SimCord: the real bot in a simulated Discord ------------------------------------------------------------


@pytest.fixture
async def bot_db(tmp_path):
    from tests.harness.simworld import seeded_database

    path = tmp_path / "bot.sqlite3"
    await seeded_database(path)
    return path


@pytest.fixture
async def simcord_bot(bot_db, request):
    """The bot SimCord runs (simcord's pytest plugin builds `simcord_env` from it), on its own store. Marked
    `without_message_content`: the bot as it runs once Discord refused it the Message Content intent."""
    from bot.runtime.app import RethreadBot
    from db.store import Store
    from tests.harness.simworld import test_settings

    content = request.node.get_closest_marker("without_message_content") is None
    async with Store.opened(bot_db) as store:
        bot = RethreadBot(test_settings(bot_db), store, message_content=content)
        yield bot
        # SimCord detaches the bot without calling close(): stop its replays before the store closes.
        await bot.stop_background_work()


@pytest.fixture
def world(simcord_env):
    from tests.harness.simworld import build_world

    return build_world(simcord_env)


# -- the wire-level stand-in, and the bot as a separate process -----------------------------------------------


@pytest.fixture
async def fake_discord():
    from tests.fakediscord import FakeDiscord

    fake = await FakeDiscord().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fast_fake():
    """The stand-in with Discord's limits ten times faster (the bot's webhook budget scaled to match)."""
    from tests.fakediscord import FakeDiscord

    fake = await FakeDiscord(scale=0.1).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(fast_fake, tmp_path):
    """`rethread run` as its own process against `fast_fake`, its webhook budget scaled the same."""
    from tests.harness.botprocess import BotProcess

    proc = BotProcess(fast_fake, tmp_path, env={"RETHREAD_WEBHOOK_BUDGET": "30/6"})
    await proc.start()
    yield proc
    proc.kill()


@pytest.fixture
async def bot_process(fake_discord, tmp_path):
    """`rethread run` as its own process, connected to the stand-in, with the demo seeds imported."""
    from tests.harness.botprocess import BotProcess

    proc = BotProcess(fake_discord, tmp_path)
    await proc.start()
    yield proc
    proc.kill()
