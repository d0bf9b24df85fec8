"""CLI benchmark: every store-only `rethread` command on the 400,000-comment database, as a user runs it.

    python bench/cli.py [--runs 5] [--threads 2000]

Uses bench/commands.py's cached database (built there on first use), copied so nothing changes the cache. Each
command runs --runs times as its own process (`rethread ...`, the console script), interleaved; prints the wall
time's median and range and the output's size. Target: each under 0.3 s. Also times, in this process,
`Store.search_comments` on a common, a middling and a rare word against ranking every match with bm25 (the
search before it was bounded), side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.commands import Workload, built_database  # noqa: E402
from bench.corpus import DEFAULT_SEED  # noqa: E402


def commands(work: Workload) -> list[list[str]]:
    median_thread = sorted(work.threads, key=lambda t: t[2])[len(work.threads) // 2]
    largest = max(work.threads, key=lambda t: t[2])
    common, middling, rare = work.queries[0], work.queries[3], work.queries[5]
    return [["--help"], ["threads"], ["threads", "--page", "40"], ["threads", "--limit", "0"],
            ["show", str(median_thread[0])], ["export", str(median_thread[0])], ["export", str(largest[0])],
            ["search", common], ["search", middling], ["search", rare], ["search", "--fts", f"{common} OR {rare}"],
            ["db", "status"], ["stats"], ["polls", "export", "--csv", "-"]]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True)
    return time.perf_counter() - start, len(done.stdout), done.returncode


async def search_side_by_side(db: Path, words: list[str], runs: int) -> None:
    from db.search import parse_query, words_query
    from db.store import Store

    unbounded = ("SELECT t.id, c.number, c.author, snippet(comments_fts, -1, '[', ']', '…', 16) FROM comments_fts"
                 " JOIN comments c ON c.id = comments_fts.rowid JOIN threads t ON t.current_revision_id = c.revision_id"
                 " WHERE comments_fts MATCH ? ORDER BY rank LIMIT 10")
    raw = sqlite3.connect(db)
    async with Store.opened(db) as store:
        for word in words:
            now, before = [], []
            for _ in range(runs):  # interleaved: bounded, then every match ranked
                start = time.perf_counter()
                results = await store.search_comments(word, 10)
                now.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                raw.execute(unbounded, (words_query(parse_query(word)),)).fetchall()
                before.append((time.perf_counter() - start) * 1000)
            print(f"   search {word!r:>14}: {results.total:,}{'+' if results.capped else ''} matches;"
                  f" now {statistics.median(now):6.1f} ms [{min(now):.1f}-{max(now):.1f}],"
                  f" every match ranked {statistics.median(before):6.1f} ms [{min(before):.1f}-{max(before):.1f}]")
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    cached = built_database(args.seed, args.threads)
    work = Workload(cached, args.seed)
    rethread = str(Path(sys.executable).parent / "rethread")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cli.sqlite3"
        shutil.copyfile(cached, db)
        env = {"PATH": os.environ.get("PATH", ""), "RETHREAD_DB": str(db), "DISCORD_TOKEN": "", "COLUMNS": "120"}
        subprocess.run([rethread, "db", "migrate"], env=env, capture_output=True, check=True)  # as the bot leaves it
        cmds = commands(work)
        times: dict[int, list[float]] = {i: [] for i in range(len(cmds))}
        sizes: dict[int, tuple[int, int]] = {}
        for _ in range(args.runs):
            for i, cmd in enumerate(cmds):
                wall, size, status = timed([rethread, *cmd], env)
                times[i].append(wall)
                sizes[i] = (size, status)
        comments = sum(t[2] for t in work.threads)
        print(f"{len(work.threads):,} threads, {comments:,} comments; {args.runs} interleaved runs of each command"
              f" (median [range]); target < 0.3 s")
        for i, cmd in enumerate(cmds):
            ts = times[i]
            size, status = sizes[i]
            print(f"   rethread {' '.join(cmd):<42} {statistics.median(ts):.3f} s [{min(ts):.3f}-{max(ts):.3f}]"
                  f"   {size / 1024:8.1f} KB out{'' if status == 0 else f', exit status {status}'}")
        print("store.search_comments against ranking every match (in this process, side by side):")
        asyncio.run(search_side_by_side(db, [work.queries[0], work.queries[3], work.queries[5]], args.runs))


if __name__ == "__main__":
    main()
