"""Poll benchmark: a burst of poll votes through the stand-in's gateway into the bot as its own process, and the
results chart rendered in this process.

    python bench/polls.py [--votes 10000] [--members 2000] [--polls 20] [--runs 3]

1. Votes: a fresh database with the demo seeds, `--polls` polls posted with `/poll ask` (4 answers each),
   `--members` new members, then `--votes` MESSAGE_POLL_VOTE_ADD/REMOVE events (single-choice; about a tenth of
   the votes are changed, which is a REMOVE then an ADD) sent as fast as the stand-in can send them. Then: does
   the bot's database hold exactly the stand-in's votes (per poll and answer, and voter by voter); event-to-stored
   latency (the database is read every `--every` ms from this process, read-only); bot CPU and peak RSS.
2. Chart: `results_chart` for a 10-answer poll: the first call (imports matplotlib), then p50 / range of 20.

With --runs > 1 the vote figures are given per run, then as median [min - max].
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.replay import Sampler, cpu_seconds, median_range, pct, peak_rss_mb  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.harness.botprocess import BotProcess  # noqa: E402

ANSWERS = ("Keep it as it is", "Change the menu", "Close on Mondays", "Sell to the regulars")
CHANGED = 0.1  # share of first votes that are later changed to another answer


def plan_votes(rng: random.Random, members: list[dict], message_ids: list[int], events: int) -> list[tuple]:
    """(user, message id, answer) actions giving `events` gateway events: a first vote is one ADD, a changed vote
    a REMOVE and an ADD. Each (member, poll) pair is voted on once and changed at most once, to another answer."""
    firsts = round(events / (1 + 2 * CHANGED))
    changes = (events - firsts) // 2
    firsts = events - 2 * changes
    per_member = firsts / len(members)
    pairs: list[tuple[dict, int]] = []
    for i, member in enumerate(members):
        n = int((i + 1) * per_member) - int(i * per_member)  # spread the remainder: n is per_member rounded
        pairs += [(member, m) for m in rng.sample(message_ids, min(n, len(message_ids)))]
    keyed = []
    chosen = {}
    for member, message_id in pairs:
        key = rng.random()
        answer = rng.randint(1, len(ANSWERS))
        chosen[(member["id"], message_id)] = (key, answer)
        keyed.append((key, member, message_id, answer))
    for member, message_id in rng.sample(pairs, changes):
        key, answer = chosen[(member["id"], message_id)]
        other = rng.choice([a for a in range(1, len(ANSWERS) + 1) if a != answer])
        keyed.append((key + rng.random() * (1 - key), member, message_id, other))
    keyed.sort(key=lambda k: k[0])
    return [(member, message_id, answer) for _, member, message_id, answer in keyed]


def open_ro(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def stored_rows(conn: sqlite3.Connection) -> list[tuple[int, int, int]]:
    return conn.execute("SELECT poll_id, user_id, answer_id FROM poll_votes").fetchall()


def compare(conn: sqlite3.Connection, fake: FakeDiscord, poll_of: dict[int, int]) -> list[str]:
    """Mismatches between the stand-in's votes and the stored ones: per (poll, answer) counts, then voter sets."""
    rows = conn.execute(
        "SELECT p.message_id, v.answer_id, COUNT(*) FROM poll_votes v JOIN polls p ON p.id = v.poll_id"
        " GROUP BY p.message_id, v.answer_id").fetchall()
    stored_counts = {(m, a): n for m, a, n in rows}
    voters = {(m, a): set() for m, a in stored_counts}
    for m, a, u in conn.execute(
            "SELECT p.message_id, v.answer_id, v.user_id FROM poll_votes v JOIN polls p ON p.id = v.poll_id"):
        voters[(m, a)].add(u)
    out = []
    expected = {}
    for message_id in poll_of:
        for answer, who in fake.poll_votes(message_id).items():
            expected[(message_id, answer)] = set(who)
    for key in sorted(set(expected) | set(stored_counts)):
        want, got = len(expected.get(key, ())), stored_counts.get(key, 0)
        if want != got:
            out.append(f"poll message {key[0]} answer {key[1]}: stand-in {want}, stored {got}")
        elif expected.get(key, set()) != voters.get(key, set()):
            out.append(f"poll message {key[0]} answer {key[1]}: same count ({want}) but different voters")
    duplicates = conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM poll_votes GROUP BY poll_id, user_id, answer_id"
                              " HAVING COUNT(*) > 1)").fetchone()[0]
    if duplicates:
        out.append(f"{duplicates} (poll, user, answer) rows stored more than once")
    return out


