"""onpace: business metrics and KPIs computed from your own data."""

from __future__ import annotations

__version__ = "0.1.0"
