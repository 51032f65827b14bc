"""argon2id password hashing, off the event loop."""

from __future__ import annotations

import asyncio
import gzip
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    """argon2id; the defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).

    ``verify(None, …)`` checks against a fixed dummy hash so that an unknown account
    costs the same time as a wrong password. Hashing runs in a worker thread.
    """

    def __init__(self, *, memory_kib: int = 19_456, time_cost: int = 2, parallelism: int = 1) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        self._dummy = self._hasher.hash("athenaeum-dummy-password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

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
