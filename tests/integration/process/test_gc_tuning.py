"""A worker under concurrent load never stalls on a full garbage collection over what
start-up built (``entrypoints/gc_tuning.py``).

Fresh interpreters (the collector's state is per process) serve 64 concurrent
``GET /api/books`` at a time through the real ASGI application, 60 rounds, and record every
full (oldest-generation) collection and how many objects it had to walk. The control, with
``GC_THRESHOLD=0`` (Python's collector as it comes), shows what is at stake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"

LOAD = r"""
import asyncio, gc, json, os, sys

from entrypoints import migrate
from entrypoints.asgi import create_asgi_app

migrate.upgrade(os.environ["ATHENAEUM_DATABASE_URL"])
app = create_asgi_app()
walked = []  # objects a full collection walks, one entry per full collection


def on_collection(phase, info):
    if phase == "start" and info["generation"] == 2:
        walked.append(sum(len(gc.get_objects(generation)) for generation in range(3)))


async def get(path):
    sent = []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"limit=20", "root_path": "",
        "headers": [(b"host", b"test")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"]


async def main():
    inbox = asyncio.Queue()
    outbox = []

    async def lifespan_send(message):
        outbox.append(message)

    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, lifespan_send))
    while not outbox:
        await asyncio.sleep(0.01)
    assert outbox[0]["type"] == "lifespan.startup.complete", outbox
    gc.callbacks.append(on_collection)
    statuses = set()
    for _ in range(60):
        statuses |= set(await asyncio.gather(*(get("/api/books") for _ in range(64))))
    gc.callbacks.remove(on_collection)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    print(json.dumps({"statuses": sorted(statuses), "walked": walked, "threshold": gc.get_threshold()[0],
                      "frozen": gc.get_freeze_count()}))


asyncio.run(main())
"""


def serve_load(tmp_path: Path, gc_threshold: str) -> dict[str, object]:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("ATHENAEUM_")},
        "PYTHONPATH": str(SRC),
        "ATHENAEUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/athenaeum.db",
        "ATHENAEUM_VAR_DIR": str(tmp_path),
        "ATHENAEUM_MEDIA_DIR": str(tmp_path / "media"),
        "ATHENAEUM_SCHEDULER": "off",
        "ATHENAEUM_LOG_LEVEL": "warning",
        "ATHENAEUM_GC_THRESHOLD": gc_threshold,
    }
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["statuses"] == [200]
    return result


def test_a_loaded_worker_never_walks_the_start_up_heap(tmp_path: Path) -> None:
    result = serve_load(tmp_path, "20000")
    assert result["threshold"] == 20_000
    assert isinstance(result["frozen"], int)
    assert result["frozen"] > 100_000  # what the imports and the composition built
    walked = result["walked"]
    assert isinstance(walked, list)
    # a full collection may still happen, but only over what was made since start-up
    assert all(count < 20_000 for count in walked), walked


def test_without_the_setting_full_collections_walk_the_whole_heap(tmp_path: Path) -> None:
    """The control: Python's defaults promote the requests in flight until full collections
    run, each over every object start-up built, so the test above measures something."""
    result = serve_load(tmp_path, "0")
    assert result["threshold"] == 700
    assert result["frozen"] == 0
    walked = result["walked"]
    assert isinstance(walked, list)
    assert walked
    assert max(walked) > 100_000
