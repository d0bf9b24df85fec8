"""Faults a long-running bot meets, injected for real, and the count of what they cost.

Each scenario runs `rethread run` as its own process (:class:`BotProcess`) against the stand-in, injects its
faults (kill -9 at chosen requests, gateway drops, 5xx and 429 bursts, a write lock held by another process, a
full disk, SIGTERM), lets the replay finish, and then counts from what the stand-in shows and what the store
holds: comments lost, comments posted twice, votes lost. Shared by ``tests/test_faults.py`` (the short form, in
``make test``) and ``bench/faults.py`` (the whole table).

The thread replayed is written here (:class:`FaultThread`): every paragraph carries a mark (``q12x3``: comment
12, paragraph 3), so what the channel shows can be counted without the bot's renderer; some comments are long
enough to take several messages, so a kill can fall between the parts of one comment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT
from tests.fakediscord import FakeDiscord
from tests.harness.botprocess import BotProcess

MARK = re.compile(r"\bq(\d+)x(\d+)\b")
SCALE = 0.1  # the stand-in's windows ten times shorter...
BOT_ENV = {"RETHREAD_WEBHOOK_BUDGET": "30/6"}  # ...and the bot's webhook budget scaled the same
THREAD_TITLE = "Fault Line"
# Captured messages (discussions, issue 11) get a column once the runtime has them and a scenario counts them.
DISCUSSIONS_BUILT = (ROOT / "bot" / "runtime" / "discussions.py").exists()


# -- the thread ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultThread:
    """``comments`` comments; every ``long_every``-th one has 9 long paragraphs (two or three messages)."""

    comments: int
    long_every: int = 6
    seed: int = 12

    def paragraphs(self, number: int) -> int:
        return 9 if number % self.long_every == 0 else 1 + number % 2

    @property
    def marks(self) -> list[tuple[int, int]]:
        return [(n, k) for n in range(1, self.comments + 1) for k in range(1, self.paragraphs(n) + 1)]

    def text(self) -> str:
        rng = random.Random(self.seed)
        syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "or", "in", "da", "pe", "gu", "zo", "hal", "ne"]
        words = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(3000)})
        out = [THREAD_TITLE, "", "An article written for the fault table: one paragraph, then the comments.", ""]
        for n in range(1, self.comments + 1):
            out += [f"Reader {n}'s picture", ""]
            length = 62 if n % self.long_every == 0 else 12
            for k in range(1, self.paragraphs(n) + 1):
                out += [f"q{n}x{k} " + " ".join(rng.choices(words, k=length)) + ".", ""]
        return "\n".join(out)


# -- counting -----------------------------------------------------------------------------------------------


@dataclass
class Tally:
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)


def shown_text(fake: FakeDiscord, channel_id: int) -> list[str]:
    """Each message's text as members read it: its content and its embeds' descriptions."""
    return [m.content + "".join(e.get("description") or "" for e in m.embeds)
            for m in fake.channel_messages(channel_id)]


def shown_marks(fake: FakeDiscord, channel_id: int) -> list[tuple[int, int]]:
    return [(int(c), int(p)) for text in shown_text(fake, channel_id) for c, p in MARK.findall(text)]


def count_channel(fake: FakeDiscord, channel_id: int, thread: FaultThread) -> Tally:
    """Comments lost (a paragraph of it never shown) and posted twice (a paragraph shown twice), and whether the
    first showing of each paragraph follows the thread's order."""
    seen = shown_marks(fake, channel_id)
    counts = Counter(seen)
    tally = Tally(lost=len({c for c, p in thread.marks if counts[(c, p)] == 0}),
                  duplicated=len({c for (c, _), k in counts.items() if k > 1}))
    firsts = list(dict.fromkeys(seen))
    if firsts != sorted(firsts):
        tally.problems.append("comments out of order")
    return tally


def read_store(db_path: Path, sql: str, args: tuple = ()) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)) as db:
        return db.execute(sql, args).fetchall()


