"""glibc's malloc arenas, limited for a process that runs for months.

glibc gives threads that allocate at once arenas of their own (up to eight per core), and memory freed in an arena
stays with it. The media server's threads (decoders, encoders, compositors, the mixers, aiortc's) allocate and free
picture-sized buffers all day: with the default, the resident memory of `hall bench soak` kept growing after its
warm-up (245 -> 280 MB over 15 rounds of a call and a room); with two arenas it was lower and levelled off
(211 -> 229 MB, flat over the last five rounds), for the same CPU. `MALLOC_ARENA_MAX` in the environment wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_arenas(arenas: int = 2) -> int | None:
    """Limit glibc's malloc arenas (before the threads start); the limit set, or None (set by the environment, or
    not glibc)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return None
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return arenas if mallopt(M_ARENA_MAX, arenas) == 1 else None
