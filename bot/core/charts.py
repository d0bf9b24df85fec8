"""Bar charts of poll results as PNG bytes. matplotlib is imported on first use (it takes a while), with the
Agg backend (no display); the runtime renders in an executor so the event loop never waits on it."""

from __future__ import annotations

import io
import textwrap

from bot.core.polls import PollResults


def results_chart(question: str, results: PollResults) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # a Figure of its own: no global pyplot state, safe in threads

    labels = [textwrap.shorten(a, 40, placeholder="…") for a in results.answers]
    height = 1.2 + 0.45 * len(labels)
    matplotlib.rcParams["text.parse_math"] = False  # members' text: "$5 or $10" is money, not math
    figure = Figure(figsize=(7, height), dpi=100)
    axes = figure.subplots()
    positions = range(len(labels))[::-1]
    bars = axes.barh(list(positions), results.counts, color="#5865F2")
    axes.set_yticks(list(positions), labels)
    axes.bar_label(bars, labels=[str(c) for c in results.counts], padding=3)
    axes.set_xlim(0, max([*results.counts, 1]) * 1.15)
    axes.set_title(textwrap.shorten(question, 70, placeholder="…"), loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis.set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def activity_chart(title: str, authors: list[tuple[str, int, int]]) -> bytes:
    """Comments per author, the thread's and the discussion's stacked: (author, original, members')."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams["text.parse_math"] = False
    labels = [textwrap.shorten(a, 30, placeholder="…") for a, _, _ in authors]
    figure = Figure(figsize=(6, 1.2 + 0.4 * len(labels)), dpi=100)
    axes = figure.subplots()
    positions = list(range(len(labels))[::-1])
    original = [o for _, o, _ in authors]
    members = [m for _, _, m in authors]
    axes.barh(positions, original, color="#99AAB5", label="thread")
    axes.barh(positions, members, left=original, color="#5865F2", label="discussion")
    axes.set_yticks(positions, labels)
    axes.set_title(textwrap.shorten(title, 60, placeholder="…"), loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="lower right", frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
