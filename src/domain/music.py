"""Background music for focusing: a small catalogue of tracks that admins manage.

A track's ``url`` is either a path under ``/media/`` (a file this service serves, e.g.
``/media/music/rain.wav``) or an absolute ``https://`` URL. Nothing else: no ``http://``,
no ``javascript:``, no credentials in the URL, no ``..`` or empty path segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NewType
from urllib.parse import urlsplit

from domain.errors import InvalidValue
from domain.shared import has_control_characters

TrackId = NewType("TrackId", int)

TITLE_MAX = 255
URL_MAX = 500
MEDIA_PREFIX = "/media/"

#: Characters of a path segment under /media/: unreserved characters and percent-escapes.
_MEDIA_SEGMENT = re.compile(r"[A-Za-z0-9._~%-]+")
_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")


def validate_title(raw: str) -> str:
    title = raw.strip()
    if not title:
        raise InvalidValue("title", "The title cannot be empty.")
    if len(title) > TITLE_MAX:
        raise InvalidValue("title", f"At most {TITLE_MAX} characters.")
    if has_control_characters(title):
        raise InvalidValue("title", "The title must be one line of printable characters.")
    return title


def _media_path(url: str) -> bool:
    segments = url[len(MEDIA_PREFIX) :].split("/")
    return all(_MEDIA_SEGMENT.fullmatch(s) and s not in {".", ".."} for s in segments)


def _https_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises
    except ValueError:
        return False
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and bool(_HOST.fullmatch(host))
        and not any(ch.isspace() for ch in url)
    )


def validate_url(raw: str) -> str:
    url = raw.strip()
    if len(url) > URL_MAX:
        raise InvalidValue("url", f"At most {URL_MAX} characters.")
    if has_control_characters(url) or any(ch.isspace() for ch in url):
        raise InvalidValue("url", "The URL cannot contain spaces or control characters.")
    if url.startswith(MEDIA_PREFIX) and _media_path(url):
        return url
    if url.lower().startswith("https://") and _https_url(url):
        return url
    raise InvalidValue("url", "Give a path under /media/ (e.g. /media/music/rain.wav) or an https:// URL.")


@dataclass(slots=True)
class MusicTrack:
    title: str
    url: str
    created_at: datetime
    id: TrackId | None = None

    @classmethod
    def add(cls, *, title: str, url: str, now: datetime) -> MusicTrack:
        return cls(title=validate_title(title), url=validate_url(url), created_at=now)
