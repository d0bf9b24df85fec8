"""Discussion capture benchmark: members writing into open discussions through the stand-in's gateway, captured by
the bot as its own process.

    python bench/discuss.py [--messages 5000] [--members 50] [--discussions 5] [--runs 3] [--rate 0]

Each run: a fresh database with the demo seeds, the bot (`rethread run`) against the stand-in, and
`--discussions` discussions of "Café Zürich" opened with `/discuss start pace:0` in #general. Their replays
(10 comments each) are left to finish before the burst, so replies can point at replayed comments and the
replay's webhook traffic is not part of the figures.

Then the burst: `--members` new members write `--messages` messages in total into the discussions' Discord
threads, all at once (one task per member, interleaved message by message, as fast as the stand-in's gateway
takes them): each message in a thread picked at random, about 30% of them replies to a recent message of that
thread (a replayed comment or a member's), 2% with an attachment, some with non-ASCII text. Meanwhile members edit
5% as many of their own messages (each at most once), delete 1% of them one by one, and a moderator bulk-deletes
another 1% in groups of 2-5 (MESSAGE_DELETE_BULK). With `--rate R` the members together take R actions per
second instead (each pausing members/R s between actions): latency below the bot's capacity, not its backlog.

Checked at the end, against the stand-in's channels: every surviving member message stored exactly once (the
schema's UNIQUE message_id makes a second row impossible; a missing or left-over one is counted), in the right
discussion, with the member's name, its final (edited) text, its attachments, its number (the discussion's
numbers continue the original thread's, in the order members wrote, deleted ones not reused) and its reply link
(the number of the replayed comment or captured message it answers, computed here from the stand-in's order of
messages, not read from the bot's tables); and no deleted message left. Waits up to `--timeout` s for that, and
looks again a second later (nothing late or doubled).

Event-to-stored latency: the stand-in's `dispatch` is wrapped here to note the monotonic time at which each
MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE(_BULK) is handed to the gateway socket; a process of its own
reads the bot's database (read-only, WAL: it never blocks the bot's writes) every `--every` ms and notes when each
message's row first appears, first shows its edited text, and disappears, timing each look just before its query
(what it shows was committed before then, give or take the query's start). Latency = seen - dispatched, so it
includes the time the event waits in socket buffers and in the bot's queue, and overstates by up to one look
(the interval plus the query, about half of it on average). CLOCK_MONOTONIC is shared by all processes. A
message created and deleted between two looks has no create or delete latency (counted, not hidden).

Figures per run, then median [min-max] over the runs: messages/s delivered (MESSAGE_CREATEs over the time from the
first to the last dispatch), all events applied (first dispatch to the store equal to the stand-in), latency
p50/p99/max per kind, bot CPU seconds over that window (utime+stime from /proc), bot peak RSS (VmHWM: the whole
life, start-up included) and RSS before the burst, and this process's CPU (the stand-in and the writers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import Corpus  # noqa: E402
from bench.polls import open_ro, summary  # noqa: E402
from bench.replay import Sampler, cpu_seconds, pct, peak_rss_mb, rss_mb  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.harness.botprocess import BotProcess  # noqa: E402

ARTICLE = "Café Zürich"
REPLY = 0.30  # share of messages that reply to an earlier message of their thread
ATTACH = 0.02
ACCENTED = 0.05
EDITS = 0.05  # as a share of messages written
SINGLE_DELETES = 0.01
BULK_DELETES = 0.01
EXTRAS = (" — très bien ☕", " Zürich, 1962–2024 🙂", " ça m'étonne", " ß ẞ ğ ı İ")


@dataclass
class Burst:
    """What the writers did, as the stand-in stored it."""

    threads: list[int]
    members: list[dict]
    created: dict[int, list[int]] = field(default_factory=dict)  # thread → member message ids, in write order
    live: dict[int, set[int]] = field(default_factory=dict)  # thread → member messages not deleted
    own: dict[str, set[int]] = field(default_factory=dict)  # member id → their messages not deleted nor edited
    thread_of: dict[int, int] = field(default_factory=dict)
    targets: dict[int, list[int]] = field(default_factory=dict)  # thread → messages one can reply to, oldest first
    written = 0
    edits = 0
    single_deletes = 0
    bulk_events = 0
    bulk_deleted = 0
    skipped = 0  # edits or deletions with nothing of the member's left to act on


def quotas(total: int, parts: int) -> list[int]:
    return [(total * (i + 1)) // parts - (total * i) // parts for i in range(parts)]


def bulk_sizes(rng: random.Random, total: int) -> list[int]:
    """Group sizes of 2-5 summing to ``total`` (a lone 1 joins the previous group)."""
    sizes: list[int] = []
    while total > 0:
        n = min(total, rng.randint(2, 5))
        if n == 1 and sizes:
            sizes[-1] += 1
        else:
            sizes.append(n)
        total -= n
    return sizes


def plan_member(rng: random.Random, writes: int, edits: int, deletes: int) -> list[str]:
    """A member's actions in order: edits and deletions fall anywhere after their first message."""
    ops = ["write"] * writes
    for op in ["edit"] * edits + ["delete"] * deletes:
        ops.insert(rng.randint(1, len(ops)), op)
    return ops


