"""Loads the definitions shared by the deploy template and the local stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABLE_FILE = ROOT / "infra" / "dynamodb-table.json"
ASL_FILE = ROOT / "chalicelib" / "workflows" / "approval.asl.json"
DATA_DIR = ROOT / "data"


def table_definition() -> dict[str, Any]:
    """KeySchema, AttributeDefinitions, GlobalSecondaryIndexes, BillingMode (API shape)."""
    raw = json.loads(TABLE_FILE.read_text())
    return {
        "KeySchema": raw["KeySchema"],
        "AttributeDefinitions": raw["AttributeDefinitions"],
        "GlobalSecondaryIndexes": [
            {k: v for k, v in gsi.items() if k != "Comment"}
            for gsi in raw["GlobalSecondaryIndexes"]
        ],
        "BillingMode": raw["BillingMode"],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": raw["StreamViewType"]},
    }


def ttl_attribute() -> str:
    return str(json.loads(TABLE_FILE.read_text())["TimeToLiveAttribute"])


def state_machine_definition() -> str:
    """The approval workflow's ASL, with ${...} placeholders the template and the local stack
    fill in (DefinitionSubstitutions semantics)."""
    return ASL_FILE.read_text()


def substitute(definition: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        definition = definition.replace("${" + key + "}", value)
    return definition
