"""Ingest benchmark: `rethread import` itself against two floors, several interleaved runs, median and range.

    python bench/ingest.py [--scale 0.25 | --threads 500] [--runs 3] [--workers N] [--seed S] [--keep]

1. Generates the corpus (bench/corpus.py: thread sizes 5 to 5,000 comments, long-tailed; default 2,000 threads,
   about 400,000 comments) under bench/out/corpus-SEED-THREADS/ (reused when already there), and parses it
   once (not timed) into the comment rows the store writes (``db.store.comment_row``).
2. Runs, interleaved, ``--runs`` times each (a, i, ii, a, i, ii, ...), every one its own process into a fresh
   database, sampling the peak RSS of its whole process tree:
   (a) the console script ``rethread import CORPUS`` (RETHREAD_DB pointing to a fresh file): start-up,
       migrations, parsing in the importer's workers, writing, closing;
   (i) the floor of today: bare sqlite3 ``executemany`` of the same rows, one transaction for everything;
   (ii) the floor with one transaction per file (what the import must stay: all or nothing per file).
   The floors create the schema with the project's migrations (``db.migrate``) and set the store's pragmas;
   their threads and revisions rows are read back from the first import's database (so they are exactly the
   rows the import writes, whatever columns the store adds), their comments are the parsed rows inserted with
   ``db.rows.INSERT_COMMENT`` (so the FTS triggers fire as in the import). Each floor is timed from BEGIN to
   the last COMMIT plus closing the connection (the WAL checkpoint, which the import pays when it closes too);
   loading the rows is not timed.
3. Checks that all three databases hold the same rows (every table's count; the comments, threads and
   revisions of the first round by content) and prints each time's median and range, the ratios a/i and a/ii
   (paired within a round), CPU seconds (the process tree's user + system) and peak RSS of every run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import json
import os
import pickle
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
DEFAULT_THREADS = 2000

# -- process-tree memory ---------------------------------------------------------------------------------------------

try:
    import psutil  # not a project dependency: used when present
except ImportError:
    psutil = None


TICK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> dict[int, tuple[int, float]]:
    """{pid: (resident memory in kB, CPU seconds so far)} for a process and all its descendants."""
    if psutil is not None:
        out: dict[int, tuple[int, float]] = {}
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return out
        for p in procs:
            with contextlib.suppress(psutil.Error):
                cpu = p.cpu_times()
                out[p.pid] = (p.memory_info().rss // 1024, cpu.user + cpu.system)
        return out
    out = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[pid] = (rss, (int(fields[11]) + int(fields[12])) / TICK)  # its own utime + stime
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out.update(process_tree(int(child)))
    except (OSError, StopIteration):
        pass
    return out


def run_sampled(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    """Run ``cmd``; wall time, the tree's CPU time (user + system, reaped children included) and how much of it
    the child processes took (sampled, so slightly under), the peak RSS of the whole tree (summed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak, procs = 0, 0
        cpu_seen: dict[int, float] = {}
        while proc.poll() is None:
            tree = process_tree(proc.pid)
            peak, procs = max(peak, sum(kb for kb, _ in tree.values())), max(procs, len(tree))
            cpu_seen.update((p, c) for p, (_, c) in tree.items())
            time.sleep(0.02)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:3])}... failed with status {proc.returncode}:\n{log.read_text()[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    children_cpu = sum(c for p, c in cpu_seen.items() if p != proc.pid)
    return {"wall": wall, "cpu": cpu, "children_cpu": children_cpu, "rss_mb": peak / 1024, "procs": procs,
            "output": log.read_text()}


# -- the rows, parsed once --------------------------------------------------------------------------------------------


def prepare(corpus: Path, rows_path: Path) -> None:
    """(In its own process.) Parse every file the import will read, in its order, into comment rows."""
    from bot.core.parser import load_thread_file
    from bot.importer import thread_files
    from db.store import comment_row

    files, comments = [], []
    for i, path in enumerate(thread_files([corpus])):
        loaded = load_thread_file(path)
        files.append(str(loaded.path))
        comments.append([comment_row(i + 1, c) for c in loaded.thread.comments])  # revision ids 1, 2, ... in order
    with open(rows_path, "wb") as f:
        pickle.dump({"files": files, "comments": comments}, f, protocol=pickle.HIGHEST_PROTOCOL)


def copy_rows(import_db: Path, rows_path: Path, meta_path: Path) -> None:
    """The threads and revisions rows exactly as the import wrote them, for the floors to write again."""
    with open(rows_path, "rb") as f:
        files = pickle.load(f)["files"]
    conn = sqlite3.connect(import_db)
    tables = {}
    for table in ("threads", "revisions"):
        cols = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        tables[table] = (cols, conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id").fetchall())
    paths = conn.execute("SELECT id, source_path FROM revisions ORDER BY id").fetchall()
    pairs = conn.execute("SELECT thread_id FROM revisions ORDER BY id").fetchall()
    owners = conn.execute("SELECT id FROM threads ORDER BY id").fetchall()
    conn.close()
    if paths != [(i + 1, p) for i, p in enumerate(files)] or pairs != owners:
        sys.exit("the import's revisions are not the files in the order the floors were prepared for "
                 "(revision i+1 = file i, of thread i+1): fix prepare() before trusting any floor")
    with open(meta_path, "wb") as f:
        pickle.dump(tables, f, protocol=pickle.HIGHEST_PROTOCOL)


# -- the floors -----------------------------------------------------------------------------------------------------


def _pragmas() -> list[str]:
    import db.store as store

    # The store's connection settings (db.store._connect): busy timeout, WAL, then CONNECT_PRAGMAS.
    extra = getattr(store, "CONNECT_PRAGMAS", ("PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"))
    return ["PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL", *extra]


async def _schema(db_path: Path) -> None:
    import aiosqlite

    from db.migrate import migrate

    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        await migrate(conn)


def floor(mode: str, db_path: Path, rows_path: Path, meta_path: Path) -> None:
    """(In its own process.) Write the prepared rows; print the timed figures as JSON."""
    from db.rows import INSERT_COMMENT

    asyncio.run(_schema(db_path))
    with open(rows_path, "rb") as f:
        comments = pickle.load(f)["comments"]
    with open(meta_path, "rb") as f:
        tables = pickle.load(f)
    (thread_cols, threads), (revision_cols, revisions) = tables["threads"], tables["revisions"]
    insert_thread = f"INSERT INTO threads ({', '.join(thread_cols)}) VALUES ({', '.join('?' * len(thread_cols))})"
    insert_revision = (f"INSERT INTO revisions ({', '.join(revision_cols)})"
                       f" VALUES ({', '.join('?' * len(revision_cols))})")
    conn = sqlite3.connect(db_path, isolation_level=None)
    for pragma in _pragmas():
        conn.execute(pragma).fetchall()
    gc.collect()
    start = time.perf_counter()
    if mode == "one":
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert_thread, threads)
        conn.executemany(insert_revision, revisions)
        conn.executemany(INSERT_COMMENT, (row for rows in comments for row in rows))
        conn.execute("COMMIT")
    else:  # one transaction per file: its thread, its revision, its comments
        for thread, revision, rows in zip(threads, revisions, comments, strict=True):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(insert_thread, thread)
            conn.execute(insert_revision, revision)
            conn.executemany(INSERT_COMMENT, rows)
            conn.execute("COMMIT")
    committed = time.perf_counter()
    conn.close()
    closed = time.perf_counter()
    print(json.dumps({"time": closed - start, "commit": committed - start, "close": closed - committed,
                      "transactions": 1 if mode == "one" else len(threads)}))


# -- checking the three databases hold the same ----------------------------------------------------------------------


def table_counts(db_path: Path) -> dict[str, int]:
    """Rows in every table, FTS shadow tables whose layout depends on the transactions (_data, _idx) left out."""
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'sqlite_%'")]
    out = {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in sorted(names)
           if not n.endswith(("_data", "_idx"))}
    conn.close()
    return out


def content_digest(db_path: Path) -> str:
    """One hash of the threads, revisions and comments tables, every column, in id order."""
    from db.rows import INSERT_COMMENT

    comment_cols = re.search(r"INSERT INTO comments \(([^)]*)\)", INSERT_COMMENT)[1]  # type: ignore[index]
    digest = hashlib.sha256()
    conn = sqlite3.connect(db_path)
    for sql in ("SELECT * FROM threads ORDER BY id", "SELECT * FROM revisions ORDER BY id",
                f"SELECT id, {comment_cols} FROM comments ORDER BY id"):
        for row in conn.execute(sql):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def remove_db(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


# -- the benchmark --------------------------------------------------------------------------------------------------


def rethread_script() -> str:
    script = Path(sys.executable).parent / "rethread"
    if script.exists():
        return str(script)
    found = shutil.which("rethread")
    if not found:
        sys.exit("no `rethread` console script next to this Python or on PATH: pip install -e . first")
    return found


def cpu_split(res: dict) -> str:
    if res["procs"] < 2:
        return ""
    return f" (main {res['cpu'] - res['children_cpu']:.1f} + children {res['children_cpu']:.1f})"


def fmt_range(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (f"{statistics.median(values):.{digits}f}{unit} "
            f"[{min(values):.{digits}f}-{max(values):.{digits}f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, help=f"threads in the corpus (default {DEFAULT_THREADS:,} x --scale)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the default (0.25: ~100k comments)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of each (a, i, ii); at least 3")
    parser.add_argument("--workers", type=int, help="passed to `rethread import --workers` if it has the option")
    parser.add_argument("--seed", type=int, default=None, help="corpus seed (default bench/corpus.py's)")
    parser.add_argument("--keep", action="store_true", help="keep the last databases in bench/out/")
    parser.add_argument("--prepare", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare(*args.prepare)
    if args.floor:
        return floor(args.floor[0], *map(Path, args.floor[1:]))

    from bench.corpus import DEFAULT_SEED, Corpus

    seed = DEFAULT_SEED if args.seed is None else args.seed
    threads = args.threads or max(1, round(DEFAULT_THREADS * args.scale))
    runs = max(3, args.runs)
    OUT.mkdir(parents=True, exist_ok=True)
    corpus_dir = OUT / f"corpus-{seed}-{threads}"
    t0 = time.perf_counter()
    corpus = Corpus(seed)
    sizes = corpus.sizes(threads)
    files = corpus.write(corpus_dir, threads, progress=True)
    size = sum(p.stat().st_size for p in files)
    print(f"corpus: {threads:,} threads, {sum(sizes):,} comments (per thread: median {statistics.median(sizes):g}, "
          f"max {max(sizes):,}; {sum(s >= 1000 for s in sizes)} of 1,000+), {size / 1e6:.0f} MB in {corpus_dir} "
          f"({time.perf_counter() - t0:.1f} s to generate or reuse)")

    rethread = rethread_script()
    import_cmd = [rethread, "import", str(corpus_dir)]
    help_text = subprocess.run([rethread, "import", "--help"], capture_output=True, text=True).stdout
    if args.workers is not None:
        if "--workers" in help_text:
            import_cmd[2:2] = ["--workers", str(args.workers)]
        else:
            print(f"note: `rethread import` has no --workers option (bot/importer.py picks its own parse workers: "
                  f"min(3, cpus - 1) = {max(1, min(3, (os.cpu_count() or 2) - 1))} here); --workers "
                  f"{args.workers} ignored")

    rows, meta = OUT / "ingest-rows.pickle", OUT / "ingest-meta.pickle"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--prepare", str(corpus_dir), str(rows)], env=env, check=True)
    print(f"parsed the corpus once for the floors in {time.perf_counter() - t0:.1f} s (not timed)")
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {runs} interleaved runs; "
          f"RSS sampled every 20 ms over each process tree ({'psutil' if psutil else '/proc'})")

    kinds = {"a": "(a) rethread import", "i": "(i) floor, 1 transaction", "ii": "(ii) floor, 1 per file"}
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    comments = sum(sizes)
    reference: dict[str, int] | None = None
    for r in range(runs):
        dbs = {k: OUT / f"ingest-{k}.sqlite3" for k in kinds}
        for k, db_path in dbs.items():
            remove_db(db_path)
            if k == "a":
                res = run_sampled(import_cmd, {**env, "RETHREAD_DB": str(db_path)}, OUT / "ingest-a.log")
                if r == 0:
                    copy_rows(db_path, rows, meta)
            else:
                res = run_sampled([sys.executable, __file__, "--floor", "one" if k == "i" else "file",
                                   str(db_path), str(rows), str(meta)], env, OUT / f"ingest-{k}.log")
                res.update(json.loads(res["output"].strip().splitlines()[-1]))
                res["wall_process"], res["wall"] = res["wall"], res["time"]
            results[k].append(res)
            detail = (f"commit {res['commit']:.2f} s + close {res['close']:.2f} s; "
                      f"process {res['wall_process']:.1f} s" if k != "a" else "start to exit")
            print(f"  run {r + 1}/{runs} {kinds[k]:<26} {res['wall']:7.2f} s  ({detail}); "
                  f"CPU {res['cpu']:5.1f} s{cpu_split(res)}; peak RSS {res['rss_mb']:4.0f} MB "
                  f"({res['procs']} process{'es' if res['procs'] > 1 else ''})", flush=True)
        counts = {k: table_counts(db) for k, db in dbs.items()}
        reference = reference or counts["a"]
        for k, c in counts.items():
            if c != reference:
                diff = {t: (reference.get(t), c.get(t)) for t in set(c) | set(reference)
                        if reference.get(t) != c.get(t)}
                sys.exit(f"run {r + 1}: {kinds[k]} wrote other rows than the first import: {diff}")
        if r == 0:
            digests = {k: content_digest(db) for k, db in dbs.items()}
            if len(set(digests.values())) != 1:
                sys.exit(f"the floors' threads, revisions or comments differ from the import's: {digests}")
            shown = ", ".join(f"{n:,} {t}" for t, n in reference.items() if n)
            print(f"  same rows in all three databases ({shown}); threads, revisions and comments identical")
        if not args.keep or r < runs - 1:
            for db_path in dbs.values():
                remove_db(db_path)
    for path in (rows, meta):
        path.unlink(missing_ok=True)

    load = os.getloadavg()
    print(f"\n{comments:,} comments in {threads:,} files; load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'':28}{'time: median [range]':>26}{'comments/s (median)':>22}{'CPU s: median [range]':>28}"
          f"{'peak RSS: median [range]':>30}")
    for k, label in kinds.items():
        walls = [x["wall"] for x in results[k]]
        print(f"{label:28}{fmt_range(walls):>26}{comments / statistics.median(walls):>22,.0f}"
              f"{fmt_range([x['cpu'] for x in results[k]], ' s', 1):>28}"
              f"{fmt_range([x['rss_mb'] for x in results[k]], ' MB', 0):>30}")
    main_cpu = [x["cpu"] - x["children_cpu"] for x in results["a"]]
    print(f"(a)'s CPU: importer process {fmt_range(main_cpu, ' s', 1)}, parse workers "
          f"{fmt_range([x['children_cpu'] for x in results['a']], ' s', 1)}; CPU ratio a/i "
          f"{statistics.median(a['cpu'] / i['cpu'] for a, i in zip(results['a'], results['i'], strict=True)):.2f}")
    for k in ("i", "ii"):
        ratios = [a["wall"] / f["wall"] for a, f in zip(results["a"], results[k], strict=True)]
        print(f"ratio a/{k:<3} (paired by run): median {statistics.median(ratios):.2f} "
              f"[{min(ratios):.2f}-{max(ratios):.2f}]   runs: {', '.join(f'{x:.2f}' for x in ratios)}")
    per_run = "; ".join(f"{k}: " + ", ".join(f"{x['rss_mb']:.0f}" for x in results[k]) for k in kinds)
    print(f"peak RSS per run (MB): {per_run}  (the floors hold every parsed row in memory)")


if __name__ == "__main__":
    main()
