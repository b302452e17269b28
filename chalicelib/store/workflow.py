"""Starting the approval workflow (Step Functions, Standard)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.observability import logger
from chalicelib.store.clients import AwsClients

DENIED = "ReviewDenied"
CLOSED = "ReviewClosed"


class ApprovalWorkflow:
    def __init__(self, clients: AwsClients, state_machine_arn: str) -> None:
        self._clients = clients
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Starts the execution `name` (named after the case and its run). A second start of
        the same name is refused by Step Functions (ExecutionAlreadyExists) and treated as
        already started; the app's own conditional write guards it too, since moto allows
        duplicates."""
        sfn = self._clients.client("stepfunctions")
        try:
            response = sfn.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(payload)
            )
            return str(response["executionArn"])
        except sfn.exceptions.ExecutionAlreadyExists:
            return self._arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def status(self, execution_arn: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None for no such execution."""
        sfn = self._clients.client("stepfunctions")
        try:
            return str(sfn.describe_execution(executionArn=execution_arn)["status"])
        except sfn.exceptions.ExecutionDoesNotExist:
            return None

    def answer(self, token: str, *, approved: bool | None, detail: dict[str, Any]) -> bool:
        """Answers a waiting review task: approved → SendTaskSuccess; denied → SendTaskFailure
        with ReviewDenied; None (no longer needed) → ReviewClosed. Returns False when the task
        is no longer waiting (timed out and re-requested, or already answered)."""
        sfn = self._clients.client("stepfunctions")
        try:
            if approved:
                sfn.send_task_success(taskToken=token, output=json.dumps(detail))
            else:
                sfn.send_task_failure(
                    taskToken=token,
                    error=DENIED if approved is False else CLOSED,
                    cause=json.dumps(detail, ensure_ascii=False)[:32_000],
                )
        except (
            sfn.exceptions.TaskTimedOut,
            sfn.exceptions.InvalidToken,
            sfn.exceptions.TaskDoesNotExist,
        ):
            logger.info("review task no longer waiting")
            return False
        return True