async def until(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def one_run(args, run: int) -> dict:
    rng = random.Random(1000 + run)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        fake = await FakeDiscord(scale=0.1).start()
        bot = BotProcess(fake, workdir, env={"RETHREAD_WEBHOOK_BUDGET": "30/6", "LOG_LEVEL": "WARNING"})
        try:
            t0 = time.monotonic()
            await bot.start(timeout=60)
            await asyncio.sleep(2.5)  # on_ready waits for guilds; let the start-up settle
            pid = bot.proc.pid
            startup = time.monotonic() - t0

            # Polls through /poll ask (the command defers: its answer is the follow-up).
            t0 = time.monotonic()
            for i in range(args.polls):
                answer = await fake.slash(fake.admin, "poll ask", thread="Café", question=f"Question {i + 1}?",
                                          answers="; ".join(ANSWERS), duration=24)
                await until(lambda a=answer: a.followups, f"/poll ask {i + 1} to follow up")
                assert "posted" in answer.texts()[-1], answer.texts()
            message_ids = [m.id for m in fake.channel_messages() if m.poll]
            assert len(message_ids) == args.polls, f"{len(message_ids)} polls posted, wanted {args.polls}"
            posting = time.monotonic() - t0
            db = open_ro(bot.db_path)
            poll_of = {m: p for m, p in db.execute("SELECT message_id, id FROM polls")}
            assert set(poll_of) == set(message_ids), "every posted poll is stored"

            members = [fake.add_user(f"member{i}") for i in range(args.members)]
            actions = plan_votes(rng, members, message_ids, args.votes)

            # Observe every vote event as the stand-in dispatches it.
            added_at: dict[tuple[int, int, int], float] = {}  # (poll id, user id, answer) → dispatch time
            removed: set[tuple[int, int, int]] = set()
            counts = {"MESSAGE_POLL_VOTE_ADD": 0, "MESSAGE_POLL_VOTE_REMOVE": 0}
            dispatch = fake.dispatch

            async def observed(event: str, data: dict) -> None:
                if event in counts:
                    key = (poll_of[int(data["message_id"])], int(data["user_id"]), int(data["answer_id"]))
                    counts[event] += 1
                    if event == "MESSAGE_POLL_VOTE_ADD":
                        added_at[key] = time.monotonic()
                    else:
                        removed.add(key)
                await dispatch(event, data)

            fake.dispatch = observed

            # Watch the database from a thread: when each (poll, user, answer) row first appears.
            seen_at: dict[tuple[int, int, int], float] = {}
            watching = True

            def watch() -> None:
                conn = open_ro(bot.db_path)
                while watching:
                    rows = stored_rows(conn)
                    now = time.monotonic()
                    for row in rows:
                        seen_at.setdefault(row, now)
                    time.sleep(args.every / 1000)
                conn.close()

            watcher = asyncio.create_task(asyncio.to_thread(watch))
            sampler = Sampler(pid)
            cpu0 = cpu_seconds(pid)
            start = time.monotonic()
            for member, message_id, answer in actions:
                await fake.vote(member, message_id, answer)
            sent = time.monotonic() - start
            events = sum(counts.values())

            # Until the database holds the stand-in's votes.
            mismatches = compare(db, fake, poll_of)
            deadline = time.monotonic() + args.timeout
            while mismatches and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                mismatches = compare(db, fake, poll_of)
            stored = time.monotonic() - start
            cpu = cpu_seconds(pid) - cpu0
            peak_sampled = sampler.stop()
            await asyncio.sleep(max(0.1, 2 * args.every / 1000))  # one more look by the watcher
            watching = False
            await watcher
            await asyncio.sleep(1.0)
            mismatches = compare(db, fake, poll_of)  # still right a second later (nothing late or doubled)
            peak = max(peak_rss_mb(pid), peak_sampled)

            final_adds = [k for k in added_at if k not in removed]
            latencies = [(seen_at[k] - added_at[k]) * 1000 for k in added_at if k in seen_at]
            unseen = [k for k in final_adds if k not in seen_at]
            transient_unseen = sum(1 for k in added_at if k in removed and k not in seen_at)
            db.close()
        finally:
            if bot.proc is not None and bot.proc.poll() is None:
                await bot.stop()
            log = bot.log()
            await fake.stop()
    problems = [line for line in log.splitlines() if any(w in line for w in ("ERROR", "Traceback", "WARNING"))
                and "voice will NOT be supported" not in line]  # discord.py's note on optional voice packages
    return {
        "startup": startup, "posting": posting, "events": events, "adds": counts["MESSAGE_POLL_VOTE_ADD"],
        "removes": counts["MESSAGE_POLL_VOTE_REMOVE"], "sent": sent, "stored": stored, "cpu": cpu,
        "cpu_pct": 100 * cpu / stored, "peak": peak, "exact": not mismatches, "mismatches": mismatches,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": pct(latencies, 0.99) if latencies else float("nan"), "max": max(latencies, default=float("nan")),
        "measured": len(latencies), "unseen": len(unseen), "transient_unseen": transient_unseen,
        "log_problems": problems,
    }


def chart_bench() -> None:
    from bot.core.charts import results_chart
    from bot.core.polls import PollResults

    answers = tuple(f"Answer number {i} with a few words" for i in range(1, 11))
    results = PollResults(answers, tuple(random.Random(3).randint(0, 500) for _ in answers), finalized=False)
    question = "Which of these ten answers do you like best?"
    already = "matplotlib" in sys.modules
    t0 = time.perf_counter()
    png = results_chart(question, results)
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        results_chart(question, results)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"chart (10 answers, {len(png) // 1024} KB PNG): first call {first:.0f} ms"
          f"{' (matplotlib already imported)' if already else ' (includes importing matplotlib)'}; "
          f"then 20 renders: p50 {statistics.median(times):.1f} ms, range {min(times):.1f}-{max(times):.1f} ms")


