"""The industries and categories of library entries (kept apart: the CLI reads them at start-up)."""

from __future__ import annotations

from enum import StrEnum


class Industry(StrEnum):
    """Who an entry serves; ``onpace init --template`` takes one of these."""

    retail = "retail"
    saas = "saas"
    manufacturing = "manufacturing"
    healthcare = "healthcare"
    it = "it"
    general = "general"

    @property
    def label(self) -> str:
        return INDUSTRY_LABELS[self]


INDUSTRY_LABELS = {
    Industry.retail: "retail",
    Industry.saas: "SaaS",
    Industry.manufacturing: "manufacturing",
    Industry.healthcare: "healthcare",
    Industry.it: "IT",
    Industry.general: "general",
}


class Category(StrEnum):
    """The business area of an entry: one definitions file per category."""

    sales = "sales"
    marketing = "marketing"
    customers = "customers"
    support = "support"
    people = "people"
    finance = "finance"
    operations = "operations"
    manufacturing = "manufacturing"
    it = "it"
    healthcare = "healthcare"
