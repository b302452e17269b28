"""Powertools Logger, Metrics and Tracer, created once for the whole app.

The Tracer is built on first use, and only when tracing is on: constructing it imports the
X-Ray SDK (~250 ms), which would otherwise be paid at every cold start, including in regions
where X-Ray is switched off (POWERTOOLS_TRACE_DISABLED=true).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "bianmin"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Bianmin", service=SERVICE)


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true"}
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not disabled


@lru_cache(maxsize=1)
def get_tracer() -> Tracer | None:
    if not tracing_enabled():
        return None
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=SERVICE)
    tracer.patch(["boto3", "botocore"])
    return tracer
