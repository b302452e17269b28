"""The filer's side after filing: comments, and the rating that closes a request or reopens
it for rectification."""

from __future__ import annotations

from chalicelib.domain.moves import Actor
from chalicelib.domain.request_api import CommentRequest, CommentView, RequestView
from chalicelib.domain.request_parts import MAX_COMMENTS, RequestStatus
from chalicelib.domain.review import RatingRequest
from chalicelib.observability import metrics
from chalicelib.services.cases import event
from chalicelib.services.request_cases import RequestCases
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
        req = before.model_copy(deep=True)
        when = self._moment(req)
        actor = Actor(role="applicant", id=citizen_id)
        events = req.rate(body.level, body.comment, actor, when.at, when.due)
        if req.status is RequestStatus.REOPENED:
            metrics.add_metric(name="RequestReopened", unit="Count", value=1)
        self._save(before, req, events)
        return self._view(req, history + events, "filer")
