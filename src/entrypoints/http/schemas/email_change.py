"""Email change request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from application.use_cases.email_change import EmailChangeRequested

NewEmail = Annotated[str, msgspec.Meta(min_length=1, max_length=254, examples=["ada@new.example.org"])]
ConfirmationToken = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class EmailChangeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    new_email: NewEmail


class EmailChangeAccepted(msgspec.Struct, kw_only=True):
    detail: str
    new_email: str
    expires_at: datetime

    @classmethod
    def of(cls, requested: EmailChangeRequested) -> EmailChangeAccepted:
        return cls(
            detail="A confirmation link was sent to the new address; your email changes once it is confirmed.",
            new_email=requested.new_email,
            expires_at=requested.expires_at,
        )


class EmailChangeConfirm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: ConfirmationToken
