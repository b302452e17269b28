"""Written notices (书面凭证) the Administrative Licensing Law requires at each step of an
application (arts. 32, 38, 40), and the window's receipt for a walk-in visitor."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import Instant, Strict


class NoticeKind(StrEnum):
    ACCEPTANCE = "acceptance"  # 受理通知书 (art. 32)
    NON_ACCEPTANCE = "non_acceptance"  # 不予受理通知书 (art. 32)
    SUPPLEMENT = "supplement"  # 补正材料通知书 (art. 32 (4): once, everything)
    APPROVAL = "approval"  # 准予行政许可决定书 (arts. 38, 40)
    DENIAL = "denial"  # 不予行政许可决定书 (art. 38: reasons, reconsideration, lawsuit)
    RECEIPT = "receipt"  # 受理回执: the walk-in visitor's receipt


TITLES: dict[NoticeKind, tuple[str, str]] = {
    NoticeKind.ACCEPTANCE: ("受理通知书", "Notice of acceptance"),
    NoticeKind.NON_ACCEPTANCE: ("不予受理通知书", "Notice of non-acceptance"),
    NoticeKind.SUPPLEMENT: ("补正材料通知书", "Notice to supplement materials"),
    NoticeKind.APPROVAL: ("准予行政许可决定书", "Decision granting the licence"),
    NoticeKind.DENIAL: ("不予行政许可决定书", "Decision refusing the licence"),
    NoticeKind.RECEIPT: ("受理回执", "Receipt"),
}


class Notice(BaseModel):
    """A notice as stored: on its case (`NOTICE#<id>`) and under its public code."""

    model_config = ConfigDict(extra="ignore")

    notice_id: str = Field(description="The id of the timeline event it was issued with")
    kind: NoticeKind
    code: str
    case_id: str
    case_number: str
    service_name: str
    service_name_en: str
    holder: str = Field(description="The applicant's name, masked as public checks show it")
    issuer: str
    issued_at: Instant
    object_key: str
    embedded: bool = Field(
        default=True, description="Every character is in the embedded font (none fell back)"
    )

    @property
    def title(self) -> str:
        return TITLES[self.kind][0]


class NoticeView(Strict):
    notice_id: str
    kind: NoticeKind
    title: str
    title_en: str
    issued_at: Instant
    verify_code: str
    verify_path: str

    @classmethod
    def of(cls, notice: Notice) -> NoticeView:
        zh, en = TITLES[notice.kind]
        return cls(
            notice_id=notice.notice_id,
            kind=notice.kind,
            title=zh,
            title_en=en,
            issued_at=notice.issued_at,
            verify_code=notice.code,
            verify_path=f"/certificates/{notice.code}",
        )


class NoticeList(Strict):
    items: list[NoticeView] = Field(description="Oldest first")


class NoticeLink(Strict):
    url: str
    expires_in: int
