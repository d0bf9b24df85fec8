"""Ingest benchmark: `rethread import` end to end versus a bare sqlite3 executemany floor, in one run.

    python bench/ingest.py [--threads 2000] [--comments 200] [--keep]

1. Generates a synthetic corpus in the thread-file format (verified and unverified commenters, header replies,
   quotes, @-mentions, multi-paragraph comments) under bench/out/corpus/.
2. (a) runs `rethread import` on it as a separate process, into a fresh database, sampling the peak RSS of
   its whole process tree (the importer and its parse workers, summed);
3. (b) in another process, parses the same files first (not timed), then times one bare `executemany` of the
   same rows into a fresh database with the same schema (migrations) and pragmas: the floor.
Prints both times, the ratio (a)/(b), comments per second and peak RSS of each.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
WORDS = """the of and to in is that for it as was with be by on not he this are or his from at which but have an they
you were her she there would their we him been has when who will more no if out so said what up its about into than them
can only other new some could time these two may then do first any my now such like our over man me even most made after
also did many before must through back years where much your way well down should because each just those people how too
little state good very make world still own see men work long get here between both life being under never day same
another know while last might us great old year off come since against go came right used take three russia europe
market
council harbour storm keeper coffee postcard vote lease depot weather""".split()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(5, 22))
    return " ".join(words).capitalize() + rng.choice(".?!.")


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))


def thread_text(rng: random.Random, index: int, comments: int) -> str:
    lines = [f"Synthetic story {index}: {sentence(rng)}", "", "By Bench Reporter", ""]
    for _ in range(rng.randint(3, 8)):
        lines += [paragraph(rng), ""]
    names = [f"user_{rng.randint(1, 400)}" for _ in range(40)]
    written: list[tuple[str, str]] = []
    moment = datetime(2020, 1, 1) + timedelta(minutes=index)
    for _ in range(comments):
        author = rng.choice(names)
        lines.append(f"{author}'s picture")
        roll = rng.random()
        moment += timedelta(minutes=rng.randint(1, 30))
        if roll < 0.3:
            parent = f" {rng.choice(written)[0]}" if written and rng.random() < 0.7 else ""
            hour = moment.hour % 12 or 12
            lines.append(f"{author} (not verified){parent} {moment:%b} {moment.day}, {moment.year} "
                         f"{hour}:{moment:%M} {moment:%p}")
        lines.append("")
        body = [paragraph(rng) for _ in range(rng.randint(1, 3))]
        if written and 0.3 <= roll < 0.45:
            body.insert(0, rng.choice(written)[1])  # quote an earlier comment
        elif written and 0.45 <= roll < 0.55:
            body[0] = f"@{rng.choice(written)[0]} {body[0]}"
        for text in body:
            lines += [text, ""]
        written.append((author, body[-1]))
    return "\n".join(lines)


def make_corpus(folder: Path, threads: int, comments: int) -> int:
    marker = folder / f".complete-{threads}-{comments}"
    if marker.exists():
        return sum(1 for _ in folder.glob("*.txt"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(20261124)
    for i in range(threads):
        (folder / f"thread-{i:05d}.txt").write_text(thread_text(rng, i, comments), encoding="utf-8")
    marker.touch()
    return threads


FLOOR = r"""
import asyncio, json, resource, sqlite3, sys, time
from pathlib import Path
import aiosqlite
from bot.core.parser import load_thread_file
from db.migrate import migrate
from db.store import INSERT_COMMENT, comment_row

db, corpus = sys.argv[1], Path(sys.argv[2])
async def schema():
    async with aiosqlite.connect(db) as conn:
        await migrate(conn)
asyncio.run(schema())
files = sorted(corpus.glob("*.txt"))
loaded = [load_thread_file(p) for p in files]          # parsing is not part of the floor
revisions = [(i + 1, i + 1, 1, f.sha256, str(f.path), f.thread.title, f.thread.byline,
              json.dumps(list(f.thread.article)), len(f.thread.comments)) for i, f in enumerate(loaded)]
comments = [comment_row(i + 1, c) for i, f in enumerate(loaded) for c in f.thread.comments]
del loaded
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL"); conn.execute("PRAGMA foreign_keys = ON")
conn.execute("PRAGMA synchronous = NORMAL")
start = time.perf_counter()
conn.execute("BEGIN")
conn.executemany("INSERT INTO threads (id, slug) VALUES (?, ?)", [(r[0], f"t{r[0]}") for r in revisions])
conn.executemany("INSERT INTO revisions (id, thread_id, number, sha256, source_path, title, byline, article,"
                 " comment_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", revisions)
conn.executemany(INSERT_COMMENT, comments)
conn.execute("COMMIT")
print(time.perf_counter() - start, len(comments),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_rss_kb(int(child))
    except (OSError, StopIteration):
        pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=200, help="comments per thread")
    parser.add_argument("--keep", action="store_true", help="keep the databases in bench/out/")
    args = parser.parse_args()

    corpus = OUT / "corpus"
    t0 = time.perf_counter()
    files = make_corpus(corpus, args.threads, args.comments)
    size = sum(p.stat().st_size for p in corpus.glob("*.txt"))
    print(f"corpus: {files:,} threads x {args.comments} comments = {files * args.comments:,} comments, "
          f"{size / 1e6:.0f} MB ({time.perf_counter() - t0:.1f} s to generate or reuse)")

    db_a, db_b = OUT / "import.sqlite3", OUT / "floor.sqlite3"
    for db in (db_a, db_b):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    env = {**os.environ, "RETHREAD_DB": str(db_a), "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "import", str(corpus)], env=env,
                            stdout=subprocess.DEVNULL)
    import_rss = 0
    while proc.poll() is None:  # sample the whole process tree: the importer and its parse workers
        import_rss = max(import_rss, tree_rss_kb(proc.pid))
        time.sleep(0.05)
    import_s = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"rethread import failed with status {proc.returncode}")
    import_rss //= 1024

    floor = subprocess.run([sys.executable, "-c", FLOOR, str(db_b), str(corpus)], env=env, check=True,
                           capture_output=True, text=True)
    floor_s, comments, floor_rss = floor.stdout.split()
    floor_s, comments = float(floor_s), int(comments)

    print(f"(a) rethread import, end to end : {import_s:7.2f} s  {comments / import_s:>10,.0f} comments/s  "
          f"peak RSS {import_rss} MB (all processes)")
    print(f"(b) bare executemany (the floor): {floor_s:7.2f} s  {comments / floor_s:>10,.0f} comments/s  "
          f"peak RSS {floor_rss} MB (holds every parsed row)")
    print(f"ratio (a)/(b): {import_s / floor_s:.2f}  (target <= 2.0); import peak RSS target < 150 MB")
    if not args.keep:
        for db in (db_a, db_b):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
