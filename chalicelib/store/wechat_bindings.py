"""Citizens' WeChat bindings, and which notification a provider's message id belongs to.

NOTICES#<citizen> / WECHAT          the citizen's binding (openid, following)
WXUSER#<openid> / BINDING           whose openid it is (one citizen an openid: the pushed
                                    events name the openid only)
PROVIDER#<channel>#<provider id> / REF
                                    the notification a sent message belongs to (for the
                                    provider's receipt; expires after a week)
PROVIDER#<channel>#<provider id> / RECEIPT
                                    the provider's receipt, kept (it may come first)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.wechat import WechatBinding
from chalicelib.errors import Conflict, FieldError
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Guarded, Table

RECEIPT_DAYS = 7


class WechatTaken(Conflict):
    """The openid is another citizen's binding."""


def _changed() -> Conflict:
    return Conflict("The WeChat binding changed meanwhile; try again.")


def _binding_key(citizen_id: str) -> tuple[str, str]:
    return f"NOTICES#{citizen_id}", "WECHAT"


def _openid_key(openid: str) -> tuple[str, str]:
    return f"WXUSER#{openid}", "BINDING"


class WechatBindings:
    def __init__(self, table: Table) -> None:
        self._table = table

    def binding(self, citizen_id: str) -> WechatBinding | None:
        raw = self._table.get(*_binding_key(citizen_id), consistent=True)
        return WechatBinding.model_validate(raw["data"]) if raw else None

    def citizen_of(self, openid: str) -> str | None:
        raw = self._table.get(*_openid_key(openid), consistent=True)
        return str(raw["citizen_id"]) if raw else None

    def bind(self, binding: WechatBinding) -> None:
        """Binds the openid to the citizen (replacing the citizen's earlier one); an openid
        bound to another citizen is `WechatTaken` (they unbind there first)."""
        earlier = self.binding(binding.citizen_id)
        pk, sk = _openid_key(binding.openid)
        ops: list[dict[str, Any] | Guarded] = [
            Guarded(
                {
                    "Put": {
                        "Item": {"pk": pk, "sk": sk, "citizen_id": binding.citizen_id},
                        "ConditionExpression": "attribute_not_exists(pk) OR citizen_id = :c",
                        "ExpressionAttributeValues": {":c": binding.citizen_id},
                    }
                },
                WechatTaken(
                    "这个微信已绑定其他账号，请先在该账号解绑 / This WeChat account is bound to "
                    "another citizen: unbind it there first",
                    errors=[FieldError("body.code", "is bound to another citizen", "taken")],
                ),
            ),
            self._put_binding(binding, earlier),
        ]
        if earlier is not None and earlier.openid != binding.openid:
            old_pk, old_sk = _openid_key(earlier.openid)
            ops.append(
                {
                    "Delete": {  # the citizen's old openid item, if it is still theirs
                        "Key": {"pk": old_pk, "sk": old_sk},
                        "ConditionExpression": "attribute_not_exists(pk) OR citizen_id = :c",
                        "ExpressionAttributeValues": {":c": binding.citizen_id},
                    }
                }
            )
        self._table.transact_guarded(ops, _changed())

    def _put_binding(self, binding: WechatBinding, earlier: WechatBinding | None) -> dict[str, Any]:
        """The citizen's binding, written over the one read (or none): a concurrent change
        of it cancels the transaction."""
        pk, sk = _binding_key(binding.citizen_id)
        put: dict[str, Any] = {
            "Item": {"pk": pk, "sk": sk, "data": binding.model_dump(mode="json")}
        }
        if earlier is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#d.#o = :earlier"
            put["ExpressionAttributeNames"] = {"#d": "data", "#o": "openid"}
            put["ExpressionAttributeValues"] = {":earlier": earlier.openid}
        return {"Put": put}

    def unbind(self, citizen_id: str) -> bool:
        binding = self.binding(citizen_id)
        if binding is None:
            return False
        pk, sk = _binding_key(citizen_id)
        ops: list[dict[str, Any] | Guarded] = [
            {
                "Delete": {
                    "Key": {"pk": pk, "sk": sk},
                    "ConditionExpression": "#d.#o = :o",
                    "ExpressionAttributeNames": {"#d": "data", "#o": "openid"},
                    "ExpressionAttributeValues": {":o": binding.openid},
                }
            }
        ]
        if self.citizen_of(binding.openid) == citizen_id:
            opk, osk = _openid_key(binding.openid)
            ops.append(
                {
                    "Delete": {
                        "Key": {"pk": opk, "sk": osk},
                        "ConditionExpression": "citizen_id = :c",
                        "ExpressionAttributeValues": {":c": citizen_id},
                    }
                }
            )
        self._table.transact_guarded(ops, _changed())
        return True

    def set_following(self, openid: str, following: bool) -> bool:
        """Records a follow or unfollow of a bound openid; False when nobody bound it."""
        citizen_id = self.citizen_of(openid)
        if citizen_id is None:
            return False
        pk, sk = _binding_key(citizen_id)
        try:
            self._table.update(
                pk,
                sk,
                UpdateExpression="SET #d.#f = :f",
                ConditionExpression="#d.#o = :o",
                ExpressionAttributeNames={"#d": "data", "#f": "following", "#o": "openid"},
                ExpressionAttributeValues={":f": following, ":o": openid},
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # ---- provider message ids → notifications

    def remember(
        self,
        channel: str,
        provider_id: str,
        ref: dict[str, str],
        at: datetime,
    ) -> None:
        expires = int(at.timestamp()) + RECEIPT_DAYS * 86_400
        self._table.put(
            {"pk": f"PROVIDER#{channel}#{provider_id}", "sk": "REF", **ref, "expires_at": expires}
        )

    def keep_receipt(
        self, channel: str, provider_id: str, delivered: bool, reason: str, at: datetime
    ) -> None:
        """A provider's receipt, kept under the message id (it may come before the id is
        recorded with its notification)."""
        expires = int(at.timestamp()) + RECEIPT_DAYS * 86_400
        self._table.put(
            {
                "pk": f"PROVIDER#{channel}#{provider_id}",
                "sk": "RECEIPT",
                "delivered": delivered,
                "reason": reason[:120],
                "expires_at": expires,
            }
        )

    def early_receipt(self, channel: str, provider_id: str) -> tuple[bool, str] | None:
        raw = self._table.get(f"PROVIDER#{channel}#{provider_id}", "RECEIPT", consistent=True)
        return (bool(raw["delivered"]), str(raw.get("reason", ""))) if raw else None

    def recall(self, channel: str, provider_id: str) -> dict[str, str] | None:
        raw = self._table.get(f"PROVIDER#{channel}#{provider_id}", "REF", consistent=True)
        if raw is None:
            return None
        return {k: str(raw[k]) for k in ("citizen_id", "notification_id", "county") if k in raw}
