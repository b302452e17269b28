"""An application as anyone but its applicant reads it: an agent and staff see ID numbers and
phones masked, in the applicant's own fields and wherever they were typed into free text
(the form's answers, the address, reasons, opinions, comments); the pickup code is the
applicant's alone."""

from __future__ import annotations

from chalicelib.domain.applicant import MailDelivery
from chalicelib.domain.application import Application
from chalicelib.domain.redaction import redact
from chalicelib.domain.review import DeliveryState, ReviewTask


def delivery_state_for(app: Application, role: str) -> DeliveryState | None:
    """The pickup code is the applicant's alone: the window checks the code the collector
    tells it, so no staff member (nor an agent) reads it."""
    state = app.delivery_state
    if state is None or role == "applicant":
        return state
    return state.model_copy(update={"pickup_code": None})


def masked_answer(value: object) -> object:
    """A form answer as others read it: text redacted, and a number typed as a JSON number
    (a phone or an ID as digits) masked like the same digits in text."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool):
        masked = redact(str(value))
        return value if masked == str(value) else masked
    return value


def masked_application(app: Application) -> Application:
    """The free text of an application as anyone but the applicant reads it."""
    delivery = app.delivery
    if isinstance(delivery, MailDelivery):
        address = delivery.address.model_copy(update={"detail": redact(delivery.address.detail)})
        delivery = delivery.model_copy(update={"address": address})
    update: dict[str, object] = {
        "form": {k: masked_answer(v) for k, v in app.form.items()},
        "delivery": delivery,
        "not_accepted_reason": redact(app.not_accepted_reason) if app.not_accepted_reason else None,
        "supplement": [n.model_copy(update={"reason": redact(n.reason)}) for n in app.supplement]
        if app.supplement
        else app.supplement,
    }
    if app.rating is not None and app.rating.comment:
        update["rating"] = app.rating.model_copy(update={"comment": redact(app.rating.comment)})
    if app.rectification is not None:
        update["rectification"] = app.rectification.model_copy(
            update={
                "measures": redact(app.rectification.measures or "") or None,
                "visit_note": redact(app.rectification.visit_note or "") or None,
            }
        )
    return app.model_copy(update=update)


def masked_task(task: ReviewTask) -> ReviewTask:
    return task.model_copy(
        update={
            "opinion": redact(task.opinion) if task.opinion else task.opinion,
            "conditions": [redact(c) for c in task.conditions],
        }
    )
