"""Marker: where a person stopped reading one timeline."""
from __future__ import annotations

from api.entities.formats import iso
from models.markers import Marker


def marker_entity(marker: Marker) -> dict:
    return {"last_read_id": str(marker.last_read_id), "version": marker.version,
            "updated_at": iso(marker.updated_at)}
