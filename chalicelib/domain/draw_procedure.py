# long: the published procedure is one self-contained file (scripts/verify_draw.py loads it alone)
"""The published draw procedure of 双随机、一公开 (random inspections), version bianmin-draw/1.

This file is the procedure: the platform draws with it, and anyone can check a draw with it and
plain Python 3.11 (`python scripts/verify_draw.py <record>`). Integer arithmetic over SHA-256
and HMAC-SHA-256 only, so the result is the same on every platform.

1. Commitment (承诺值). Before the draw the office generates a secret seed (随机种子) of 32
   random bytes, written as 64 lowercase hex characters, and publishes its commitment:
   sha256(seed bytes) in hex. After the draw the seed is revealed; anyone can check that it
   hashes to the commitment, so the seed cannot have been chosen after seeing the result.

2. Canonical JSON (规范化 JSON). Hashes are taken over JSON with keys sorted, no whitespace
   (separators "," and ":"), non-ASCII characters written as themselves, encoded as UTF-8.

3. Frozen directories (名录库). The directory of inspectable entities (检查对象名录库) and the
   directory of inspectors (执法检查人员名录库) are frozen for the draw and published as hashes:
   sha256 of the canonical JSON of the list of records sorted by id, each record holding
   exactly these fields:
   - entity: credit_code (统一社会信用代码, 18 characters), name, township, grid (or null),
     complaints (complaint requests 投诉举报 naming it in the look-back period),
     failed_inspections (earlier inspections that ordered a rectification or filed a case),
     abnormal (经营异常名录);
   - inspector: inspector_id, department, active, grid of residence (or null), relations
     (credit codes the inspector declared as conflicts of interest, sorted).
   `last_inspectors` (credit code -> sorted inspector ids of its last inspection) is hashed
   the same way as `last_inspections_hash`.

4. Weights (风险权重). For a general item (一般事项) every entity weighs 1. For a key item
   (重点事项) an entity weighs
       1 + min(complaints, 3) + 2 * min(failed_inspections, 2) + (3 if abnormal else 0),
   so from 1 (no risk signal) to 11 (three complaints, two failed inspections, abnormal).

5. Draw of entities (随机抽取检查对象). The sample size is ceil(population * ratio / 1000),
   the ratio in per-mille (50 = 5 %), at least 1 and at most the population. Candidates are
   all entities of the directory sorted by credit_code. For i = 0, 1, ..., size - 1:
       r = big-endian integer of HMAC-SHA256(key=seed bytes,
           msg="bianmin-draw/1|entity|<plan_id>|<i>") mod (total weight of the remaining);
   walk the remaining candidates in order, adding up their weights, and take the first one
   whose running total exceeds r; remove it. (r has 256 bits: the modulo's bias is negligible.)

6. Draw of inspectors (随机选派执法检查人员). For each drawn entity, in draw order, the pool is
   the active inspectors of the plan's department sorted by inspector_id. An inspector recuses
   (回避) — is left out and recorded with the first reason that applies, in this order:
   - "relation": the entity's credit code is among the inspector's declared relations;
   - "same_grid": the inspector lives in the entity's grid (both grids recorded);
   - "last_inspection": the inspector was on the entity's last inspection.
   From the eligible, inspectors_per_entity (at least 2) are drawn as in 5, each weighing 1,
   with msg "bianmin-draw/1|inspector|<plan_id>|<credit_code>|<j>". An entity with too few
   eligible inspectors is marked `unstaffed` with all the eligible (sorted): the office must
   act, the draw does not fail.

7. Outputs (公示内容). procedure, plan, commitment, seed, entities_hash, inspectors_hash,
   last_inspections_hash, population, total_weight, sample_size, selections (order from 1,
   credit_code, name, township, weight, inspectors in draw order, unstaffed when so) and
   recusals (credit_code, inspector_id, reason). The published record adds the frozen inputs
   (entities, inspectors, last_inspectors) so that `verify` can recompute all of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import pairwise, zip_longest
from typing import Any

PROCEDURE_VERSION = "bianmin-draw/1"
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REASONS = ("relation", "same_grid", "last_inspection")
_HEX = "0123456789abcdef"
_MISSING = object()
Plan = Mapping[str, Any]
Records = Iterable[Any]  # dicts of the fields below, or Entity / Inspector
Last = Mapping[str, list[str]]


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes every hash of the procedure is taken over."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed_bytes(seed_hex: str) -> bytes:
    """The seed's 32 bytes; a seed is 64 lowercase hex characters."""
    if not isinstance(seed_hex, str) or len(seed_hex) != 64 or set(seed_hex) - set(_HEX):
        raise ValueError("seed: 32 bytes written as 64 lowercase hex characters are expected")
    return bytes.fromhex(seed_hex)