def summary(label: str, values: list[float], fmt: str, unit: str) -> str:
    if len(values) == 1:
        return f"{label} {values[0]:{fmt}}{unit}"
    return f"{label} {median_range(values, fmt, unit)}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votes", type=int, default=10000, help="vote events (ADD and REMOVE) to send")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--every", type=float, default=20, help="ms between looks at the database")
    parser.add_argument("--timeout", type=float, default=120, help="s to wait for the votes to be stored")
    args = parser.parse_args()

    print(f"{args.polls} polls x {len(ANSWERS)} answers, {args.members} members, {args.votes} vote events "
          f"(~{100 * CHANGED:.0f}% of votes changed: REMOVE+ADD), database read every {args.every:g} ms")
    results = []
    for run in range(1, args.runs + 1):
        r = await one_run(args, run)
        results.append(r)
        print(f"run {run}: bot up in {r['startup']:.1f} s, {args.polls} polls posted in {r['posting']:.1f} s; "
              f"{r['events']} events ({r['adds']} ADD, {r['removes']} REMOVE) sent in {r['sent']:.2f} s "
              f"({r['events'] / r['sent']:.0f}/s); all stored {r['stored']:.2f} s after the first "
              f"({r['events'] / r['stored']:.0f} events/s)")
        print(f"       every vote stored exactly once: {'yes' if r['exact'] else 'no'}"
              + (f" ({len(r['mismatches'])} mismatches: {'; '.join(r['mismatches'][:5])})" if r['mismatches'] else ""))
        print(f"       event-to-stored latency over {r['measured']} ADDs: p50 {r['p50']:.0f} ms, "
              f"p99 {r['p99']:.0f} ms, max {r['max']:.0f} ms"
              f" ({r['transient_unseen']} changed-away votes came and went between looks; "
              f"{r['unseen']} final votes never seen)")
        print(f"       bot CPU {r['cpu']:.2f} s = {r['cpu_pct']:.0f}% of one core over the burst; "
              f"peak RSS {r['peak']:.0f} MB; bot log: {len(r['log_problems'])} WARNING/ERROR lines")
        for line in r["log_problems"][:5]:
            print(f"         | {line[:200]}")
    if len(results) > 1:
        print(f"over {len(results)} runs, median [min-max]:")
        print("  " + "; ".join([
            summary("send", [r["sent"] for r in results], ".2f", " s"),
            summary("all stored", [r["stored"] for r in results], ".2f", " s"),
            summary("stored/s", [r["events"] / r["stored"] for r in results], ".0f", ""),
        ]))
        print("  latency " + "; ".join([
            summary("p50", [r["p50"] for r in results], ".0f", " ms"),
            summary("p99", [r["p99"] for r in results], ".0f", " ms"),
            summary("max", [r["max"] for r in results], ".0f", " ms"),
        ]))
        print("  " + "; ".join([
            summary("bot CPU", [r["cpu"] for r in results], ".2f", " s"),
            summary("share of one core", [r["cpu_pct"] for r in results], ".0f", "%"),
            summary("peak RSS", [r["peak"] for r in results], ".0f", " MB"),
        ]))
        print(f"  every vote stored exactly once: {'yes' if all(r['exact'] for r in results) else 'no'} "
              f"({sum(r['exact'] for r in results)}/{len(results)} runs)")
    chart_bench()


if __name__ == "__main__":
    asyncio.run(main())
