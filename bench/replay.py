"""Replay benchmark: the bot as its own process against the stand-in with Discord's limits enforced.

    python bench/replay.py [--comments 300] [--channels 20] [--scale 0.05]

Discord's windows are scaled down by --scale (0.05: 30 webhook messages per 3 s instead of per 60 s), and the
bot's own per-channel budget is scaled the same way: the ratios are what count.

1. One 300-comment replay at the fastest pace: throughput against the enforced per-channel limit, 429s
   served, bot CPU (share of one core) and peak RSS.
2. The same replay in 20 channels at once.
3. 200 slash commands sent at once: time to answer, p50/p99 (Discord's deadline is 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import Corpus  # noqa: E402
from bot.core.budget import API_BUDGET  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.limits import WEBHOOK_CHANNEL  # noqa: E402
from tests.harness.botprocess import BotProcess  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    """VmRSS: the process's resident set now."""
    return _status_mb(pid, "VmRSS")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set over its whole life."""
    return _status_mb(pid, "VmHWM")


def pct(values: list[float], q: float) -> float:
    """The q-th quantile by the nearest-rank method (p99 of 200 values is the 198th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def median_range(values: list[float], fmt: str = ".0f", unit: str = "") -> str:
    """How the benchmarks quote repeated runs: ``median [min-max]``."""
    return f"{statistics.median(values):{fmt}}{unit} [{min(values):{fmt}}-{max(values):{fmt}}]"


class Sampler:
    """Peak RSS of the bot process, sampled while it works."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0.0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.pid))
            await asyncio.sleep(0.1)

    def stop(self) -> float:
        self.task.cancel()
        return self.peak


async def replay_in(fake: FakeDiscord, channels: list[int]) -> float:
    """Start the replay in every channel at once; returns the wall time until the last message."""
    start = time.monotonic()
    await asyncio.gather(*(fake.slash(fake.admin, "replay start", thread="Synthetic", pace="0", channel_id=c)
                           for c in channels))
    while not all(any("Finished" in m.content for m in fake.channel_messages(c) if not m.webhook_id)
                  for c in channels):
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def channel_efficiency(fake: FakeDiscord, channel_id: int, limit: int, period: float) -> float:
    """The limit's least time for the channel's messages over the time they took, from the first message to the
    last (snowflake ids carry the time each message was stored)."""
    stamps = [(m.id >> 22) / 1000 for m in fake.channel_messages(channel_id) if m.webhook_id]
    return ideal_seconds(len(stamps), limit, period) / (max(stamps) - min(stamps))


def ideal_seconds(messages: int, limit: int, period: float) -> float:
    """The least time the enforced limit allows: a full window at once, then one window per `limit` more."""
    return (math.ceil(messages / limit) - 1) * period


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=300)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()

    limit, period = WEBHOOK_CHANNEL[0], WEBHOOK_CHANNEL[1] * args.scale
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        seeds = workdir / "seeds"
        seeds.mkdir()
        text = Corpus(seed=7).thread_text(0, args.comments, title="Synthetic replay")
        # Comments as long as real ones (bench/corpus.py): a rare long one takes two messages; figures count messages.
        (seeds / "synthetic.txt").write_text(text, encoding="utf-8")

        fake = await FakeDiscord(scale=args.scale).start()
        channels = [fake.text_channel] + [fake.add_channel(f"room-{i}") for i in range(1, args.channels)]
        api_limit, api_period = API_BUDGET.limit, API_BUDGET.period * args.scale
        bot = BotProcess(fake, workdir, seeds=seeds, env={"RETHREAD_WEBHOOK_BUDGET": f"{limit}/{period:g}",
                                                           "RETHREAD_API_BUDGET": f"{api_limit}/{api_period:g}",
                                                           "LOG_LEVEL": "WARNING"})
        await bot.start(timeout=60)
        await asyncio.sleep(2.5)  # on_ready waits for guilds; let the start-up settle before measuring
        pid = bot.proc.pid
        print(f"limits scaled x{args.scale}: {limit} webhook messages per {period:g} s per channel; "
              f"{args.comments} comments per replay")

        # 1. One channel.
        sampler = Sampler(pid)
        cpu0 = cpu_seconds(pid)
        wall = await replay_in(fake, channels[:1])
        cpu = cpu_seconds(pid) - cpu0
        peak = sampler.stop()
        sent = sum(1 for m in fake.channel_messages(channels[0]) if m.webhook_id)
        ideal = ideal_seconds(sent, limit, period)
        print(f"1 channel : {sent} messages in {wall:.2f} s; the limit allows it in {ideal:.2f} s "
              f"-> throughput {100 * ideal / wall:.1f}% of the limit (first message to last: "
              f"{100 * channel_efficiency(fake, channels[0], limit, period):.1f}%); "
              f"429s served: {fake.limits.total_429}; "
              f"bot CPU {100 * cpu / wall:.1f}% of one core; peak RSS {peak:.0f} MB")

        # 2. Many channels at once (the first channel already has its replay: use the others plus a new one).
        more = [*channels[1:], fake.add_channel("room-extra")]
        await fake.dispatch("CHANNEL_CREATE", fake.channels[more[-1]])
        before_429 = fake.limits.total_429
        sampler = Sampler(pid)
        cpu0 = cpu_seconds(pid)
        wall = await replay_in(fake, more)
        sent = sum(1 for c in more for m in fake.channel_messages(c) if m.webhook_id)
        cpu = cpu_seconds(pid) - cpu0
        peak = sampler.stop()
        ideal = ideal_seconds(sent // len(more), limit, period)
        each = sorted(channel_efficiency(fake, c, limit, period) for c in more)
        print(f"{len(more)} channels: {sent} messages in {wall:.2f} s (from the first command to the last message; "
              f"each channel's share needs {ideal:.2f} s at the limit) -> each channel, first to last message: "
              f"{100 * statistics.median(each):.1f}% of the limit (median), {100 * each[0]:.1f}% (lowest); "
              f"429s served: {fake.limits.total_429 - before_429} {dict(fake.limits.served_429)}; "
              f"bot CPU {100 * cpu / wall:.1f}% of one core; "
              f"peak RSS {peak:.0f} MB")

        refused = sorted({f"{r.method} {re.sub(r'[0-9]{6,}', '{id}', r.path)}" for r in fake.requests
                          if r.status == 429})
        if refused:
            print(f"   429s were served to: {', '.join(refused)}")

        # 3. Slash commands at once.
        records = await asyncio.gather(*(fake.slash(fake.member, "thread list") for _ in range(args.commands)))
        latencies = sorted((r.answered_at - r.created) * 1000 for r in records)
        p50 = statistics.median(latencies)
        p99 = pct(latencies, 0.99)
        print(f"{args.commands} slash commands at once: all answered; p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"max {latencies[-1]:.0f} ms (Discord's deadline: 3000 ms)")

        await bot.stop()
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
