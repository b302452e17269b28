"""Open311 partner apps: their api_keys (stored only as SHA-256 digests) and the tokens
handed out for the requests they file.

O311KEY#<sha256 of key> / KEY    the key: which partner, whether it is still active
O311PARTNER#<partner> / KEY      the partner's current key (its digest) and when it was issued
O311TOKEN#<token> / TOKEN        the request a GeoReport token stands for
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from chalicelib.domain.common import Instant, Strict
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Table


class PartnerKey(Strict):
    partner: str
    created_at: Instant
    active: bool = True


def digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class PartnerKeyStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def issue(self, partner: str, api_key: str, now: datetime) -> None:
        """Makes `api_key` the partner's key; a key issued before stops working."""
        record = PartnerKey(partner=partner, created_at=now)
        previous = self._table.get(f"O311PARTNER#{partner}", "KEY", consistent=True)
        steps = [
            {
                "Put": {
                    "Item": {
                        "pk": f"O311KEY#{digest(api_key)}",
                        "sk": "KEY",
                        "data": record.model_dump(mode="json"),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "Item": {
                        "pk": f"O311PARTNER#{partner}",
                        "sk": "KEY",
                        "digest": digest(api_key),
                        "data": record.model_dump(mode="json"),
                    }
                }
            },
        ]
        if previous is not None and previous.get("digest") != digest(api_key):
            old = PartnerKey.model_validate(previous["data"]).model_copy(update={"active": False})
            steps.append(
                {
                    "Put": {
                        "Item": {
                            "pk": f"O311KEY#{previous['digest']}",
                            "sk": "KEY",
                            "data": old.model_dump(mode="json"),
                        }
                    }
                }
            )
        self._table.transact(steps)

    def record(self, partner: str) -> PartnerKey | None:
        raw = self._table.get(f"O311PARTNER#{partner}", "KEY", consistent=True)
        return PartnerKey.model_validate(raw["data"]) if raw else None

    def partner(self, api_key: str) -> str | None:
        """The partner an active key belongs to."""
        raw = self._table.get(f"O311KEY#{digest(api_key)}", "KEY")
        if raw is None:
            return None
        key = PartnerKey.model_validate(raw["data"])
        return key.partner if key.active else None

    def save_token(self, token: str, request_id: str) -> None:
        try:
            self._table.put(
                {"pk": f"O311TOKEN#{token}", "sk": "TOKEN", "request_id": request_id},
                condition="attribute_not_exists(pk)",
            )
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise

    def token(self, token: str) -> str | None:
        raw = self._table.get(f"O311TOKEN#{token}", "TOKEN")
        return str(raw["request_id"]) if raw else None
