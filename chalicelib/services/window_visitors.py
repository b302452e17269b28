"""Who a walk-in case belongs to and who filed it: the citizen of the visitor's phone (created
if they never signed in, so that signing in later with that phone finds the case), and the
clerk acting for them — or, at a self-service terminal, the citizen themself, proven by the
token they got by signing in at it."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth.tokens import TokenError, TokenIssuer
from chalicelib.clock import Clock
from chalicelib.domain.identity import Citizen, Role, StaffMember
from chalicelib.domain.moves import Actor
from chalicelib.domain.window import Visitor, desk_actor, desk_keys
from chalicelib.errors import FieldError, Forbidden, InvalidInput
from chalicelib.ids import new_ulid
from chalicelib.store.identity import CitizenStore


@dataclass(frozen=True)
class WalkIn:
    """A walk-in filing: the owner, who acted, through which channel, at which hall."""

    citizen_id: str
    phone: str
    actor: Actor
    channel: str  # "window" or "terminal"
    hall: str
    key_owner: str  # whose Idempotency-Keys these are: the clerk's or the terminal's
    served: dict[str, str]  # whom the desk served: the visitor's name, the ID number masked


def citizen_of(citizens: CitizenStore, phone: str, clock: Clock) -> Citizen:
    """The citizen who signs in with `phone`, created now if they never have (race-safe: a
    concurrent sign-in or filing that created them first wins, and is returned)."""
    found = citizens.by_phone(phone)
    if found is not None:
        return found
    now = clock.now()
    return citizens.create(
        Citizen(citizen_id=new_ulid(now), phone=phone, created_at=now.isoformat())
    )


def walk_in(
    staff: StaffMember,
    visitor: Visitor,
    token: str | None,
    citizens: CitizenStore,
    tokens: TokenIssuer,
    clock: Clock,
) -> WalkIn:
    """The walk-in filing of `staff` (a clerk, or a terminal with the visitor's `token`)."""
    if staff.role is Role.TERMINAL:
        return _at_terminal(staff, visitor, token, citizens, tokens, clock)
    if staff.role is not Role.CLERK:
        raise Forbidden("Only window clerks and self-service terminals file for visitors.")
    if token is not None:
        raise InvalidInput(
            "A clerk files for the visitor; a citizen token is a terminal's only.",
            errors=[FieldError("body.citizen_token", "only a terminal sends it", "not_allowed")],
        )
    citizen = citizen_of(citizens, visitor.phone, clock)
    actor = desk_actor(staff, citizen.citizen_id)
    return WalkIn(
        citizen.citizen_id,
        visitor.phone,
        actor,
        "window",
        staff.jurisdiction,
        desk_keys(staff),
        visitor.served(),
    )


def signed_in_at(
    staff: StaffMember, token: str | None, tokens: TokenIssuer, clock: Clock, field: str
) -> str | None:
    """The citizen signed in at a terminal, by the token it sends in `field` (422 naming
    it when missing or no longer valid); None for a window clerk, who acts for anyone."""
    if staff.role is not Role.TERMINAL:
        return None
    return _verified(token, tokens, clock, field)


def _verified(token: str | None, tokens: TokenIssuer, clock: Clock, field: str) -> str:
    """The citizen of the token a terminal sends in `field`."""
    if token is None:
        raise InvalidInput(
            "A terminal acts as the citizen signed in at it: send their access token.",
            errors=[FieldError(field, "required at a terminal", "missing")],
        )
    try:
        return tokens.verify(token, clock.now()).citizen_id
    except TokenError:
        raise InvalidInput(
            "The citizen's sign-in at the terminal is not valid (expired?); sign in again.",
            errors=[FieldError(field, "invalid or expired", "token")],
        ) from None


def _at_terminal(
    staff: StaffMember,
    visitor: Visitor,
    token: str | None,
    citizens: CitizenStore,
    tokens: TokenIssuer,
    clock: Clock,
) -> WalkIn:
    """A terminal acts as the citizen who signed in at it, and only as them."""
    citizen_id = _verified(token, tokens, clock, "body.citizen_token")
    if citizens.phone_of(citizen_id) != visitor.phone:
        raise InvalidInput(
            "The visitor's phone is not the one the citizen signed in with.",
            errors=[FieldError("body.visitor.phone", "not the signed-in phone", "mismatch")],
        )
    actor = desk_actor(staff, citizen_id)
    return WalkIn(
        citizen_id,
        visitor.phone,
        actor,
        "terminal",
        staff.jurisdiction,
        desk_keys(staff),
        visitor.served(),
    )