def count_store(db_path: Path, fake: FakeDiscord, channel_id: int, thread: FaultThread) -> Tally:
    """The store agrees with the channel: the replay finished, each comment recorded, each recorded message
    really in the channel and each of the replay's messages recorded; and the file passes integrity_check."""
    tally = Tally()
    check = read_store(db_path, "PRAGMA integrity_check")
    if check != [("ok",)]:
        tally.problems.append(f"integrity_check: {check[:3]}")
    replays = read_store(db_path, "SELECT id, state FROM replays WHERE channel_id = ? ORDER BY id DESC LIMIT 1",
                         (channel_id,))
    if not replays:
        tally.lost = thread.comments
        tally.problems.append("no replay in the store")
        return tally
    replay_id, state = replays[0]
    if state != "finished":
        tally.problems.append(f"replay {state} in the store")
    posts = read_store(db_path, "SELECT comment_number, part, message_id FROM replay_posts WHERE replay_id = ?",
                       (replay_id,))
    tally.lost = len(set(range(1, thread.comments + 1)) - {n for n, part, _ in posts if part == 0})
    recorded = {m for _, _, m in posts if m is not None}
    shown = {m.id for m in fake.channel_messages(channel_id) if MARK.search(m.content)
             or any(MARK.search(e.get("description") or "") for e in m.embeds)}
    if recorded - shown:
        tally.problems.append(f"{len(recorded - shown)} recorded message(s) not in the channel")
    if shown - recorded:
        tally.problems.append(f"{len(shown - recorded)} message(s) in the channel not recorded")
    return tally


class Ballot:
    """A poll the bot posted (``/poll ask``), and members voting on it, some changing their vote, while faults
    happen. Votes lost: a vote Discord counts that the store lacks, or one taken back that the store still has."""

    def __init__(self, fake: FakeDiscord, message_id: int, answers: int = 3):
        self.fake = fake
        self.message_id = message_id
        self.answers = answers
        self.voters: list[dict] = []
        self.cast_count = 0

    async def cast(self, new: int, changes: int = 0) -> None:
        for _ in range(new):
            user = self.fake.add_user(f"voter{len(self.voters) + 1}")
            self.voters.append(user)
            await self.fake.vote(user, self.message_id, 1 + len(self.voters) % self.answers)
            self.cast_count += 1
        for user in self.voters[:changes]:  # a single-choice poll: the new answer replaces the old (REMOVE, ADD)
            current = next(a for a, ids in self.fake.poll_votes(self.message_id).items() if int(user["id"]) in ids)
            await self.fake.vote(user, self.message_id, 1 + current % self.answers)
            self.cast_count += 1

    def discord_votes(self) -> set[tuple[int, int]]:
        return {(a, u) for a, ids in self.fake.poll_votes(self.message_id).items() for u in ids}

    def stored_votes(self, db_path: Path) -> set[tuple[int, int]]:
        rows = read_store(db_path, "SELECT v.answer_id, v.user_id FROM poll_votes v JOIN polls p ON p.id = v.poll_id"
                          " WHERE p.message_id = ?", (self.message_id,))
        return {(a, u) for a, u in rows}

    def lost(self, db_path: Path) -> int:
        return len(self.discord_votes() ^ self.stored_votes(db_path))


class Capture:
    """A discussion (``/discuss start``): its replay goes into a new Discord thread, where members write while
    faults happen. Captured messages lost: a member's message the thread shows that the store lacks."""

    def __init__(self, fake: FakeDiscord, thread_id: int):
        self.fake = fake
        self.thread_id = thread_id
        self.written: list[int] = []

    async def write(self, count: int) -> None:
        for _ in range(count):
            author = (self.fake.member, self.fake.admin)[len(self.written) % 2]
            message = await self.fake.member_writes(author, self.thread_id, f"Member message {len(self.written) + 1}.")
            self.written.append(int(message["id"]))

    def lost(self, db_path: Path) -> int:
        stored = {m for (m,) in read_store(db_path, "SELECT message_id FROM discussion_comments")}
        return len(set(self.written) - stored)


# -- one scenario's world -----------------------------------------------------------------------------------


