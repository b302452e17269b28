"""A signing-key rotation logs nobody out: the daily upkeep rotates the key the stage was
created with (a plain secret, key `k0`); a token, a listing's cursor and a sign-in code made
with it still work after, each naming its key; what is made after names the new one."""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.keys import Keyring
from tests.conftest import ApiClient, RecordingSms, body, sign_in

OTHER = "13953700002"


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "rotation",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-06T00:00:00Z",
        "region": "cn-north-1",
        "resources": [],
        "detail": {},
    }


def key_id(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def test_a_rotation_logs_nobody_out_and_breaks_no_listing(
    api: ApiClient, sms: RecordingSms, deps: Any, aws: Any, clock: FixedClock
) -> None:
    from app import app
    from devstack.pump import _Context

    token = sign_in(api, sms)
    assert key_id(token) == "k0"
    listing = body(api.get("/services?county=370830&limit=4"))
    assert api.post("/auth/otp", json_body={"phone": OTHER}).status_code == 202
    stored = deps.table.get(f"OTP#{OTHER}", "CODE", consistent=True)
    assert str(stored["code_hash"]).startswith("k0:")  # the hash names its key

    app.handler_map["rotate_signing_keys"](scheduled_event(), _Context())
    secret = aws.client("secretsmanager").get_secret_value(SecretId=deps.settings.signing_secret_id)
    ring = Keyring.parse(secret["SecretString"])
    assert [k.id for k in ring.keys] == [f"k{int(clock.now().timestamp())}", "k0"]

    assert api.get("/me", token=token).status_code == 200  # signed with k0: still valid
    more = api.get(f"/services?county=370830&limit=4&cursor={listing['next_cursor']}")
    assert more.status_code == 200 and body(more)["items"]
    code = sms.last_code(OTHER)  # sent before the rotation, checked with its own key
    issued = api.post("/auth/token", json_body={"phone": OTHER, "code": code})
    assert issued.status_code == 200, issued.body
    fresh = body(issued)["access_token"]
    assert key_id(fresh) == ring.current.id  # what is made now names the new key
    assert api.get("/me", token=fresh).status_code == 200

    # The daily check the day after finds a young key and leaves it.
    clock.advance(seconds=86_400)
    app.handler_map["rotate_signing_keys"](scheduled_event(), _Context())
    again = aws.client("secretsmanager").get_secret_value(SecretId=deps.settings.signing_secret_id)
    assert Keyring.parse(again["SecretString"]) == ring
