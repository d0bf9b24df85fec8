"""A parse worker: a process that reads thread files and sends back the rows to store, started by the importer as
``python -m bot.parse_worker MAX_BYTES``.

It imports the parser and :mod:`db.rows` only (no CLI, no discord.py, no aiosqlite): a worker started through
``multiprocessing`` would re-import the ``rethread`` console script, and with it the whole command line.

Protocol, on stdin and stdout: each request is one line of JSON, a file's path as a string (or ``{"ask":
"modules"}``: the names of the modules loaded here, to check the sentence above). Each answer is a 4-byte
big-endian length, then a pickle of ``("ok", path, sha256, ThreadRows)``, ``("bad", path, reason)`` for a file
that is not a thread file, ``("error", path, text)`` for a parser failure, or ``("modules", names)``. Answers
come in the order of the requests.
"""

from __future__ import annotations

import json
import pickle
import struct
import sys
import traceback
from typing import Any, BinaryIO

from bot.core.parser import ThreadFileError, load_thread_file
from db.rows import thread_rows

HEADER = struct.Struct(">I")


def answer(path: str, max_bytes: int) -> tuple[Any, ...]:
    try:
        loaded = load_thread_file(path, max_bytes)
    except ThreadFileError as exc:
        return ("bad", path, exc.reason)
    except Exception:  # a parser bug: the file is reported, the import goes on
        return ("error", path, traceback.format_exc(limit=3).strip().splitlines()[-1])
    return ("ok", path, loaded.sha256, thread_rows(loaded.thread))


def send(out: BinaryIO, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(data)))
    out.write(data)
    out.flush()


def serve(max_bytes: int, requests: BinaryIO, out: BinaryIO) -> None:
    for line in requests:
        request = json.loads(line)
        if isinstance(request, dict):
            send(out, ("modules", sorted(sys.modules)))
        else:
            send(out, answer(str(request), max_bytes))


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer)