class Rig:
    """The stand-in, the bot as its own process, and a work folder whose seeds are the fault thread."""

    def __init__(self, workdir: Path, thread: FaultThread, env: dict[str, str] | None = None):
        self.workdir = workdir
        self.thread = thread
        self.env = {**BOT_ENV, **(env or {})}
        self.fake = FakeDiscord(scale=SCALE)
        self.bot: BotProcess
        self.channel_id = self.fake.text_channel
        self.ballot: Ballot | None = None
        self.capture: Capture | None = None
        self._background: set[asyncio.Task] = set()

    async def __aenter__(self) -> Rig:
        seeds = self.workdir / "seeds"
        if seeds.exists():
            shutil.rmtree(seeds)
        seeds.mkdir(parents=True)
        (seeds / "fault-line.txt").write_text(self.thread.text(), encoding="utf-8")
        await self.fake.start()
        self.bot = BotProcess(self.fake, self.workdir, seeds=seeds, env=self.env)
        await self.bot.start()
        return self

    async def __aexit__(self, *exc) -> None:
        self.bot.kill()
        for task in self._background:
            task.cancel()
        await self.fake.stop()

    async def until(self, condition: Callable[[], bool], what: str, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.bot.log()[-3000:]}")
            await asyncio.sleep(0.02)

    def kill_now(self) -> None:
        """kill -9, at once and without waiting (a trap's action: the bot dies at that very request)."""
        if self.bot.running:
            os.kill(self.bot.pid, signal.SIGKILL)

    async def restart(self) -> None:
        self.bot.kill()
        await self.bot.start()

    # -- what members do --

    async def start_replay(self, pace: str = "0", *, wait: bool = True) -> None:
        """``/replay start`` as the admin. ``wait=False``: in the background (a kill may come before the answer)."""
        command = self.fake.slash(self.fake.admin, "replay start", thread=THREAD_TITLE, pace=pace)
        if wait:
            answer = await command
            assert answer.texts()[0].startswith("Replaying"), answer.texts()
            return
        task = asyncio.create_task(command)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # answered or not: the kill decides
        self._background.add(task)

    async def post_poll(self) -> Ballot:
        answer = await self.fake.slash(self.fake.admin, "poll ask", thread=THREAD_TITLE, question="Who is right?",
                                       answers="The first; The second; Neither", duration=24)
        await self.until(lambda: bool(answer.followups), "/poll ask to follow up")
        poll = next(m for m in self.fake.channel_messages(self.channel_id) if m.poll)
        self.ballot = Ballot(self.fake, poll.id)
        return self.ballot

    # -- what members see --

    def status(self) -> str:
        return next((m.content for m in self.fake.channel_messages(self.channel_id)
                     if not m.webhook_id and f"/{self.thread.comments}" in m.content), "")

    def shown(self) -> int:
        """How many of the thread's paragraphs the channel shows."""
        return len(shown_marks(self.fake, self.channel_id))

    def bot_notes(self) -> list[str]:
        return [m.content for m in self.fake.channel_messages(self.channel_id) if not m.webhook_id]

    def stored_state(self) -> str | None:
        rows = read_store(self.bot.db_path, "SELECT state FROM replays WHERE channel_id = ? ORDER BY id DESC LIMIT 1",
                          (self.channel_id,))
        return rows[0][0] if rows else None

    async def finished(self, timeout: float = 90.0) -> None:
        """The status message says so, and then the store (which records the end just after showing it)."""
        await self.until(lambda: "✅ Finished" in self.status() and self.stored_state() == "finished",
                         "the replay to finish", timeout)

    # -- the verdict --

    async def verdict(self, scenario: str, faults: str, started: float) -> Row:
        channel = count_channel(self.fake, self.channel_id, self.thread)
        stored = count_store(self.bot.db_path, self.fake, self.channel_id, self.thread)
        votes = None
        if self.ballot is not None:
            ballot = self.ballot
            with contextlib.suppress(AssertionError):  # a restart reads back votes cast meanwhile: give it time
                await self.until(lambda: ballot.lost(self.bot.db_path) == 0, "the votes to be stored", 10)
            votes = ballot.lost(self.bot.db_path)
        captured = None
        if self.capture is not None:
            capture = self.capture
            with contextlib.suppress(AssertionError):  # messages written while away are read back after a start
                await self.until(lambda: capture.lost(self.bot.db_path) == 0, "the messages to be captured", 10)
            captured = capture.lost(self.bot.db_path)
        statuses = [t for t in self.bot_notes() if f"/{self.thread.comments}" in t and "`" in t]
        problems = channel.problems + stored.problems
        if len(statuses) != 1:
            problems.append(f"{len(statuses)} status messages")
        elif "✅ Finished" not in statuses[0]:
            problems.append("the status message does not say Finished")
        if "Traceback" in self.bot.log():
            problems.append("a traceback in the log")
        return Row(scenario, faults, max(channel.lost, stored.lost), channel.duplicated, votes,
                   captured, problems, time.monotonic() - started)


