"""Frozen dataclasses read from a table row whose columns carry the same names as their fields."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    @classmethod
    def from_row(cls: type[R], row: Any) -> R:
        """Every field from the row's column of the same name (other columns are ignored)."""
        mapping = row._mapping
        return cls(**{f.name: mapping[f.name] for f in fields(cls)})  # type: ignore[arg-type]
