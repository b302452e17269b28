"""The filer's side after filing: comments, and the rating that closes a request or reopens
it for rectification."""

from __future__ import annotations

from chalicelib.domain.application import (
    Actor,
)
from chalicelib.domain.common import Text
from chalicelib.domain.request import (
    BAD_RATING_MAX,
    MAX_COMMENTS,
    MAX_REOPENINGS,
    RequestRectification,
    RequestStatus,
    Stage,
)
from chalicelib.domain.request_api import CommentRequest, CommentView, RequestView
from chalicelib.domain.review import RATING_LABELS, Rating, RatingRequest
from chalicelib.errors import Conflict
from chalicelib.observability import metrics
from chalicelib.services.cases import event
from chalicelib.services.request_cases import SYSTEM, RequestCases, end_of_working_day
from chalicelib.services.request_views import (
    comment_view,
)


class RequestRating(RequestCases):
    def comment(self, citizen_id: str, request_id: str, body: CommentRequest) -> CommentView:
        """The filer adds a comment (at most MAX_COMMENTS, counted in the same write)."""
        req, _ = self._for_filer(citizen_id, request_id)
        note = event(
            self._clock,
            "comment",
            "群众补充说明",
            "Comment from the filer",
            Actor(role="applicant", id=citizen_id),
            comment=body.text,
        )
        self._store.add_comment(req.request_id, note, MAX_COMMENTS)
        return comment_view(note)

    def rate(self, citizen_id: str, request_id: str, body: RatingRequest) -> RequestView:
        before, history = self._for_filer(citizen_id, request_id)
        if before.status is not RequestStatus.RESOLVED:
            raise Conflict(
                "Only a resolved request can be rated."
                if before.status is not RequestStatus.CLOSED
                else "This request has been rated or closed already."
            )
        req = before.model_copy(deep=True)
        now = self._clock.now()
        zh, en = RATING_LABELS[body.level]
        req.ratings.append(
            Rating(level=body.level, label=Text(zh=zh, en=en), comment=body.comment, rated_at=now)
        )
        actor = Actor(role="applicant", id=citizen_id)
        events = [
            event(
                self._clock,
                "rated",
                f"群众评价：{zh}",
                f"Rated: {en}",
                actor,
                comment=body.comment,
                at=now,
                level=body.level,
            )
        ]
        reopenings = sum(r.level <= BAD_RATING_MAX for r in before.ratings)
        if body.level > BAD_RATING_MAX or reopenings >= MAX_REOPENINGS:
            req.status = RequestStatus.CLOSED
            req.closed_at = now
            req.stage = None
            req.deadline = None
            events.append(event(self._clock, "closed", "诉求已关闭", "Closed", SYSTEM, at=now))
        else:
            due = end_of_working_day(self._reference, now, req.sla_days)
            req.status = RequestStatus.REOPENED
            # The grid's liaison officer makes the follow-up visit; a private request (a
            # petition) is followed up by its departments, as is one no liaison officer serves.
            visited_by_liaison = req.routing.liaison_id is not None and not req.private
            req.rectification = RequestRectification(
                opened_at=now,
                due=due,
                rating_level=body.level,
                follow_up="pending" if visited_by_liaison else "not_required",
            )
            for assignment in req.active():
                assignment.status = "pending"
                assignment.round += 1
                assignment.done_at = None
                assignment.assigned_at = now
                # the new round starts from the department's last answer; its earlier
                # replies stay on the timeline (so the record stays small, see MAX_*)
                assignment.replies = assignment.replies[-1:]
            req.stage = Stage.RECTIFICATION
            req.deadline = due
            events.append(
                event(
                    self._clock,
                    "reopened",
                    "差评重办：承办单位整改，民情联络员回访",
                    "Bad rating: reopened for rectification and a follow-up visit",
                    SYSTEM,
                    at=now,
                    due=due.isoformat(),
                )
            )
            metrics.add_metric(name="RequestReopened", unit="Count", value=1)
        self._save(before, req, events)
        return self._view(req, history + events, "filer")