def text_for(corpus: Corpus, rng: random.Random) -> str:
    text = corpus._sentences(rng, rng.randint(3, 45))  # the corpus's word and sentence shapes
    if rng.random() < ACCENTED:
        text += rng.choice(EXTRAS)
    return text


async def member(fake: FakeDiscord, burst: Burst, user: dict, ops: list[str], corpus: Corpus,
                 rng: random.Random, pause: float) -> None:
    """One member's actions; ``pause`` s between them (0: as fast as the stand-in takes them)."""
    mine = burst.own.setdefault(user["id"], set())
    await asyncio.sleep(rng.uniform(0, pause))  # paced members do not all write in the same instant
    for op in ops:
        if op == "write":
            thread = rng.choice(burst.threads)
            reply_to = None
            if rng.random() < REPLY:
                reply_to = rng.choice(burst.targets[thread][-100:])  # mostly recent messages
            attachments = ["photo.jpg"] if rng.random() < ATTACH else None
            message = await fake.member_writes(user, thread, text_for(corpus, rng), reply_to=reply_to,
                                               attachments=attachments)
            message_id = int(message["id"])
            burst.created.setdefault(thread, []).append(message_id)
            burst.live.setdefault(thread, set()).add(message_id)
            burst.targets[thread].append(message_id)
            burst.thread_of[message_id] = thread
            mine.add(message_id)
            burst.written += 1
        elif not mine:
            burst.skipped += 1
        elif op == "edit":
            message_id = rng.choice(sorted(mine))
            mine.discard(message_id)  # edited once at most
            thread = burst.thread_of[message_id]
            old = next(m["content"] for m in fake.messages[thread] if m["id"] == str(message_id))
            await fake.member_edits(thread, message_id, old + " (edit: " + text_for(corpus, rng) + ")")
            burst.edits += 1
        else:
            message_id = rng.choice(sorted(mine))
            forget(burst, message_id)
            await fake.member_deletes(burst.thread_of[message_id], message_id)
            burst.single_deletes += 1
        await asyncio.sleep(pause)  # 0: still lets the other members write in between


def forget(burst: Burst, message_id: int) -> None:
    """A message about to be deleted: nobody edits it, deletes it again or replies to it after this."""
    thread = burst.thread_of[message_id]
    burst.live[thread].discard(message_id)
    burst.targets[thread].remove(message_id)
    for mine in burst.own.values():
        mine.discard(message_id)


async def moderator(fake: FakeDiscord, burst: Burst, sizes: list[int], total: int, rng: random.Random) -> None:
    """Bulk deletions spread over the burst: the j-th once the writers are (j+1)/(n+1) of the way through."""
    for j, size in enumerate(sizes):
        threshold = total * (j + 1) // (len(sizes) + 1)
        while burst.written < threshold:
            await asyncio.sleep(0.002)
        candidates = [t for t in burst.threads if len(burst.live.get(t, ())) >= size]
        if not candidates:
            burst.skipped += 1
            continue
        thread = rng.choice(candidates)
        chosen = rng.sample(sorted(burst.live[thread]), size)
        for message_id in chosen:
            forget(burst, message_id)
        await fake.member_deletes(thread, *chosen)
        burst.bulk_events += 1
        burst.bulk_deleted += size


