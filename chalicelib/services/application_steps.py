"""Where an application stands for the people following it: the current step, who holds
it, and what the applicant should do next (the app shows both on the case page)."""

from __future__ import annotations

from chalicelib.domain.application import Application
from chalicelib.domain.application_api import Holder, NextAction, Step
from chalicelib.domain.application_parts import STATUS_LABELS, Document, DocumentStatus, Status
from chalicelib.domain.common import Text

WINDOW = Text(zh="县政务服务中心综合受理窗口", en="County one-window acceptance desk")
ISSUANCE_WINDOW = Text(zh="县政务服务中心统一出件窗口", en="County unified issuance window")

Position = tuple[Step, NextAction | None]


def label(status: Status) -> Text:
    zh, en = STATUS_LABELS[status]
    return Text(zh=zh, en=en)


def material_name(app: Application, code: str) -> str:
    return next((m.name for m in app.materials if m.code == code), code)


def missing_materials(app: Application, documents: list[Document]) -> list[str]:
    """Required materials with no clean document."""
    clean = {d.material_code for d in documents if d.status is DocumentStatus.CLEAN}
    return [m.code for m in app.materials if m.required and m.code not in clean]


def _applicant() -> Holder:
    return Holder(kind="applicant", label=Text(zh="申请人", en="The applicant"))


def _window(label_text: Text) -> Holder:
    return Holder(kind="window", departments=["zwfw"], label=label_text)


def _step(zh: str, en: str, holder: Holder) -> Step:
    return Step(name=Text(zh=zh, en=en), holder=holder)


def _action(code: str, zh: str, en: str, materials: list[str] | None = None) -> NextAction:
    return NextAction(code=code, text=Text(zh=zh, en=en), materials=materials or [])


def _draft(app: Application, documents: list[Document]) -> Position:
    step = _step("网上申请", "Apply online", _applicant())
    missing = missing_materials(app, documents)
    if missing:
        names = "、".join(material_name(app, c) for c in missing)
        return step, _action(
            "upload_materials",
            "请上传所需材料：" + names,
            "Upload the required materials, then submit.",
            missing,
        )
    pending = [d.material_code for d in documents if d.status is DocumentStatus.PENDING]
    if pending:
        return step, _action(
            "wait_for_checks",
            "材料正在检查，请稍候。",
            "Your documents are being checked.",
            pending,
        )
    return step, _action("submit", "材料齐全，请提交申请。", "All materials are in: submit.")


def _supplement(app: Application) -> Position:
    codes = [item.material_code for item in app.supplement or []]
    names = "、".join(material_name(app, c) for c in codes)
    return _step("补正材料", "Supplement materials", _applicant()), _action(
        "supplement",
        "请一次性补正以下材料后重新提交：" + names,
        "Replace the listed materials, then send the supplement.",
        codes,
    )


def _issued(app: Application) -> Position:
    state = app.delivery_state
    if state is not None and state.method == "pickup":
        return _step("窗口领取", "Pickup", _applicant()), _action(
            "pick_up",
            "请凭取件码到政务服务中心窗口领取证书。",
            "Collect the certificate at the window with your pickup code.",
        )
    return _step("邮寄送达", "In the post", _window(ISSUANCE_WINDOW)), _action(
        "wait", "证书已邮寄，请注意查收。", "The certificate is in the post."
    )


def current_step(app: Application, documents: list[Document]) -> Position:
    """The step the application is at and the applicant's next action (None: nothing)."""
    status = app.status
    if status is Status.DRAFT:
        return _draft(app, documents)
    if status is Status.SUPPLEMENT_REQUIRED:
        return _supplement(app)
    if status is Status.ISSUED:
        return _issued(app)
    if status is Status.SUBMITTED:
        return _step("综合受理", "Acceptance", _window(WINDOW)), _action(
            "wait", "等待综合受理窗口审核材料。", "Waiting for the acceptance desk."
        )
    if status in (Status.ACCEPTED, Status.IN_REVIEW):
        departments = Holder(
            kind="departments",
            departments=list(app.review_departments),
            label=Text(zh="部门并联审批", en="Parallel review by the departments"),
        )
        return _step("并联审批", "Parallel review", departments), _action(
            "wait", "部门审批中，请等待结果。", "The departments are reviewing."
        )
    if status is Status.APPROVED:
        return _step("统一出件", "Issuance", _window(ISSUANCE_WINDOW)), _action(
            "wait", "审批通过，等待统一出件。", "Approved; the certificate is being issued."
        )
    if status is Status.COMPLETED and app.rating is None:
        return Step(name=label(status)), _action(
            "rate", "已办结，请对本次服务作出评价。", "Completed: please rate the service."
        )
    return Step(name=label(status)), None
