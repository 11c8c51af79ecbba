"""Frozen dataclasses read from a table row whose columns carry the same names as their fields."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from models.rows import record

R = TypeVar("R", bound="Record")


class Record:
    @classmethod
    def from_row(cls: type[R], row: Any) -> R:
        """Every field from the row's column of the same name (other columns are ignored)."""
        names = cls.__dict__.get("_record_fields")
        if names is None:  # once per class: dataclasses.fields() is slow enough to show in a page's profile
            names = tuple(f.name for f in fields(cls))
            type.__setattr__(cls, "_record_fields", names)
        return record(cls, names, row)  # positional, in the fields' order: faster
