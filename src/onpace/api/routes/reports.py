"""Reports over the API: list, runs, render (preview), send."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
