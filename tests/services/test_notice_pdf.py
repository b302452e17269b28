"""Every written notice renders with its CJK font embedded as a subset: a PDF text extractor
gets the Chinese back (the ToUnicode map), and one page is drawn to an image."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from chalicelib.domain.application import Application
from chalicelib.domain.common import Text
from chalicelib.domain.county import County
from chalicelib.domain.notice import NoticeKind
from chalicelib.domain.window import Receipt
from chalicelib.services import notice_pdf, notice_texts
from chalicelib.services.notice_texts import NoticeFacts
from tests.support.applications import id_number
from tests.support.entities import service_request

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def _county() -> County:
    return County.model_validate_json((ROOT / "data/counties/370830/county.json").read_text())


def _application() -> Application:
    limits = {
        "acceptance_days": 1,
        "promised_days": 5,
        "legal_days": 20,
        "promised_due": "2026-12-04",
        "legal_due": "2026-12-25",
    }
    data: dict[str, Any] = {
        "application_id": "01KB0000000000000000000000",
        "number": "WS20261127-000001",
        "owner_id": "C1",
        "service_code": "370830-QR-0001",
        "service_version": 1,
        "service_name": "中小微企业认定证明",
        "service_name_en": "SME certification",
        "lead_department": "jxj",
        "review_departments": ["jxj"],
        "review_rule": "all",
        "materials": [],
        "jurisdiction": "370830001",
        "applicant": {
            "kind": "person",
            "name": "王小明",
            "id_number": id_number(),
            "phone": "13953700002",
        },
        "delivery": {"method": "pickup"},
        "status": "accepted",
        "created_at": AT.isoformat(),
        "submitted_at": AT.isoformat(),
        "limits": limits,
    }
    return Application.model_validate(data)


FACTS = {
    NoticeKind.ACCEPTANCE: (NoticeFacts(), ["受理通知书", "决定予以受理", "5个工作日", "法定"]),
    NoticeKind.NON_ACCEPTANCE: (
        NoticeFacts(reason="该事项不属于本机关职权范围"),
        ["不予受理通知书", "不属于本机关职权范围", "行政复议", "六个月"],
    ),
    NoticeKind.SUPPLEMENT: (
        NoticeFacts(items=("营业执照副本：复印件不清晰", "审计报告：缺少骑缝章")),
        ["补正材料通知书", "一次性告知", "复印件不清晰", "缺少骑缝章"],
    ),
    NoticeKind.APPROVAL: (
        NoticeFacts(items=("县经济和信息化局：同意认定",)),
        ["准予行政许可决定书", "准予行政许可", "同意认定"],
    ),
    NoticeKind.DENIAL: (
        NoticeFacts(items=("县公安局：住所不符合要求",)),
        ["不予行政许可决定书", "住所不符合要求", "六十日内", "汶上县人民政府", "六个月内"],
    ),
    NoticeKind.RECEIPT: (
        NoticeFacts(received=("营业执照副本 1份", "审计报告 1份")),
        ["受理回执", "营业执照副本 1份", "扫码查询办理进度"],
    ),
}


def _render(kind: NoticeKind) -> tuple[bytes, bool]:
    given, _ = FACTS[kind]
    content = notice_texts.content(kind, _application(), _county(), given, AT)
    url = "https://bianmin.example.cn/certificates/ABCDEFGHJKLM"
    follow = url if kind is NoticeKind.RECEIPT else None
    content = replace(content, verify_code="ABCDEFGHJKLM", verify_url=url, follow_url=follow)
    return notice_pdf.render(content)


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_notice_embeds_its_font_and_its_chinese_text_extracts(kind: NoticeKind) -> None:
    pdf, embedded = _render(kind)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = text.replace("\n", "").replace(" ", "")
    for phrase in [*FACTS[kind][1], "汶上县政务服务中心", "WS20261127-000001", "ABCDEFGHJKLM"]:
        assert phrase.replace(" ", "") in flat, (phrase, text)
    assert embedded
    assert b"/FontFile2" in pdf and b"/STSong-Light" not in pdf  # embedded, nothing borrowed
    assert len(pdf) < 120_000  # a subset, not the 2.8 MB font


def _text(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\n", "").replace(" ", "")


def test_a_walk_in_request_s_receipt_prints_what_its_json_receipt_says() -> None:
    # GIVEN a request filed at 郭楼镇's hall, and the receipt the desk shows for it
    req = service_request(channel="window", hall="370830007", status="submitted")
    told = Receipt(
        kind="request",
        case_id=req.request_id,
        number=req.number,
        title=Text(zh=req.category_name, en=req.category_name_en),
        channel="window",
        hall="370830007",
        hall_name="郭楼镇",
        status="submitted",
        status_label=Text(zh="已提交", en="Submitted"),
        visitor_name="张桂兰",
        visitor_phone="139****0021",
        filed_at=AT,
        materials=[],
        promised_date=date(2026, 12, 7),
        promised_basis="latest",
        follow_url="https://bianmin.example.cn/requests/01M8DBP780000000000000000A",
        follow=Text(zh="扫描二维码，或用手机号 139****0021 登录查看。", en="Scan it."),
    )
    facts = NoticeFacts(received=("现场材料（扫描件）（来访材料.jpg）",), receipt=told)
    # WHEN it is printed
    content = notice_texts.content(NoticeKind.RECEIPT, req, _county(), facts, AT)
    pdf, embedded = notice_pdf.render(replace(content, follow_url=told.follow_url))
    # THEN the hall, the visitor, the case, its category, what was received, the latest date
    # and how to follow it are on it
    text = _text(pdf)
    for phrase in ("受理回执", "郭楼镇便民服务中心", "张桂兰", req.number, "“道路”诉求"):
        assert phrase in text, (phrase, text)
    for phrase in (
        "来访材料.jpg",
        "最迟办结日期：2026年12月7日",
        "139****0021",
        "扫码查询办理进度",
    ):
        assert phrase in text, (phrase, text)
    assert embedded and content.issuer == "郭楼镇便民服务中心"
    # a request has no other notice (the licensing law's are an application's)
    with pytest.raises(TypeError):
        notice_texts.content(NoticeKind.ACCEPTANCE, req, _county(), NoticeFacts(), AT)


def test_a_character_beyond_the_shipped_font_falls_back_and_says_so() -> None:
    content = notice_texts.content(
        NoticeKind.NON_ACCEPTANCE, _application(), _county(), NoticeFacts(reason="𠮷"), AT
    )
    pdf, embedded = notice_pdf.render(content)
    assert not embedded and b"/STSong-Light" in pdf


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_notice_page_draws_to_an_image(tmp_path: Path) -> None:
    pdf, _ = _render(NoticeKind.SUPPLEMENT)
    (tmp_path / "notice.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-singlefile", "notice.pdf", "notice"],
        cwd=tmp_path,
        check=True,
    )
    image = (tmp_path / "notice.png").read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 5_000
