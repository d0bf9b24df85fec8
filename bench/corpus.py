"""A synthetic corpus shaped like real comment threads, for every benchmark that needs threads.

    python bench/corpus.py --stats [--seed 20261124] [--threads 2000] [--sample 200]
    python bench/corpus.py --write DIR [--threads 2000 | --scale 0.25] [--seed 20261124]

    from bench.corpus import Corpus
    corpus = Corpus(seed=7)
    text = corpus.thread_text(0, 300, title="Synthetic replay")   # one thread file's text
    files = corpus.write(folder, threads=500)                      # a folder of thread files (cached)

Everything is generated from the seed (no downloads, no text from anywhere): the same seed gives the same bytes.

- Thread sizes: log-normal (median 67 comments, sigma 1.5) clipped to [5, 5000]; drawn by stratified quantiles,
  so 2,000 threads hold about 400,000 comments and even a few hundred threads keep the long tail (one thread
  near 5,000 comments per ~500 threads).
- Words: 50,000 pseudo-words (syllables, shorter for frequent ranks) drawn with Zipf's law (Zipf-Mandelbrot,
  exponent 1.26, offset 5, fitted to the seed): a seed-sized sample has as many distinct words as the seed, and
  the whole corpus meets nearly all 50,000.
- Commenters: a long-tailed pool of pseudo-names (several shapes: "Name", "name_word", "Name 4 Word", ...); a
  comment's author is an earlier commenter of the same thread at the seed's repeat rate. Unverified commenters
  (the same name always is, or never is) get the "(not verified) [PARENT] date" header line.
- Everything else is the figures MEASURED from the real seeds (``SHAPE`` below; ``--stats`` measures the seeds again
  with the project's parser and prints them beside the same figures measured on the generated corpus): paragraphs
  per comment, words per paragraph, the unverified share, replies by header, by quote and by @-mention, how a quote
  is made (a whole earlier paragraph, a fragment of one as a paragraph of its own, or a fragment in "double
  quotes" inside the replier's own sentence), "..." passages that quote nothing earlier (scare quotes), and how far
  back a reply reaches.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import random
import re
import shutil
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property
from pathlib import Path
from statistics import NormalDist

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bot/ importable for --stats
SEEDS = ROOT.parent / "shared" / "seeds"
DEFAULT_SEED = 20261124


@dataclass(frozen=True)
class Shape:
    """The corpus's parameters. The measured ones come from ``python bench/corpus.py --stats`` on ../shared/seeds
    (2026-11-24: one file, 45 comments, so each share is a handful of comments: close, not precise)."""

    # Chosen, not measured (one seed file has one size): ~200 comments per thread on average, long-tailed.
    size_median: float = 67
    size_sigma: float = 1.5
    size_min: int = 5
    size_max: int = 5000
    vocabulary: int = 50_000
    # Zipf-Mandelbrot, weight (rank + offset) ** -zipf, fitted to the seed's comments: ~700 distinct words in its
    # 1,856 tokens (703), the most frequent word ~5% of tokens (5.3%), the ten most frequent ~26% (21%).
    zipf: float = 1.26
    zipf_offset: float = 5
    names: int = 200_000  # commenters site-wide, drawn with Zipf (exponent below) when a thread meets a new one
    names_zipf: float = 0.9
    # Measured on the seeds.
    one_paragraph: float = 26 / 45  # share of comments of one paragraph (quote paragraphs count); then geometric
    words_median: float = 11.5  # per own paragraph, log-normal through the median and p90
    words_p90: float = 46
    article_paragraphs: int = 12
    article_words_median: float = 40.5
    article_words_p90: float = 85
    byline: float = 0.0
    unverified: float = 5 / 45  # share of comments by unverified commenters
    header_parent: float = 4 / 5  # of those, the share whose header names a parent
    quote: float = 5 / 45  # share of comments that are replies found by a quote
    mention: float = 1 / 45  # ... by an @-mention
    quote_whole: float = 1 / 5  # of quote replies: a whole earlier paragraph, repeated as a paragraph
    quote_fragment: float = 3 / 5  # ... a fragment of one, as a paragraph of its own
    quote_inline: float = 1 / 5  # ... a fragment in "double quotes" inside the replier's own paragraph
    quote_wrapped: float = 1 / 4  # of quote paragraphs, the share wrapped in **...** or "..."
    scare_quotes: float = 5 / 78  # of own paragraphs, the share with a "..." passage that quotes nothing earlier
    repeat_author: float = 11 / 45  # share of comments whose author already commented in the thread
    reply_distance_mean: float = 1.3  # comments between a reply and its parent (geometric; seed median 1)


SHAPE = Shape()

_ONSETS = ("", "", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
           "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sh", "sk", "sl", "sp", "st",
           "str", "th", "tr", "wh", "qu")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ee", "oo", "ou", "y", "ie", "oa")
_CODAS = ("", "", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng", "rt", "x", "sh", "th", "ld")
_ENDS = (".", ".", ".", ".", ".", "?", "!", "...")
_ABBREV = ("MN", "TX", "NYC", "VA", "OR", "DC")
_NORMAL = NormalDist()
_QUOTED = re.compile(r'"([^"]+)"')
_WORD = re.compile(r"[^\W_]+")


def _lognormal_sigma(median: float, p90: float) -> float:
    return math.log(p90 / median) / _NORMAL.inv_cdf(0.9)


class Corpus:
    """Deterministic from ``seed``: the vocabulary, the names, each thread (by its index) and the sizes."""

    def __init__(self, seed: int = DEFAULT_SEED, shape: Shape = SHAPE):
        self.seed = seed
        self.shape = shape
        self._word_sigma = _lognormal_sigma(shape.words_median, shape.words_p90)
        self._article_sigma = _lognormal_sigma(shape.article_words_median, shape.article_words_p90)
        # A quote paragraph or an "@ name," paragraph makes a one-paragraph comment a two-paragraph one.
        grown = shape.quote * (shape.quote_whole + shape.quote_fragment) + shape.mention / 2
        self._p_more_paragraphs = 1 - min(0.95, shape.one_paragraph / (1 - grown))
        self._p_wrap = min(1.0, shape.quote_wrapped * (shape.quote_whole + shape.quote_fragment)
                           / shape.quote_fragment)  # only fragments are wrapped
        self._p_farther = 1 - 1 / shape.reply_distance_mean
        rest = 1 - shape.unverified * shape.header_parent  # comments whose parent is not named in a header
        self._p_quote = shape.quote / rest
        self._p_mention = shape.mention / rest

    # -- vocabulary and names ---------------------------------------------------------------------------------

    @cached_property
    def words(self) -> list[str]:
        """The vocabulary, most frequent first: distinct pseudo-words, shorter for the frequent ranks."""
        rng = random.Random(f"{self.seed}:words")
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < self.shape.vocabulary:
            rank = len(out)
            top = 1 if rank < 60 else 2 if rank < 2500 else 3 if rank < 20000 else 4
            syllables = rng.randint(1, top) if rank >= 60 else 1
            word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
            if len(word) >= 2 and word not in seen:
                seen.add(word)
                out.append(word)
        return out

    @cached_property
    def _cum_weights(self) -> list[float]:
        return list(itertools.accumulate((r + self.shape.zipf_offset) ** -self.shape.zipf
                                        for r in range(1, self.shape.vocabulary + 1)))

    @cached_property
    def _name_weights(self) -> list[float]:
        return list(itertools.accumulate(r ** -self.shape.names_zipf for r in range(1, self.shape.names + 1)))

    def word(self, rank: int) -> str:
        """The word of that frequency rank (0 is the most frequent): for benchmarks that search."""
        return self.words[rank]

    @cache  # noqa: B019 - a Corpus lives as long as the benchmark
    def name(self, index: int) -> str:
        """Commenter number ``index`` site-wide (0 is the most active)."""
        rng = random.Random(f"{self.seed}:name:{index}")
        w = self.words
        a, b = w[rng.randrange(200, len(w))], w[rng.randrange(60, len(w))]
        style = rng.random()
        if style < 0.3:
            name = a.capitalize()
        elif style < 0.5:
            name = f"{a}{rng.randint(1, 999)}"
        elif style < 0.65:
            name = f"{a}_{b}"
        elif style < 0.85:
            name = f"{a.capitalize()} {b.capitalize()}"
        elif style < 0.92:
            name = f"{a.capitalize()} in {rng.choice(_ABBREV)}"
        else:
            name = f"{a.capitalize()}-{rng.randint(2, 999)}"
        return name

    def verified(self, name: str) -> bool:
        return zlib.crc32(f"{self.seed}:{name}".encode()) / 2**32 >= self.shape.unverified

    # -- sizes --------------------------------------------------------------------------------------------------

    def sizes(self, threads: int) -> list[int]:
        """Comments per thread for ``threads`` threads: one draw in each of ``threads`` equal strata of the
        clipped log-normal, shuffled (the total lands near threads x the mean, the tail is always there)."""
        s = self.shape
        rng = random.Random(f"{self.seed}:sizes:{threads}")
        out = []
        for i in range(threads):
            u = min(max((i + rng.random()) / threads, 1e-9), 1 - 1e-9)
            size = round(s.size_median * math.exp(s.size_sigma * _NORMAL.inv_cdf(u)))
            out.append(min(s.size_max, max(s.size_min, size)))
        rng.shuffle(out)
        return out

    # -- text -----------------------------------------------------------------------------------------------------

    def _draw(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self._cum_weights, k=n)

    def _sentences(self, rng: random.Random, n: int) -> str:
        words = self._draw(rng, n)
        out: list[str] = []
        i = 0
        while i < n:
            length = max(1, round(rng.lognormvariate(2.3, 0.55)))  # ~10 words a sentence
            part = words[i : i + length]
            i += length
            for j in range(1, len(part) - 1):
                if rng.random() < 0.06:
                    part[j - 1] += ","
            part[0] = part[0].capitalize()
            out.append(" ".join(part) + rng.choice(_ENDS))
        return " ".join(out)

    def _paragraph_words(self, rng: random.Random) -> int:
        return max(1, min(400, round(rng.lognormvariate(math.log(self.shape.words_median), self._word_sigma))))

    def _own_paragraph(self, rng: random.Random) -> str:
        text = self._sentences(rng, self._paragraph_words(rng))
        if rng.random() < self.shape.scare_quotes:
            text = _insert(rng, text, '"' + self._sentences(rng, rng.randint(1, 6)).rstrip(".?!") + '"')
        return text

    def thread_text(self, index: int, comments: int, title: str | None = None) -> str:
        """Thread number ``index`` of the corpus with ``comments`` comments, as a thread file's text."""
        s = self.shape
        rng = random.Random(f"{self.seed}:thread:{index}")
        if title is None:
            title = " ".join(w.capitalize() for w in self._draw(rng, rng.randint(5, 12)))
        lines = [title, ""]
        if rng.random() < s.byline:
            lines += [f"By {self.name(rng.randrange(1000))}", ""]
        for _ in range(max(1, round(rng.lognormvariate(math.log(s.article_paragraphs), 0.4)))):
            words = round(rng.lognormvariate(math.log(s.article_words_median), self._article_sigma))
            lines += [self._sentences(rng, max(3, words)), ""]

        authors: list[str] = []
        written: list[list[str]] = []  # each comment's paragraphs as written (quotes excluded)
        moment = datetime(2017, 1, 1) + timedelta(minutes=rng.randrange(60 * 24 * 365 * 3))
        for number in range(comments):
            if authors and rng.random() < s.repeat_author:
                author = rng.choice(authors)
            else:
                author = self.name(rng.choices(range(s.names), cum_weights=self._name_weights)[0])
            moment += timedelta(minutes=rng.randint(0, 9))
            parent = -1
            if number:
                distance = 1
                while distance < number and rng.random() < self._p_farther:
                    distance += 1
                parent = number - distance
            lines.append(f"{author}'s picture")
            kind = rng.random()
            named = False
            if not self.verified(author):
                named = parent >= 0 and rng.random() < s.header_parent
                named_parent = f" {authors[parent]}" if named else ""
                hour = moment.hour % 12 or 12
                lines.append(f"{author} (not verified){named_parent} {moment:%b} {moment.day}, {moment.year} "
                             f"{hour}:{moment:%M} {moment:%p}")
            lines.append("")
            body = [self._own_paragraph(rng)]
            while rng.random() < self._p_more_paragraphs and len(body) < 40:
                body.append(self._own_paragraph(rng))
            quote = None
            if parent >= 0 and not named:
                if kind < self._p_quote:
                    quote = self._quote(rng, written[parent], body)
                elif kind < self._p_quote + self._p_mention:
                    if rng.random() < 0.5:
                        body.insert(0, f"@ {authors[parent]},")
                    else:
                        body[0] = f"@{authors[parent]} {body[0]}"
            for paragraph in [quote, *body] if quote else body:
                lines += [paragraph, ""]
            authors.append(author)
            written.append(body)
        return "\n".join(lines)

    def _quote(self, rng: random.Random, parent: list[str], body: list[str]) -> str | None:
        """Reply to ``parent`` by quoting it: returns a quote paragraph to put first (a whole paragraph of the
        parent, or a fragment of one), or None after putting a fragment in "double quotes" inside ``body``."""
        s = self.shape
        roll = rng.random() * (s.quote_whole + s.quote_fragment + s.quote_inline)
        if roll < s.quote_whole:
            source = rng.choice(parent)
            if len(source) >= 12 and source.count(" ") >= 2:
                return source
        source = rng.choice([p for p in parent if p.count(" ") >= 3] or parent)  # long enough to cut
        fragment = _fragment(rng, source)
        if fragment is None:
            return source  # too short to cut: quote it whole
        if roll < s.quote_whole + s.quote_fragment:
            if rng.random() < self._p_wrap:
                fragment = f"**{fragment}**" if rng.random() < 0.5 else f'"{fragment}"'
            return fragment
        at = rng.randrange(len(body))
        body[at] = _insert(rng, body[at], f'"{fragment}"')
        return None

    # -- files ----------------------------------------------------------------------------------------------------

    def write(self, folder: str | Path, threads: int, *, progress: bool = False) -> list[Path]:
        """``threads`` thread files in ``folder`` (thread-00000.txt, ...). Reused when the folder already holds
        exactly this corpus (same seed, shape and count); otherwise the folder is replaced."""
        folder = Path(folder)
        key = hashlib.sha256(json.dumps([self.seed, threads, asdict(self.shape)]).encode()).hexdigest()[:16]
        marker = folder / f".corpus-{key}"
        files = [folder / f"thread-{i:05d}.txt" for i in range(threads)]
        if marker.exists():
            return files
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i, (path, size) in enumerate(zip(files, self.sizes(threads), strict=True)):
            path.write_text(self.thread_text(i, size), encoding="utf-8")
            if progress and (i + 1) % 100 == 0:
                print(f"\r  generated {i + 1:,}/{threads:,} threads", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
        marker.touch()
        return files


def _insert(rng: random.Random, text: str, passage: str) -> str:
    """``passage`` between two words of ``text`` (at its start or end too)."""
    words = text.split(" ")
    at = rng.randint(0, len(words))
    return " ".join([*words[:at], passage, *words[at:]])


def _fragment(rng: random.Random, paragraph: str) -> str | None:
    """3 to 12 consecutive words of ``paragraph`` from outside any "..." passage, at least 12 characters: a quote
    the parser can find again (it ignores shorter ones)."""
    pieces = [p.split() for p in paragraph.split('"')[::2]]
    pieces = [p for p in pieces if len(p) >= 3]
    if not pieces:
        return None
    for _ in range(4):
        words = rng.choice(pieces)
        length = rng.randint(3, max(3, min(12, len(words) - 1)))  # not the whole paragraph, when it can
        start = rng.randint(0, len(words) - length)
        fragment = " ".join(words[start : start + length]).strip(" .…_*'>,?!")
        if len(fragment) >= 12 and fragment.count(" ") >= 2:
            return fragment
    return None


# -- measuring ------------------------------------------------------------------------------------------------------

_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})
_WRAPPERS = " \t\"'*.…_>"