# -- what the store should hold ----------------------------------------------------------------------------------


def expected_rows(fake: FakeDiscord, burst: Burst, offsets: dict[int, int]) -> dict[int, tuple]:
    """message id → (thread, number, author, text, reply_to, attachments) for every member message the stand-in
    still shows. Numbers: the original thread's last number (``offsets``) plus the message's place among all the
    member messages written in its thread, deleted ones included. A reply to a replayed comment points at that
    comment's number (its place among the thread's webhook messages: one message per comment here)."""
    out = {}
    bot_id = fake.bot_user["id"]
    for thread in burst.threads:
        number_of = {mid: offsets[thread] + i for i, mid in enumerate(sorted(burst.created.get(thread, [])), 1)}
        replayed = [int(m["id"]) for m in fake.messages[thread] if m.get("webhook_id")]
        number_of.update({mid: i for i, mid in enumerate(replayed, 1)})
        for m in fake.messages[thread]:
            if m.get("webhook_id") or m["author"]["id"] == bot_id:
                continue
            reference = m.get("message_reference")
            reply_to = number_of[int(reference["message_id"])] if reference else None
            out[int(m["id"])] = (thread, number_of[int(m["id"])], m["author"]["username"], m["content"], reply_to,
                                 [a["url"] for a in m["attachments"]])
    return out


def stored_rows(conn: sqlite3.Connection) -> dict[int, tuple]:
    rows = conn.execute(
        "SELECT c.message_id, d.channel_id, c.number, c.author, c.text, c.reply_to, c.attachments"
        " FROM discussion_comments c JOIN discussions d ON d.id = c.discussion_id").fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows}


FIELDS = ("thread", "number", "author", "text", "reply_to", "attachments")


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:28] + "..." + text[-28:]


def compare(expected: dict[int, tuple], stored: dict[int, tuple]) -> list[str]:
    out = []
    missing = sorted(set(expected) - set(stored))
    left = sorted(set(stored) - set(expected))
    if missing:
        out.append(f"{len(missing)} surviving messages not stored (first: {missing[:3]})")
    if left:
        out.append(f"{len(left)} stored messages that Discord no longer shows (first: {left[:3]})")
    wrong: dict[str, list[int]] = {}
    for mid in sorted(set(expected) & set(stored)):
        for name, want, got in zip(FIELDS, expected[mid], stored[mid], strict=True):
            if want != got:
                wrong.setdefault(name, []).append(mid)
    for name, mids in wrong.items():
        mid = mids[0]
        i = FIELDS.index(name)
        out.append(f"{len(mids)} with the wrong {name} (message {mid}: stand-in {short(expected[mid][i])}, "
                   f"stored {short(stored[mid][i])})")
    return out


# -- watching the database ---------------------------------------------------------------------------------------


class Watcher:
    """Reads the bot's database every ``every`` seconds from a process of its own (so neither the stand-in's event
    loop nor the GIL delays a look): when each row first appeared, first showed an edited text, and vanished. A
    look's time is taken just before its query: what the query shows was committed before the query's snapshot,
    which begins right after that time."""

    def __init__(self, db_path: Path, every: float):
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._stop = context.Event()
        self._process = context.Process(target=watch, args=(str(db_path), every, child, self._stop), daemon=True)
        self._process.start()
        if not self._pipe.poll(30) or self._pipe.recv() != "ready":
            raise AssertionError("the database watcher did not start")

    def stop(self) -> None:
        self._stop.set()
        self.appeared, self.edited, self.vanished, self.looks = self._pipe.recv()
        self._process.join(5)


