"""Filing and handling requests (诉求) in tests."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlencode

from chalicelib.deps import container
from tests.conftest import ApiClient, body

# 亲水湾小区网格 (汶上街道 西门社区): a point inside its polygon, and the grid itself.
QINSHUIWAN = (116.4895, 35.7322)
QINSHUIWAN_GRID = "370830001001001"
DUYING_GRID = "370830007001001"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 300


def street_light(**overrides: Any) -> dict[str, Any]:
    lng, lat = QINSHUIWAN
    return {
        "category": "streetlight",
        "description": "亲水湾小区门前的路灯不亮，已经一个多星期了，晚上出行不便。",
        "location": {"lat": lat, "lng": lng, "address": "汶上县汶上街道亲水湾小区南门"},
        **overrides,
    }


def file(api: ApiClient, token: str, payload: dict[str, Any] | None = None, **kw: Any) -> Any:
    response = api.post("/requests", json_body=payload or street_light(), token=token, **kw)
    assert response.status_code == 201, response.body
    return body(response)


def upload_photo(
    api: ApiClient, aws: Any, pump: Any, *, token: str | None = None, profile: str | None = None
) -> str:
    """A photo through the upload pipeline: presigned POST form, S3, the scan consumer."""
    path = "/admin/uploads" if profile else "/uploads"
    response = api.post(
        path,
        json_body={
            "filename": "light.jpg",
            "content_type": "image/jpeg",
            "size": len(JPEG),
            "sha256": hashlib.sha256(JPEG).hexdigest(),
        },
        token=token,
        profile=profile,
    )
    assert response.status_code == 201, response.body
    created = body(response)
    fields = created["upload"]["fields"]
    # What S3 makes of the form (moto's POST ignores its tagging field): the object, tagged.
    tags = re.findall(r"<Key>(.*?)</Key><Value>(.*?)</Value>", fields.get("tagging", ""))
    aws.client("s3").put_object(
        Bucket=container().settings.documents_bucket,
        Key=fields["key"],
        Body=JPEG,
        ContentType="image/jpeg",
        Tagging=urlencode(tags),
    )
    pump.drain()
    return str(created["document_id"])


def staff_post(api: ApiClient, profile: str, path: str, payload: dict[str, Any]) -> Any:
    return api.post(path, json_body=payload, profile=profile)


def act(api: ApiClient, profile: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = staff_post(api, profile, path, payload)
    assert response.status_code == 200, response.body
    return dict(body(response))


def queue(api: ApiClient, profile: str, query: str = "") -> list[str]:
    response = api.get(f"/admin/queues/requests{query}", profile=profile)
    assert response.status_code == 200, response.body
    return [item["request_id"] for item in body(response)["items"]]


from devstack.workload import InProcessDriver  # noqa: E402, F401 - re-exported for the tests
