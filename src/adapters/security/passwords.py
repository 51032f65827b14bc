"""argon2id password hashing, off the event loop."""

from __future__ import annotations

import asyncio
import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    """argon2id; the defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).

    ``verify(None, …)`` checks against a fixed dummy hash so that an unknown account
    costs the same time as a wrong password.

    Hashing runs in this hasher's own threads, at most ``max_concurrent`` (default: the CPU
    count) at a time; more logins queue for a thread. Each hash needs ``memory_kib``, so a
    login storm peaks at ``max_concurrent * memory_kib`` instead of growing with the
    concurrency (and more threads than cores would not hash any faster). Whether that
    memory goes back to the system afterwards is the C allocator's business: see
    ``entrypoints.memory``.
    """

    def __init__(
        self,
        *,
        memory_kib: int = 19_456,
        time_cost: int = 2,
        parallelism: int = 1,
        max_concurrent: int | None = None,
    ) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        self._dummy = self._hasher.hash("athenaeum-dummy-password")
        self.max_concurrent = max(1, max_concurrent or os.cpu_count() or 1)
        self._threads = ThreadPoolExecutor(max_workers=self.max_concurrent, thread_name_prefix="argon2")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            ok = self._hasher.verify(password_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


@cache
def common_passwords() -> frozenset[str]:
    """20,000 common passwords, lower-cased (the list Django ships, by Royce Williams)."""
    data = resources.files(__package__).joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())
