"""The Reports page: each report, its last runs and a preview; the print views of the scorecard and a KPI page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/reports")