def _normalise(text: str) -> str:
    return " ".join(text.translate(_CURLY).split()).lower()


def _quotable(passage: str) -> str | None:
    needle = passage.strip(_WRAPPERS)
    return needle if len(needle) >= 12 and needle.count(" ") >= 2 else None


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else 0.0


def _top_share(tokens: list[str], n: int) -> str:
    counts = Counter(tokens)
    return f"{100 * sum(c for _, c in counts.most_common(n)) / len(tokens):.1f}%" if tokens else "-"


@dataclass
class Measures:
    files: int = 0
    comments: int = 0
    sizes: list[int] | None = None
    paragraphs: list[int] | None = None
    words: list[int] | None = None  # per own (not quote) paragraph
    article_words: list[int] | None = None
    article_paragraphs: list[int] | None = None
    bylines: int = 0
    unverified: int = 0
    unverified_named: int = 0
    header: int = 0
    quote: int = 0
    mention: int = 0
    quote_whole: int = 0
    quote_fragment: int = 0
    quote_inline: int = 0
    quote_blocks: int = 0
    quote_blocks_wrapped: int = 0
    own_paragraphs: int = 0
    passages: int = 0  # own paragraphs with a "..." passage
    partial: int = 0  # ... of which a passage quotes an earlier comment of the thread
    repeat_author: int = 0
    small_comments: int = 0  # comments in threads of 20 to 100 comments (the seed's size)
    small_repeat: int = 0
    distances: list[int] | None = None
    tokens: list[str] | None = None

    def __post_init__(self) -> None:
        for name in ("sizes", "paragraphs", "words", "article_words", "article_paragraphs", "distances", "tokens"):
            setattr(self, name, [])


