"""DynamoDB's refusals, classified in one place: a failed condition (the caller lost a race
or broke a rule: the store turns it into a domain error), a transient refusal (another
transaction on the same item at that instant, throttling: nothing was written, so
`Table` repeats the call), or anything else (a bug: it propagates)."""

from __future__ import annotations

# What DynamoDB refuses for reasons that are not the request's: another transaction on one
# of the items at that instant, or throttling. Nothing was written, so the same call is
# repeated (full-jitter backoff); a failed condition is never retried, nor a 500 (which
# may have been applied).
TRANSIENT_CODES = frozenset(
    {
        "TransactionConflictException",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    }
)
TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)


def _code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def is_conditional_failure(error: Exception) -> bool:
    """A write refused because a condition failed: the caller lost a race or broke a rule
    (a 409 or the guard's own error). A transaction cancelled only by conflicts with other
    transactions or by throttling is not one (`is_transient`)."""
    code = _code(error)
    if code == "TransactionCanceledException":
        return "ConditionalCheckFailed" in cancellation_codes(error)
    return code == "ConditionalCheckFailedException"


def is_transient(error: Exception) -> bool:
    """Refused for reasons that are not the request's (nothing was written): repeat it."""
    code = _code(error)
    if code == "TransactionCanceledException":
        reasons = set(cancellation_codes(error)) - {"None"}
        return bool(reasons) and reasons <= TRANSIENT_REASONS
    return code in TRANSIENT_CODES


def cancellation_codes(error: Exception) -> list[str]:
    reasons = getattr(error, "response", {}).get("CancellationReasons") or []
    return [r.get("Code", "None") for r in reasons]


def failed_steps(error: Exception) -> set[int]:
    """The positions of a cancelled transaction's steps whose condition failed."""
    return {
        i for i, code in enumerate(cancellation_codes(error)) if code == "ConditionalCheckFailed"
    }