def watch(db_path: str, every: float, pipe, stop) -> None:
    appeared: dict[int, float] = {}
    edited: dict[tuple[int, str], float] = {}
    vanished: dict[int, float] = {}
    present: set[int] = set()
    looks = 0
    conn = open_ro(Path(db_path))
    pipe.send("ready")
    while not stop.is_set():
        now = time.monotonic()
        ids = {r[0] for r in conn.execute("SELECT message_id FROM discussion_comments")}
        for mid in ids - present:
            appeared.setdefault(mid, now)
        for mid in present - ids:
            vanished.setdefault(mid, now)
        now = time.monotonic()
        for key in conn.execute("SELECT message_id, text FROM discussion_comments WHERE edited_at IS NOT NULL"):
            edited.setdefault(key, now)
        present = ids
        looks += 1
        time.sleep(every)
    conn.close()
    pipe.send((appeared, edited, vanished, looks))


# -- one run -----------------------------------------------------------------------------------------------------


async def until(condition, what: str, seconds: float = 60.0, bot: BotProcess | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"\n{bot.log()[-3000:]}" if bot else ""))
        await asyncio.sleep(0.05)


def spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p99": math.nan, "max": math.nan, "n": 0}
    return {"p50": statistics.median(values), "p99": pct(values, 0.99), "max": max(values), "n": len(values)}


async def open_discussions(fake: FakeDiscord, bot: BotProcess, count: int) -> list[int]:
    threads = []
    for i in range(count):
        answer = await fake.slash(fake.admin, "discuss start", thread=ARTICLE, pace="0")
        await until(lambda a=answer: a.followups, f"/discuss start {i + 1} to answer", bot=bot)
        threads.append(int(fake.threads_of(fake.text_channel)[-1]["id"]))
    assert len(set(threads)) == count, f"{count} discussions opened {len(set(threads))} threads"
    db = open_ro(bot.db_path)
    try:
        await until(lambda: db.execute("SELECT COUNT(*) FROM replays WHERE state IN ('running', 'paused')")
                    .fetchone()[0] == 0, "the discussions' replays to finish", seconds=120, bot=bot)
    finally:
        db.close()
    return threads


