"""glibc's mmap threshold, fixed, so that memory freed in big blocks goes back to the system.

glibc serves a block of 128 KiB or more with mmap at first, but once it has freed an mmapped block it raises its
mmap threshold past that block's size ("dynamic threshold", up to 32 MiB) and serves such requests from the heap,
where freed space stays resident and, fragmented, is seldom reused for the next big block. Two places meet it:

- the bot: asyncio reads every socket (``sock.recv`` in selector_events) and every TLS connection
  (``SSLObject.read`` in sslproto) into a new 256 KiB bytes object, then shrinks it to what arrived, usually a few
  hundred bytes; from the heap, each read rarely finds 256 KiB in one piece among the holes that longer-lived
  objects leave, and extends it. In the soak (bench/soak.py) that was +0.5 MB a minute. Mmapped, a read's pages
  go back when it is freed (the shrunk ones stay mapped: a page each while they live). The price is an mmap and a
  munmap per read (about 5% more CPU in the soak).
- the import's parse workers: after one long file a worker's big strings stay resident. Fixed, four workers and
  the importer peaked at 135-137 MB instead of 146-149 (two runs each).

Setting the threshold at glibc's own starting value (128 KiB) turns the dynamic raise off. Other C libraries have
no such threshold; an operator who set it (either spelling) knows better.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger("rethread")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
THRESHOLD = 128 * 1024  # glibc's default start, below asyncio's 256 KiB reads
OPERATOR_SETTING = "MALLOC_MMAP_THRESHOLD_"  # glibc's own variable: an operator who set it knows better


def operator_chose_threshold(environ: Mapping[str, str]) -> bool:
    """The threshold is set in the environment, by its old name or as a tunable (glibc.malloc.mmap_threshold)."""
    return OPERATOR_SETTING in environ or "malloc.mmap_threshold" in environ.get("GLIBC_TUNABLES", "")


def threshold_environment() -> dict[str, str]:
    """What a child process's environment needs for the same fixed threshold from its start (none if the
    operator chose one: it is inherited)."""
    return {} if operator_chose_threshold(os.environ) else {OPERATOR_SETTING: str(THRESHOLD)}


def keep_reads_off_the_heap() -> bool:
    """Fix glibc's mmap threshold for this process. False where there is nothing to do: not glibc (musl, macOS,
    Windows), or the operator set the threshold themselves."""
    if not sys.platform.startswith("linux") or operator_chose_threshold(os.environ):
        return False
    import ctypes  # here: the importer loads this module for threshold_environment alone

    libc = ctypes.CDLL(None)  # the C library this process already runs on
    if not hasattr(libc, "gnu_get_libc_version"):
        return False  # another C library (musl): another allocator, without this threshold
    done = bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD))
    if not done:
        log.warning("could not set glibc's mmap threshold: memory may grow by fragmentation")
    return done
