"""Starting an application's parallel review (one Step Functions execution), the first time
at acceptance and again after a run stopped without an outcome: the input it gets and how
long each department's task may wait."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from chalicelib.domain.application import Application
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.services.reference import ReferenceData
from chalicelib.settings import Settings
from chalicelib.store.workflow import ApprovalWorkflow


def review_timeout(
    app: Application, settings: Settings, reference: ReferenceData, now: datetime
) -> int:
    """Seconds a review task may wait: until the end of its due working day in Beijing
    (so weekends and holidays do not escalate early), or, with a shortened day for
    drills and tests, promised days × BIANMIN_REVIEW_SECONDS_PER_DAY."""
    per_day = settings.review_seconds_per_day
    if per_day < 86_400 or app.limits.promised_due is None:
        return max(app.limits.promised_days, 1) * per_day
    due = max(
        app.limits.promised_due,
        reference.calendar(app.county).add_working_days(beijing_date(now), 1),
    )
    end = datetime.combine(due + timedelta(days=1), time.min, tzinfo=BEIJING)
    return max(int((end - now).total_seconds()), 60)


def execution_name(app: Application, run: int) -> str:
    """The execution of the case's `run`-th review (0: the first): named after the case, so
    Step Functions itself refuses to start one run twice."""
    return app.application_id if run == 0 else f"{app.application_id}-r{run}"


def start_review_execution(
    workflow: ApprovalWorkflow, app: Application, timeout: int, run: int = 0
) -> str:
    """Starts the case's `run`-th review execution; returns its ARN."""
    return workflow.start(
        execution_name(app, run),
        {
            "case_id": app.application_id,
            "departments": app.review_departments,
            "rule": app.review_rule,
            "review_timeout_seconds": timeout,
        },
    )
