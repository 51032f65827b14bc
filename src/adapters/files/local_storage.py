"""Media files on the local file system (``MEDIA_DIR``), served by the HTTP app under ``/media/``.

Names are generated here (a random UUID and the extension of the detected format); nothing
the client sent becomes part of a path. Files are written to a temporary name in the same
folder and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path

FOLDER_RE = re.compile(r"^[a-z0-9_-]{1,32}$")
EXTENSION_RE = re.compile(r"^\.[a-z0-9]{1,8}$")
NAME_RE = re.compile(r"^(?P<folder>[a-z0-9_-]{1,32})/(?P<name>[0-9a-f]{32}\.[a-z0-9]{1,8})$")


class LocalMediaStorage:
    def __init__(self, root: str | os.PathLike[str], url_prefix: str = "/media") -> None:
        self._root = Path(root).resolve()
        self._prefix = url_prefix.rstrip("/")

    @property
    def root(self) -> Path:
        return self._root

    async def save(self, folder: str, data: bytes, extension: str) -> str:
        if not FOLDER_RE.match(folder):
            msg = f"invalid media folder {folder!r}"
            raise ValueError(msg)
        if not EXTENSION_RE.match(extension):
            msg = f"invalid extension {extension!r}"
            raise ValueError(msg)
        name = await asyncio.to_thread(self._write, folder, data, extension)
        return f"{self._prefix}/{folder}/{name}"

    def _write(self, folder: str, data: bytes, extension: str) -> str:
        directory = self._root / folder
        directory.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex + extension
        temporary = directory / f".{uuid.uuid4().hex}.part"
        try:
            with temporary.open("xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            temporary.chmod(0o644)
            temporary.replace(directory / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return name

    async def delete(self, url: str) -> None:
        if not url.startswith(self._prefix + "/"):
            return
        match = NAME_RE.match(url.removeprefix(self._prefix + "/"))
        if match is None:
            return
        path = self._root / match["folder"] / match["name"]
        await asyncio.to_thread(path.unlink, missing_ok=True)
