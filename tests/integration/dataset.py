"""The toy business of the integration suite, generated with a fixed seed.

A few hundred rows in four tables, shaped to hit the traps of a metric engine:

- ``customers``: some have no region (a null dimension value).
- ``orders``: 2023-01-01 to 2025-03-20 (the last month is partial), nothing in
  August 2023 and July 2024 (empty months), orders on the leap day 2024-02-29
  and on both sides of each new year.
- ``order_lines``: one to four lines per order; unshipped lines have a null
  ``shipped_date``.
- ``inventory``: weekly snapshots per warehouse, nothing in May 2023 and
  September 2024, some warehouses missing from some snapshots (also from the
  last snapshot of a month), a few rows without a warehouse, a snapshot on the
  leap day.

Every table is a list of tuples with a column spec; :mod:`.loaders` writes the
same rows with equivalent types (DATE, DECIMAL, INTEGER, VARCHAR) into each backend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal

SEED = 20240229
TABLE_PREFIX = "onpace_it_"

ColumnType = Literal["integer", "varchar", "date", "decimal(12,2)", "decimal(4,2)"]
Row = tuple[int | str | dt.date | Decimal | None, ...]


@dataclass(frozen=True)
class Table:
    name: str  # without the prefix: the name the check SQL uses
    columns: tuple[tuple[str, ColumnType], ...]
    rows: tuple[Row, ...]

    @property
    def backend_name(self) -> str:
        """The name of the table in the backends the engine reads (prefixed, to share a database safely)."""
        return TABLE_PREFIX + self.name


FIRST_DAY = dt.date(2023, 1, 1)
LAST_DAY = dt.date(2025, 3, 20)
EMPTY_ORDER_MONTHS = {(2023, 8), (2024, 7)}
EMPTY_INVENTORY_MONTHS = {(2023, 5), (2024, 9)}
MUST_HAVE_ORDERS = (
    FIRST_DAY,
    dt.date(2023, 2, 28),
    dt.date(2023, 12, 31),
    dt.date(2024, 1, 1),
    dt.date(2024, 2, 28),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 1),
    dt.date(2024, 12, 31),
    dt.date(2025, 1, 1),
    LAST_DAY,
)
REGIONS = ("north", "south", "east", "west")
SEGMENTS = ("consumer", "smb", "enterprise")
STATUSES = (
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "completed",
    "returned",
    "cancelled",
    "pending",
)
PRODUCTS = ("widget", "gadget", "gizmo", "doohickey")
DISCOUNTS = (Decimal("0.00"), Decimal("0.00"), Decimal("0.05"), Decimal("0.10"), Decimal("0.25"))
WAREHOUSES = ("ams", "nyc", "sgp")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount with two decimals in [low, high)."""
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _customers(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for cid in range(1, 41):
        region = None if cid % 9 == 0 else rng.choice(REGIONS)  # ids 9, 18, 27, 36 have no region
        rows.append((cid, region, rng.choice(SEGMENTS)))
    return rows


def _orders_and_lines(rng: random.Random) -> tuple[list[Row], list[Row]]:
    orders: list[Row] = []
    lines: list[Row] = []
    for day in _days(FIRST_DAY, LAST_DAY):
        if (day.year, day.month) in EMPTY_ORDER_MONTHS:
            continue
        count = 1 if day in MUST_HAVE_ORDERS else 0
        count += 1 if rng.random() < 0.38 else 0
        for _ in range(count):
            oid = len(orders) + 1
            status = rng.choice(STATUSES)
            orders.append((oid, rng.randint(1, 40), day, status, _money(rng, 10, 1000)))
            for line_no in range(1, rng.randint(1, 4) + 1):
                shipped = None if status == "pending" or rng.random() < 0.05 else day + dt.timedelta(rng.randint(0, 9))
                committed = day + dt.timedelta(rng.randint(2, 6))
                lines.append(
                    (
                        oid,
                        line_no,
                        rng.choice(PRODUCTS),
                        rng.randint(1, 10),
                        _money(rng, 1, 200),
                        rng.choice(DISCOUNTS),
                        shipped,
                        committed,
                    )
                )
    return orders, lines


def _inventory(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    snapshot_days = [d for d in _days(FIRST_DAY, LAST_DAY) if d.weekday() == 4]  # Fridays
    snapshot_days += [dt.date(2023, 12, 31), dt.date(2024, 2, 29), dt.date(2024, 12, 31)]
    for day in sorted(snapshot_days):
        if (day.year, day.month) in EMPTY_INVENTORY_MONTHS:
            continue
        last_of_month = (day + dt.timedelta(days=7)).month != day.month
        for warehouse in WAREHOUSES:
            # some warehouses miss some snapshots; 'sgp' often misses the last one of a month
            if rng.random() < 0.12 or (warehouse == "sgp" and last_of_month and rng.random() < 0.5):
                continue
            rows.append((day, warehouse, rng.randint(50, 500)))
        if day.month in (3, 11) and day.day <= 7:
            rows.append((day, None, rng.randint(1, 20)))  # stock not yet assigned to a warehouse
    return rows


@cache
def tables() -> tuple[Table, ...]:
    """The four tables (same rows on every call)."""
    rng = random.Random(SEED)
    customers = _customers(rng)
    orders, lines = _orders_and_lines(rng)
    inventory = _inventory(rng)
    return (
        Table("customers", (("id", "integer"), ("region", "varchar"), ("segment", "varchar")), tuple(customers)),
        Table(
            "orders",
            (
                ("id", "integer"),
                ("customer_id", "integer"),
                ("order_date", "date"),
                ("status", "varchar"),
                ("amount", "decimal(12,2)"),
            ),
            tuple(orders),
        ),
        Table(
            "order_lines",
            (
                ("order_id", "integer"),
                ("line_no", "integer"),
                ("product", "varchar"),
                ("qty", "integer"),
                ("price", "decimal(12,2)"),
                ("discount", "decimal(4,2)"),
                ("shipped_date", "date"),
                ("committed_date", "date"),
            ),
            tuple(lines),
        ),
        Table(
            "inventory", (("snapshot_date", "date"), ("warehouse", "varchar"), ("units", "integer")), tuple(inventory)
        ),
    )


@cache
def fingerprint() -> str:
    """A digest of the schema and rows: a database already holding it needs no reload."""
    digest = hashlib.sha256()
    for table in tables():
        digest.update(repr((table.backend_name, table.columns, table.rows)).encode())
    return digest.hexdigest()[:16]
