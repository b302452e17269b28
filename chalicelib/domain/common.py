"""Shared building blocks of the domain models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Strict(BaseModel):
    """Base of every boundary model: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,15}$")]


class Text(Strict):
    """User-facing text in Chinese with English alongside."""

    zh: NonEmpty
    en: NonEmpty


class Page(Strict):
    """Pagination parameters shared by list routes."""

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=1000)
