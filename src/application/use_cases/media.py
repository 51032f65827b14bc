"""Media use cases: image uploads and avatars.

Every image goes through the ``ImageCleaner`` (decoded for real, PNG/JPEG/WebP only,
re-encoded without metadata) before the ``MediaStorage`` keeps it under a name of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from application.errors import NotFound
from application.ports.storage import AVATARS, UPLOADS, ImageCleaner, MediaStorage
from application.ports.uow import IdentityUnitOfWork
from application.use_cases.identity import Profile
from domain.shared import UserId


class UploadImage:
    """Store an image for later use (e.g. in a description); returns its public URL path."""

    def __init__(self, images: ImageCleaner, storage: MediaStorage) -> None:
        self._images, self._storage = images, storage

    async def __call__(self, *, data: bytes) -> str:
        cleaned = await self._images.clean(data)
        return await self._storage.save(UPLOADS, cleaned.data, cleaned.extension)


class ChangeAvatar:
    """Replace the caller's avatar; the previous file is removed once the change is committed."""

    def __init__(self, uow: Callable[[], IdentityUnitOfWork], images: ImageCleaner, storage: MediaStorage) -> None:
        self._uow, self._images, self._storage = uow, images, storage

    async def __call__(self, *, user_id: UserId, data: bytes) -> Profile:
        cleaned = await self._images.clean(data)
        url = await self._storage.save(AVATARS, cleaned.data, cleaned.extension)
        try:
            profile, previous = await self._point_to(user_id, url)
        except BaseException:
            await self._storage.delete(url)
            raise
        if previous and previous != url:
            await self._storage.delete(previous)
        return profile

    async def _point_to(self, user_id: UserId, url: str) -> tuple[Profile, str | None]:
        async with self._uow() as uow:
            user = await uow.users.get_for_update(user_id)
            if user is None:
                raise NotFound("user", user_id)
            previous, user.avatar_url = user.avatar_url, url
            await uow.users.save(user)
            stats = await uow.session_stats.get(user_id)
            await uow.commit()
        return Profile(user=user, stats=stats), previous
