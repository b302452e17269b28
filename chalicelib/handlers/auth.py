"""Citizen sign-in (phone + one-time code) and the signed-in citizen's profile."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.common import Strict
from chalicelib.domain.identity import OtpRequest, OtpSent, TokenIssued, TokenRequest
from chalicelib.http.api import Call, operation

bp = Blueprint(__name__)


@operation(
    bp,
    "/auth/otp",
    "POST",
    summary="Send a one-time sign-in code to a phone by SMS",
    tags=("auth",),
    body=OtpRequest,
    response=OtpSent,
    status=202,
    errors=(429,),
)
def send_code(call: Call, body: OtpRequest) -> OtpSent:
    return container().citizen_auth.send_code(body.phone, call.source_ip)


@operation(
    bp,
    "/auth/token",
    "POST",
    summary="Exchange the code for a short-lived access token",
    tags=("auth",),
    body=TokenRequest,
    response=TokenIssued,
    errors=(401,),
)
def issue_token(call: Call, body: TokenRequest) -> TokenIssued:
    return container().citizen_auth.exchange(body.phone, body.code)


class CitizenMe(Strict):
    citizen_id: str


@operation(
    bp,
    "/me",
    summary="Who the access token belongs to",
    tags=("auth",),
    auth="citizen",
    response=CitizenMe,
)
def citizen_me(call: Call) -> CitizenMe:
    return CitizenMe(citizen_id=call.citizen_id)
