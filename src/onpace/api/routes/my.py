"""The signed-in user's KPIs (owned or followed) and following a KPI over the API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["my"])
