"""The wording of each written notice, from the case and its county (pure: no I/O).

Arts. 32 (acceptance, non-acceptance, the once-only supplement), 38 (the decision; a denial
gives its reasons and the right to reconsideration or a lawsuit) and 40 (the decision is
public) of the Administrative Licensing Law (行政许可法); the periods are those of the
Administrative Reconsideration Law (60 days, art. 20) and the Administrative Procedure Law
(6 months, art. 46); reconsideration goes to the county's people's government.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.application import Application
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.county import County
from chalicelib.domain.notice import TITLES, NoticeKind
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.window import Receipt
from chalicelib.services.notice_pdf import NoticeContent

Case = Application | ServiceRequest  # what a notice is about (a request: only its receipt)
FOLLOW_ONLINE = "扫描右下方二维码，或使用登记的手机号登录便民服务平台查询；"
DELIVERY = {"pickup": "到窗口领取", "mail": "邮寄送达", "electronic": "电子证照送达"}


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice says beyond the case itself."""

    reason: str | None = None  # non-acceptance
    items: tuple[str, ...] = ()  # supplement: "material: what is wrong"; decision: opinions
    received: tuple[str, ...] = ()  # receipt: the materials received
    # a request's receipt: the receipt the desk gives the visitor (the JSON one), whose hall,
    # visitor, promised date and way to follow the case the printed one repeats
    receipt: Receipt | None = None


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    day = beijing_date(value) if isinstance(value, datetime) else value
    return f"{day:%Y}年{day.month}月{day.day}日"


def _remedy(county: County, document: str) -> str:
    return (
        f"如不服本{document}，可以自收到本{document}之日起六十日内向{county.name}人民政府"
        f"申请行政复议，或者自收到本{document}之日起六个月内依法向人民法院提起行政诉讼。"
    )


def _opening(app: Application) -> str:
    return (
        f"你（单位）于{_day(app.submitted_at)}提出的“{app.service_name}”（{app.service_code}）申请"
    )


def content(
    kind: NoticeKind, case: Case, county: County, facts: NoticeFacts, at: datetime
) -> NoticeContent:
    """The notice of `kind` for `case` at `at` (no verification code or URL yet); a request
    has only a receipt (the licensing law's notices are an application's)."""
    if kind is NoticeKind.RECEIPT:
        return _receipt(case, county, facts, at)
    if not isinstance(case, Application):
        raise TypeError(f"A {kind.value} notice is an application's.")
    return _licensing(kind, case, county, facts, at)


def _licensing(
    kind: NoticeKind, app: Application, county: County, facts: NoticeFacts, at: datetime
) -> NoticeContent:
    title = TITLES[kind][0]
    limits = app.limits
    paragraphs: list[str]
    items: list[str] = list(facts.items)
    closing: list[str] = []
    if kind is NoticeKind.ACCEPTANCE:
        paragraphs = [
            f"{_opening(app)}，申请材料齐全、符合法定形式。根据《中华人民共和国行政许可法》"
            "第三十二条第一款第（五）项的规定，本机关决定予以受理。",
            f"受理日期：{_day(at)}。承诺办结时限：{limits.promised_days}个工作日"
            f"（{_day(limits.promised_due)}前）；法定办结时限：{limits.legal_days}个工作日"
            f"（{_day(limits.legal_due)}前）。依法需要听证、检验、检测、鉴定和专家评审的，"
            "所需时间不计算在上述期限内。",
            f"你可以凭办件编号 {app.number} 登录便民服务平台查询办理进度，"
            f"或拨打咨询电话 {county.hotline}。",
        ]
    elif kind is NoticeKind.NON_ACCEPTANCE:
        paragraphs = [
            f"{_opening(app)}，经审查：{facts.reason or '不符合受理条件'}。根据《中华人民共和国"
            "行政许可法》第三十二条的规定，本机关决定不予受理。",
            _remedy(county, "通知书"),
        ]
    elif kind is NoticeKind.SUPPLEMENT:
        paragraphs = [
            f"{_opening(app)}，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》"
            "第三十二条第一款第（四）项的规定，现一次性告知你（单位）需要补正的全部内容如下：",
            "请按上述要求补正全部材料后重新提交。补正材料期间不计入办理时限；"
            "补正材料齐全、符合法定形式的，本机关将予以受理。",
            f"咨询电话：{county.hotline}。",
        ]
    elif kind is NoticeKind.APPROVAL:
        paragraphs = [
            f"{_opening(app)}，经审查，符合法定条件、标准。根据《中华人民共和国行政许可法》"
            "第三十八条第一款的规定，本机关决定准予行政许可。审批意见如下：",
            f"许可证件将由统一出件窗口出具，{DELIVERY.get(app.delivery.method, '送达')}。"
            "根据该法第四十条的规定，准予行政许可的决定将予以公开，公众有权查阅。",
        ]
    else:  # the denial
        paragraphs = [
            f"{_opening(app)}，经审查，不符合法定条件、标准，理由如下：",
            "根据《中华人民共和国行政许可法》第三十八条第二款的规定，本机关决定不予行政许可。",
            _remedy(county, "决定书"),
        ]
    return NoticeContent(
        title=title,
        case_number=app.number,
        addressee=app.applicant.name,
        paragraphs=paragraphs,
        items=items,
        closing=closing,
        issuer=county.service_centre,
        issued_at=at,
    )


def _receipt(case: Case, county: County, facts: NoticeFacts, at: datetime) -> NoticeContent:
    """受理回执: who received what case and when, the materials, by when, how to follow it."""
    if isinstance(case, Application):
        issuer, addressee = county.service_centre, case.applicant.name
        filed = f"你（单位）办理“{case.service_name}”（{case.service_code}）的申请"
        due, follow = _application_due(case), FOLLOW_ONLINE
    else:
        told = facts.receipt
        if told is None:
            raise TypeError("A request's receipt repeats its JSON receipt: pass it.")
        issuer, addressee = _hall(county, told), told.visitor_name
        filed = f"你反映的“{case.category_name}”诉求"
        due, follow = _request_due(case, told), told.follow.zh
    return NoticeContent(
        title=TITLES[NoticeKind.RECEIPT][0],
        case_number=case.number,
        addressee=addressee,
        paragraphs=[
            f"{issuer}已于{_day(at)}收到{filed}，办件编号 {case.number}。收到的材料如下：",
            due,
            f"查询办理进度：{follow}咨询电话 {county.hotline}。",
        ],
        items=list(facts.received) or ["（无）"],
        issuer=issuer,
        issued_at=at,
        follow_text="扫码查询办理进度",
    )


def _application_due(app: Application) -> str:
    limits = app.limits
    promised = limits.promised_due or limits.acceptance_due
    return (
        f"{'承诺办结日期' if limits.promised_due else '受理期限'}：{_day(promised)}"
        f"（承诺办结时限 {limits.promised_days} 个工作日，自受理之日起计算）。"
    )


def _request_due(req: ServiceRequest, told: Receipt) -> str:
    if told.promised_basis == "promised":
        return f"承诺办结日期：{_day(told.promised_date)}（受理后 {req.sla_days} 个工作日内办结）。"
    return (
        f"最迟办结日期：{_day(told.promised_date)}（下一个工作日内受理，"
        f"受理后 {req.sla_days} 个工作日内办结）。"
    )


def _hall(county: County, told: Receipt) -> str:
    """Who received it: the county's centre, or the township's 便民服务中心."""
    if told.hall is None or told.hall == county.code or not told.hall_name:
        return county.service_centre
    return f"{told.hall_name}便民服务中心"
