"""Soak: the bot as its own process for --minutes against the stand-in at Discord's limits scaled down, replaying
into 50 channels at once (each channel starts its next replay as soon as one finishes) while members vote on
polls. Not run in CI.

    python bench/soak.py [--minutes 10] [--channels 50] [--pace 0.5] [--scale 0.1] [--votes-per-second 20]

Prints the bot's resident memory every 10 s and whether it grows after the warm-up (the first fifth of the run),
the 429s the stand-in served (goal: 0), and comments lost or posted twice over every replay (goal: 0), counted
from what each channel shows (tests/harness/faults.py marks every paragraph), votes lost (store against the
stand-in's count), and, once discussions exist (bot/runtime/discussions.py), the messages members write in one
open discussion (2 a second) that were not captured.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.replay import cpu_seconds, rss_mb  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.harness.botprocess import BotProcess  # noqa: E402
from tests.harness.faults import (  # noqa: E402
    DISCUSSIONS_BUILT,
    MARK,
    THREAD_TITLE,
    Ballot,
    Capture,
    FaultThread,
)

SAMPLE_EVERY = 10.0  # seconds
GROWTH_MB_PER_MINUTE = 0.1  # a steeper trend after warm-up is reported as growth


class Channel:
    """One channel's replays, one after another: where each round's messages begin."""

    def __init__(self, fake: FakeDiscord, channel_id: int):
        self.fake = fake
        self.id = channel_id
        self.round_starts: list[int] = []

    def running(self) -> bool:
        """The latest round's status message does not yet say it ended."""
        if not self.round_starts:
            return False
        for message in self.fake.messages[self.id][self.round_starts[-1]:]:
            if not message.get("webhook_id") and "`" in message["content"]:
                return not message["content"].startswith(("✅", "⏹", "⚠"))
        return True  # the status message is not posted yet

    async def start(self, pace: str) -> None:
        self.round_starts.append(len(self.fake.messages[self.id]))
        answer = await self.fake.slash(self.fake.admin, "replay start", channel_id=self.id, thread=THREAD_TITLE,
                                       pace=pace, timeout=30)
        assert answer.texts()[0].startswith("Replaying"), answer.texts()

    def count(self, thread: FaultThread) -> tuple[int, int, int]:
        """Rounds, comments lost and comments posted twice, round by round."""
        lost = duplicated = 0
        bounds = [*self.round_starts, len(self.fake.messages[self.id])]
        for start, end in itertools.pairwise(bounds):
            seen = Counter((int(c), int(p)) for m in self.fake.messages[self.id][start:end]
                           for c, p in MARK.findall(m["content"]))
            lost += len({c for c, p in thread.marks if not seen[(c, p)]})
            duplicated += len({c for (c, _), k in seen.items() if k > 1})
        return len(self.round_starts), lost, duplicated


