"""A generated workload across the demo platform's counties, driven through the API as users
would:
residents file requests from their phones, dispatchers triage (some mis-routed and returned,
some refused, some merged), departments reply, residents rate (a few badly, which reopens
the request for rectification and a follow-up visit); enterprises apply for the SME
certificate and the acceptance desk decides. Repeats and races are part of it: a share of
calls is sent twice (the same Idempotency-Key, a second reply) and must not act twice.

    python -m devstack.workload --requests 2000 --applications 200   # against `make run`

The same generator drives the in-process API in the tests (zero statistics drift after it)
and in `make bench` (throughput through the API path).
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from devstack.demo import DemoCounty, demo_counties

PDF = b"%PDF-1.7\n" + b"scan " * 300 + b"\n%%EOF\n"
# How often each kind of request is filed (the counties' own categories say who handles it).
WEIGHTS = {
    "streetlight": 14,
    "road": 10,
    "sanitation": 14,
    "water_heat": 8,
    "noise": 8,
    "property": 8,
    "consultation": 12,
    "enterprise": 6,
    "labour": 5,
    "assistance": 4,
    "complaint": 5,
    "suggestion": 4,
    "petition": 2,
}
RATINGS = [5] * 80 + [4] * 16 + [3] * 2 + [2] * 1 + [1] * 1


class Driver(Protocol):
    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        profile: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]: ...

    def sign_in(self, phone: str) -> str: ...

    def upload(self, form: dict[str, Any], content: bytes) -> None: ...

    def settle(self) -> None: ...


@dataclass
class Tally:
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def note(self, what: str) -> None:
        self.outcomes[what] += 1


@dataclass
class Workload:
    driver: Driver
    rng: random.Random
    tally: Tally = field(default_factory=Tally)
    tokens: dict[str, str] = field(default_factory=dict)
    citizens: int = 40
    counties: list[DemoCounty] = field(default_factory=demo_counties)
    weights: tuple[float, ...] = ()  # how the cases spread over the counties (default: alike)

    def county(self) -> DemoCounty:
        return self.rng.choices(self.counties, weights=self.weights or None)[0]

    def county_of(self, code: str) -> DemoCounty:
        return next(c for c in self.counties if c.code == code[:6])

    def _call(
        self, method: str, path: str, phone: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        """One API call; `phone`: as that citizen (signing in again if the token expired)."""
        self.tally.calls += 1
        if phone is not None:
            kwargs["token"] = self.token(phone)
        status, data = self.driver.call(method, path, **kwargs)
        if status == 401 and phone is not None:
            self.tokens.pop(phone, None)
            kwargs["token"] = self.token(phone)
            status, data = self.driver.call(method, path, **kwargs)
        if status >= 500:
            raise AssertionError(f"{method} {path} answered {status}: {data}")
        return status, data

    def _ok(self, method: str, path: str, phone: str | None = None, **kwargs: Any) -> Any:
        status, data = self._call(method, path, phone, **kwargs)
        if status >= 300:
            raise AssertionError(f"{method} {path} answered {status}: {data}")
        return data

    def token(self, phone: str) -> str:
        if phone not in self.tokens:
            self.tokens[phone] = self.driver.sign_in(phone)
            self.tally.calls += 2
        return self.tokens[phone]

    def phone(self) -> str:
        return f"1395380{self.rng.randrange(self.citizens):04d}"

    # requests ------------------------------------------------------------------------------
    def file_request(self) -> dict[str, Any] | None:
        phone = self.phone()
        county = self.county()
        codes = [c for c in WEIGHTS if c in county.categories]
        category = self.rng.choices(codes, weights=[WEIGHTS[c] for c in codes])[0]
        if self.rng.random() < 0.7:
            grid = self.rng.choice(list(county.grids))
            lng, lat = county.grids[grid]
            location: dict[str, Any] = {
                "lat": round(lat + self.rng.uniform(-0.0004, 0.0004), 6),
                "lng": round(lng + self.rng.uniform(-0.0004, 0.0004), 6),
                "address": county.county.name,
            }
        else:
            lng, lat = county.point_in(self.rng)
            location = {
                "lat": lat,
                "lng": lng,
                "address": f"{county.county.name}某村",
                "township": self.rng.choice(county.townships),
            }
        payload = {
            "category": category,
            "description": f"{category} 问题，请尽快处理（第 {self.rng.randrange(10**6)} 号）",
            "location": location,
            "private": self.rng.random() < 0.03,
        }
        key = f"wl-{self.rng.randrange(10**12)}"
        status, created = self._call(
            "POST", "/requests", phone, body=payload, headers={"Idempotency-Key": key}
        )
        if status != 201:
            raise AssertionError(f"filing answered {status}: {created}")
        if self.rng.random() < 0.1:  # the phone retries: same key, same request
            again = self._ok(
                "POST", "/requests", phone, body=payload, headers={"Idempotency-Key": key}
            )
            assert again["request_id"] == created["request_id"], "a retry filed twice"
            self.tally.note("retried filing")
        created["_phone"] = phone
        self.tally.note("filed")
        return dict(created)

    def handle_request(self, created: dict[str, Any]) -> None:
        request_id = created["request_id"]
        county = self.county_of(created["jurisdiction"])
        dispatcher = county.dispatcher(created["routing"].get("township") or county.code)
        path = f"/admin/requests/{request_id}"
        roll = self.rng.random()
        if roll < 0.03:
            return self.tally.note("left open")
        if roll < 0.07:
            self._ok(
                "POST",
                f"{path}/triage",
                profile=dispatcher,
                body={"action": "not_accept", "reason": "不属于受理范围，已告知渠道"},
            )
            return self.tally.note("not accepted")
        duplicates = created.get("likely_duplicates") or []
        if roll < 0.10 and duplicates:
            status, _ = self._call(
                "POST",
                f"{path}/triage",
                profile=dispatcher,
                body={"action": "merge_into", "merge_into": duplicates[0]["request_id"]},
            )
            if status == 200:
                return self.tally.note("merged")
        departments = list(county.categories[created["category"]])
        handler = county.handler
        if self.rng.random() < 0.08:  # mis-routed first: returned, then reassigned
            wrong = "jtj" if "jtj" not in departments else "zrzy"
            self._ok(
                "POST",
                f"{path}/triage",
                profile=dispatcher,
                body={"action": "assign", "departments": [wrong]},
            )
            self._ok(
                "POST",
                f"{path}/return",
                profile=handler(wrong),
                body={"reason": "非本单位职责，请重新分派"},
            )
            self.tally.note("returned")
        self._ok(
            "POST",
            f"{path}/triage",
            profile=dispatcher,
            body={"action": "assign", "departments": departments},
        )
        if self.rng.random() < 0.05:  # a double-click: the second assign must not act
            status, _ = self._call(
                "POST",
                f"{path}/triage",
                profile=dispatcher,
                body={"action": "assign", "departments": departments},
            )
            assert status == 409, f"a repeated assign answered {status}"
            self.tally.note("repeated assign refused")
        if self.rng.random() < 0.04:
            return self.tally.note("left with departments")
        for department in departments:
            self._reply(path, county.handler(department))
        self.rate(created, self.rng.choice(RATINGS))

    def _reply(self, path: str, handler: str) -> dict[str, Any]:
        body = {"text": "已现场处理完毕", "done": True}
        view = self._ok("POST", f"{path}/reply", profile=handler, body=body)
        if self.rng.random() < 0.05:
            status, _ = self._call("POST", f"{path}/reply", profile=handler, body=body)
            assert status == 409, f"a repeated reply answered {status}"
            self.tally.note("repeated reply refused")
        return dict(view)

    def rate(self, created: dict[str, Any], level: int) -> None:
        if self.rng.random() < 0.08:
            return self.tally.note("not rated")
        request_id = created["request_id"]
        phone = created["_phone"]
        rated = self._ok("POST", f"/requests/{request_id}/rating", phone, body={"level": level})
        self.tally.note(f"rated {level}")
        if rated["status"] != "reopened":
            return
        # Whoever the request says holds it acts: the departments re-reply, and the grid's
        # liaison officer makes the follow-up visit only where one is asked for (a private
        # petition, or a grid without an officer, is followed up by its departments).
        view = rated
        county = self.county_of(created["jurisdiction"])
        for assignment in rated["assignments"]:
            if assignment["status"] == "pending":
                handler = county.handler(assignment["department"])
                view = self._reply(f"/admin/requests/{request_id}", handler)
        if any(h["role"] == "liaison" for h in view["holders"]):
            liaison = county.liaison(created["routing"]["grid"])
            view = self._ok(
                "POST",
                f"/admin/requests/{request_id}/visit",
                profile=liaison,
                body={"kind": "follow_up", "note": "回访：已整改，群众认可"},
            )
        else:
            self.tally.note("reopened, followed up by its departments")
        if view["status"] != "resolved":
            raise AssertionError(f"request {request_id} not resolved after rectification: {view}")
        self._ok("POST", f"/requests/{request_id}/rating", phone, body={"level": 5})
        self.tally.note("rectified and re-rated")

    # applications -------------------------------------------------------------------------
    def apply(self) -> None:
        phone = self.phone()
        number = self.rng.randrange(10**6)
        county = self.county()
        created = self._ok(
            "POST",
            "/applications",
            phone,
            body={
                "service_code": county.sme,
                "applicant": _enterprise(county, number),
                "delivery": {"method": "electronic"},
            },
        )
        case_id = created["id"]
        for material in ("licence", "audit"):
            form = self._ok(
                "POST",
                f"/applications/{case_id}/documents",
                phone,
                body={
                    "material_code": material,
                    "filename": f"{material}.pdf",
                    "content_type": "application/pdf",
                    "size": len(PDF),
                    "sha256": hashlib.sha256(PDF).hexdigest(),
                },
            )
            self.driver.upload(form["upload"], PDF)
        self.driver.settle()
        roll = self.rng.random()
        if roll < 0.03:
            return self.tally.note("draft left")
        for _ in range(50):  # the documents are checked asynchronously: retry, as an app would
            status, data = self._call("POST", f"/applications/{case_id}/submit", phone)
            if status != 409:
                break
            self.driver.settle()
        if status >= 300:
            raise AssertionError(f"submit answered {status}: {data}")
        if roll < 0.06:
            self._ok("POST", f"/applications/{case_id}/withdraw", phone, body={})
            return self.tally.note("withdrawn")
        decision: dict[str, Any] = (
            {"decision": "not_accept", "reason": "不属于本事项受理范围"}
            if roll < 0.10
            else {"decision": "accept"}
        )
        self._ok(
            "POST",
            f"/admin/applications/{case_id}/acceptance",
            profile=county.clerk,
            body=decision,
        )
        self.tally.note(f"application {decision['decision']}")

    def run(
        self,
        requests: int,
        applications: int,
        progress: Callable[[str], None] | None = None,
    ) -> Tally:
        started = time.perf_counter()
        # Enough citizens that nobody passes the per-filer daily quota (20 by default):
        # a county's thousand requests come from hundreds of people, not from forty.
        self.citizens = max(self.citizens, -(-(requests + applications) // 10))
        filed = []
        for i in range(requests):
            created = self.file_request()
            if created:
                filed.append(created)
            if progress and (i + 1) % 200 == 0:
                progress(f"filed {i + 1}/{requests}")
        for i, created in enumerate(filed):
            self.handle_request(created)
            if progress and (i + 1) % 200 == 0:
                progress(f"handled {i + 1}/{len(filed)}")
        for i in range(applications):
            self.apply()
            if progress and (i + 1) % 50 == 0:
                progress(f"applications {i + 1}/{applications}")
        self.tally.seconds = time.perf_counter() - started
        return self.tally


def _enterprise(county: DemoCounty, number: int) -> dict[str, Any]:
    from chalicelib.domain.applicant import credit_code_check_char

    first17 = f"91{county.code}MA{number:06d}X"[:17]
    first17 = first17[:10] + "".join(c if c.isalnum() else "0" for c in first17[10:])
    return {
        "kind": "enterprise",
        "name": f"{county.county.name}示范企业{number}有限公司",
        "credit_code": first17 + credit_code_check_char(first17),
        "legal_representative": "张三",
        "contact": {"name": "张三", "phone": "13953700002"},
    }


# ---- in process (tests, bench) -------------------------------------------------------------


class InProcessDriver:
    """The in-process API (chalice.test.Client on moto, behind the local SigV4 gateway):
    `api` has `request(method, path, json_body=, token=, profile=, headers=)`, `sms` records
    the codes sent, `pump` delivers the queued events."""

    def __init__(self, api: Any, aws: Any, pump: Any, sms: Any) -> None:
        self.api, self.aws, self.pump, self.sms = api, aws, pump, sms

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        profile: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        response = self.api.request(
            method, path, json_body=body, token=token, profile=profile, headers=headers
        )
        try:
            return response.status_code, json.loads(response.body)
        except ValueError:
            return response.status_code, response.body

    def sign_in(self, phone: str) -> str:
        status, _ = self.call("POST", "/auth/otp", body={"phone": phone})
        assert status == 202, f"no code sent to {phone}: {status}"
        code = self.sms.last_code(phone)
        status, issued = self.call("POST", "/auth/token", body={"phone": phone, "code": code})
        assert status == 200, f"sign-in failed: {status} {issued}"
        return str(issued["access_token"])

    def upload(self, form: dict[str, Any], content: bytes) -> None:
        from chalicelib.deps import container

        fields = form["fields"]
        self.aws.client("s3").put_object(
            Bucket=container().settings.documents_bucket,
            Key=fields["key"],
            Body=content,
            ContentType=fields["Content-Type"],
        )

    def settle(self) -> None:
        self.pump.drain()


# ---- against the running local stack -----------------------------------------------------


class _SourceAddress:
    """A requests adapter whose connections leave from one loopback address: each simulated
    resident is its own client (the API bounds sign-in codes per client address)."""

    def __new__(cls, address: str) -> Any:
        from requests.adapters import HTTPAdapter

        class Adapter(HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                kwargs["source_address"] = (address, 0)
                super().init_poolmanager(*args, **kwargs)

        return Adapter()


class HttpDriver:
    """The running stack (`make run`): HTTP, SigV4 with the local staff profiles, the SMS
    outbox for sign-in codes. On loopback, each resident's calls come from their own address
    (127.0.0.2, 127.0.0.3 …), as real phones do."""

    def __init__(self, local: Path) -> None:
        import requests

        stack = json.loads((local / "stack.json").read_text())
        self.url = stack["api_url"]
        self.local = local
        self.region = stack["region"]
        self.session = requests.Session()
        self._sessions: dict[str, Any] = {}  # a resident's phone, or token → their session
        self._addresses = 0
        self._loopback = "://127.0.0.1:" in self.url or "://localhost:" in self.url
        parser = configparser.ConfigParser()
        parser.read(local / "aws" / "credentials")
        self.credentials = {
            name: (section["aws_access_key_id"], section["aws_secret_access_key"])
            for name, section in parser.items()
            if name != "DEFAULT"
        }

    def _session_for(self, token: str | None, phone: str | None) -> Any:
        import requests

        key = phone or token
        if not self._loopback or key is None:
            return self.session
        if key not in self._sessions:
            session = requests.Session()
            session.mount("http://", _SourceAddress(f"127.0.0.{2 + self._addresses % 250}"))
            self._addresses += 1
            self._sessions[key] = session
        return self._sessions[key]

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        profile: str | None = None,
        headers: dict[str, str] | None = None,
        phone: str | None = None,
    ) -> tuple[int, Any]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if profile:
            request = AWSRequest(method=method, url=self.url + path, data=data, headers=sent)
            signer = SigV4Auth(Credentials(*self.credentials[profile]), "execute-api", self.region)
            signer.add_auth(request)
            sent = dict(request.headers)
        session = self._session_for(token, phone)
        response = session.request(method, self.url + path, data=data, headers=sent, timeout=30)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def sign_in(self, phone: str) -> str:
        status, _ = self.call("POST", "/auth/otp", body={"phone": phone}, phone=phone)
        outbox = self.local / "outbox.jsonl"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if outbox.exists():
                for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
                    message = json.loads(line)
                    if message["phone"] == phone and message.get("code"):
                        code = message["code"]
                        status, issued = self.call(
                            "POST", "/auth/token", body={"phone": phone, "code": code}, phone=phone
                        )
                        if status == 200:
                            token = str(issued["access_token"])
                            self._sessions[token] = self._session_for(None, phone)
                            return token
                        break
            time.sleep(0.2)
        raise AssertionError(f"could not sign {phone} in")

    def upload(self, form: dict[str, Any], content: bytes) -> None:
        response = self.session.post(
            form["url"], data=form["fields"], files={"file": ("f.pdf", content)}, timeout=30
        )
        assert response.status_code in (200, 201, 204), response.text

    def settle(self) -> None:
        time.sleep(0.3)  # the stack's pump checks the uploads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--applications", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--local", type=Path, default=Path(".local"))
    args = parser.parse_args()
    driver = HttpDriver(args.local)
    workload = Workload(driver, random.Random(args.seed))
    tally = workload.run(args.requests, args.applications, progress=print)
    print(f"{tally.calls} API calls in {tally.seconds:.1f} s ({tally.calls / tally.seconds:.0f}/s)")
    for outcome, count in sorted(tally.outcomes.items()):
        print(f"  {outcome:36s} {count}")
    for county in workload.counties:
        code = county.code
        _, figures = driver.call("GET", f"/admin/stats?scope={code}", profile=county.leader)
        total = figures["total"]
        print(f"{county.county.name} figures (GET /admin/stats?scope={code}):")
        for name in ("received", "acceptance_rate", "completion_rate", "satisfaction_rate"):
            print(f"  {name:20s} {total.get(name)}")
        for row in figures["by_jurisdiction"]:
            f = row["figures"]
            print(
                f"  {row['name']:8s} received {f['received']:5d}  "
                f"accepted {f.get('acceptance_rate')}  completed {f.get('completion_rate')}  "
                f"satisfied {f.get('satisfaction_rate')}"
            )


if __name__ == "__main__":
    main()