async def one_run(args, run: int) -> dict:
    rng = random.Random(2000 + run)
    corpus = Corpus(seed=11 + run)
    with tempfile.TemporaryDirectory() as tmp:
        fake = await FakeDiscord(scale=0.1).start()
        bot = BotProcess(fake, Path(tmp), env={"RETHREAD_WEBHOOK_BUDGET": "30/6", "LOG_LEVEL": "WARNING"})
        try:
            await bot.start(timeout=60)
            await asyncio.sleep(2.5)  # on_ready waits for guilds; let the start-up settle
            pid = bot.pid
            t0 = time.monotonic()
            threads = await open_discussions(fake, bot, args.discussions)
            opening = time.monotonic() - t0
            db = open_ro(bot.db_path)
            offsets = dict(db.execute("SELECT d.channel_id, r.last_number FROM discussions d"
                                      " JOIN replays r ON r.id = d.replay_id"))
            burst = Burst(threads, [fake.add_user(f"member{i}") for i in range(args.members)])
            for thread in threads:
                replayed = [int(m["id"]) for m in fake.messages[thread] if m.get("webhook_id")]
                assert len(replayed) == offsets[thread], f"thread {thread}: {len(replayed)} replayed messages"
                burst.targets[thread] = replayed

            sent_create: dict[int, float] = {}
            sent_edit: dict[int, tuple[float, str]] = {}
            sent_delete: dict[int, float] = {}
            dispatch = fake.dispatch
            watched = set(threads)

            async def observed(event: str, data: dict) -> None:
                if event.startswith("MESSAGE_") and int(data.get("channel_id", 0)) in watched:
                    now = time.monotonic()
                    if event == "MESSAGE_CREATE":
                        sent_create[int(data["id"])] = now
                    elif event == "MESSAGE_UPDATE":
                        sent_edit[int(data["id"])] = (now, data["content"])
                    elif event == "MESSAGE_DELETE":
                        sent_delete[int(data["id"])] = now
                    elif event == "MESSAGE_DELETE_BULK":
                        sent_delete.update(dict.fromkeys((int(i) for i in data["ids"]), now))
                await dispatch(event, data)

            fake.dispatch = observed  # type: ignore[method-assign]

            n = args.messages
            writes = quotas(n, args.members)
            edits = quotas(round(n * EDITS), args.members)
            singles = quotas(round(n * SINGLE_DELETES), args.members)
            sizes = bulk_sizes(rng, round(n * BULK_DELETES))
            rss_before = rss_mb(pid)
            load = os.getloadavg()[0]  # the machine is shared: say how busy it was
            watcher = Watcher(bot.db_path, args.every / 1000)
            sampler = Sampler(pid)
            cpu0, own0 = cpu_seconds(pid), time.process_time()
            start = time.monotonic()
            await asyncio.gather(
                *(member(fake, burst, user, plan_member(rng, writes[i], edits[i], singles[i]), corpus,
                         random.Random(rng.random()), args.members / args.rate if args.rate else 0.0)
                  for i, user in enumerate(burst.members)),
                moderator(fake, burst, sizes, n, random.Random(rng.random())))
            sent_all = time.monotonic() - start
            own_cpu = time.process_time() - own0
            creates = sorted(sent_create.values())
            delivery = creates[-1] - creates[0] if len(creates) > 1 else math.nan

            expected = expected_rows(fake, burst, offsets)
            mismatches = compare(expected, stored_rows(db))
            deadline = time.monotonic() + args.timeout
            while mismatches and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                mismatches = compare(expected, stored_rows(db))
            applied = time.monotonic() - start
            cpu = cpu_seconds(pid) - cpu0
            sampler.stop()
            await asyncio.sleep(max(0.2, 3 * args.every / 1000))  # the watcher's last looks
            watcher.stop()
            await asyncio.sleep(1.0)
            mismatches = compare(expected, stored_rows(db))  # still right a second later
            peak = peak_rss_mb(pid)
            load = max(load, os.getloadavg()[0])
            rss_after = rss_mb(pid)
            db.close()
        finally:
            if bot.running:
                await bot.stop()
            log = bot.log()
            await fake.stop()

    create_ms = [(watcher.appeared[m] - t) * 1000 for m, t in sent_create.items() if m in watcher.appeared]
    edit_ms = [(watcher.edited[(m, text)] - t) * 1000 for m, (t, text) in sent_edit.items()
               if (m, text) in watcher.edited]
    delete_ms = [(watcher.vanished[m] - t) * 1000 for m, t in sent_delete.items() if m in watcher.vanished]
    problems = [line for line in log.splitlines() if any(w in line for w in ("ERROR", "Traceback", "WARNING"))
                and "voice will NOT be supported" not in line]
    return {
        "opening": opening, "written": burst.written, "edits": burst.edits, "singles": burst.single_deletes,
        "bulk_events": burst.bulk_events, "bulk_deleted": burst.bulk_deleted, "skipped": burst.skipped,
        "events": len(sent_create) + len(sent_edit) + len(sent_delete), "sent": sent_all, "delivery": delivery,
        "rate": len(creates) / delivery if delivery else math.nan, "applied": applied,
        "exact": not mismatches, "mismatches": mismatches, "surviving": len(expected),
        "replies": sum(1 for row in expected.values() if row[4] is not None),
        "create": spread(create_ms), "edit": spread(edit_ms), "delete": spread(delete_ms),
        "unseen_create": sum(1 for m in sent_create if m not in watcher.appeared),
        "unseen_delete": sum(1 for m in sent_delete if m not in watcher.vanished),
        "looks": watcher.looks, "cpu": cpu, "cpu_pct": 100 * cpu / applied, "own_cpu": own_cpu,
        "peak": peak, "rss_before": rss_before, "rss_after": rss_after, "log_problems": problems, "load": load,
    }


