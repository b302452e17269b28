"""moto's DynamoDB made to behave like DynamoDB where this app leans on it, installed once
wherever moto runs (the local stack, the tests, the benches):

- writes are atomic and concurrent transactions on one item conflict (`moto_atomic`);
- a Query reads its partition only, so the local stack does not slow down as the table
  grows (`moto_index`);
- consumed capacity follows DynamoDB's rules and is reported when asked (`moto_capacity`);
- and, beside DynamoDB, a stopped Step Functions execution is ABORTED at once (`moto_states`).
"""

from __future__ import annotations


def realistic_dynamodb() -> None:
    """Installs them all (idempotent)."""
    from devstack.moto_atomic import serialise_dynamodb_writes
    from devstack.moto_capacity import meter_dynamodb_capacity
    from devstack.moto_index import index_dynamodb_queries
    from devstack.moto_states import stoppable_executions

    serialise_dynamodb_writes()
    index_dynamodb_queries()
    meter_dynamodb_capacity()
    stoppable_executions()
