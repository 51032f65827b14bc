"""Real ``athenaeum`` processes for the cluster tests: started with their own environment,
logged to files, and always killed (by process group) when the test is done."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.integration.fakes.smtp_server import free_port

ATHENAEUM = str(Path(sys.executable).with_name("athenaeum"))
#: A hang guard, not a speed check: a server is ready in 3-8 s, ~4 s even beside three CPU hogs.
#: Once, in a full CI run, both cluster servers had not even logged "Started server process"
#: after 30 s (cause not found; not reproduced alone or under load). A longer wait, and a stack
#: dump when it runs out (wait_ready), tell slow from stuck next time.
READY_TIMEOUT_SECONDS = 90.0


def clean_environ() -> dict[str, str]:
    """The test's environment without any ``ATHENAEUM_*`` variable (the children get only ours)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("ATHENAEUM_")}


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signum)  # its own session: the group is this process (and its workers)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """Starts ``athenaeum`` commands in ``workdir`` (no ``.env`` there) with ``env``."""

    workdir: Path
    env: dict[str, str]
    started: list[Proc] = field(default_factory=list)

    def start(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> Proc:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own executable and arguments
                [ATHENAEUM, *args],
                cwd=self.workdir,
                # faulthandler: a process that hangs can be made to print where (see wait_ready)
                env={**self.env, "PYTHONFAULTHANDLER": "1", **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.started.append(proc)
        return proc

    def serve(self, name: str, *, wait: bool = True, **env: str) -> Proc:
        """``athenaeum serve`` on a free port, returned once ``/ready`` answers 200 (unless not ``wait``)."""
        port = free_port()
        proc = self.start(name, "serve", env={"ATHENAEUM_PORT": str(port), **env})
        proc.url = f"http://127.0.0.1:{port}"
        if wait:
            self.wait_ready(proc)
        return proc

    def wait_ready(self, proc: Proc, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive():
                raise AssertionError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{proc.url}/ready", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        if proc.alive():  # stuck, not slow: SIGABRT makes faulthandler write every thread's stack to the log
            proc.popen.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        raise AssertionError(f"{proc.name} not ready after {timeout} s:\n{proc.tail(120)}")

    def run(self, *args: str, timeout: float = 60.0, env: Mapping[str, str] | None = None) -> str:
        """Run a one-shot command to its end; its output, or an AssertionError with it."""
        done = subprocess.run(  # noqa: S603
            [ATHENAEUM, *args],
            cwd=self.workdir,
            env={**self.env, **(env or {})},
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        output = (done.stdout + done.stderr).decode(errors="replace")
        assert done.returncode == 0, f"athenaeum {' '.join(args)} exited with {done.returncode}:\n{output}"
        return output

    def logs(self) -> str:
        return "\n".join(f"--- {proc.name} (pid {proc.pid}) ---\n{proc.tail()}" for proc in self.started)

    def kill_all(self) -> None:
        for proc in self.started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                proc.signal(signal.SIGKILL)
        for proc in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)


@contextlib.contextmanager
def processes(workdir: Path, env: dict[str, str]) -> Iterator[Processes]:
    """Every process started inside the block is SIGKILLed when it ends, however it ends."""
    group = Processes(workdir, env)
    try:
        yield group
    finally:
        group.kill_all()
