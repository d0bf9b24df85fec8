"""Keep the event loop's socket reads out of the C heap, so a bot that runs for days does not grow.

asyncio reads every socket (``sock.recv`` in selector_events) and every TLS connection (``SSLObject.read`` in
sslproto) into a new 256 KiB bytes object, then shrinks it to what arrived, usually a few hundred bytes. glibc
serves a request that size with mmap at first, but once it has freed an mmapped block that large (any big
payload) it raises its mmap threshold past it ("dynamic threshold", up to 32 MiB) and serves such requests from
the heap: each read then wants 256 KiB in one piece, rarely finds it among the holes that longer-lived objects
leave, and extends the heap instead. In the soak (bench/soak.py) that was +0.5 MB a minute. Setting the threshold
turns the dynamic raise off; at glibc's own starting value (128 KiB) every read is mmapped, and its pages go back
to the system when it is freed. The price is an mmap and a munmap per read (about 5% more CPU in the soak).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger("rethread")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
READ_THRESHOLD = 128 * 1024  # glibc's default start, below asyncio's 256 KiB reads
OPERATOR_SETTING = "MALLOC_MMAP_THRESHOLD_"  # glibc's own variable: an operator who set it knows better


def operator_chose_threshold(environ: Mapping[str, str]) -> bool:
    """The threshold is set in the environment, by its old name or as a tunable (glibc.malloc.mmap_threshold)."""
    return OPERATOR_SETTING in environ or "malloc.mmap_threshold" in environ.get("GLIBC_TUNABLES", "")


def keep_reads_off_the_heap() -> bool:
    """Fix glibc's mmap threshold for this process. False where there is nothing to do: not glibc (musl, macOS,
    Windows), or the operator set the threshold themselves. The reads it shrinks stay mmapped: a page each while
    they live."""
    if not sys.platform.startswith("linux") or operator_chose_threshold(os.environ):
        return False
    libc = ctypes.CDLL(None)  # the C library this process already runs on
    if not hasattr(libc, "gnu_get_libc_version"):
        return False  # another C library (musl): another allocator, without this threshold
    done = bool(libc.mallopt(M_MMAP_THRESHOLD, READ_THRESHOLD))
    if not done:
        log.warning("could not set glibc's mmap threshold: memory may grow by fragmentation")
    return done