async def vote_steadily(ballots: list[Ballot], per_second: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for ballot in ballots:
            await ballot.cast(1, changes=1 if len(ballot.voters) % 5 == 0 else 0)
        await asyncio.sleep(len(ballots) / per_second)


async def write_steadily(capture: Capture, per_second: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await capture.write(1)
        await asyncio.sleep(1 / per_second)


async def open_discussion(fake: FakeDiscord) -> Capture:
    """/discuss start in #general: the thread replayed into a new Discord thread, where members then write."""
    answer = await fake.slash(fake.admin, "discuss start", thread=THREAD_TITLE, pace="0.5", timeout=30)
    while not answer.followups:
        await asyncio.sleep(0.05)
    return Capture(fake, int(fake.threads_of(fake.text_channel)[-1]["id"]))


async def main(args: argparse.Namespace) -> int:
    thread = FaultThread(40, long_every=10)
    fake = await FakeDiscord(scale=args.scale).start()
    channels = [Channel(fake, fake.add_channel(f"soak-{i + 1}")) for i in range(args.channels)]
    work = Path(tempfile.mkdtemp(prefix="rethread-soak-"))
    seeds = work / "seeds"
    seeds.mkdir()
    (seeds / "fault-line.txt").write_text(thread.text(), encoding="utf-8")
    window = 60 * args.scale
    bot = BotProcess(fake, work, seeds=seeds, env={"RETHREAD_WEBHOOK_BUDGET": f"30/{window:g}"})
    await bot.start()
    try:
        await asyncio.sleep(2.5)  # on_ready waits for the guild: let start-up settle
        ballots = []
        for i in range(3):
            answer = await fake.slash(fake.admin, "poll ask", thread=THREAD_TITLE, question=f"Soak poll {i + 1}?",
                                      answers="Yes; No; Not sure", duration=24)
            while not answer.followups:
                await asyncio.sleep(0.05)
            ballots.append(Ballot(fake, next(m.id for m in reversed(fake.channel_messages()) if m.poll)))
        stop_voting = asyncio.Event()
        voting = asyncio.create_task(vote_steadily(ballots, args.votes_per_second, stop_voting))
        capture = await open_discussion(fake) if DISCUSSIONS_BUILT else None
        writing = asyncio.create_task(write_steadily(capture, 2, stop_voting)) if capture else None
        cpu0, started = cpu_seconds(bot.pid), time.monotonic()
        deadline = started + args.minutes * 60
        samples: list[tuple[float, float]] = []
        next_sample = started
        print(f"soak: {args.channels} channels, pace {args.pace}, scale {args.scale} (window {window:g} s), "
              f"{args.minutes} min; bot pid {bot.pid}; work folder {work}", flush=True)
        while time.monotonic() < deadline:
            for channel in channels:
                if not channel.running():
                    await channel.start(args.pace)
            if time.monotonic() >= next_sample:
                samples.append((time.monotonic() - started, rss_mb(bot.pid)))
                print(f"  {samples[-1][0]:5.0f} s  RSS {samples[-1][1]:6.1f} MB  "
                      f"replays {sum(len(c.round_starts) for c in channels)}  "
                      f"votes {sum(b.cast_count for b in ballots)}  429s {fake.limits.total_429}", flush=True)
                next_sample += SAMPLE_EVERY
            if not bot.running:
                raise AssertionError(f"the bot exited:\n{bot.log()[-3000:]}")
            await asyncio.sleep(0.5)
        stop_voting.set()
        await voting
        if writing is not None:
            await writing
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(bot.pid) - cpu0
        finish_by = time.monotonic() + 120
        while any(c.running() for c in channels) and time.monotonic() < finish_by:
            await asyncio.sleep(0.5)  # no new replays: let the last ones finish
        await asyncio.sleep(3)  # the last votes reach the store
        totals = [c.count(thread) for c in channels]
        rounds = sum(t[0] for t in totals)
        lost, duplicated = sum(t[1] for t in totals), sum(t[2] for t in totals)
        unfinished = sum(c.running() for c in channels)
        votes = sum(b.cast_count for b in ballots)
        votes_lost = sum(b.lost(bot.db_path) for b in ballots)
        captured_lost = capture.lost(bot.db_path) if capture else 0
        messages = sum(1 for c in channels for m in fake.messages[c.id] if m.get("webhook_id"))
    finally:
        bot.kill()
        await fake.stop()

    warm = [(t, rss) for t, rss in samples if t >= elapsed / 5]
    print()
    print("RSS series (MB, every 10 s): " + ", ".join(f"{rss:.1f}" for _, rss in samples))
    if len(warm) >= 6:
        third = len(warm) // 3
        early = statistics.median(rss for _, rss in warm[:third])
        late = statistics.median(rss for _, rss in warm[-third:])
        slope = statistics.linear_regression([t / 60 for t, _ in warm], [rss for _, rss in warm]).slope
        verdict = "grows" if slope > GROWTH_MB_PER_MINUTE else "flat"
        print(f"after warm-up ({elapsed / 5:.0f} s): first third median {early:.1f} MB, last third {late:.1f} MB; "
              f"trend {slope:+.2f} MB/min: {verdict}; peak {max(rss for _, rss in samples):.1f} MB")
    else:
        print("too few samples after warm-up to judge growth (run for longer)")
    print(f"replays: {rounds} ({unfinished} unfinished at the end), {messages} webhook messages in "
          f"{elapsed:.0f} s; bot CPU {cpu:.1f} s ({100 * cpu / elapsed:.0f}% of one core)")
    print(f"429s served: {fake.limits.total_429} {dict(fake.limits.served_429)}")
    print(f"comments lost: {lost}, posted twice: {duplicated}; votes: {votes} cast, {votes_lost} lost")
    if capture is None:
        print("discussion capture: not soaked (bot/runtime/discussions.py is not built yet)")
    else:
        print(f"discussion captured: {len(capture.written)} members' messages written, {captured_lost} lost")
    return 0 if not (lost or duplicated or votes_lost or captured_lost or fake.limits.total_429 or unfinished) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--pace", default="0.5", help="each replay's pace, seconds between comments")
    parser.add_argument("--scale", type=float, default=0.1, help="Discord's windows times this (0.1: 6 s, not 60)")
    parser.add_argument("--votes-per-second", type=float, default=20.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
