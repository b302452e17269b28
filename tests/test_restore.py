"""A table put back as its point-in-time restore held it (infra/restore.py): a request
refused and another filed after the restore point are undone — the case items copied back
and the new ones deleted — while the figures, never copied, follow through the table's
stream to exactly what the restored cases make; a second run changes nothing."""

from __future__ import annotations

from typing import Any

from chalicelib.deps import Container
from chalicelib.services.stats import platform_scopes, verify
from chalicelib.store.listing import CaseIndex
from chalicelib.store.stats import StatsStore
from infra.restore import copy_back
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import act, file

CITIZEN = "13953700001"


def drift(deps: Container) -> tuple[int, list[Any]]:
    report = verify(
        CaseIndex(deps.table), StatsStore(deps.table), platform_scopes(deps.reference_store)
    )
    return report.cases, report.drift


def test_a_restore_undoes_what_came_after_and_the_figures_follow(
    api: ApiClient, aws: Any, pump: Any, sms: RecordingSms, deps: Container
) -> None:
    token = sign_in(api, sms, CITIZEN)
    kept = [file(api, token)["request_id"] for _ in range(3)]
    pump.drain()
    live = deps.settings.table_name
    restored = f"{live}-restored"
    aws.dynamodb.restore_table_to_point_in_time(SourceTableName=live, TargetTableName=restored)

    # After the restore point: a request refused by mistake, another filed.
    path = f"/admin/requests/{kept[0]}/triage"
    act(api, "wenshang-dispatcher", path, {"action": "not_accept", "reason": "误操作的不予受理"})
    later = file(api, token)["request_id"]
    pump.drain()
    assert drift(deps) == (4, [])

    said: list[str] = []
    tally = copy_back(aws.dynamodb, restored, live, prune=True, say=said.append)
    assert tally.put >= 1 and tally.deleted >= 1 and tally.derived >= 1
    pump.drain()  # the feed moves the figures from the live cases to the restored ones
    assert drift(deps) == (3, [])
    statuses = {
        r["request_id"]: r["status"] for r in body(api.get("/requests", token=token))["items"]
    }
    assert set(statuses) == set(kept)
    assert statuses[kept[0]] == statuses[kept[1]]  # no longer refused
    assert api.get(f"/requests/{later}", token=token).status_code == 404
    again = copy_back(aws.dynamodb, restored, live, prune=True, say=said.append)
    assert (again.put, again.deleted) == (0, 0)
    assert "then: make verify-stats" in said[1]

    # The day's number counter was not lowered (nor pruned): the next request does not take
    # the number handed out after the restore point, and deleted with its case, a second time.
    scan = aws.dynamodb.scan(TableName=live)["Items"]
    counters = [i for i in scan if i["pk"]["S"].startswith("COUNTER#REQ#")]
    assert counters and sum(int(c["n"]["N"]) for c in counters) == 4
    assert file(api, token)["request_id"] not in {*kept, later}
