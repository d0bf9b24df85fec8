"""Memory that grows with traffic, not with what the bot keeps (bot/heap.py): many small socket reads over
many connections, the way the bot reads Discord's answers, must not leave a growing heap of free holes.

Each scenario runs in a fresh process (``python -m tests.test_heap``): the C allocator's state is per process, and
the fix changes it for the whole process."""

from __future__ import annotations

import asyncio
import collections
import ctypes
import json
import os
import random
import subprocess
import sys

import pytest

from tests.conftest import ROOT

READS, CONNECTIONS = 40_000, 20
HOLES_ALLOWED_KB = 1024  # free space left inside the heap after the reads

glibc = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
pytestmark = pytest.mark.skipif(not glibc, reason="the fix is glibc's mmap threshold; other allocators differ")


def heap_after_reads(*, fixed: bool) -> dict[str, int]:
    # Without the operator's own settings, which the fix leaves alone (and which would make "unfixed" fixed).
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")}
    result = subprocess.run([sys.executable, "-m", "tests.test_heap", "fixed" if fixed else "unfixed"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_many_small_reads_leave_no_growing_holes_in_the_heap():
    fixed = heap_after_reads(fixed=True)
    assert fixed["applied"]
    assert fixed["free_kb"] < HOLES_ALLOWED_KB, fixed
    assert fixed["heap_growth_kb"] < fixed["kept_kb"] + HOLES_ALLOWED_KB, fixed
    # The same reads without it: glibc serves each 256 KiB read from the heap, and the holes pile up.
    unfixed = heap_after_reads(fixed=False)
    assert unfixed["free_kb"] > 2 * HOLES_ALLOWED_KB, unfixed


def test_a_threshold_the_operator_chose_is_left_alone():
    from bot.heap import operator_chose_threshold

    assert operator_chose_threshold({"MALLOC_MMAP_THRESHOLD_": "65536"})
    assert operator_chose_threshold({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536"})
    assert not operator_chose_threshold({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert not operator_chose_threshold({})


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


async def _read_many(fixed: bool) -> dict[str, int]:
    from bot.heap import keep_reads_off_the_heap

    applied = keep_reads_off_the_heap() if fixed else False
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    big = bytearray(1 << 20)  # one large message, as a guild's first payload: glibc raises its threshold past it
    del big
    sizes = random.Random(12)
    recent: collections.deque[str] = collections.deque(maxlen=1000)  # a message cache: each lives a while
    kept: list[bytes] = []  # and a few things live on
    reads = answered = 0
    warmed, done, all_closed = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        while True:  # one answer of 200-3,000 bytes per request, as a REST call gets
            writer.write(b"x" * sizes.randrange(200, 3000))
            if not await reader.read(1):
                break
        writer.close()
        answered += 1
        if answered == CONNECTIONS:
            all_closed.set()

    class Client(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            nonlocal reads
            reads += 1
            recent.append(data.decode() + ".")
            if reads % 200 == 0:
                kept.append(data + b".")
            if reads == READS // 10:
                warmed.set()
            if reads >= READS:
                done.set()
                self.transport.close()
            else:
                self.transport.write(b"?")

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for _ in range(CONNECTIONS):
        await asyncio.get_running_loop().create_connection(Client, "127.0.0.1", port)
    await warmed.wait()
    heap_before = libc.mallinfo2().arena
    await done.wait()
    after = libc.mallinfo2()
    await all_closed.wait()  # nothing left running
    server.close()
    return {"applied": applied, "heap_growth_kb": (after.arena - heap_before) // 1024,
            "free_kb": after.fordblks // 1024, "kept_kb": sum(len(k) for k in kept) // 1024}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_read_many(sys.argv[1] == "fixed"))))
