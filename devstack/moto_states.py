"""Step Functions' StopExecution for moto's executing state machines.

On AWS, StopExecution ends a running execution at once: it is ABORTED, with its stop date,
whatever state it waits in. moto's executing backend (`execute_state_machine`) only asks the
execution's worker to stop, and a worker waiting for a task token never notices, so the
execution stays RUNNING for ever. A supervisor's restart of a review checks that its run has
stopped (services/review_recovery.py), so locally it must stop as it would deployed.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

_INSTALLED = False


def stoppable_executions() -> None:
    """Installs it (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.stop_execution

    @functools.wraps(original)
    def stop_execution(self: Any, execution_arn: str) -> Any:
        execution = original(self, execution_arn)
        if getattr(execution, "exec_status", None) == ExecutionStatus.RUNNING:
            execution.exec_status = ExecutionStatus.ABORTED
            execution.stop_date = datetime.datetime.now(tz=datetime.UTC)
        return execution

    StepFunctionsParserBackend.stop_execution = stop_execution  # type: ignore[method-assign]
    _INSTALLED = True
