"""Give large freed blocks back to the operating system (glibc).

Each argon2id hash borrows its ``memory_kib`` (19 MiB by default) from C ``malloc``.
glibc serves a block that large with ``mmap`` and unmaps it on ``free`` — until the first
such free, after which its *dynamic* mmap threshold rises above 19 MiB and later hashes are
carved from the heap arenas instead, where freed memory stays resident. A worker that has
seen a burst of logins then keeps ~19 MiB per concurrent hash for the rest of its life
(measured: 142 MB idle → 181 MB after 50 logins, and still 181 MB under read traffic).

A fixed threshold (``M_MMAP_THRESHOLD``; setting it turns the dynamic adjustment off) keeps
those blocks on ``mmap``: after the burst the worker is back to its idle size (143 MB).
Small allocations are unaffected. Operators may set glibc's own ``MALLOC_MMAP_THRESHOLD_``
to choose another value; it is then left alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

ENV = "MALLOC_MMAP_THRESHOLD_"
DEFAULT_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, made fixed
_M_MMAP_THRESHOLD = -3  # from <malloc.h>


def return_large_blocks_to_the_os() -> int | None:
    """Fix glibc's mmap threshold for this process; the threshold applied, or ``None`` where
    there is nothing to do (not Linux/glibc, or the operator set ``MALLOC_MMAP_THRESHOLD_``,
    which glibc applied at start)."""
    if not sys.platform.startswith("linux") or ENV in os.environ:
        return None
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        return None
    if mallopt(_M_MMAP_THRESHOLD, DEFAULT_THRESHOLD_BYTES) != 1:  # pragma: no cover - musl's stub returns 0
        return None
    return DEFAULT_THRESHOLD_BYTES