@dataclass
class Row:
    scenario: str
    faults: str
    comments_lost: int
    comments_duplicated: int
    votes_lost: int | None  # None: no votes in this scenario
    captured_lost: int | None  # None: no discussion captured (n/a)
    problems: list[str]
    seconds: float

    @property
    def clean(self) -> bool:
        return not (self.comments_lost or self.comments_duplicated or self.votes_lost or self.captured_lost
                    or self.problems)

    def cells(self) -> list[str]:
        return [self.scenario, self.faults, str(self.comments_lost), str(self.comments_duplicated),
                "–" if self.votes_lost is None else str(self.votes_lost),
                "n/a" if self.captured_lost is None else str(self.captured_lost),
                "; ".join(self.problems) or "none"]


HEADER = ["scenario", "faults injected", "comments lost", "comments duplicated", "votes lost",
          "captured messages lost", "other problems"]


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


# -- kill -9 at chosen moments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """A moment to kill the bot at: the ``nth`` request (counted from the last start) matching ``method``,
    ``pattern`` and, if given, holding ``contains`` in its body (``{long}``: the mark of the next long comment
    the channel does not show yet, e.g. ``q{long}x9`` its last part); before it takes effect, or once it has
    (``after_effect``: Discord did it, the bot never hears). ``grace``: instead, let the answer through and
    kill that many seconds later (the bot is between requests: saving, waiting for its budget)."""

    label: str
    method: str
    pattern: str
    nth: int = 1
    after_effect: bool = False
    contains: str | None = None
    grace: float | None = None


WEBHOOK = ("POST", "/webhooks/*")
STATUS_POST = ("POST", "/channels/*/messages")
STATUS_EDIT = ("PATCH", "/channels/*/messages/*")
HISTORY = ("GET", "/channels/*/messages")


def sweep_moments() -> list[Moment]:
    """25 moments, in the order a replay meets them, each after the restart that followed the one before."""
    return [
        Moment("looking up the channel's webhooks", "GET", "/channels/*/webhooks"),
        Moment("creating the webhook, before Discord has it", "POST", "/channels/*/webhooks"),
        Moment("creating the webhook: made, answer lost", "POST", "/channels/*/webhooks", after_effect=True),
        Moment("posting the status message, before Discord has it", *STATUS_POST),
        Moment("posting the status message: posted, answer lost", *STATUS_POST, after_effect=True),
        Moment("webhook send 1, before Discord has it", *WEBHOOK),
        Moment("webhook send 1: posted, answer lost", *WEBHOOK, after_effect=True),
        Moment("the budget's seeding read after a restart", *HISTORY, nth=1),
        Moment("webhook send 2: posted, answer lost", *WEBHOOK, nth=2, after_effect=True),
        Moment("the settle step's read of recent messages", *HISTORY, nth=2),
        Moment("0 s after send 2 is answered (saving it)", *WEBHOOK, nth=2, grace=0.0),
        Moment("a long comment's part 1, before Discord has it", *WEBHOOK, contains="q{long}x1 "),
        Moment("a long comment's last part: posted, answer lost", *WEBHOOK, contains="q{long}x9 ",
               after_effect=True),
        Moment("a long comment's part 1: posted, answer lost", *WEBHOOK, contains="q{long}x1 ", after_effect=True),
        Moment("the settle read after a long comment was cut", *HISTORY, nth=2),
        Moment("a long comment's last part, before Discord has it", *WEBHOOK, contains="q{long}x9 "),
        Moment("0.02 s after a send is answered", *WEBHOOK, nth=3, grace=0.02),
        Moment("0.1 s after a send is answered", *WEBHOOK, nth=4, grace=0.1),
        Moment("a long comment's middle part: posted, answer lost", *WEBHOOK, contains="q{long}x5 ",
               after_effect=True),
        Moment("webhook send 5, before Discord has it", *WEBHOOK, nth=5),
        Moment("a progress edit of the status message", *STATUS_EDIT, nth=1),
        Moment("a progress edit: made, answer lost", *STATUS_EDIT, nth=1, after_effect=True),
        Moment("0.05 s after a progress edit is answered", *STATUS_EDIT, nth=1, grace=0.05),
        Moment("webhook send 3: posted, answer lost", *WEBHOOK, nth=3, after_effect=True),
        Moment("the final status edit (Finished), before Discord has it", *STATUS_EDIT, contains="Finished"),
    ]


def quick_moments() -> list[Moment]:
    return [
        Moment("webhook send 2: posted, answer lost", *WEBHOOK, nth=2, after_effect=True),
        Moment("the settle step's read of recent messages", *HISTORY, nth=2),
        Moment("a long comment's last part: posted, answer lost", *WEBHOOK, contains="q{long}x9 ",
               after_effect=True),
        Moment("a progress edit of the status message", *STATUS_EDIT, nth=1),
        Moment("a long comment's part 1, before Discord has it", *WEBHOOK, contains="q{long}x1 "),
    ]


def next_long_comment(rig: Rig) -> int:
    """The first long comment after the last one the channel shows."""
    shown = max((c for c, _ in shown_marks(rig.fake, rig.channel_id)), default=0)
    every = rig.thread.long_every
    return (shown // every + 1) * every


async def kill_at(rig: Rig, moment: Moment, timeout: float = 30.0) -> bool:
    """Kill the bot at ``moment`` and start it again; False if the replay never reached that moment."""
    contains = moment.contains.replace("{long}", str(next_long_comment(rig))) if moment.contains else None
    trap = rig.fake.trap(moment.method, moment.pattern, moment.nth, contains=contains,
                         after_effect=moment.after_effect or moment.grace is not None,
                         action=None if moment.grace is not None else rig.kill_now)
    try:
        await rig.until(trap.sprung.is_set, f"the moment: {moment.label}", timeout)
    except AssertionError:
        trap.release()
        rig.fake.traps.remove(trap)
        return False
    if moment.grace is not None:
        trap.release()
        await asyncio.sleep(moment.grace)
    rig.bot.kill()
    trap.release()
    await rig.bot.start()
    return True


async def kill_sweep(rig: Rig, moments: list[Moment], votes_per_kill: int = 2) -> str:
    """One replay, killed at each moment in turn and started again; members vote while the bot is down and
    while it runs."""
    ballot = await rig.post_poll()
    await ballot.cast(3)
    missed = []
    for i, moment in enumerate(moments):
        trap_done = asyncio.create_task(kill_at(rig, moment))
        await asyncio.sleep(0)  # the trap is set before anything can meet it
        if i == 0:
            await rig.start_replay(wait=False)
        await ballot.cast(votes_per_kill // 2)  # while it runs (or is already down)
        if not await trap_done:
            missed.append(moment.label)
        await ballot.cast(votes_per_kill - votes_per_kill // 2, changes=1)
    await rig.finished()
    hit = len(moments) - len(missed)
    note = f"; not reached: {', '.join(missed)}" if missed else ""
    return f"{hit} kill -9 at distinct moments, {ballot.cast_count} votes{note}"


# -- the other faults ---------------------------------------------------------------------------------------


async def gateway_drops(rig: Rig) -> str:
    """The gateway dropped twice mid-replay while members vote: once resumed (Discord replays what was missed),
    once refused (op 9: the bot identifies anew and Discord replays nothing)."""
    # on_ready comes some 2 s after READY (discord.py waits for the guilds), and the poll read-back it starts
    # would hide what the gateway lost: let it pass first.
    await asyncio.sleep(3)
    ballot = await rig.post_poll()
    await rig.start_replay(pace="0.2")
    await rig.until(lambda: rig.shown() >= 8, "a few comments")
    await rig.fake.drop_gateway()
    await ballot.cast(4, changes=1)
    await rig.until(lambda: rig.fake.resumes >= 1, "the bot to resume")
    await ballot.cast(2)
    await rig.until(lambda: rig.shown() >= 20, "more comments")
    identifies = rig.fake.identifies
    await rig.fake.invalidate_session()
    await ballot.cast(4, changes=2)
    await rig.until(lambda: rig.fake.identifies > identifies, "the bot to identify anew")
    await ballot.cast(2)
    await rig.finished()
    return f"2 gateway drops (1 resumed, 1 re-identified after op 9), {ballot.cast_count} votes"


async def server_error_bursts(rig: Rig, burst: int) -> str:
    """Bursts of 500, 502 and 503 on the webhook route, one after another, mid-replay."""
    await rig.start_replay()
    for i, status in enumerate((500, 502, 503)):
        await rig.until(lambda i=i: rig.shown() >= 4 + 10 * i, "progress")
        rig.fake.fail_next(*WEBHOOK, status=status, times=burst)
        await rig.until(lambda status=status: sum(r.status == status for r in rig.fake.requests) >= burst,
                        f"the {status} burst", 60)
    await rig.finished(120)
    return f"{burst}× 500, {burst}× 502, {burst}× 503 on the webhook route"


async def dropped_connections(rig: Rig, drops: int) -> str:
    """Sends whose connection closes with no answer, half before Discord took them and half after it posted them
    (the bot cannot tell which): a wait, the channel read back, no blind resend."""
    await rig.start_replay()
    await rig.until(lambda: rig.shown() >= 4, "progress")
    rig.fake.drop_next(*WEBHOOK, times=drops // 2)
    rig.fake.drop_next(*WEBHOOK, times=drops - drops // 2, after_effect=True, skip=2)
    await rig.finished(120)
    return f"{drops} sends with no answer ({drops // 2} lost before Discord, {drops - drops // 2} posted by it)"


async def rate_limit_burst(rig: Rig, burst: int, *, is_global: bool) -> str:
    await rig.start_replay()
    await rig.until(lambda: rig.shown() >= 5, "progress")
    rig.fake.rate_limit_next(*WEBHOOK, times=burst, is_global=is_global)
    await rig.finished()
    served = sum(r.status == 429 for r in rig.fake.requests_to(*WEBHOOK))
    kind = "global (X-RateLimit-Global, global: true)" if is_global else "the route's"
    return f"{served}× 429 in a row, {kind}"


async def database_locked(rig: Rig, seconds: float) -> str:
    from tests.test_storage_faults import hold_write_lock

    await rig.start_replay(pace="0.3")
    await rig.until(lambda: rig.shown() >= 4, "progress")
    holder = await asyncio.to_thread(hold_write_lock, rig.bot.db_path, seconds)
    await asyncio.to_thread(holder.join)
    await rig.finished(60 + seconds)
    return f"the write lock held by another process for {seconds:.0f} s"


PAUSED_FOR_DISK = "could not save"
RESUMED_AFTER_DISK = "saving works again"


async def disk_full(rig: Rig, seconds: float) -> str:
    """Every write of the bot's fails (RLIMIT_FSIZE 0: EFBIG, SQLite's disk I/O error) for ``seconds``: the replay
    pauses, says so in the channel, posts nothing meanwhile, and goes on by itself once writes succeed."""
    await rig.start_replay(pace="0.3")
    await rig.until(lambda: rig.shown() >= 4, "progress")
    rig.bot.limit_file_size(0)
    await rig.until(lambda: any(PAUSED_FOR_DISK in t for t in rig.bot_notes()), "the pause to be announced", 20)
    during = rig.shown()
    await asyncio.sleep(seconds)
    posted_while_full = rig.shown() - during
    rig.bot.limit_file_size(None)
    await rig.until(lambda: any(RESUMED_AFTER_DISK in t for t in rig.bot_notes()), "the replay to go on", 30)
    await rig.finished()
    extra = f", {posted_while_full} paragraph(s) posted while it could not save" if posted_while_full > 1 else ""
    return f"no write possible for {seconds:.0f} s (RLIMIT_FSIZE){extra}"


async def sigterm_mid_send(rig: Rig) -> str:
    await rig.start_replay()
    await rig.until(lambda: rig.shown() >= 3, "progress")
    rig.fake.delay_next(*WEBHOOK, 2)  # Discord takes 2 s to answer: SIGTERM arrives mid-send
    await rig.until(lambda: any(f.delay and not f.times for f in rig.fake.faults), "the slow send")
    code = await rig.bot.stop(timeout=12)
    assert code == 0, f"exit {code}\n{rig.bot.log()[-2000:]}"
    await rig.bot.start()
    await rig.finished()
    return "SIGTERM while Discord takes 2 s to answer a send; exit 0; restart"


async def restart_inside_window(rig: Rig) -> str:
    await rig.start_replay()
    await rig.until(lambda: len([m for m in rig.fake.channel_messages(rig.channel_id) if m.webhook_id]) >= 20,
                    "20 messages in the window")
    await rig.restart()
    await rig.finished()
    served = rig.fake.limits.served_429["webhook_channel"]
    return f"kill -9 after 20 messages, restart in the same 6 s window: {served} 429s drawn"


async def discussion_under_faults(rig: Rig) -> str:
    """A discussion replayed into its Discord thread while members write there: kill -9 (messages written while
    the bot is down), a resumed gateway drop and a refused resume (op 9), each with messages meanwhile."""
    await asyncio.sleep(3)  # on_ready's read-backs would hide what the gateway lost: let them pass (see above)
    answer = await rig.fake.slash(rig.fake.admin, "discuss start", thread=THREAD_TITLE, pace="0.2")
    await rig.until(lambda: bool(answer.followups), "/discuss start to answer")
    rig.channel_id = int(rig.fake.threads_of(rig.fake.text_channel)[-1]["id"])
    capture = rig.capture = Capture(rig.fake, rig.channel_id)
    await capture.write(3)
    await rig.until(lambda: rig.shown() >= 6, "a few comments")
    rig.bot.kill()
    await capture.write(3)
    await rig.bot.start()
    await capture.write(2)
    await rig.until(lambda: rig.shown() >= 14, "more comments")
    await rig.fake.drop_gateway()
    await capture.write(3)
    await rig.until(lambda: rig.fake.resumes >= 1, "the bot to resume")
    await rig.until(lambda: rig.shown() >= 22, "more comments")
    identifies = rig.fake.identifies
    await rig.fake.invalidate_session()
    await capture.write(3)
    await rig.until(lambda: rig.fake.identifies > identifies, "the bot to identify anew")
    await capture.write(2)
    await rig.finished()
    return (f"kill -9, a resumed and a re-identified gateway drop; {len(capture.written)} members' messages, "
            "some written while the bot was away")


# -- the table ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Rig], Awaitable[str]]
    thread: FaultThread = FaultThread(40)


def scenarios(quick: bool) -> list[Scenario]:
    """The whole table; ``quick``: fewer kills, shorter bursts and waits (the short form CI runs)."""
    sweep_thread = FaultThread(14) if quick else FaultThread(100)
    moments = quick_moments() if quick else sweep_moments()
    burst = 2 if quick else 6
    return [
        Scenario("kill -9 mid-replay, votes meanwhile", lambda rig: kill_sweep(rig, moments), sweep_thread),
        Scenario("gateway dropped mid-replay and mid-vote", gateway_drops, FaultThread(30)),
        Scenario("5xx bursts", lambda rig: server_error_bursts(rig, burst), FaultThread(34)),
        Scenario("connections dropped mid-send", lambda rig: dropped_connections(rig, 2 if quick else 6),
                 FaultThread(20)),
        Scenario("429 burst, route", lambda rig: rate_limit_burst(rig, 3 if quick else 8, is_global=False),
                 FaultThread(20)),
        Scenario("429 burst, global", lambda rig: rate_limit_burst(rig, 3 if quick else 8, is_global=True),
                 FaultThread(20)),
        Scenario("database locked by another writer", lambda rig: database_locked(rig, 5 if quick else 30),
                 FaultThread(16)),
        Scenario("disk full while saving", lambda rig: disk_full(rig, 3 if quick else 10), FaultThread(16)),
        Scenario("SIGTERM mid-send", sigterm_mid_send, FaultThread(16)),
        Scenario("restart inside Discord's per-channel window", restart_inside_window, FaultThread(45, long_every=99)),
    ] + ([Scenario("discussion captured while the bot is killed and the gateway drops", discussion_under_faults,
                   FaultThread(30))] if DISCUSSIONS_BUILT else [])


async def run_scenario(scenario: Scenario, workdir: Path) -> Row:
    started = time.monotonic()
    async with Rig(workdir, scenario.thread) as rig:
        try:
            faults = await scenario.run(rig)
        except AssertionError as exc:
            row = await rig.verdict(scenario.name, "(did not finish)", started)
            row.problems.append(str(exc).splitlines()[0])
            return row
        return await rig.verdict(scenario.name, faults, started)
