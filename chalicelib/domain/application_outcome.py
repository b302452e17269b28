"""An application's outcome: the certificate issued (统一出件) and delivered, then the
applicant's rating (好差评) and a bad review's rectification. `Application` takes these moves
in; each is checked against the transition table and returns the timeline events it
produces."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from chalicelib.domain.application_parts import CaseMoment, Status
from chalicelib.domain.common import Text
from chalicelib.domain.moves import Actor, TimelineEvent, new_event
from chalicelib.domain.review import (
    BAD_RATING_MAX,
    RATING_LABELS,
    Certificate,
    DeliveryState,
    Rating,
    Rectification,
)
from chalicelib.errors import Conflict

if TYPE_CHECKING:
    from chalicelib.domain.application import Application


class OutcomeMoves:
    """Issuance, delivery, rating and rectification (a mixin of `Application`)."""

    def issue(
        self: Application,
        certificate: Certificate,
        delivery: DeliveryState,
        by: Actor,
        when: CaseMoment,
        comment: str | None = None,
    ) -> list[TimelineEvent]:
        """The certificate is issued and the office's clock stops; an electronic one is
        delivered at once (completed), a mailed one is dispatched, a pickup one waits."""
        if self.status is not Status.APPROVED:
            raise Conflict(f"Only an approved application is issued; this is {self.status.value}.")
        self._move_to(Status.ISSUED)
        self.certificate = certificate
        self.delivery_state = delivery
        self.finish(when)
        number = certificate.number
        events = [
            new_event(
                "issued",
                f"统一出件：证书 {number} 已出具",
                f"Certificate {number} issued",
                by,
                when.at,
                comment=comment,
                number=number,
            )
        ]
        if delivery.method == "electronic":
            zh, en = "电子证照已送达，办结", "Electronic certificate delivered; completed"
            return [*events, self._complete(zh, en, by, when.at)]
        if delivery.method == "mail":
            sent = f"{delivery.carrier} {delivery.tracking_number}"
            return [
                *events,
                new_event("mailed", f"已邮寄（{sent}）", f"Mailed ({sent})", by, when.at),
            ]
        ready = new_event(
            "ready_for_pickup",
            "证书已备好，请凭取件码到窗口领取",
            "Ready for pickup at the window with the pickup code",
            by,
            when.at,
        )
        return [*events, ready]

    def deliver(
        self: Application,
        received_by: str | None,
        by: Actor,
        at: datetime,
        comment: str | None = None,
    ) -> list[TimelineEvent]:
        """The certificate reached the applicant: handed over at the window (to
        `received_by`) or the mail was delivered. The caller checked the pickup code."""
        state = self.delivery_state
        if self.status is not Status.ISSUED or state is None:
            raise Conflict(
                f"Nothing is waiting to be delivered; the application is {self.status.value}."
            )
        state.delivered_at = at
        state.received_by = received_by
        zh, en = (
            (f"证书已当面交付 {received_by}，办结", f"Handed over to {received_by}; completed")
            if state.method == "pickup"
            else ("邮件已妥投，办结", "Mail delivered; completed")
        )
        return [self._complete(zh, en, by, at, comment or None)]

    def _complete(
        self: Application, zh: str, en: str, by: Actor, at: datetime, comment: str | None = None
    ) -> TimelineEvent:
        self._move_to(Status.COMPLETED)
        self.completed_at = at
        used, on_time = self.limits.used_days, self.on_time
        timing = "按承诺时限办结" if on_time else "超出承诺时限"
        return new_event(
            "completed",
            f"{zh}（用时 {used} 个工作日，{timing}）",
            f"{en} ({used} working days; {'on time' if on_time else 'late'})",
            by,
            at,
            comment=comment,
            used_days=used,
            on_time=on_time,
        )

    # ---- after completion: the rating (好差评) and a bad review's rectification

    def rate(
        self: Application,
        level: int,
        comment: str | None,
        by: Actor,
        at: datetime,
        rectification_due: date,
    ) -> list[TimelineEvent]:
        """The applicant rates the completed case once; 不满意/非常不满意 (差评) opens a
        rectification for the lead department, due `rectification_due`, with a visit."""
        if self.status is not Status.COMPLETED:
            raise Conflict("A case is rated after it is completed.")
        if self.rating is not None:
            raise Conflict("This case has already been rated.")
        zh, en = RATING_LABELS[level]
        self.rating = Rating(level=level, label=Text(zh=zh, en=en), comment=comment, rated_at=at)
        rated = new_event(
            "rated", f"评价：{zh}", f"Rated: {en}", by, at, comment=comment, level=level
        )
        if level > BAD_RATING_MAX:
            return [rated]
        lead, due = self.lead_department, rectification_due
        self.rectification = Rectification(department=lead, opened_at=at, due=due)
        opened = new_event(
            "rectification_opened",
            f"差评整改：{lead} 须于 {due.isoformat()} 前整改并回访",
            f"Bad review: {lead} must rectify and visit the applicant by {due.isoformat()}",
            by,
            at,
            department=lead,
            due=due.isoformat(),
        )
        return [rated, opened]

    def rectify(
        self: Application, measures: str, visit_note: str, by: Actor, when: CaseMoment
    ) -> list[TimelineEvent]:
        """The lead department closes the rectification: what it fixed, and the visit."""
        rectification = self.rectification
        if rectification is None or rectification.status != "open":
            raise Conflict("There is no open rectification on this case.")
        rectification.status = "done"
        rectification.follow_up_visit = "done"
        rectification.measures = measures
        rectification.visit_note = visit_note
        rectification.closed_at = when.at
        return [
            new_event(
                "rectified",
                f"整改完成并回访：{measures}",
                f"Rectified and visited: {measures}",
                by,
                when.at,
                comment=visit_note,
                on_time=when.today <= rectification.due,
            )
        ]
