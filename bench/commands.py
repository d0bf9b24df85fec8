"""Command benchmark: 200 mixed slash commands at once against a real-sized database while 20 replays run, the bot
as its own process against the stand-in (tests/fakediscord), so its memory is the process's.

    python bench/commands.py [--runs 3] [--commands 200] [--replays 20] [--threads 2000] [--scale 0.05]

1. The database: bench/corpus.py's corpus (default 2,000 threads, about 400,000 comments) imported with
   `rethread import` once and cached as bench/out/commands-SEED-THREADS.sqlite3 (reruns copy it).
2. Each run: a fresh copy, the bot started with `rethread run` (no seeds), 20 replays started at pace 0 in 20
   channels (threads of 300 to 1,500 comments: they run through the whole burst; Discord's windows scaled by
   --scale, as in bench/replay.py), then, as the replays' second window opens, --commands interactions sent at
   once, in turn: /thread list (a random page), /thread info (a random thread), /thread search (a common, a
   middling, a rare word, two words, a phrase), autocomplete of thread: (the first letters of a title's word),
   autocomplete of from_comment: in /replay start, and /replay status in a replay's channel. Each answer is
   checked for what Discord would show.
3. Prints, per kind, p50 and p99 of the time to the answer shown (a deferred answer: its edit), per run and then
   median [range] over the runs; every command answered and checked; the bot's RSS before, its peak during the
   burst (sampled every 100 ms) and its high-water mark (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import DEFAULT_SEED, Corpus  # noqa: E402
from bench.replay import Sampler, cpu_seconds, median_range, pct, peak_rss_mb, rss_mb  # noqa: E402
from bot.core.budget import API_BUDGET  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.limits import WEBHOOK_CHANNEL  # noqa: E402
from tests.harness.botprocess import BotProcess  # noqa: E402

OUT = ROOT / "bench" / "out"
KINDS = ("thread list", "thread info", "thread search", "autocomplete thread:", "autocomplete from_comment:",
         "replay status")
DEFERRED = 5  # interaction callback type: "thinking", the answer comes as an edit


def built_database(seed: int, threads: int) -> Path:
    """The corpus imported once by `rethread import`, kept in bench/out/ for the next runs."""
    db = OUT / f"commands-{seed}-{threads}.sqlite3"
    if db.exists():
        return db
    OUT.mkdir(parents=True, exist_ok=True)
    corpus_dir = OUT / f"corpus-{seed}-{threads}"
    Corpus(seed).write(corpus_dir, threads, progress=True)
    partial = db.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    rethread = Path(sys.executable).parent / "rethread"
    subprocess.run([str(rethread), "import", str(corpus_dir)], check=True,
                   env={"PATH": str(rethread.parent), "RETHREAD_DB": str(partial), "DISCORD_TOKEN": ""})
    partial.rename(db)
    print(f"built {db} in {time.perf_counter() - started:.0f} s")
    return db


class Workload:
    """What the commands ask for, drawn from the database with a fixed seed."""

    def __init__(self, db: Path, seed: int):
        conn = sqlite3.connect(db)
        self.rng = random.Random(seed)
        rows = conn.execute("SELECT t.id, r.title, r.comment_count FROM threads t JOIN revisions r"
                            " ON r.id = t.current_revision_id ORDER BY t.id").fetchall()
        self.threads = [(int(i), str(title), int(n)) for i, title, n in rows]
        self.pages = -(-len(self.threads) // 20)
        sample = " ".join(r[0] for r in conn.execute("SELECT text FROM comments WHERE id % 97 = 0 LIMIT 4000"))
        conn.close()
        counts: dict[str, int] = {}
        for word in sample.lower().split():
            word = word.strip(".,!?\"'*…()")
            if word.isalpha():
                counts[word] = counts.get(word, 0) + 1
        ranked = sorted(counts, key=lambda w: -counts[w])
        # A common word (the most frequent), middling ones, rare ones, two words, a phrase.
        self.queries = [ranked[0], ranked[1], ranked[30], ranked[200], ranked[len(ranked) // 2], ranked[-1],
                        f"{ranked[0]} {ranked[2]}", f'"{ranked[0]} {ranked[1]}"']
        self.replayed = [t for t in self.threads if 300 <= t[2] <= 1500]

    def replay_threads(self, n: int) -> list[tuple[int, str, int]]:
        return self.rng.sample(self.replayed, n)

    def thread(self) -> tuple[int, str, int]:
        return self.rng.choice(self.threads)


async def send(fake: FakeDiscord, kind: str, work: Workload, channels: list[int]) -> dict:
    """One command; the time until what it shows is there, and whether it shows what it should."""
    started = time.monotonic()
    tid, title, comments = work.thread()
    if kind == "thread list":
        page = work.rng.randint(1, work.pages)
        record = await fake.slash(fake.member, "thread list", page=page, timeout=60)
        embed = ((record.response or {}).get("data") or {}).get("embeds", [{}])[0]
        ok = embed.get("title") == f"{len(work.threads):,} threads" and f"Page {page} of" in str(embed.get("footer"))
    elif kind == "thread info":
        record = await fake.slash(fake.member, "thread info", thread=str(tid), timeout=60)
        embed = ((record.response or {}).get("data") or {}).get("embeds", [{}])[0]
        ok = embed.get("footer", {}).get("text", "").startswith(f"Thread {tid} · revision 1")
    elif kind == "thread search":
        query = work.rng.choice(work.queries)
        record = await fake.slash(fake.member, "thread search", query=query, timeout=60)
        ok = None
    elif kind == "autocomplete thread:":
        word = work.rng.choice(title.split())
        typed = word[: max(3, len(word) - 2)].lower()
        record = await fake.autocomplete(fake.member, "thread info", "thread", thread=typed, timeout=60)
        choices = ((record.response or {}).get("data") or {}).get("choices") or []
        ok = bool(choices) and len(choices) <= 25
    elif kind == "autocomplete from_comment:":
        typed = str(work.rng.randint(1, min(comments, 99)))
        record = await fake.autocomplete(fake.admin, "replay start", "from_comment", thread=str(tid),
                                         from_comment=typed, timeout=60)
        choices = ((record.response or {}).get("data") or {}).get("choices") or []
        ok = bool(choices) and all(str(c["value"]).startswith(typed) or typed in c["name"] for c in choices)
    else:
        record = await fake.slash(fake.admin, "replay status", channel_id=work.rng.choice(channels), timeout=60)
        text = ((record.response or {}).get("data") or {}).get("content") or ""
        ok = record.ephemeral and "no replay running" not in text and "/" in text
    if (record.response or {}).get("type") == DEFERRED:
        while not record.followups:
            await asyncio.sleep(0.002)
        shown = time.monotonic()
    else:
        shown = record.answered_at or time.monotonic()
    if ok is None:  # the search's edit: a page titled "N comments match “query”" with its hits, or "No comment
        edit = record.followups[-1]  # matches “query”."
        title = ((edit.get("embeds") or [{}])[0]).get("title") or ""
        text = edit.get("content") or ""
        ok = " match" in title or text.startswith("No comment matches")
    return {"kind": kind, "ms": (shown - started) * 1000, "ok": bool(ok)}


async def one_run(db: Path, work: Workload, args: argparse.Namespace, run: int) -> dict:
    limit, period = WEBHOOK_CHANNEL[0], WEBHOOK_CHANNEL[1] * args.scale
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "no-seeds").mkdir()
        shutil.copyfile(db, workdir / "bot.sqlite3")
        fake = await FakeDiscord(scale=args.scale).start()
        channels = [fake.text_channel] + [fake.add_channel(f"room-{i}") for i in range(1, args.replays)]
        bot = BotProcess(fake, workdir, seeds=workdir / "no-seeds", env={
            "RETHREAD_WEBHOOK_BUDGET": f"{limit}/{period:g}",
            "RETHREAD_API_BUDGET": f"{API_BUDGET.limit}/{API_BUDGET.period * args.scale:g}",
            "LOG_LEVEL": "WARNING"})
        try:
            await bot.start(timeout=120)
            await asyncio.sleep(2.5)  # on_ready waits for guilds
            pid = bot.proc.pid
            idle = rss_mb(pid)
            replays = await asyncio.gather(*(
                fake.slash(fake.admin, "replay start", thread=str(t[0]), pace="0", channel_id=c, timeout=60)
                for t, c in zip(work.replay_threads(args.replays), channels, strict=True)))
            assert all("Replaying" in (r.texts() or [""])[0] for r in replays), [r.texts() for r in replays]
            # The burst starts as the replays' second window opens: each channel is sending its next 30 meanwhile.
            await asyncio.sleep(period + 0.05)
            replaying = rss_mb(pid)
            posted_before = sum(1 for c in channels for m in fake.channel_messages(c) if m.webhook_id)
            sampler = Sampler(pid)
            cpu0 = cpu_seconds(pid)
            kinds: list[str] = [KINDS[i % len(KINDS)] for i in range(args.commands)]
            burst = time.monotonic()
            results = await asyncio.gather(*(send(fake, k, work, channels) for k in kinds))
            burst = time.monotonic() - burst
            cpu = cpu_seconds(pid) - cpu0
            peak = sampler.stop()
            posted = sum(1 for c in channels for m in fake.channel_messages(c) if m.webhook_id) - posted_before
            live = sum(1 for c in channels if not any("Finished" in m.content for m in fake.channel_messages(c)
                                                      if not m.webhook_id))
            hwm = peak_rss_mb(pid)
        finally:
            await bot.stop()
            await fake.stop()
    per_kind = {k: [r["ms"] for r in results if r["kind"] == k] for k in KINDS}
    bad = [r for r in results if not r["ok"]]
    all_ms = [r["ms"] for r in results]
    print(f"run {run}: {len(results)} commands in {burst:.2f} s, {len(results) - len(bad)} answered as expected"
          f"{' (' + str(len(bad)) + ' not: ' + ', '.join(sorted({b['kind'] for b in bad})) + ')' if bad else ''};"
          f" all: p50 {statistics.median(all_ms):.0f} ms, p99 {pct(all_ms, 0.99):.0f} ms;"
          f" {live} of {args.replays} replays still running, {posted_before} comments posted before the burst,"
          f" {posted} during it;"
          f" bot CPU {cpu:.2f} s in the burst ({100 * cpu / burst:.0f}% of one core); load average"
          f" {os.getloadavg()[0]:.1f}; bot RSS {idle:.0f} MB idle, {replaying:.0f} MB replaying,"
          f" peak {peak:.0f} MB in the burst"
          f" (VmHWM {hwm:.0f} MB)", flush=True)
    for k, ms in per_kind.items():
        print(f"   {k:<28} n={len(ms):>3}  p50 {statistics.median(ms):6.0f} ms  p99 {pct(ms, 0.99):6.0f} ms"
              f"  max {max(ms):6.0f} ms")
    return {"per_kind": per_kind, "all": all_ms, "bad": len(bad), "n": len(results), "idle": idle,
            "posted_before": posted_before, "cpu": cpu, "burst": burst,
            "replaying": replaying, "peak": peak, "hwm": hwm, "live": live}


def fmt(values: list[float], unit: str = " ms") -> str:
    return median_range(values, ".0f", unit)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--replays", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()

    db = built_database(args.seed, args.threads)
    work = Workload(db, args.seed)
    comments = sum(t[2] for t in work.threads)
    print(f"database: {len(work.threads):,} threads, {comments:,} comments ({db.stat().st_size / 1e6:.0f} MB);"
          f" {args.commands} commands at once while {args.replays} replays run; searches: {work.queries}")
    runs = [await one_run(db, work, args, r + 1) for r in range(args.runs)]

    def over_runs(pick: Callable[[dict], float]) -> str:
        return fmt([pick(r) for r in runs])

    print(f"\nover {len(runs)} runs, median [range] of each run's figure:")
    for k in KINDS:
        print(f"   {k:<28} p50 {over_runs(lambda r, k=k: statistics.median(r['per_kind'][k])):>20}"
              f"   p99 {over_runs(lambda r, k=k: pct(r['per_kind'][k], 0.99)):>20}")
    print(f"   {'all':<28} p50 {over_runs(lambda r: statistics.median(r['all'])):>20}"
          f"   p99 {over_runs(lambda r: pct(r['all'], 0.99)):>20}   (target p99 < 1000 ms)")
    print(f"   bot CPU in the burst {fmt([r['cpu'] * 1000 for r in runs])} over a burst of"
          f" {fmt([r['burst'] * 1000 for r in runs])}")
    answered = sum(r["n"] - r["bad"] for r in runs)
    print(f"   answered as expected: {answered} of {sum(r['n'] for r in runs)}")
    print(f"   bot RSS: idle {fmt([r['idle'] for r in runs], ' MB')}, replaying "
          f"{fmt([r['replaying'] for r in runs], ' MB')}, peak in the burst {fmt([r['peak'] for r in runs], ' MB')},"
          f" VmHWM {fmt([r['hwm'] for r in runs], ' MB')}   (target < 120 MB)")


if __name__ == "__main__":
    asyncio.run(main())
