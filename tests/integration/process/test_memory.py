"""A worker gives the memory of a burst of password hashes back to the system.

Run in fresh interpreters (the allocator's state is per process): one as ``athenaeum serve``
sets itself up, one without the setting, as the control that shows what is at stake.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"

BURST = """
import asyncio, sys
from adapters.security.passwords import Argon2PasswordHasher
from entrypoints.memory import return_large_blocks_to_the_os

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

if sys.argv[1] == "tuned":
    assert return_large_blocks_to_the_os() is not None
hasher = Argon2PasswordHasher(max_concurrent=2)  # 19 MiB per hash, two at a time

async def burst():
    await asyncio.gather(*(hasher.hash(f"password {i}") for i in range(8)))

before = rss_mib()
asyncio.run(burst())
print(round(rss_mib() - before, 1))
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's allocator only"
)


def retained_after_burst(mode: str) -> float:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    env["PYTHONPATH"] = str(SRC)
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", BURST, mode], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return float(done.stdout.strip())


def test_memory_of_a_burst_of_logins_goes_back_to_the_system() -> None:
    assert retained_after_burst("tuned") < 8  # MiB; two hashes' worth would be 38


def test_without_the_setting_the_burst_stays_resident() -> None:
    """The control: glibc's default keeps the hashes' memory, so the test above measures something."""
    assert retained_after_burst("default") > 25