def commitment(seed_hex: str) -> str:
    """sha256 of the seed's bytes, in hex: published before the draw."""
    return _sha256(seed_bytes(seed_hex))


def directory_hash(records: Iterable[Mapping[str, Any]], key: str) -> str:
    """sha256 of the canonical JSON of the records sorted by their `key` field."""
    return _sha256(canonical_json(sorted((dict(r) for r in records), key=lambda r: r[key])))


def _field(record: Mapping[str, Any], where: str, name: str, kind: type, default: Any) -> Any:
    value = record.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{where}.{name}: missing")
    if value is default:  # an optional field left out, or null where null is allowed
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}.{name}: {kind.__name__} expected, got {value!r}")
    if kind is str and not value:
        raise ValueError(f"{where}.{name}: must not be empty")
    if kind is int and value < 0:
        raise ValueError(f"{where}.{name}: 0 or more expected, got {value}")
    return value


def _fields(record: Any, where: str, schema: Mapping[str, tuple[type, Any]]) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise ValueError(f"{where}: an object is expected")
    return {name: _field(record, where, name, *spec) for name, spec in schema.items()}


def check_credit_code(value: Any, where: str = "credit_code") -> str:
    """18 characters of 0-9 and A-Y without I, O, S, V, Z (the format of GB 32100; the check
    character is verified when the directory is loaded, by chalicelib.domain.applicant)."""
    if not isinstance(value, str) or len(value) != 18 or set(value) - set(CREDIT_CODE_ALPHABET):
        raise ValueError(f"{where}: 18 characters from {CREDIT_CODE_ALPHABET} expected")
    return value


_ENTITY_FIELDS = {
    **dict.fromkeys(("credit_code", "name", "township"), (str, _MISSING)),
    "grid": (str, None),
    **dict.fromkeys(("complaints", "failed_inspections"), (int, _MISSING)),
    "abnormal": (bool, _MISSING),
}
_PLAN_FIELDS = {
    **dict.fromkeys(("plan_id", "item_id", "department"), (str, _MISSING)),
    "key_item": (bool, _MISSING),
    **dict.fromkeys(("ratio_permille", "inspectors_per_entity"), (int, _MISSING)),
}
_INSPECTOR_FIELDS = {
    **dict.fromkeys(("inspector_id", "department"), (str, _MISSING)),
    "active": (bool, _MISSING),
    "grid": (str, None),
    "relations": (list, ()),
}


@dataclass(frozen=True)
class Entity:
    """An inspectable entity of the directory, with the inputs of its risk weight."""

    credit_code: str
    name: str
    township: str
    grid: str | None
    complaints: int
    failed_inspections: int
    abnormal: bool

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], where: str = "entity") -> Entity:
        entity = cls(**_fields(record, where, _ENTITY_FIELDS))
        check_credit_code(entity.credit_code, f"{where}.credit_code")
        return entity

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Inspector:
    """A law-enforcement inspector of the directory, with the conflicts they declared."""

    inspector_id: str
    department: str
    active: bool
    grid: str | None = None
    relations: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], where: str = "inspector") -> Inspector:
        values = _fields(record, where, _INSPECTOR_FIELDS)
        for index, code in enumerate(values["relations"]):
            check_credit_code(code, f"{where}.relations[{index}]")
        return cls(**{**values, "relations": tuple(sorted(set(values["relations"])))})

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "relations": list(self.relations)}


def risk_weight(entity: Entity, key_item: bool) -> int:
    """1 for a general item; for a key item 1 + min(complaints, 3) + 2 * min(failed, 2) + 3 if
    on the abnormal-operation list (from 1 to 11)."""
    if not key_item:
        return 1
    abnormal = 3 if entity.abnormal else 0
    return 1 + min(entity.complaints, 3) + 2 * min(entity.failed_inspections, 2) + abnormal


