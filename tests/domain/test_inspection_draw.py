"""The published draw of 双随机、一公开, with no AWS: the same inputs give the same draw, risk
weights tilt it, inspectors with a conflict recuse, and `verify` catches any tampering."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
from collections import Counter
from typing import Any

import pytest

from chalicelib.domain import draw_procedure
from chalicelib.domain.applicant import credit_code_check_char
from chalicelib.domain.draw_procedure import (
    PROCEDURE_VERSION,
    Entity,
    Inspector,
    canonical_json,
    commitment,
    directory_hash,
    draw,
    published_record,
    recusal_reason,
    risk_weight,
    sample_size,
    verify,
)

# Grids and townships of 汶上县 (data/counties/370830/jurisdictions.json).
QINSHUIWAN = "370830001001001"  # 汶上街道 西门社区 亲水湾小区网格
XIMEN_2 = "370830001001002"  # 汶上街道 西门社区第二网格
DUYING_1 = "370830007001001"  # 郭楼镇 都营村第一网格


def seed(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


SEED = seed("2026 第四季度 食品经营 双随机")
OTHER_SEED = seed("another seed")


def credit_code(n: int) -> str:
    first17 = f"91370830MA3C{n:05d}"
    return first17 + credit_code_check_char(first17)


NAMES = [
    ("汶上县中都饭店", "中都街道", None),
    ("汶上县亲水湾便利店", "汶上街道", QINSHUIWAN),
    ("汶上县郭楼镇都营村惠民超市", "郭楼镇", DUYING_1),
    ("汶上县西门社区老张烧饼铺", "汶上街道", XIMEN_2),
    ("汶上县南站镇鑫源粮油店", "南站镇", None),
    ("汶上县南旺镇运河鱼馆", "南旺镇", None),
    ("汶上县次丘镇放心肉店", "次丘镇", None),
    ("汶上县寅寺镇红星副食", "寅寺镇", None),
    ("汶上县康驿镇百味餐馆", "康驿镇", None),
    ("汶上县苑庄镇便民药店", "苑庄镇", None),
    ("汶上县义桥镇豆腐坊", "义桥镇", None),
    ("汶上县郭仓镇永和早餐", "郭仓镇", None),
]


def entity(n: int, **risk: Any) -> dict[str, Any]:
    name, township, grid = NAMES[(n - 1) % len(NAMES)]
    return {
        "credit_code": credit_code(n),
        "name": name,
        "township": township,
        "grid": grid,
        "complaints": risk.get("complaints", 0),
        "failed_inspections": risk.get("failed_inspections", 0),
        "abnormal": risk.get("abnormal", False),
    }


def inspector(
    n: int, department: str = "scjg", *, active: bool = True, grid: str | None = None, **more: Any
) -> dict[str, Any]:
    record = {"inspector_id": f"{department}-{n:03d}", "department": department, "active": active}
    return {**record, "grid": grid, "relations": more.get("relations", [])}


def plan(**changes: Any) -> dict[str, Any]:
    return {
        "plan_id": "2026-Q4-scjg-spjy",
        "item_id": "scjg-spjy-01",
        "department": "scjg",
        "key_item": True,
        "ratio_permille": 250,
        "inspectors_per_entity": 2,
        **changes,
    }


ENTITIES = [
    entity(1),
    entity(2, complaints=2),
    entity(3, failed_inspections=1),
    entity(4, abnormal=True),
    *(entity(n) for n in range(5, 13)),
]
INSPECTORS = [
    inspector(1, relations=[credit_code(1)]),  # declared a relation to entity 1
    inspector(2, grid=DUYING_1),  # lives in entity 3's grid (郭楼镇 都营村第一网格)
    inspector(3),
    inspector(4),
    inspector(5, grid=XIMEN_2),  # lives where entity 4 is
    inspector(6),
    inspector(7, active=False),  # retired: never drawn
    inspector(1, "wjj"),  # the health commission's: never drawn for a 市场监管 item
]
LAST = {credit_code(2): ["scjg-003", "scjg-004"]}


def everyone_drawn() -> dict[str, Any]:
    return draw(plan(ratio_permille=1000), SEED, ENTITIES, INSPECTORS, LAST)


def test_the_same_inputs_give_the_same_draw_whatever_their_order() -> None:
    first = draw(plan(), SEED, ENTITIES, INSPECTORS, LAST)
    again = draw(plan(), SEED, list(reversed(ENTITIES)), list(reversed(INSPECTORS)), LAST)
    assert first == again
    assert first["procedure"] == PROCEDURE_VERSION
    assert [s["order"] for s in first["selections"]] == [1, 2, 3]


def test_a_different_seed_gives_a_different_draw() -> None:
    chosen = draw(plan(), SEED, ENTITIES, INSPECTORS, LAST)["selections"]
    other = draw(plan(), OTHER_SEED, ENTITIES, INSPECTORS, LAST)["selections"]
    assert [s["credit_code"] for s in chosen] != [s["credit_code"] for s in other]


def test_the_commitment_is_the_sha256_of_the_seed_bytes() -> None:
    assert commitment(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
    assert draw(plan(), SEED, ENTITIES, INSPECTORS, LAST)["commitment"] == commitment(SEED)


def test_hashes_are_taken_over_canonical_json_in_id_order() -> None:
    assert canonical_json({"b": 1, "a": ["汶上", None]}) == '{"a":["汶上",null],"b":1}'.encode()
    records = [Entity.from_dict(e).to_dict() for e in ENTITIES]
    assert directory_hash(records, "credit_code") == directory_hash(records[::-1], "credit_code")
    outcome = draw(plan(), SEED, ENTITIES, INSPECTORS, LAST)
    assert outcome["entities_hash"] == directory_hash(records, "credit_code")


@pytest.mark.parametrize(
    ("population", "ratio_permille", "size"),
    [(0, 50, 0), (1, 1, 1), (19, 50, 1), (20, 50, 1), (21, 50, 2), (1000, 50, 50), (7, 1000, 7)],
)
def test_the_sample_size_rounds_up_and_stays_within_the_population(
    population: int, ratio_permille: int, size: int
) -> None:
    assert sample_size(population, ratio_permille) == size


def test_risk_weights_count_only_for_key_items_and_are_capped() -> None:
    worst = Entity.from_dict(entity(1, complaints=9, failed_inspections=5, abnormal=True))
    assert risk_weight(worst, key_item=False) == 1
    assert risk_weight(worst, key_item=True) == 1 + 3 + 4 + 3
    assert risk_weight(Entity.from_dict(entity(1)), key_item=True) == 1
    assert risk_weight(Entity.from_dict(entity(1, complaints=2)), key_item=True) == 3
    general = draw(plan(key_item=False), SEED, ENTITIES, INSPECTORS, LAST)
    assert general["total_weight"] == general["population"] == len(ENTITIES)


def test_a_weight_3_entity_is_drawn_more_often_than_weight_1_entities() -> None:
    entities = [entity(1, complaints=2), *(entity(n) for n in range(2, 11))]
    one_of_ten = plan(ratio_permille=100)
    counts = Counter(
        draw(one_of_ten, seed(str(i)), entities, INSPECTORS, {})["selections"][0]["credit_code"]
        for i in range(300)
    )
    heavy = counts.pop(credit_code(1))
    assert heavy > 2 * max(counts.values())  # expected 3/12 of 300 = 75 against 25 each


def test_each_entity_gets_distinct_inspectors_of_its_department_without_conflicts() -> None:
    outcome = everyone_drawn()
    pool = {i["inspector_id"]: Inspector.from_dict(i) for i in INSPECTORS[:6]}
    for selection in outcome["selections"]:
        chosen = selection["inspectors"]
        assert len(set(chosen)) == len(chosen) == 2
        assert "unstaffed" not in selection
        target = Entity.from_dict(entity(int(selection["credit_code"][12:17])))
        last = LAST.get(target.credit_code, [])
        assert all(recusal_reason(pool[who], target, last) is None for who in chosen)


def test_each_exclusion_is_recorded_as_a_recusal_with_its_reason() -> None:
    recusals = everyone_drawn()["recusals"]
    assert sorted((r["credit_code"], r["inspector_id"], r["reason"]) for r in recusals) == [
        (credit_code(1), "scjg-001", "relation"),
        (credit_code(2), "scjg-003", "last_inspection"),
        (credit_code(2), "scjg-004", "last_inspection"),
        (credit_code(3), "scjg-002", "same_grid"),
        (credit_code(4), "scjg-005", "same_grid"),
    ]


def test_an_inspector_recuses_with_the_first_reason_that_applies() -> None:
    target = Entity.from_dict(entity(3))
    everything = Inspector.from_dict(inspector(9, grid=DUYING_1, relations=[credit_code(3)]))
    assert recusal_reason(everything, target, ["scjg-009"]) == "relation"
    neighbour = Inspector.from_dict(inspector(9, grid=DUYING_1))
    assert recusal_reason(neighbour, target, ["scjg-009"]) == "same_grid"
    nowhere = Entity.from_dict({**entity(3), "grid": None})
    assert recusal_reason(Inspector.from_dict(inspector(9)), nowhere, []) is None


def test_an_inactive_inspector_or_one_of_another_department_is_never_drawn() -> None:
    seen: set[str] = set()
    for i in range(40):
        outcome = draw(plan(ratio_permille=1000), seed(str(i)), ENTITIES, INSPECTORS, LAST)
        seen |= {who for s in outcome["selections"] for who in s["inspectors"]}
        seen |= {r["inspector_id"] for r in outcome["recusals"]}
    assert seen == {f"scjg-{n:03d}" for n in range(1, 7)}


def test_an_entity_with_too_few_eligible_inspectors_is_marked_unstaffed() -> None:
    few = [inspector(1, relations=[credit_code(1)]), inspector(2), inspector(3)]
    last = {credit_code(1): ["scjg-002"]}
    outcome = draw(plan(ratio_permille=1000), SEED, ENTITIES[:3], few, last)
    by_code = {s["credit_code"]: s for s in outcome["selections"]}
    assert by_code[credit_code(1)]["unstaffed"] is True
    assert by_code[credit_code(1)]["inspectors"] == ["scjg-003"]
    assert all("unstaffed" not in by_code[credit_code(n)] for n in (2, 3))


def published(**changes: Any) -> dict[str, Any]:
    record = published_record(plan(**changes), SEED, ENTITIES, INSPECTORS, LAST)
    return json.loads(json.dumps(record, ensure_ascii=False))  # as the public endpoint serves it


def test_an_untouched_published_record_verifies() -> None:
    record = published()
    assert verify(record) == []
    assert {"entities", "inspectors", "last_inspectors", "seed", "commitment"} <= record.keys()


def test_a_tampered_seed_is_reported_as_a_commitment_mismatch() -> None:
    record = published()
    record["seed"] = OTHER_SEED
    problems = verify(record)
    assert any(p.startswith("commitment:") and "not the committed" in p for p in problems)
    assert any(p.startswith("selection ") for p in problems)


def test_an_entity_added_to_the_directory_is_reported_with_a_different_draw() -> None:
    record = published()
    record["entities"].append(entity(13, abnormal=True, complaints=3, failed_inspections=2))
    problems = verify(record)
    assert any(p.startswith("entities_hash:") for p in problems)
    assert any(p.startswith("population:") for p in problems)
    assert any(p.startswith("selection ") for p in problems)


def test_an_entity_removed_from_the_directory_is_reported() -> None:
    record = published()
    drawn = record["selections"][0]["credit_code"]
    record["entities"] = [e for e in record["entities"] if e["credit_code"] != drawn]
    problems = verify(record)
    assert any(p.startswith("entities_hash:") for p in problems)
    assert any(p.startswith("selection 1:") for p in problems)


def test_changed_weight_inputs_are_reported_as_a_hash_mismatch() -> None:
    record = published()
    record["entities"][5]["complaints"] = 3
    problems = verify(record)
    assert any(p.startswith("entities_hash:") for p in problems)
    assert any(p.startswith("total_weight:") for p in problems)


def test_a_tampered_selection_is_named() -> None:
    record = published()
    record["selections"][1]["inspectors"] = ["scjg-006", "scjg-001"]
    problems = verify(record)
    assert len(problems) == 1
    assert problems[0].startswith("selection 2: published")


def test_a_hidden_relation_is_reported_with_the_recusal_it_removes() -> None:
    record = published(ratio_permille=1000)
    assert record["inspectors"][0]["relations"] == [credit_code(1)]
    record["inspectors"][0]["relations"] = []
    problems = verify(record)
    assert any(p.startswith("inspectors_hash:") for p in problems)
    assert any(p.startswith("recusal ") for p in problems)


def test_the_procedure_is_integer_only_and_uses_no_random_module() -> None:
    tree = ast.parse(inspect.getsource(draw_procedure))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert imported <= {"__future__", "hashlib", "hmac", "json", "collections", "dataclasses"} | {
        "itertools",
        "typing",
    }
    assert not any(
        isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(tree)
    )
    assert not any(isinstance(n, ast.Div) for n in ast.walk(tree))
    assert not any(isinstance(n, ast.Name) and n.id == "float" for n in ast.walk(tree))


def bad(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "plan": plan(),
        "seed_hex": SEED,
        "entities": ENTITIES,
        "inspectors": INSPECTORS,
        "last_inspectors": LAST,
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (bad(seed_hex=SEED[:-2]), "seed"),
        (bad(seed_hex=SEED.upper()), "seed"),
        (bad(plan=plan(ratio_permille=0)), "ratio_permille"),
        (bad(plan=plan(ratio_permille=1001)), "ratio_permille"),
        (bad(plan=plan(ratio_permille=True)), "ratio_permille"),
        (bad(plan=plan(inspectors_per_entity=1)), "inspectors_per_entity"),
        (bad(plan={k: v for k, v in plan().items() if k != "department"}), "department"),
        (bad(entities=[*ENTITIES, entity(1, complaints=1)]), "credit_code"),
        (bad(inspectors=[*INSPECTORS, inspector(3)]), "inspector_id"),
        (bad(entities=[{**entity(1), "credit_code": "91370830MA3C0000I1"}]), "credit_code"),
        (bad(entities=[{**entity(1), "complaints": -1}]), "complaints"),
        (bad(entities=[{**entity(1), "abnormal": "no"}]), "abnormal"),
        (bad(inspectors=[{**inspector(1), "relations": ["not-a-code"]}]), "relations"),
        (bad(last_inspectors={credit_code(1): "scjg-001"}), "last_inspectors"),
    ],
)
def test_invalid_inputs_raise_value_error_naming_the_field(
    arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        draw(**arguments)


def test_the_fast_sample_is_the_published_walk() -> None:
    """`_sample` (a Fenwick tree) selects exactly what section 5's walk selects."""
    import random

    from chalicelib.domain.draw_procedure import _random, _sample

    def walk(seed: bytes, prefix: str, candidates: list, count: int) -> list:
        """Section 5 word for word: walk the remaining weights until r falls in one."""
        remaining, chosen = list(candidates), []
        for i in range(count):
            r = _random(seed, f"{prefix}|{i}") % sum(w for _, w in remaining)
            index = 0
            while r >= remaining[index][1]:
                r -= remaining[index][1]
                index += 1
            chosen.append(remaining.pop(index))
        return chosen

    rng = random.Random(7)
    for trial in range(200):
        size = rng.randint(1, 60)
        candidates = [(f"c{n}", rng.randint(1, 11)) for n in range(size)]
        seed = bytes(rng.getrandbits(8) for _ in range(32))
        count = rng.randint(0, size)
        prefix = f"bianmin-draw/1|entity|P{trial}"
        assert _sample(seed, prefix, candidates, count) == walk(seed, prefix, candidates, count)
