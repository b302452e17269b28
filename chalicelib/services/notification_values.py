"""The values a notification's inbox template is filled with, from the case and its event:
what the applicant needs to act (the reason, each material, the dates, how to collect), never
more. A value a case does not have is left out (the template's sample is not used)."""

from __future__ import annotations

from chalicelib.domain.application import Application
from chalicelib.domain.calendar import BEIJING
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.request import ServiceRequest


def template_values(
    case: Application | ServiceRequest, event: TimelineEvent, county: str, samples: dict[str, str]
) -> dict[str, str]:
    values = {name: "" for name in samples}
    when = event.at.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")
    values |= {"number": case.number, "county": county, "time": when}
    if isinstance(case, ServiceRequest):
        values |= {
            "category": case.category_name,
            "subject": case.category_name,
            "reason": event.comment or "",
            "reply": event.comment or event.title.zh,
            # 已分派至县住建局、县供电公司联合办理 → the departments' names
            "departments": event.title.zh.removeprefix("已分派至")
            .removesuffix("联合办理")
            .removesuffix("办理"),
        }
        return values
    values |= {
        "service": case.service_name,
        "subject": case.service_name,
        "acceptance_due": str(event.data.get("acceptance_due", "")),
        "promised_due": str(event.data.get("promised_due", "")),
        "legal_due": str(event.data.get("legal_due", "")),
        "reason": _reason(case, event),
        "materials": _materials(case, event),
        "departments": event.title.zh.partition("：")[2],
        "certificate": case.certificate.number if case.certificate else "",
        "collection": _collection(case),
        "measures": case.rectification.measures or "" if case.rectification else "",
    }
    return values


def _reason(case: Application, event: TimelineEvent) -> str:
    if event.type == "not_accepted":
        return case.not_accepted_reason or event.title.zh.partition("：")[2]
    if event.type == "denied":
        return event.title.zh.partition("：")[2]
    return ""


def _materials(case: Application, event: TimelineEvent) -> str:
    names = {m.code: m.name for m in case.materials}
    notes = event.data.get("materials") or []
    return "；".join(
        f"{names.get(n['material_code'], n['material_code'])}（{n['reason']}）"
        for n in notes
        if isinstance(n, dict)
    )


def _collection(case: Application) -> str:
    state = case.delivery_state
    if state is None:
        return ""
    if state.method == "mail":
        return f"已交{state.carrier}邮寄，运单号 {state.tracking_number}。"
    if state.method == "pickup":
        return "请凭取件码到政务服务中心统一出件窗口领取（取件码见申请详情）。"
    return "电子证照已送达，可在申请详情中下载。"
