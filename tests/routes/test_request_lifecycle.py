"""Every state a request can reach has someone who can move it on (issue 10, item 10).

Random histories: at each step one of the actors the request names as its holders acts —
or someone else tries something — and after every step each open request must name at least
one holder, and each named holder must be a real staff member (or the filer) who can read
the request: nobody is ever waiting for someone who cannot act."""

from __future__ import annotations

import random
from typing import Any

import pytest

from chalicelib.deps import Container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import street_light

FILER = "13953700001"
DISPATCHERS = {"370830001": "wenshang-dispatcher", "370830007": "guolou-dispatcher"}
LIAISONS = {"370830001001001": "ximen-liaison", "370830007001001": "duying-liaison"}
PLACES = [
    {"lat": 35.7322, "lng": 116.4895, "address": "亲水湾"},  # a grid with a liaison officer
    {"lat": 35.7330, "lng": 116.4841, "address": "西门二网格"},  # a grid without one
    {"lat": 35.60, "lng": 116.40, "address": "南站镇", "township": "370830003"},  # no grid
]
CATEGORIES = ["streetlight", "road", "petition", "consultation", "noise"]
DEPARTMENTS = ["cgj", "jtj", "zjj", "xfj", "zwfw", "sthj"]
OPEN = {"submitted", "accepted", "assigned", "replied", "reopened"}


def reviewer(department: str) -> str:
    return f"{department}-reviewer"


def profiles_for(holder: dict[str, Any], view: dict[str, Any]) -> list[str]:
    """The staff profiles a holder stands for."""
    routing = view["routing"]
    if holder["role"] == "dispatcher":
        unit = routing.get("township") if routing.get("township") in DISPATCHERS else None
        return [DISPATCHERS[unit]] if unit else ["zwfw-dispatcher"]
    if holder["role"] == "department":
        return [reviewer(holder["department"])]
    if holder["role"] == "liaison":
        return [LIAISONS[routing["grid"]]] if routing.get("grid") in LIAISONS else []
    return []


class History:
    def __init__(self, api: ApiClient, deps: Container, token: str, rng: random.Random) -> None:
        self.api, self.deps, self.token, self.rng = api, deps, token, rng
        self.views: dict[str, dict[str, Any]] = {}

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = self.api.request(method, path, **kwargs)
        assert response.status_code < 500, (method, path, response.body)
        return response.status_code, body(response) if response.body else None

    def file(self) -> None:
        payload = street_light(
            category=self.rng.choice(CATEGORIES),
            location=self.rng.choice(PLACES),
            private=self.rng.random() < 0.2,
        )
        status, view = self.call("POST", "/requests", json_body=payload, token=self.token)
        assert status == 201, view
        self.views[view["request_id"]] = view

    def staff_view(self, request_id: str) -> dict[str, Any]:
        status, view = self.call("GET", f"/admin/requests/{request_id}", profile="zwfw-dispatcher")
        assert status == 200, view
        return dict(view)

    def step(self, request_id: str) -> None:
        view = self.staff_view(request_id)
        path = f"/admin/requests/{request_id}"
        holders = view["holders"]
        roll = self.rng.random()
        if view["status"] == "resolved" or roll < 0.05:
            level = self.rng.choice([1, 2, 3, 4, 5, 5])
            self.call(
                "POST",
                f"/requests/{request_id}/rating",
                json_body={"level": level},
                token=self.token,
            )
            return
        if roll < 0.1:  # someone who may not act tries: refused, nothing changes
            self.call(
                "POST",
                f"{path}/reply",
                json_body={"text": "越权", "done": True},
                profile="catalogue-admin",
            )
            return
        holder = self.rng.choice(holders) if holders else None
        if holder is None:
            return
        for profile in profiles_for(holder, view):
            if holder["role"] == "dispatcher":
                departments = self.rng.sample(DEPARTMENTS, self.rng.choice([1, 1, 2]))
                choice = self.rng.random()
                if view["status"] == "submitted" and choice < 0.15:
                    action: dict[str, Any] = {"action": "not_accept", "reason": "不属于受理范围"}
                elif choice < 0.2 and any(a["status"] == "returned" for a in view["assignments"]):
                    action = {"action": "conclude", "note": "其他单位已处理"}
                else:
                    action = {"action": "assign", "departments": departments}
                self.call("POST", f"{path}/triage", json_body=action, profile=profile)
            elif holder["role"] == "department":
                if self.rng.random() < 0.2:
                    self.call(
                        "POST",
                        f"{path}/return",
                        json_body={"reason": "非本单位职责"},
                        profile=profile,
                    )
                else:
                    done = self.rng.random() < 0.8
                    self.call(
                        "POST",
                        f"{path}/reply",
                        json_body={"text": "处理中", "done": done},
                        profile=profile,
                    )
            elif holder["role"] == "liaison":
                self.call(
                    "POST",
                    f"{path}/visit",
                    json_body={"kind": "follow_up", "note": "回访"},
                    profile=profile,
                )

    def check(self, request_id: str) -> None:
        """An open request names holders, and every one of them can act on it."""
        view = self.staff_view(request_id)
        if view["status"] not in OPEN | {"resolved"}:
            return
        assert view["holders"], f"nobody holds {view['status']} request {request_id}"
        for holder in view["holders"]:
            if holder["role"] == "filer":
                continue
            profiles = profiles_for(holder, view)
            assert profiles, f"{holder} of {request_id} stands for nobody"
            for profile in profiles:
                status, _ = self.call("GET", f"/admin/requests/{request_id}", profile=profile)
                assert status == 200, f"{profile} holds {request_id} but cannot read it"


@pytest.mark.parametrize("seed", [11, 2027])
def test_every_open_request_has_someone_who_can_act(
    api: ApiClient, deps: Container, sms: RecordingSms, seed: int
) -> None:
    history = History(api, deps, sign_in(api, sms, FILER), random.Random(seed))
    for _ in range(12):
        history.file()
    for _ in range(14):
        for request_id in list(history.views):
            history.step(request_id)
            history.check(request_id)
    statuses = {history.staff_view(r)["status"] for r in history.views}
    assert statuses & {"closed", "not_accepted"}, statuses  # histories reach their ends