def measure(threads: Iterable, max_tokens: int = 2_000_000) -> Measures:
    """The figures ``--stats`` prints, from parsed :class:`~bot.core.model.Thread` objects (seeds or corpus)."""
    m = Measures()
    for thread in threads:
        m.files += 1
        comments = thread.comments
        m.sizes.append(len(comments))
        m.comments += len(comments)
        m.bylines += thread.byline is not None
        m.article_paragraphs.append(len(thread.article))
        m.article_words += [len(p.split()) for p in thread.article]
        seen_authors: set[str] = set()
        hay: list[str] = []  # each earlier comment's normalised text
        normalised_paragraphs: list[set[str]] = []
        for c in comments:
            m.paragraphs.append(len(c.body))
            m.repeat_author += c.author in seen_authors
            if 20 <= len(comments) <= 100:
                m.small_comments += 1
                m.small_repeat += c.author in seen_authors
            seen_authors.add(c.author)
            if not c.verified:
                m.unverified += 1
            if c.reply_to is not None:
                m.distances.append(c.number - c.reply_to)
            if c.reply_source == "header":
                m.header += 1
            elif c.reply_source == "mention":
                m.mention += 1
            elif c.reply_source == "quote":
                m.quote += 1
                blocks = [b.text for b in c.body if b.quote]
                if not blocks:
                    m.quote_inline += 1
                elif c.reply_to and any(_normalise(b).strip(_WRAPPERS) in normalised_paragraphs[c.reply_to - 1]
                                        for b in blocks):
                    m.quote_whole += 1
                else:
                    m.quote_fragment += 1
            if not c.verified and c.reply_source == "header":
                m.unverified_named += 1
            for b in c.body:
                if b.quote:
                    m.quote_blocks += 1
                    m.quote_blocks_wrapped += b.text.lstrip()[:1] in ('"', "*", "“")
                    continue
                m.own_paragraphs += 1
                m.words.append(len(b.text.split()))
                norm = _normalise(b.text)
                passages = _QUOTED.findall(norm)
                if passages:
                    m.passages += 1
                    needles = [n for n in map(_quotable, passages) if n]
                    m.partial += any(n in earlier for n in needles for earlier in hay)
            if len(m.tokens) < max_tokens:
                m.tokens += _WORD.findall(c.text.lower())
            norms = [_normalise(b.text) for b in c.body]
            normalised_paragraphs.append({n.strip(_WRAPPERS) for n in norms})
            hay.append(" ".join(norms))
    return m


