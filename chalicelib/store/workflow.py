"""Starting the approval workflow (Step Functions, Standard)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.store.clients import AwsClients


class ApprovalWorkflow:
    def __init__(self, clients: AwsClients, state_machine_arn: str) -> None:
        self._clients = clients
        self._arn = state_machine_arn

    def start(self, case_id: str, payload: dict[str, Any]) -> str:
        """Starts the execution named after the case. A second start for the same case is
        refused by Step Functions (ExecutionAlreadyExists) and treated as already started;
        the app's own conditional write guards it too, since moto allows duplicates."""
        sfn = self._clients.client("stepfunctions")
        try:
            response = sfn.start_execution(
                stateMachineArn=self._arn, name=case_id, input=json.dumps(payload)
            )
            return str(response["executionArn"])
        except sfn.exceptions.ExecutionAlreadyExists:
            return self._arn.replace(":stateMachine:", ":execution:") + f":{case_id}"
