"""Citizen sign-in through the routes: codes, tokens and the built-in authorizer."""

from __future__ import annotations

import threading

import pytest

from chalicelib.clock import FixedClock
from tests.conftest import ApiClient, RecordingSms, body, sign_in

PHONE = "13953700001"


def test_a_citizen_signs_in_with_a_code_and_calls_a_citizen_route(
    api: ApiClient, sms: RecordingSms
) -> None:
    sent = api.post("/auth/otp", json_body={"phone": PHONE})
    assert sent.status_code == 202
    assert body(sent) == {"phone": "139****0001", "expires_in": 300, "resend_after": 60}
    message = sms.sent[-1]
    assert message.code and message.code in message.text and "验证码" in message.text
    issued = api.post("/auth/token", json_body={"phone": PHONE, "code": message.code})
    assert issued.status_code == 200
    token = body(issued)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 900
    me = api.get("/me", token=token["access_token"])
    assert me.status_code == 200 and len(body(me)["citizen_id"]) == 26


def test_the_same_phone_is_the_same_citizen_on_every_sign_in(
    api: ApiClient, sms: RecordingSms, clock: FixedClock
) -> None:
    first = body(api.get("/me", token=sign_in(api, sms)))
    clock.advance(seconds=61)
    second = body(api.get("/me", token=sign_in(api, sms)))
    assert first == second


def test_phone_numbers_are_normalised(api: ApiClient, sms: RecordingSms) -> None:
    assert api.post("/auth/otp", json_body={"phone": "+86 139-5370-0009"}).status_code == 202
    assert sms.sent[-1].phone == "13953700009"


def test_a_wrong_code_is_rejected_and_counts_as_an_attempt(
    api: ApiClient, sms: RecordingSms
) -> None:
    api.post("/auth/otp", json_body={"phone": PHONE})
    code = sms.last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = api.post("/auth/token", json_body={"phone": PHONE, "code": wrong})
        assert response.status_code == 401
        assert body(response)["errors"][0]["field"] == "body.code"
    # five wrong guesses burn the code: even the right one no longer works
    assert api.post("/auth/token", json_body={"phone": PHONE, "code": code}).status_code == 401


def test_a_code_works_once(api: ApiClient, sms: RecordingSms) -> None:
    api.post("/auth/otp", json_body={"phone": PHONE})
    code = sms.last_code(PHONE)
    assert api.post("/auth/token", json_body={"phone": PHONE, "code": code}).status_code == 200
    assert api.post("/auth/token", json_body={"phone": PHONE, "code": code}).status_code == 401


def test_concurrent_exchanges_of_one_code_issue_one_token(
    api: ApiClient, sms: RecordingSms
) -> None:
    api.post("/auth/otp", json_body={"phone": PHONE})
    code = sms.last_code(PHONE)
    statuses: list[int] = []

    def exchange() -> None:
        response = api.post("/auth/token", json_body={"phone": PHONE, "code": code})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=exchange) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401]


def test_an_expired_code_is_rejected(api: ApiClient, sms: RecordingSms, clock: FixedClock) -> None:
    api.post("/auth/otp", json_body={"phone": PHONE})
    clock.advance(seconds=301)
    response = api.post("/auth/token", json_body={"phone": PHONE, "code": sms.last_code(PHONE)})
    assert response.status_code == 401


def test_codes_are_rate_limited_per_phone(
    api: ApiClient, sms: RecordingSms, clock: FixedClock
) -> None:
    assert api.post("/auth/otp", json_body={"phone": PHONE}).status_code == 202
    again = api.post("/auth/otp", json_body={"phone": PHONE})
    assert again.status_code == 429 and again.headers["Retry-After"] == "60"
    # another phone is not affected
    assert api.post("/auth/otp", json_body={"phone": "13953700003"}).status_code == 202
    for _ in range(4):
        clock.advance(seconds=61)
        assert api.post("/auth/otp", json_body={"phone": PHONE}).status_code == 202
    clock.advance(seconds=61)
    hourly = api.post("/auth/otp", json_body={"phone": PHONE})
    assert hourly.status_code == 429 and "this hour" in body(hourly)["detail"]
    assert len([m for m in sms.sent if m.phone == PHONE]) == 5
    # the next hour opens a new window
    clock.set(clock.now().replace(minute=0, second=0))
    clock.advance(hours=1)
    assert api.post("/auth/otp", json_body={"phone": PHONE}).status_code == 202


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phone": "12345"}, "body.phone"),
        ({"phone": "13953700001", "extra": 1}, "body.extra"),
        ({}, "body.phone"),
        ({"phone": 13953700001}, "body.phone"),
    ],
)
def test_bad_input_names_the_field(api: ApiClient, payload: dict, field: str) -> None:
    response = api.post("/auth/otp", json_body=payload)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in body(response)["errors"]]


def test_malformed_json_and_wrong_media_type(api: ApiClient) -> None:
    malformed = api.post(
        "/auth/otp", body=b'{"phone": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and body(malformed)["errors"][0]["field"] == "body"
    form = api.post(
        "/auth/otp",
        body=b"phone=13953700001",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    empty = api.post("/auth/otp", headers={"Content-Type": "application/json"})
    assert empty.status_code == 422


def test_bad_code_format_names_the_field(api: ApiClient) -> None:
    response = api.post("/auth/token", json_body={"phone": PHONE, "code": "12ab"})
    assert response.status_code == 422
    assert body(response)["errors"][0]["field"] == "body.code"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-jwt", "Basic abc", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"],
)
def test_citizen_routes_need_a_valid_token(api: ApiClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = api.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_an_expired_token_is_refused(api: ApiClient, sms: RecordingSms, clock: FixedClock) -> None:
    token = sign_in(api, sms)
    clock.advance(seconds=899)
    assert api.get("/me", token=token).status_code == 200
    clock.advance(seconds=2)
    assert api.get("/me", token=token).status_code == 401


def test_a_token_signed_with_another_key_is_refused(api: ApiClient) -> None:
    import jwt

    forged = jwt.encode(
        {"sub": "X", "aud": "bianmin-citizen", "iss": "bianmin", "iat": 1, "exp": 4_000_000_000},
        "another-key-another-key-another-key!",
        algorithm="HS256",
    )
    assert api.get("/me", token=forged).status_code == 401
