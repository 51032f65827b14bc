"""``/api/users/me/email``: change your email address, confirmed from the new address."""

from __future__ import annotations

import base64
import hashlib

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from application.use_cases.email_change import ConfirmEmailChange, RequestEmailChange
from application.use_cases.identity import Principal
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.email_change import EmailChangeAccepted, EmailChangeConfirm, EmailChangeRequest
from entrypoints.http.schemas.identity import ProfileResponse

# The page behind the emailed link. Opening it changes nothing (mail scanners open links);
# the button posts the token from the address bar to the API. The token is read by the
# script, never written into the page, and the page sends no Referer.
_SCRIPT = """
const token = new URLSearchParams(location.search).get("token") || "";
const status = document.getElementById("status");
document.getElementById("confirm").addEventListener("click", async () => {
  const response = await fetch("confirm", {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({token}),
  });
  const body = await response.json().catch(() => ({}));
  status.textContent = response.ok
    ? "Done: your email address is now " + body.email + "."
    : (body.detail || "The confirmation failed.");
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
CONFIRM_PAGE = f"""<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confirm your new email address</title>
<main>
<h1>Confirm your new email address</h1>
<p id="status">Press the button to make this your account's email address.</p>
<button id="confirm" type="button">Confirm</button>
</main>
<script>{_SCRIPT}</script>
</html>
"""
PAGE_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class EmailChangeController(Controller):
    path = "/api/users/me/email"
    tags = ["Identity"]
    dependencies = {
        "request_email_change": use_case(lambda c: c.email_change.request_email_change),
        "confirm_email_change": use_case(lambda c: c.email_change.confirm_email_change),
    }

    @post(
        status_code=HTTP_202_ACCEPTED,
        operation_id="RequestEmailChange",
        summary="Ask to change your email address",
        description=(
            "Emails a single-use confirmation token (and a link to a small confirmation page) to the new "
            "address; nothing changes until it is confirmed. The token works for 24 hours; a newer request "
            "replaces an older one. Invalid address or your current one → 422; an address another account "
            "uses → 409; more than 5 requests an hour → 429."
        ),
        security=[{"BearerAuth": []}],
    )
    async def request_change(
        self,
        data: JSONBody[EmailChangeRequest],
        principal: NamedDependency[Principal],
        request_email_change: NamedDependency[RequestEmailChange],
    ) -> EmailChangeAccepted:
        return EmailChangeAccepted.of(await request_email_change(user_id=principal.user_id, new_email=data.new_email))

    @post(
        "/confirm",
        status_code=HTTP_200_OK,
        operation_id="ConfirmEmailChange",
        summary="Confirm an email change with the emailed token",
        description=(
            "No sign-in needed: the token is the proof. Returns the profile with the new email. An unknown, "
            "used, replaced or expired token → 400; an address another account took meanwhile → 409. The "
            "old address is told about the change."
        ),
    )
    async def confirm(
        self, data: JSONBody[EmailChangeConfirm], confirm_email_change: NamedDependency[ConfirmEmailChange]
    ) -> ProfileResponse:
        return ProfileResponse.of(await confirm_email_change(token=data.token))

    @get(
        "/confirm",
        operation_id="EmailChangeConfirmationPage",
        summary="The page the emailed link opens",
        description="An HTML page whose button posts `?token=` to `POST /api/users/me/email/confirm`. "
        "Opening it changes nothing.",
        media_type=MediaType.HTML,
    )
    async def confirmation_page(self) -> Response[str]:
        return Response(CONFIRM_PAGE, media_type=MediaType.HTML, headers=PAGE_HEADERS)
