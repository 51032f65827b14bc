"""Demo focus timer: a few categories for the readers, and background tracks for premium members.

The tracks are short loops generated here (no downloads) and written under ``MEDIA_DIR/music``;
their URLs are ``/media/music/<name>.wav``.
"""

from __future__ import annotations

import math
import random
import struct
import wave
from pathlib import Path

from application.results import PageRequest
from domain.focus import DuplicateCategoryName
from entrypoints.demo import Demo
from entrypoints.demo.catalog import READERS

CATEGORIES = [("Reading", "#3b82f6"), ("Study", "#10b981"), ("Writing", "#f59e0b")]

RATE = 8000
SECONDS = 6

#: (file name, title, kind of sound)
TRACKS = [
    ("rain-on-the-window", "Rain on the window", "rain"),
    ("reading-room-hum", "Reading room hum", "hum"),
    ("distant-waves", "Distant waves", "waves"),
]


def _samples(kind: str) -> list[float]:
    rng = random.Random(kind)  # noqa: S311 - sound, not secrets
    count = RATE * SECONDS
    if kind == "hum":
        return [
            0.25 * math.sin(2 * math.pi * 110 * i / RATE) + 0.1 * math.sin(2 * math.pi * 165 * i / RATE)
            for i in range(count)
        ]
    out, level = [], 0.0
    for i in range(count):
        level = 0.98 * level + 0.02 * rng.uniform(-1, 1)  # brown-ish noise
        swell = 0.6 + 0.4 * math.sin(2 * math.pi * i / (RATE * 3)) if kind == "waves" else 1.0
        out.append(max(-1.0, min(1.0, (level * 4 + rng.uniform(-0.05, 0.05)) * swell)))
    return out


def write_track(path: Path, kind: str) -> None:
    frames = b"".join(struct.pack("<h", int(sample * 0.8 * 32767)) for sample in _samples(kind))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


async def seed_focus_and_music(demo: Demo) -> None:
    focus = demo.container.focus
    create = focus.create_category()
    created = 0
    for username in READERS:
        user = demo.users.get(username)
        if user is None:
            continue
        for name, color in CATEGORIES:
            try:
                await create(user_id=user.uid, name=name, color=color)
                created += 1
            except DuplicateCategoryName:
                pass
    demo.echo(f"focus categories: {created} added")

    existing = await focus.list_tracks()(page=PageRequest(limit=1))
    if existing.total:
        demo.echo(f"music: the catalogue already holds {existing.total} tracks; none added")
        return
    folder = Path(demo.container.settings().media_dir) / "music"
    folder.mkdir(parents=True, exist_ok=True)
    add = focus.add_track()
    for name, title, kind in TRACKS:
        path = folder / f"{name}.wav"
        if not path.exists():
            write_track(path, kind)
        await add(title=title, url=f"/media/music/{name}.wav")
    demo.echo(f"music: {len(TRACKS)} tracks added (files in {folder}); premium members list them at /api/music/tracks")
