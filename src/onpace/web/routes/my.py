"""The My KPIs page: the KPIs a user owns or follows, their reviews due and alerts; following a KPI."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/my")
