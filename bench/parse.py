"""Parser benchmark: µs per comment for synthetic thread files of 10k, 100k and 200k comments.

    python bench/parse.py [--sizes 10000,100000,200000] [--runs 3] [--shapes "ordinary,like real"]
                          [--baseline OLD_PARSER.py]

Three shapes, each the worst case of one part of reply inference:

* ordinary: short comments (2-6 words) by 2,000 commenters, a fifth of them unverified with a header naming a
  parent and a date;
* mention-heavy: every comment starts with ``@NAME`` of one of thousands of distinct earlier commenters;
* quote-chain: every comment repeats the previous comment's own words as a quote, then adds a sentence;
* same-edges: short comments of 300 words that all start and end with the same letter (``x042x``): every word's
  one-character edges are alike, so only the quote index's wide keys (three characters) tell passages apart;
* like real: a thread of bench/corpus.py's corpus, the shape measured from the real seeds (not a worst case).

``--baseline`` loads another version of bot/core/parser.py (e.g. ``git show HEAD:bot/core/parser.py >
/tmp/old.py``) and times it on the same text in the same runs, alternating, so a before/after ratio is measured
side by side.

The worst-case files stay under the 20 MB limit on thread files (200k quote-chain comments: about 19 MB); the
like-real ones do not (their comments are as long as real ones): parse_thread reads text, not files.

Each file is generated in memory and parsed with ``parse_thread`` ``--runs`` times; the table shows the median
and the range (min-max) of µs of CPU time per comment (CPU time, so that other processes on the machine do not
blur the figures), and for each shape the largest median over the smallest: a parser
linear in the file's size keeps it flat (within 1.5x) across sizes.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.parser import parse_thread

WORDS = """the of and to in is that for it as was with be by on not he this are or his from at which but have an
they you were her she there would their we him been has when who will more no if out so said what up its about into
than them can only other new some could time these two may then do first any my now such like our over man me even
most made after also did many before must through back years where much your way well down should because each just
those people how too little state good very make world still own see men work long get here between both life being
under never day same another know while last might us great old year off come since against go came right used take
three russia europe market council harbour storm keeper coffee postcard vote lease depot weather""".split()
HEAD = "A Title for the Benchmark\n\nBy A. Reporter\n\nThe article's only paragraph, long enough to be one.\n"


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def ordinary(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    authors = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}{i}" for i in range(2000)]
    out = [HEAD]
    for _ in range(n):
        author = rng.choice(authors)
        out.append(f"\n{author}'s picture\n")
        if rng.random() < 0.2:
            out.append(f"{author} (not verified) {rng.choice(authors)} Feb {rng.randint(1, 28)}, 2017 "
                       f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} PM\n")
        out.append(f"\n{_words(rng, 2, 6).capitalize()}.\n")
    return "".join(out)


def mention_heavy(n: int, seed: int = 2) -> str:
    rng = random.Random(seed)
    out = [HEAD]
    for i in range(n):
        mention = f"@user {rng.randrange(i)} " if i else ""
        out.append(f"\nuser {i}'s picture\n\n{mention}{_words(rng, 2, 4)}\n")
    return "".join(out)


def quote_chain(n: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    out = [HEAD]
    previous = ""
    for i in range(n):
        own = f"{_words(rng, 3, 6).capitalize()} number {i}."
        quote = f"\n{previous}\n" if previous else ""
        out.append(f"\nposter{i % 500}'s picture\n{quote}\n{own}\n")
        previous = own
    return "".join(out)


def same_edges(n: int, seed: int = 5) -> str:
    rng = random.Random(seed)
    words = [f"x{i:03d}x" for i in range(300)]
    return HEAD + "".join(f"\nu{rng.randrange(500)}'s picture\n\n{' '.join(rng.choices(words, k=rng.randint(3, 6)))}\n"
                          for _ in range(n))


def like_real(n: int, seed: int = 4) -> str:
    """One thread of bench/corpus.py's corpus (shaped like the real seeds: Zipf vocabulary, partial quotes,
    headers, mentions), n comments long."""
    from bench.corpus import Corpus

    return Corpus(seed).thread_text(0, n, title="A Title for the Benchmark")


SHAPES = {"ordinary": ordinary, "mention-heavy": mention_heavy, "quote-chain": quote_chain, "same-edges": same_edges,
          "like real": like_real}


def load_baseline(path: str) -> Callable[[str], object]:
    spec = importlib.util.spec_from_file_location("baseline_parser", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module.parse_thread


def measure(parsers: list[Callable[[str], object]], text: str, comments: int, runs: int) -> list[list[float]]:
    """µs of CPU per comment, per parser, per run; the parsers alternate within each run."""
    per_comment: list[list[float]] = [[] for _ in parsers]
    for _ in range(runs):
        for parse, figures in zip(parsers, per_comment, strict=True):
            gc.collect()
            start = time.process_time()
            thread = parse(text)
            elapsed = time.process_time() - start
            assert len(thread.comments) == comments, (len(thread.comments), comments)  # type: ignore[attr-defined]
            del thread
            figures.append(elapsed / comments * 1e6)
    return per_comment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,200000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="which shapes, comma-separated")
    parser.add_argument("--baseline", help="another parser.py to time side by side (same text, same runs)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    parsers: list[Callable[[str], object]] = [parse_thread]
    if args.baseline:
        parsers.append(load_baseline(args.baseline))
    extra = f" {'baseline median':>16} {'range':>15} {'this/baseline':>14}" if args.baseline else ""
    print(f"{'shape':<14} {'comments':>9} {'MB':>6} {'µs/comment median':>18} {'range':>15}{extra}")
    flat = True
    for name in args.shapes.split(","):
        make = SHAPES[name]
        medians = []
        for n in sizes:
            text = make(n)
            figures = measure(parsers, text, n, args.runs)
            medians.append(statistics.median(figures[0]))
            line = (f"{name:<14} {n:>9,} {len(text.encode()) / 1e6:>6.1f} {medians[-1]:>18.1f} "
                    f"{min(figures[0]):>7.1f}-{max(figures[0]):<7.1f}")
            if args.baseline:
                ratios = [new / old for new, old in zip(figures[0], figures[1], strict=True)]
                line += (f" {statistics.median(figures[1]):>16.1f} {min(figures[1]):>7.1f}-{max(figures[1]):<7.1f}"
                         f" {statistics.median(ratios):>6.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")
            print(line, flush=True)
        ratio = max(medians) / min(medians)
        flat = flat and ratio <= 1.5
        print(f"{name:<14} largest/smallest median: {ratio:.2f}x {'(flat)' if ratio <= 1.5 else '(NOT flat)'}")
    print("flat across sizes (within 1.5x)" if flat else "NOT flat across sizes")


if __name__ == "__main__":
    main()
