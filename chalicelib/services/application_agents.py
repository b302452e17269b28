"""Agents (代办): the applicant grants a person (by phone) access to an application, and revokes
it."""

from __future__ import annotations

from chalicelib.domain.application_api import ApplicationView
from chalicelib.domain.application_parts import AgentGrant, Status
from chalicelib.domain.identity import Citizen, mask_phone
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.ids import new_ulid
from chalicelib.services.applications import MAX_AGENTS, ApplicationService
from chalicelib.services.cases import citizen_actor, event, load_for_citizen
from chalicelib.store.cases import CaseBundle


class ApplicationAgents(ApplicationService):
    def grant_agent(self, citizen_id: str, case_id: str, agent_phone: str) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant can grant an agent access.")
        if app.status in (Status.WITHDRAWN, Status.NOT_ACCEPTED, Status.COMPLETED, Status.DENIED):
            raise Conflict("The application is closed.")
        now = self._clock.now()
        agent = self._citizens.by_phone(agent_phone) or self._citizens.create(
            Citizen(citizen_id=new_ulid(now), phone=agent_phone, created_at=now.isoformat())
        )
        if agent.citizen_id == app.owner_id:
            raise Conflict(
                "You cannot be your own agent.",
                errors=[FieldError("body.agent_phone", "is the applicant's own phone", "self")],
            )
        if app.has_agent(agent.citizen_id):
            return self._view(bundle, role)
        if len(app.agents) >= MAX_AGENTS:
            raise Conflict(f"An application has at most {MAX_AGENTS} agents; revoke one first.")
        consent = (
            f"申请人同意民事代办员（{mask_phone(agent_phone)}）代为上传材料、提交并查询本件。"
            " The applicant consents to the agent uploading, submitting and following this case."
        )
        grant = AgentGrant(
            agent_id=agent.citizen_id, agent_phone=agent_phone, granted_at=now, consent=consent
        )
        after = app.model_copy(update={"agents": [*app.agents, grant], "rev": app.rev + 1})
        granted = event(
            self._clock,
            "agent_granted",
            f"授权民事代办员 {mask_phone(agent_phone)}",
            f"Agent {mask_phone(agent_phone)} granted access",
            citizen_actor(app, citizen_id),
            comment=consent,
            at=now,
            agent_id=agent.citizen_id,
        )
        self._cases.save(app, after, [granted], extra=[self._cases.grant_op(case_id, grant)])
        return self._view(CaseBundle(after, [*bundle.events, granted], bundle.documents), role)

    def revoke_agent(self, citizen_id: str, case_id: str, agent_id: str) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant can revoke an agent.")
        grant = next((a for a in app.agents if a.agent_id == agent_id), None)
        if grant is None:
            raise NotFound(f"No agent {agent_id} on this application.")
        after = app.model_copy(
            update={"agents": [a for a in app.agents if a.agent_id != agent_id], "rev": app.rev + 1}
        )
        revoked = event(
            self._clock,
            "agent_revoked",
            f"撤销民事代办员 {mask_phone(grant.agent_phone)} 的授权",
            f"Agent {mask_phone(grant.agent_phone)} revoked",
            citizen_actor(app, citizen_id),
            agent_id=agent_id,
        )
        self._cases.save(app, after, [revoked], extra=[self._cases.revoke_op(case_id, agent_id)])
        return self._view(CaseBundle(after, [*bundle.events, revoked], bundle.documents), role)
