"""Schemathesis hooks for this API (loaded by schemathesis.toml), so that a run exercises the
API as its clients would:

- the two string formats the OpenAPI document names but JSON Schema cannot check —
  `gb11643` (resident ID card numbers) and `gb32100` (unified social credit codes) — are
  generated valid, check digits included;
- half of the generated service codes and request categories are the demo county's own
  (汶上's, data/counties/370830/), so that fuzzing reaches past the 404;
- a generated Idempotency-Key is made unique per request (the same key for two different
  requests is, rightly, a 422), unless the case means to send an invalid one;
- citizen routes get a token (signed in through the outbox of the local stack in
  BIANMIN_LOCAL_DIR, default .local), and staff routes are SigV4-signed with the first demo
  profile (data/counties/370830/staff.json) the operation's `x-staff-roles` admits, or with
  BIANMIN_SCHEMATHESIS_PROFILE when that is set — the signature is computed on the request
  exactly as sent. A case sent without credentials, or with invalid ones (the ignored-auth
  check), is sent as it is;
- a change to a staff record never names a demo profile (the run must not retire or move
  the staff it signs with).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st

from chalicelib.domain.applicant import credit_code_check_char, id_card_check_digit

LOCAL = Path(os.environ.get("BIANMIN_LOCAL_DIR", ".local"))
COUNTY = Path(__file__).resolve().parents[1] / "data" / "counties" / "370830"
STAFF = COUNTY / "staff.json"
PROFILE = os.environ.get("BIANMIN_SCHEMATHESIS_PROFILE")
PHONE = os.environ.get("BIANMIN_SCHEMATHESIS_PHONE", "13953700001")
PENDING = "SigV4 (to be signed as "
IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,100}$")
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def _id_card(draw: Any) -> str:
    region = draw(st.sampled_from(["370830", "370829", "110105", "440305"]))
    born = draw(st.dates(min_value=__import__("datetime").date(1920, 1, 1)))
    serial = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + id_card_check_digit(first17)


@st.composite
def _credit_code(draw: Any) -> str:
    first17 = "".join(draw(st.lists(st.sampled_from(USCC), min_size=17, max_size=17)))
    return first17 + credit_code_check_char(first17)


schemathesis.openapi.format("gb11643", _id_card())
schemathesis.openapi.format("gb32100", _credit_code())

SERVICE_CODES = [s["code"] for s in json.loads((COUNTY / "services.json").read_text())["services"]]
CATEGORIES = [
    c["code"] for c in json.loads((COUNTY / "request-categories.json").read_text())["categories"]
]


SERVICE_CODE = re.compile(r"^[0-9]{6}-[A-Z]{2}-[0-9]{4}$")
CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _sometimes_real(value: Any, real: list[str], form: re.Pattern[str]) -> Any:
    """`value` or, half the time, a code that exists — only where `value` has the code's form:
    a value broken on purpose (negative data) stays broken."""
    if not isinstance(value, str) or not form.match(value):
        return st.just(value)
    return st.one_of(st.just(value), st.sampled_from(real))


@schemathesis.hook
def flatmap_path_parameters(ctx: Any, path_parameters: dict[str, Any] | None) -> Any:
    params = dict(path_parameters or {})
    if "code" in params and "/services/" in ctx.operation.path:
        return _sometimes_real(params["code"], SERVICE_CODES, SERVICE_CODE).map(
            lambda code: {**params, "code": code}
        )
    return st.just(path_parameters)


COUNTIES = ["370830", "370829"]  # the demo platform's (data/platform.json)
COUNTY_CODE = re.compile(r"^[0-9]{6}$")


@schemathesis.hook
def flatmap_query(ctx: Any, query: dict[str, Any] | None) -> Any:
    """Half the time, a county this platform serves (`county`, Open311's `jurisdiction_id`),
    so that fuzzing reaches the catalogue, the categories and the maps past the 404."""
    if not isinstance(query, dict):
        return st.just(query)
    for field in ("county", "jurisdiction_id"):
        if isinstance(query.get(field), str):
            return _sometimes_real(query[field], COUNTIES, COUNTY_CODE).map(
                lambda v, f=field: {**query, f: v}
            )
    return st.just(query)


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> Any:
    open311 = ctx.operation.path.startswith("/open311/")  # its services are the categories
    for field, real, form in (
        ("service_code", *((CATEGORIES, CATEGORY) if open311 else (SERVICE_CODES, SERVICE_CODE))),
        ("category", CATEGORIES, CATEGORY),
    ):
        if isinstance(body, dict) and isinstance(body.get(field), str):
            return _sometimes_real(body[field], real, form).map(lambda v, f=field: {**body, f: v})
    return st.just(body)


def _stack() -> dict[str, Any]:
    return dict(json.loads((LOCAL / "stack.json").read_text(encoding="utf-8")))


def _latest_code(after: str | None) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        outbox = LOCAL / "outbox.jsonl"
        if outbox.exists():
            codes = [
                m["code"]
                for m in map(json.loads, outbox.read_text(encoding="utf-8").splitlines())
                if m.get("phone") == PHONE and m.get("code")
            ]
            if codes and codes[-1] != after:
                return str(codes[-1])
        time.sleep(0.2)
    raise RuntimeError(f"no sign-in code for {PHONE} in {LOCAL}/outbox.jsonl")


def _security(case: Any) -> str:
    raw = case.operation.definition.raw
    schemes = {name for requirement in raw.get("security", []) for name in requirement}
    return "staff" if "staffSigV4" in schemes else "citizen" if "citizenToken" in schemes else ""


def _profile(case: Any) -> str:
    """The first demo staff member the operation admits (county-level staff come first)."""
    if PROFILE:
        return PROFILE
    admits = case.operation.definition.raw.get("x-staff-roles") or {}
    department = admits.get("department")
    for member in json.loads(STAFF.read_text(encoding="utf-8"))["staff"]:
        if member["role"] not in admits.get("roles", [member["role"]]):
            continue
        if department == "*" and not member.get("department"):
            continue
        if department not in (None, "*") and member.get("department") != department:
            continue
        return str(member["profile"])
    return "county-leader"


_token: dict[str, Any] = {}
_token_lock = threading.Lock()
TOKEN_SECONDS = 12 * 60  # the API's tokens live 15 minutes


def _citizen_token() -> str:
    """One sign-in for the whole run (a phone gets few codes an hour), renewed when old."""
    with _token_lock:
        if _token.get("value") and time.monotonic() < _token["until"]:
            return str(_token["value"])
        _token["value"] = os.environ.get("BIANMIN_SCHEMATHESIS_TOKEN") or _sign_in()
        _token["until"] = time.monotonic() + TOKEN_SECONDS
        return str(_token["value"])


def _sign_in() -> str:
    url = _stack()["api_url"]
    outbox = LOCAL / "outbox.jsonl"
    before = None
    if outbox.exists():
        lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
        mine = [m["code"] for m in lines if m.get("phone") == PHONE and m.get("code")]
        before = mine[-1] if mine else None
    sent = requests.post(f"{url}/auth/otp", json={"phone": PHONE}, timeout=10)
    if sent.status_code != 202:
        raise RuntimeError(f"no code sent: {sent.status_code} {sent.text}")
    token = requests.post(
        f"{url}/auth/token", json={"phone": PHONE, "code": _latest_code(before)}, timeout=10
    )
    return str(token.json()["access_token"])


@schemathesis.auth(refresh_interval=TOKEN_SECONDS)
class BianminAuth:
    """A citizen token for citizen routes; a marker that `before_call` turns into a SigV4
    signature for staff routes."""

    def get(self, case: Any, ctx: Any) -> str:
        return _citizen_token()

    def set(self, case: Any, data: str, ctx: Any) -> None:
        kind = _security(case)
        if not kind:
            return
        case.headers = dict(case.headers or {})
        case.headers["Authorization"] = (
            f"{PENDING}{_profile(case)})" if kind == "staff" else f"Bearer {data}"
        )


class _SigV4(requests.auth.AuthBase):
    """Signs the prepared request (its exact URL and body) when it carries the marker."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        marker = request.headers.get("Authorization") or ""
        if not marker.startswith(PENDING):
            return request
        profile = marker.removeprefix(PENDING).removesuffix(")")
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        parser = configparser.ConfigParser()
        parser.read(LOCAL / "aws" / "credentials")
        section = parser[profile]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        body = request.body or b""
        signable = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        credentials = Credentials(section["aws_access_key_id"], section["aws_secret_access_key"])
        SigV4Auth(credentials, "execute-api", _stack()["region"]).add_auth(signable)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signable.headers:
                request.headers[name] = signable.headers[name]
        return request


DATA = COUNTY.parents[1]
DEMO_PROFILES = frozenset(
    member["profile"]
    for path in [DATA / "people.json", *sorted(DATA.glob("counties/*/staff.json"))]
    for member in json.loads(path.read_text(encoding="utf-8"))["staff"]
)


def _spare_the_signers(case: Any) -> None:
    """A change to a staff record (PATCH, retire, reactivate) never names a demo profile:
    Schemathesis reuses the ids GET /admin/staff answered, and a run that retired the clerk
    it signs acceptance calls with would test nothing past a 403 from then on. The change
    goes to an id no record has (a 404), as a fuzzed id would."""
    if case.method not in ("PATCH", "POST") or not case.operation.path.startswith(
        "/admin/staff/{staff_id}"
    ):
        return
    staff_id = (case.path_parameters or {}).get("staff_id")
    if staff_id in DEMO_PROFILES:
        case.path_parameters = {**case.path_parameters, "staff_id": f"fuzz-{staff_id}"[:64]}


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Every phase sends through here: a fresh Idempotency-Key where the case has a valid
    one, the demo staff spared from staff administration, and the SigV4 signature on the
    request as sent."""
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.match(key):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    _spare_the_signers(case)
    kwargs["auth"] = _SigV4()