def report(r: dict, run: int, args) -> None:
    print(f"run {run}: {args.discussions} discussions opened and replayed in {r['opening']:.1f} s; burst: "
          f"{r['written']} messages ({r['replies']} surviving replies), {r['edits']} edits, {r['singles']} single "
          f"deletes, {r['bulk_events']} bulk deletes of {r['bulk_deleted']} messages"
          + (f", {r['skipped']} actions skipped (nothing left to act on)" if r["skipped"] else ""))
    print(f"       delivered {r['rate']:.0f} messages/s ({r['events']} events sent in {r['sent']:.2f} s); "
          f"store equal to the stand-in {r['applied']:.2f} s after the first event "
          f"({r['events'] / r['applied']:.0f} events/s)")
    print(f"       store equals the stand-in's threads ({r['surviving']} surviving member messages): "
          f"{'yes' if r['exact'] else 'NO'}" + (f": {'; '.join(r['mismatches'])}" if r["mismatches"] else ""))
    for kind in ("create", "edit", "delete"):
        s = r[kind]
        print(f"       {kind:6} event-to-stored over {s['n']}: p50 {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms, "
              f"max {s['max']:.0f} ms")
    print(f"       ({r['unseen_create']} messages and {r['unseen_delete']} deletions fell between two looks; "
          f"{r['looks']} looks every {args.every:g} ms)")
    print(f"       bot CPU {r['cpu']:.2f} s = {r['cpu_pct']:.0f}% of one core until applied; RSS {r['rss_before']:.0f} "
          f"MB before the burst, {r['rss_after']:.0f} MB after, peak {r['peak']:.0f} MB; stand-in and writers "
          f"(this process) CPU {r['own_cpu']:.2f} s; load average {r['load']:.1f} on {os.cpu_count()} cores; "
          f"bot log: {len(r['log_problems'])} WARNING/ERROR lines")
    for line in r["log_problems"][:5]:
        print(f"         | {line[:200]}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000, help="member messages written in the burst")
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--discussions", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0,
                        help="actions per second, all members together (0: as fast as the stand-in takes them)")
    parser.add_argument("--every", type=float, default=10, help="ms between looks at the database")
    parser.add_argument("--timeout", type=float, default=180, help="s to wait for the store to equal the stand-in")
    args = parser.parse_args()

    print(f"{args.members} members, {args.messages} messages into {args.discussions} discussions at once "
          f"(~{100 * REPLY:.0f}% replies, {100 * EDITS:.0f}% edited, {100 * (SINGLE_DELETES + BULK_DELETES):.0f}% "
          f"deleted, half of them in bulk), {f'{args.rate:g} actions/s' if args.rate else 'as fast as possible'}; "
          f"database read every {args.every:g} ms")
    results = []
    for run in range(1, args.runs + 1):
        r = await one_run(args, run)
        results.append(r)
        report(r, run, args)
    if len(results) > 1:
        print(f"over {len(results)} runs, median [min-max]:")
        print("  " + "; ".join([
            summary("delivered", [r["rate"] for r in results], ".0f", " messages/s"),
            summary("applied", [r["applied"] for r in results], ".2f", " s"),
            summary("events/s", [r["events"] / r["applied"] for r in results], ".0f", ""),
        ]))
        for kind in ("create", "edit", "delete"):
            print(f"  {kind} latency " + "; ".join([
                summary("p50", [r[kind]["p50"] for r in results], ".0f", " ms"),
                summary("p99", [r[kind]["p99"] for r in results], ".0f", " ms"),
                summary("max", [r[kind]["max"] for r in results], ".0f", " ms"),
            ]))
        print("  " + "; ".join([
            summary("bot CPU", [r["cpu"] for r in results], ".2f", " s"),
            summary("share of one core", [r["cpu_pct"] for r in results], ".0f", "%"),
            summary("peak RSS", [r["peak"] for r in results], ".0f", " MB"),
            summary("RSS growth", [r["rss_after"] - r["rss_before"] for r in results], ".0f", " MB"),
        ]))
        print(f"  store equals the stand-in: {'yes' if all(r['exact'] for r in results) else 'NO'} "
              f"({sum(r['exact'] for r in results)}/{len(results)} runs)")


if __name__ == "__main__":
    asyncio.run(main())