def report(columns: list[tuple[str, Measures]], sample_tokens: int) -> list[str]:
    """Rows of figures, one column per measured source."""

    def share(n: int, of: int) -> str:
        return f"{100 * n / of:.1f}%" if of else "-"

    def dist(values: list[int]) -> str:
        if not values:
            return "-"
        return (f"med {statistics.median(values):g}, p90 {_pct(values, 0.9):g}, max {max(values)}, "
                f"mean {statistics.fmean(values):.1f}")

    rows: list[tuple[str, list[str]]] = [
        ("files", [f"{m.files:,}" for _, m in columns]),
        ("comments", [f"{m.comments:,}" for _, m in columns]),
        ("comments per file", [dist(m.sizes) for _, m in columns]),
        ("article paragraphs per file", [dist(m.article_paragraphs) for _, m in columns]),
        ("words per article paragraph", [dist(m.article_words) for _, m in columns]),
        ("files with a byline", [share(m.bylines, m.files) for _, m in columns]),
        ("paragraphs per comment", [dist(m.paragraphs) for _, m in columns]),
        ("  comments of one paragraph", [share(m.paragraphs.count(1), m.comments) for _, m in columns]),
        ("words per own paragraph", [dist(m.words) for _, m in columns]),
        ("unverified comments", [share(m.unverified, m.comments) for _, m in columns]),
        ("  of which name a parent in the header", [share(m.unverified_named, m.unverified) for _, m in columns]),
        ("replies by header parent", [share(m.header, m.comments) for _, m in columns]),
        ("replies by quote", [share(m.quote, m.comments) for _, m in columns]),
        ("  of which a whole earlier paragraph", [share(m.quote_whole, m.quote) for _, m in columns]),
        ("  of which a fragment as a paragraph", [share(m.quote_fragment, m.quote) for _, m in columns]),
        ("  of which a fragment inside own paragraph", [share(m.quote_inline, m.quote) for _, m in columns]),
        ("quote paragraphs wrapped in \"\" or **", [share(m.quote_blocks_wrapped, m.quote_blocks)
                                                     for _, m in columns]),
        ("replies by @-mention", [share(m.mention, m.comments) for _, m in columns]),
        ("own paragraphs with a \"...\" passage", [share(m.passages, m.own_paragraphs) for _, m in columns]),
        ("  whose passage quotes an earlier comment", [share(m.partial, m.own_paragraphs) for _, m in columns]),
        ("reply distance (comments back)", [dist(m.distances) for _, m in columns]),
        ("comments by an earlier commenter", [share(m.repeat_author, m.comments) for _, m in columns]),
        ("  in threads of 20-100 comments", [share(m.small_repeat, m.small_comments) for _, m in columns]),
        ("tokens that are the most frequent word", [_top_share(m.tokens, 1) for _, m in columns]),
        ("  ... one of the ten most frequent", [_top_share(m.tokens, 10) for _, m in columns]),
        (f"distinct words in first {sample_tokens:,} tokens",
         [f"{len(set(m.tokens[:sample_tokens])):,}" for _, m in columns]),
        ("distinct words (tokens counted)", [f"{len(set(m.tokens)):,} ({len(m.tokens):,})" for _, m in columns]),
    ]
    width = max(len(label) for label, _ in rows)
    widths = [max(len(name), *(len(r[1][i]) for r in rows)) for i, (name, _) in enumerate(columns)]
    out = [f"{'':{width}}  " + "  ".join(f"{name:<{w}}" for (name, _), w in zip(columns, widths, strict=True))]
    for label, cells in rows:
        out.append(f"{label:{width}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)))
    return out


def _sample(corpus: Corpus, threads: int, sample: int) -> Iterator:
    from bot.core.parser import parse_thread

    sizes = corpus.sizes(threads)
    step = max(1, threads // sample)
    for i in range(0, threads, step)[:sample]:
        yield parse_thread(corpus.thread_text(i, sizes[i]), source=f"thread-{i:05d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--threads", type=int, help="threads in the corpus (default 2,000 x --scale)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default 2,000 threads")
    parser.add_argument("--stats", action="store_true",
                        help="measure the seeds and the corpus (every Nth thread, --sample of them) side by side")
    parser.add_argument("--sample", type=int, default=200, help="threads parsed for --stats (default 200)")
    parser.add_argument("--seeds", type=Path, default=SEEDS, help=f"folder of real thread files (default {SEEDS})")
    parser.add_argument("--write", type=Path, metavar="DIR", help="write the corpus's thread files to DIR")
    args = parser.parse_args()
    threads = args.threads or max(1, round(2000 * args.scale))
    corpus = Corpus(args.seed)
    sizes = corpus.sizes(threads)
    print(f"corpus seed {args.seed}: {threads:,} threads, {sum(sizes):,} comments; comments per thread: "
          f"min {min(sizes)}, median {statistics.median(sizes):g}, p90 {_pct(sizes, 0.9)}, p99 {_pct(sizes, 0.99)}, "
          f"max {max(sizes)}; {sum(s >= 1000 for s in sizes)} threads of 1,000+")
    if args.write:
        start = time.perf_counter()
        corpus.write(args.write, threads, progress=True)
        print(f"wrote {args.write} in {time.perf_counter() - start:.1f} s")
    if args.stats:
        from bot.core.parser import load_thread_file

        seed_files = sorted(args.seeds.glob("*.txt"))
        if not seed_files:
            sys.exit(f"no seed files in {args.seeds}")
        start = time.perf_counter()
        seeds = measure(load_thread_file(p).thread for p in seed_files)
        generated = measure(_sample(corpus, threads, args.sample))
        print(f"measured {len(seed_files)} seed file(s) in {args.seeds} and {generated.files} corpus threads "
              f"(every {max(1, threads // args.sample)}th) with bot.core.parser "
              f"in {time.perf_counter() - start:.1f} s:")
        for line in report([("seeds", seeds), ("corpus", generated)], sample_tokens=len(seeds.tokens)):
            print("  " + line)


if __name__ == "__main__":
    main()
