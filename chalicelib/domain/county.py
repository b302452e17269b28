"""Whose platform it is: the counties a deployment serves (a county's identity is data, never
code) and the platform above them (a city's or a province's).

A county's code is its GB/T 2260 code (370830 汶上县); its city's and province's codes are the
county's first four and two digits padded with zeros (370800 济宁市, 370000 山东省), which is
what lets a city's or a province's figures roll its counties up by code alone.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from chalicelib.domain.common import CountyCode, Name, RegionCode, Strict
from chalicelib.domain.reference import Position

# China's SMS signatures are 2–12 characters, sent between 【 and 】.
SmsSignature = Annotated[str, StringConstraints(min_length=2, max_length=12, pattern=r"^[^【】]+$")]


def is_region(code: str) -> bool:
    """Whether `code` names a city or a province (GB/T 2260 370800, 370000), not a county."""
    return len(code) == 6 and code.endswith("00")


def region_prefix(scope: str) -> str:
    """The prefix every code under `scope` starts with: a province's counties share its first
    two digits, a city's its first four; a county and the levels below it nest by the whole
    code."""
    if is_region(scope):
        return scope[:2] if scope.endswith("0000") else scope[:4]
    return scope


class Region(Strict):
    """A city (地级市) or a province above the counties."""

    code: RegionCode
    name: Name
    name_en: Name


class County(Strict):
    """One county's identity: what its case numbers, certificates, texts and partner
    documents say."""

    code: CountyCode
    name: Name
    name_en: Name
    city: Region
    province: Region
    case_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")] = Field(
        description="Starts every case and certificate number (WS20261127-000001, WS-2026-…)"
    )
    sms_signature: SmsSignature
    service_centre: Name = Field(description="Accepts and issues: the one window (政务服务中心)")
    service_centre_en: Name
    hotline: Annotated[str, StringConstraints(pattern=r"^[0-9-]{5,20}$")]
    boundary: list[Position] = Field(
        min_length=4,
        max_length=5000,
        description="The county's outline, a closed ring of [lng, lat] (WGS-84), simplified: "
        "a point is routed to the county whose outline holds it",
    )

    @model_validator(mode="after")
    def _nested(self) -> County:
        if self.boundary[0] != self.boundary[-1]:
            raise ValueError("boundary must be a closed ring")
        if self.city.code != f"{self.code[:4]}00":
            raise ValueError("city.code must be the county code's first four digits and 00")
        if self.province.code != f"{self.code[:2]}0000":
            raise ValueError("province.code must be the county code's first two digits and 0000")
        return self

    @property
    def issuer(self) -> str:
        """Who signs a certificate: the service centre's unified issuance (统一出件)."""
        return f"{self.service_centre}（统一出件）"

    def regions(self) -> list[Region]:
        return [self.province, self.city]


class Platform(Strict):
    """The deployment: one platform for a county, a city or a province of counties."""

    name: Name
    name_en: Name
    scope: CountyCode | RegionCode = Field(
        description="What the platform covers: its county, or the city or province of its "
        "counties (the public figures' default scope)"
    )
    sms_signature: SmsSignature
    counties: list[CountyCode] = Field(min_length=1)

    @model_validator(mode="after")
    def _covers(self) -> Platform:
        outside = [c for c in self.counties if not c.startswith(region_prefix(self.scope))]
        if outside:
            raise ValueError(f"counties {outside} lie outside the platform's scope {self.scope}")
        return self


class CountyView(Strict):
    """A county as a client shows it (its outline and SMS signature stay server-side)."""

    code: str
    name: str
    name_en: str
    city: Region
    province: Region
    service_centre: str
    service_centre_en: str
    hotline: str

    @classmethod
    def of(cls, county: County) -> CountyView:
        return cls.model_validate(county.model_dump(include=set(cls.model_fields)))


class CountyList(Strict):
    platform: str = Field(description="The platform's name")
    platform_en: str
    scope: str = Field(description="What it covers: a county, a city or a province (code)")
    items: list[CountyView]
