"""DynamoDB's refusals as the table handles them (no AWS: a scripted client). A transaction
cancelled only by another transaction or by throttling is repeated with a jittered backoff
and succeeds; when that outlasts the attempts it is a 503 saying nothing was written, never
a 409; a failed condition is not repeated and stays the caller's conflict."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import Busy, Conflict
from chalicelib.http.problem import from_domain_error
from chalicelib.store.refusals import is_conditional_failure, is_transient
from chalicelib.store.table import BACKOFF_CAP, WRITE_ATTEMPTS, Guarded, Table


def cancelled(*reasons: str) -> ClientError:
    error = ClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
        "TransactWriteItems",
    )
    error.response["CancellationReasons"] = [{"Code": r} for r in reasons]  # type: ignore[typeddict-unknown-key]
    return error


def refused(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "UpdateItem")


class Scripted:
    """A DynamoDB client that refuses with the scripted errors, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def _answer(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"Attributes": {"n": {"N": "1"}}}

    transact_write_items = put_item = update_item = _answer


class Clients:
    def __init__(self, client: Scripted) -> None:
        self.dynamodb = client


def table(client: Scripted, waits: list[float]) -> Table:
    return Table(Clients(client), "t", sleep=waits.append, jitter=lambda: 1.0)  # type: ignore[arg-type]


STEP = [{"Put": {"Item": {"pk": "CASE#1", "sk": "R"}}}]


def test_a_transaction_cancelled_by_another_is_repeated_until_it_goes_through() -> None:
    client, waits = (
        Scripted(cancelled("None", "TransactionConflict"), cancelled("ThrottlingError")),
        [],
    )
    t = table(client, waits)
    t.transact(STEP)
    assert client.calls == 3 and t.retries == 2
    assert waits == sorted(waits) and all(0 < w <= BACKOFF_CAP for w in waits)


def test_single_writes_are_repeated_after_a_transaction_held_their_item_or_throttling() -> None:
    client, waits = Scripted(refused("TransactionConflictException")), []
    assert table(client, waits).next_in_sequence("COUNTER#REQ", "20261204") == 1
    client = Scripted(refused("ProvisionedThroughputExceededException"))
    table(client, waits).put({"pk": "a", "sk": "b"})
    assert client.calls == 2


def test_a_refusal_that_outlasts_the_attempts_is_a_503_with_retry_after_not_a_409() -> None:
    client = Scripted(*[cancelled("TransactionConflict")] * WRITE_ATTEMPTS)
    with pytest.raises(Busy) as caught:
        table(client, []).transact(STEP)
    assert client.calls == WRITE_ATTEMPTS
    response = from_domain_error(caught.value)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"


def test_a_failed_condition_is_not_repeated_and_stays_a_conflict() -> None:
    client = Scripted(cancelled("ConditionalCheckFailed", "TransactionConflict"))
    guarded = Guarded(STEP[0], Conflict("the quota is full"))
    with pytest.raises(Conflict, match="the quota is full"):
        table(client, []).transact_guarded([guarded], Conflict("general"))
    assert client.calls == 1


@pytest.mark.parametrize(
    ("error", "conditional", "transient"),
    [
        (refused("ConditionalCheckFailedException"), True, False),
        (cancelled("None", "ConditionalCheckFailed"), True, False),
        (cancelled("TransactionConflict", "None"), False, True),
        (cancelled("ValidationError"), False, False),  # a bug: neither retried nor a 409
        (refused("InternalServerError"), False, False),  # may have been applied
        (refused("TransactionConflictException"), False, True),
    ],
)
def test_each_refusal_is_classified_once(
    error: ClientError, conditional: bool, transient: bool
) -> None:
    assert (is_conditional_failure(error), is_transient(error)) == (conditional, transient)