def sample_size(population: int, ratio_permille: int) -> int:
    """ceil(population * ratio / 1000): at least 1 of a non-empty population, at most all."""
    if population < 0:
        raise ValueError(f"population: 0 or more expected, got {population}")
    _check_ratio(ratio_permille)
    if population == 0:
        return 0
    return min(population, max(1, -(-population * ratio_permille // 1000)))


def _check_ratio(ratio_permille: int) -> None:
    if not 1 <= ratio_permille <= 1000:
        raise ValueError(f"plan.ratio_permille: 1 to 1000 expected, got {ratio_permille}")


def _check_plan(plan: Plan) -> None:
    if not isinstance(plan, Mapping):
        raise ValueError("plan: an object is expected")
    _fields(plan, "plan", _PLAN_FIELDS)
    _check_ratio(plan["ratio_permille"])
    per_entity = plan["inspectors_per_entity"]
    if per_entity < 2:
        raise ValueError(f"plan.inspectors_per_entity: at least 2 expected, got {per_entity}")


def _directory(records: Iterable[Any], kind: type, key: str) -> list[Any]:
    """The records as `kind`, sorted by id; a duplicate id is an error."""
    label = "entities" if kind is Entity else "inspectors"
    if isinstance(records, Mapping | str):
        raise ValueError(f"{label}: a list of records is expected")
    items = [
        r if isinstance(r, kind) else kind.from_dict(r, f"{label}[{i}]")
        for i, r in enumerate(records)
    ]
    items.sort(key=lambda item: getattr(item, key))
    for before, after in pairwise(items):
        if getattr(before, key) == getattr(after, key):
            raise ValueError(f"{label}.{key}: duplicate {getattr(after, key)}")
    return items


def _last_inspections(last_inspectors: Mapping[str, Any]) -> dict[str, list[str]]:
    if not isinstance(last_inspectors, Mapping):
        raise ValueError("last_inspectors: an object of credit code -> inspector ids expected")
    normalised = {}
    for code, ids in last_inspectors.items():
        check_credit_code(code, f"last_inspectors.{code}")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError(f"last_inspectors.{code}: a list of inspector ids expected")
        normalised[code] = sorted(set(ids))
    return normalised


def _random(seed: bytes, message: str) -> int:
    """The big-endian integer of HMAC-SHA256(key=seed, msg=message) (sections 5 and 6)."""
    return int.from_bytes(hmac.new(seed, message.encode("utf-8"), hashlib.sha256).digest(), "big")


def _sample(seed: bytes, prefix: str, candidates: list[tuple[Any, int]], count: int) -> list:
    """`count` (candidate, weight) pairs drawn one by one as section 5 says, each time with
    msg "<prefix>|<i>" over the remaining ones. A drawn candidate weighs 0 afterwards, so
    walking all candidates in order equals walking the remaining ones; a Fenwick tree of the
    weights finds where r falls in O(log n) (a county's 30,000 entities draw in a fraction of a
    second). tests/domain/test_inspection_draw.py checks it against the literal walk."""
    size = len(candidates)
    tree = [0] * (size + 1)
    for position, (_, weight) in enumerate(candidates, 1):
        index = position
        while index <= size:
            tree[index] += weight
            index += index & -index
    total = sum(weight for _, weight in candidates)
    step = 1 << max(size.bit_length() - 1, 0)
    chosen = []
    for i in range(count):
        r = _random(seed, f"{prefix}|{i}") % total
        position, bit = 0, step  # the last position whose running total is <= r
        while bit:
            if position + bit <= size and tree[position + bit] <= r:
                position += bit
                r -= tree[position]
            bit >>= 1
        candidate, weight = candidates[position]  # the next one: its running total exceeds r
        chosen.append((candidate, weight))
        index = position + 1
        while index <= size:
            tree[index] -= weight
            index += index & -index
        total -= weight
    return chosen


def recusal_reason(inspector: Inspector, entity: Entity, last: Iterable[str]) -> str | None:
    """The first conflict that makes the inspector recuse from the entity, or None."""
    if entity.credit_code in inspector.relations:
        return "relation"
    if inspector.grid is not None and inspector.grid == entity.grid:
        return "same_grid"
    if inspector.inspector_id in last:
        return "last_inspection"
    return None


def _staff(
    seed: bytes, plan: Plan, entity: Entity, pool: list[Inspector], last: list[str]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The inspectors drawn for one entity (or the unstaffed marker) and the recusals."""
    code, eligible, recusals = entity.credit_code, [], []
    for inspector in pool:
        reason, who = recusal_reason(inspector, entity, last), inspector.inspector_id
        if reason is None:
            eligible.append(who)
        else:
            recusals.append({"credit_code": code, "inspector_id": who, "reason": reason})
    needed = plan["inspectors_per_entity"]
    if len(eligible) < needed:
        return {"inspectors": eligible, "unstaffed": True}, recusals
    prefix = f"{PROCEDURE_VERSION}|inspector|{plan['plan_id']}|{code}"
    chosen = _sample(seed, prefix, [(who, 1) for who in eligible], needed)
    return {"inspectors": [who for who, _ in chosen]}, recusals


def draw(
    plan: Plan, seed_hex: str, entities: Records, inspectors: Records, last_inspectors: Last
) -> dict[str, Any]:
    """Draw entities, then inspectors for each, by the procedure above; the outputs of
    section 7 (without the frozen inputs: see `published_record`)."""
    _check_plan(plan)
    seed = seed_bytes(seed_hex)
    entity_list = _directory(entities, Entity, "credit_code")
    inspector_list = _directory(inspectors, Inspector, "inspector_id")
    last = _last_inspections(last_inspectors)
    size = sample_size(len(entity_list), plan["ratio_permille"])
    pool = [i for i in inspector_list if i.active and i.department == plan["department"]]
    selections, recusals = [], []
    weighted = [(e, risk_weight(e, plan["key_item"])) for e in entity_list]
    drawn = _sample(seed, f"{PROCEDURE_VERSION}|entity|{plan['plan_id']}", weighted, size)
    for order, (entity, weight) in enumerate(drawn, 1):
        staffed, excluded = _staff(seed, plan, entity, pool, last.get(entity.credit_code, []))
        shown = {name: getattr(entity, name) for name in ("credit_code", "name", "township")}
        selections.append({"order": order, **shown, "weight": weight, **staffed})
        recusals.extend(excluded)
    return {
        "procedure": PROCEDURE_VERSION,
        "plan": dict(plan),
        "commitment": commitment(seed_hex),
        "seed": seed_hex,
        "entities_hash": directory_hash((e.to_dict() for e in entity_list), "credit_code"),
        "inspectors_hash": directory_hash((i.to_dict() for i in inspector_list), "inspector_id"),
        "last_inspections_hash": _sha256(canonical_json(last)),
        "population": len(entity_list),
        "total_weight": sum(weight for _, weight in weighted),
        "sample_size": size,
        "selections": selections,
        "recusals": recusals,
    }


def published_record(
    plan: Plan, seed_hex: str, entities: Records, inspectors: Records, last_inspectors: Last
) -> dict[str, Any]:
    """The draw's outputs with its frozen inputs, in canonical form: what is made public."""
    entity_list = _directory(entities, Entity, "credit_code")
    inspector_list = _directory(inspectors, Inspector, "inspector_id")
    return {
        **draw(plan, seed_hex, entity_list, inspector_list, last_inspectors),
        "entities": [e.to_dict() for e in entity_list],
        "inspectors": [i.to_dict() for i in inspector_list],
        "last_inspectors": _last_inspections(last_inspectors),
    }


INPUTS = ("plan", "seed", "entities", "inspectors", "last_inspectors")
COMPARED = {
    "commitment": " (the seed is not the committed one)",
    "entities_hash": " (the entity directory is not the frozen one)",
    "inspectors_hash": " (the inspector directory is not the frozen one)",
    "last_inspections_hash": " (the last inspections are not the frozen ones)",
    **dict.fromkeys(("population", "total_weight", "sample_size"), ""),
}
OUTPUTS = ("procedure", *COMPARED, "selections", "recusals")


def _differences(name: str, published: Any, recomputed: list[Any]) -> list[str]:
    """One line per entry of a list output that differs from its recomputation."""
    pairs = zip_longest(published if isinstance(published, list) else [published], recomputed)
    return [
        f"{name} {index}: published {json.dumps(claimed, ensure_ascii=False)}, "
        f"recomputed {json.dumps(actual, ensure_ascii=False)}"
        for index, (claimed, actual) in enumerate(pairs, 1)
        if claimed != actual
    ]


def verify(published: Mapping[str, Any]) -> list[str]:
    """Recompute a published draw from its frozen inputs; the discrepancies, none if verified."""
    if not isinstance(published, Mapping):
        return ["the record is not a JSON object"]
    missing = [name for name in (*INPUTS, *OUTPUTS) if name not in published]
    if missing:
        return [f"the record lacks {', '.join(missing)}"]
    if published["procedure"] != PROCEDURE_VERSION:
        return [f"procedure {published['procedure']!r}: this file implements {PROCEDURE_VERSION}"]
    try:
        recomputed = draw(*(published[name] for name in INPUTS))
    except (ValueError, TypeError) as error:
        return [f"the published inputs cannot be drawn from: {error}"]
    found = [
        f"{name}: published {published[name]}, recomputed {recomputed[name]}{note}"
        for name, note in COMPARED.items()
        if published[name] != recomputed[name]
    ]
    found += _differences("selection", published["selections"], recomputed["selections"])
    return found + _differences("recusal", published["recusals"], recomputed["recusals"])
