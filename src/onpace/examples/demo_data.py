"""The demo company's data: Fernhill Outdoor Co., 2023-11-01 to 2026-11-18, in one DuckDB file.

:func:`generate` writes the tables of the contract in docs/demo-data.md (the table and
column names, types, invariants and the story the KPIs tell) into a DuckDB file: sales (products,
customers, orders, order items, deliveries), marketing (web traffic, marketing spend, social
posts, wholesale leads), the Fernhill Club (memberships and member months), support tickets,
people (employees and monthly headcount), finance (operating expenses), operations and
manufacturing (weekly inventory snapshots, production runs), IT (incidents and daily uptime) and
a small healthcare sample (clinic visits).

The data is deterministic: it depends only on :data:`SEED`, :data:`DEMO_START` and
:data:`DEMO_END`, never on today's date, and it is generated with vectorised numpy code (loops
run over days, months or a few entities, never over order rows). Money is computed in integer
cents and scaled to ``DECIMAL`` by DuckDB, so the contract's sums hold exactly. Tables that the
contract says are derived (``club_member_months``, ``headcount_monthly``, the payroll,
marketing and logistics lines of ``operating_expenses``) are computed with SQL from the base
tables inside DuckDB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

DEMO_START = date(2023, 11, 1)
DEMO_END = date(2026, 11, 18)
SEED = 20231101

TABLES = (
    "products",
    "customers",
    "orders",
    "order_items",
    "deliveries",
    "web_traffic_daily",
    "marketing_spend",
    "social_posts",
    "leads",
    "club_memberships",
    "club_member_months",
    "support_tickets",
    "employees",
    "headcount_monthly",
    "operating_expenses",
    "inventory_snapshots",
    "production_runs",
    "system_incidents",
    "system_uptime_daily",
    "clinic_visits",
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Columns = dict[str, pa.Array]

DAY_S = 86_400
_EPOCH = date(1970, 1, 1)

# The contract's columns and types, in the contract's order. DECIMAL columns are handed to
# DuckDB as integer cents and scaled there.
MONEY = "DECIMAL(12,2)"
PRICE = "DECIMAL(10,2)"
SCHEMA: dict[str, tuple[tuple[str, str], ...]] = {
    "products": (
        ("product_id", "BIGINT"),
        ("sku", "VARCHAR"),
        ("name", "VARCHAR"),
        ("category", "VARCHAR"),
        ("made_in_house", "BOOLEAN"),
        ("list_price", PRICE),
        ("unit_cost", PRICE),
    ),
    "customers": (
        ("customer_id", "BIGINT"),
        ("signed_up_on", "DATE"),
        ("country", "VARCHAR"),
        ("region", "VARCHAR"),
        ("acquisition_channel", "VARCHAR"),
    ),
    "orders": (
        ("order_id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("order_date", "DATE"),
        ("ordered_at", "TIMESTAMP"),
        ("channel", "VARCHAR"),
        ("traffic_source", "VARCHAR"),
        ("country", "VARCHAR"),
        ("region", "VARCHAR"),
        ("status", "VARCHAR"),
        ("is_first_order", "BOOLEAN"),
        ("item_count", "INTEGER"),
        ("subtotal", MONEY),
        ("discount", MONEY),
        ("shipping_fee", MONEY),
        ("total", MONEY),
    ),
    "order_items": (
        ("order_item_id", "BIGINT"),
        ("order_id", "BIGINT"),
        ("product_id", "BIGINT"),
        ("quantity", "INTEGER"),
        ("unit_price", PRICE),
        ("unit_cost", PRICE),
        ("revenue", MONEY),
        ("cost", MONEY),
    ),
    "deliveries": (
        ("delivery_id", "BIGINT"),
        ("order_id", "BIGINT"),
        ("carrier", "VARCHAR"),
        ("region", "VARCHAR"),
        ("shipped_on", "DATE"),
        ("promised_on", "DATE"),
        ("delivered_on", "DATE"),
        ("on_time", "BOOLEAN"),
        ("damaged", "BOOLEAN"),
    ),
    "web_traffic_daily": (
        ("date", "DATE"),
        ("source", "VARCHAR"),
        ("device", "VARCHAR"),
        ("sessions", "BIGINT"),
        ("users", "BIGINT"),
        ("pageviews", "BIGINT"),
        ("bounces", "BIGINT"),
        ("orders", "BIGINT"),
    ),
    "marketing_spend": (
        ("date", "DATE"),
        ("channel", "VARCHAR"),
        ("campaign", "VARCHAR"),
        ("impressions", "BIGINT"),
        ("clicks", "BIGINT"),
        ("spend", MONEY),
        ("attributed_revenue", MONEY),
        ("new_customers", "INTEGER"),
    ),
    "social_posts": (
        ("post_id", "BIGINT"),
        ("posted_on", "DATE"),
        ("network", "VARCHAR"),
        ("impressions", "BIGINT"),
        ("reactions", "BIGINT"),
        ("comments", "BIGINT"),
        ("shares", "BIGINT"),
    ),
    "leads": (
        ("lead_id", "BIGINT"),
        ("created_on", "DATE"),
        ("source", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("sales_rep", "VARCHAR"),
        ("qualified_on", "DATE"),
        ("won_on", "DATE"),
        ("lost_on", "DATE"),
        ("deal_value", MONEY),
    ),
    "club_memberships": (
        ("membership_id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("plan", "VARCHAR"),
        ("region", "VARCHAR"),
        ("started_on", "DATE"),
        ("cancelled_on", "DATE"),
        ("monthly_fee", "DECIMAL(8,2)"),
    ),
    "club_member_months": (
        ("month", "DATE"),
        ("membership_id", "BIGINT"),
        ("plan", "VARCHAR"),
        ("region", "VARCHAR"),
        ("active_at_start", "BOOLEAN"),
        ("joined", "BOOLEAN"),
        ("cancelled", "BOOLEAN"),
        ("active_at_end", "BOOLEAN"),
        ("mrr", "DECIMAL(8,2)"),
    ),
    "support_tickets": (
        ("ticket_id", "BIGINT"),
        ("created_at", "TIMESTAMP"),
        ("created_on", "DATE"),
        ("channel", "VARCHAR"),
        ("category", "VARCHAR"),
        ("priority", "VARCHAR"),
        ("team", "VARCHAR"),
        ("agent", "VARCHAR"),
        ("first_response_minutes", "DOUBLE"),
        ("handling_minutes", "DOUBLE"),
        ("resolved_at", "TIMESTAMP"),
        ("resolved_first_contact", "BOOLEAN"),
        ("reopened", "BOOLEAN"),
        ("csat_score", "SMALLINT"),
    ),
    "employees": (
        ("employee_id", "BIGINT"),
        ("department", "VARCHAR"),
        ("location", "VARCHAR"),
        ("job_level", "VARCHAR"),
        ("hired_on", "DATE"),
        ("left_on", "DATE"),
        ("leave_type", "VARCHAR"),
        ("annual_salary", MONEY),
    ),
    "headcount_monthly": (
        ("month", "DATE"),
        ("department", "VARCHAR"),
        ("location", "VARCHAR"),
        ("headcount_start", "INTEGER"),
        ("hires", "INTEGER"),
        ("leavers", "INTEGER"),
        ("voluntary_leavers", "INTEGER"),
        ("headcount_end", "INTEGER"),
    ),
    "operating_expenses": (
        ("month", "DATE"),
        ("department", "VARCHAR"),
        ("category", "VARCHAR"),
        ("amount", MONEY),
    ),
    "inventory_snapshots": (
        ("snapshot_date", "DATE"),
        ("product_id", "BIGINT"),
        ("category", "VARCHAR"),
        ("warehouse", "VARCHAR"),
        ("units_on_hand", "INTEGER"),
        ("inventory_value", MONEY),
        ("stockout", "BOOLEAN"),
    ),
    "production_runs": (
        ("run_id", "BIGINT"),
        ("product_id", "BIGINT"),
        ("line", "VARCHAR"),
        ("run_date", "DATE"),
        ("started_at", "TIMESTAMP"),
        ("planned_units", "INTEGER"),
        ("produced_units", "INTEGER"),
        ("defective_units", "INTEGER"),
        ("planned_minutes", "INTEGER"),
        ("downtime_minutes", "INTEGER"),
    ),
    "system_incidents": (
        ("incident_id", "BIGINT"),
        ("system", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("started_at", "TIMESTAMP"),
        ("detected_at", "TIMESTAMP"),
        ("resolved_at", "TIMESTAMP"),
        ("started_on", "DATE"),
        ("downtime_minutes", "DOUBLE"),
        ("customer_facing", "BOOLEAN"),
    ),
    "system_uptime_daily": (
        ("date", "DATE"),
        ("system", "VARCHAR"),
        ("minutes_total", "INTEGER"),
        ("minutes_down", "DOUBLE"),
    ),
    "clinic_visits": (
        ("visit_id", "BIGINT"),
        ("patient_id", "BIGINT"),
        ("clinic", "VARCHAR"),
        ("specialty", "VARCHAR"),
        ("visit_date", "DATE"),
        ("arrived_at", "TIMESTAMP"),
        ("seen_at", "TIMESTAMP"),
        ("discharged_at", "TIMESTAMP"),
        ("throughput_minutes", "DOUBLE"),
        ("admitted", "BOOLEAN"),
        ("readmitted_within_30d", "BOOLEAN"),
        ("satisfaction_score", "SMALLINT"),
    ),
}

# --- vocabulary -------------------------------------------------------------------------------

CATEGORIES = ("Tents", "Backpacks", "Clothing", "Footwear", "Accessories")
COUNTRIES = ("DE", "FR", "GB", "NL", "SE", "US", "CA")
COUNTRY_IS_NA = np.array([False, False, False, False, False, True, True])
REGIONS = ("Europe", "North America")
SOURCES = ("organic", "paid", "referral", "email", "social")
DEVICES = ("desktop", "mobile", "tablet")
ORDER_CHANNELS = ("web", "app", "marketplace")
STATUSES = ("completed", "returned", "cancelled")
CARRIERS = ("DHL", "UPS", "PostNL", "Canada Post", "NorthFreight")
WAREHOUSES = ("Leeds", "Rotterdam", "Reno")
DEPARTMENTS = ("Sales", "Marketing", "Operations", "Manufacturing", "Support", "IT", "Finance", "People")
LEVELS = ("junior", "mid", "senior", "lead")
SYSTEMS = ("webshop", "checkout", "erp", "warehouse", "email")
SEVERITIES = ("sev1", "sev2", "sev3")

# --- the story's dates ------------------------------------------------------------------------

OUTAGE_DAY = date(2025, 3, 11)
OUTAGE_MINUTES = (10 * 60 + 40, 16 * 60 + 52)  # checkout down 10:40-16:52 (372 minutes)
PRICE_RISE = date(2025, 3, 1)  # list prices up 4 % (products.list_price is the current price)
LINE_B_FAULT = (date(2025, 9, 1), date(2025, 9, 21))
TENT_RETURNS = (date(2025, 9, 10), date(2025, 10, 31))  # orders whose tents came from the faulty batch
MIGRATION = (date(2026, 2, 2), date(2026, 2, 22))
NORTHFREIGHT = date(2026, 6, 1)
SLUMP = date(2026, 9, 7)
AUTUMN_PUSH = date(2026, 10, 1)
AGENTS_LEAVE = (date(2026, 10, 9), date(2026, 10, 23))
CLUB_CHURN_UP = (date(2026, 9, 1), date(2026, 11, 30))


def _day(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


START = _day(DEMO_START)
END = _day(DEMO_END)


# --- calendar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """Every day of the history with the factors the generators share."""

    days: I64  # days since 1970-01-01
    weekday: I64  # 0 = Monday
    month: I64  # first day of the month, as days since 1970-01-01
    month_of_year: I64  # 1-12
    day_of_year: I64  # 0-365
    years: F64  # years since DEMO_START
    growth: F64  # the business's growth, 1 at DEMO_START, 20 % a year
    season: F64  # shop demand through the year (1 = quiet)

    @property
    def n(self) -> int:
        return len(self.days)

    def index(self, d: date) -> int:
        return _day(d) - START

    def between(self, first: date, last: date) -> Bools:
        return (self.days >= _day(first)) & (self.days <= _day(last))

    @staticmethod
    def build() -> _Calendar:
        days = np.arange(START, END + 1, dtype=np.int64)
        d64 = days.astype("datetime64[D]")
        months = d64.astype("datetime64[M]")
        years_start = d64.astype("datetime64[Y]")
        years = (days - START) / 365.25
        day_of_year = (d64 - years_start.astype("datetime64[D]")).astype(np.int64)
        return _Calendar(
            days=days,
            weekday=(days + 3) % 7,
            month=months.astype("datetime64[D]").astype(np.int64),
            month_of_year=months.astype(np.int64) % 12 + 1,
            day_of_year=day_of_year,
            years=years,
            growth=1.20**years,
            season=_season(days, day_of_year),
        )


def _black_friday(year: int) -> date:
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


def _season(days: I64, day_of_year: I64) -> F64:
    doy = day_of_year.astype(np.float64)
    summer = 0.13 * np.exp(-0.5 * ((doy - 165) / 34) ** 2)
    winter = 0.62 * (np.exp(-0.5 * ((doy - 338) / 20) ** 2) + np.exp(-0.5 * ((doy + 365 - 338) / 20) ** 2))
    dip = -0.08 * np.exp(-0.5 * ((doy - 30) / 18) ** 2)
    season = 1.0 + summer + winter + dip
    d64 = days.astype("datetime64[D]")
    years = d64.astype("datetime64[Y]").astype(np.int64) + 1970
    for year in range(int(years.min()), int(years.max()) + 1):
        bf = _day(_black_friday(year))
        season[(days >= bf - 3) & (days <= bf + 3)] *= 1.45  # Black Friday to Cyber Monday
        christmas = _day(date(year, 12, 24))
        season[(days >= christmas - 3) & (days < christmas)] *= 0.85
        season[(days >= christmas) & (days <= christmas + 2)] *= 0.5
        season[(days > christmas + 2) & (days <= christmas + 7)] *= 0.8
    return season


def _month_start(days: I64) -> I64:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _gauss(x: F64, mu: float, sigma: float) -> F64:
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2)


def _profile(peaks: tuple[tuple[float, float, float], ...], floor: float) -> F64:
    """A distribution over the 1440 minutes of a day: a floor plus gaussian peaks (hour, width, weight)."""
    minutes = np.arange(1440, dtype=np.float64) / 60
    p = np.full(1440, floor)
    for hour, width, weight in peaks:
        p += weight * _gauss(minutes, hour, width)
    return p / p.sum()


SHOP_HOURS = _profile(((8.5, 1.5, 0.45), (12.5, 1.8, 0.8), (20.5, 2.0, 1.3)), 0.04)
OFFICE_HOURS = _profile(((10.0, 1.8, 1.0), (14.5, 2.0, 0.9), (19.5, 1.5, 0.35)), 0.02)


def _pick(rng: np.random.Generator, weights: F64, size: int) -> I64:
    """``size`` draws of an index with probabilities proportional to ``weights``."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def _pick_rows(rng: np.random.Generator, weights: F64) -> I64:
    """One draw per row of ``weights`` (n x k), with probabilities proportional to the row."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), weights.shape[1] - 1).astype(np.int64)


def _lognormal(rng: np.random.Generator, median: F64 | float, sigma: float, size: int) -> F64:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(size))


def _starts(counts: I64) -> I64:
    """Offsets of groups of ``counts`` consecutive rows."""
    return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)


# --- arrow columns ----------------------------------------------------------------------------


def _dates(days: I64, null: Bools | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=null).cast(pa.date32())


def _timestamps(seconds: I64, null: Bools | None = None) -> pa.Array:
    return pa.array(seconds.astype(np.int64), type=pa.int64(), mask=null).cast(pa.timestamp("s"))


def _labels(codes: I64, labels: tuple[str, ...] | list[str]) -> pa.Array:
    return pa.array(np.array(labels, dtype=object)[codes], type=pa.string())


def _ids(n: int) -> pa.Array:
    return pa.array(np.arange(1, n + 1, dtype=np.int64))


def _values(values: npt.NDArray[Any], null: Bools | None = None) -> pa.Array:
    return pa.array(values, mask=null)


# --- products ---------------------------------------------------------------------------------

_PRODUCT_WORDS = (
    "Ridge", "Fell", "Cairn", "Tarn", "Moor", "Heather", "Bracken", "Larch", "Kestrel", "Osprey",
    "Harrier", "Skye", "Birch", "Glen", "Scree", "Summit", "Beacon", "Drift", "Fjord", "Alder",
    "Ember", "Sorrel", "Wren", "Corrie",
)  # fmt: skip
_PRODUCT_NOUNS: dict[str, tuple[str, ...]] = {
    category: tuple(nouns.split(", "))
    for category, nouns in (
        ("Tents", "1P Tent, 2P Tent, 3P Tent, 4P Family Tent, Tarp Shelter, Bivy"),
        ("Backpacks", "18L Daypack, 28L Daypack, 40L Trekking Pack, 55L Expedition Pack, Hydration Pack, Duffel"),
        (
            "Clothing",
            "Fleece, Rain Jacket, Down Jacket, Merino Tee, Hiking Trousers, Base Layer, Softshell, Shorts,"
            " Insulated Vest, Hoodie",
        ),
        ("Footwear", "Hiking Boot, Trail Shoe, Approach Shoe, Winter Boot, Sandal, Gaiters"),
        (
            "Accessories",
            "Headlamp, Water Bottle, Trekking Poles, Beanie, Gloves, Camp Stove, Sleeping Mat, Dry Bag,"
            " Neck Gaiter, First Aid Kit",
        ),
    )
}
_PRODUCT_COUNTS = (18, 22, 40, 18, 22)
_IN_HOUSE_COUNTS = (15, 12, 20, 6, 7)
_PRICE_RANGE = ((150.0, 690.0), (55.0, 270.0), (32.0, 330.0), (85.0, 260.0), (10.0, 99.0))
LINES = ("Line A", "Line B", "Line C")
LINE_OF_CATEGORY = np.array([1, 1, 0, 2, 2])  # tents and backpacks on line B, clothing on A, the rest on C


@dataclass(frozen=True)
class _Products:
    category: I64
    in_house: Bools
    price: I64  # cents
    cost: I64  # cents
    popularity: F64

    @property
    def n(self) -> int:
        return len(self.category)


def _products(rng: np.random.Generator) -> tuple[_Products, Columns]:
    category = np.repeat(np.arange(5, dtype=np.int64), _PRODUCT_COUNTS)
    names: list[str] = []
    skus: list[str] = []
    in_house = np.zeros(len(category), dtype=np.bool_)
    price = np.zeros(len(category), dtype=np.int64)
    offset = 0
    for c, name in enumerate(CATEGORIES):
        n = _PRODUCT_COUNTS[c]
        pairs = [(w, noun) for noun in _PRODUCT_NOUNS[name] for w in _PRODUCT_WORDS]
        chosen = rng.choice(len(pairs), size=n, replace=False)
        names += [f"{pairs[i][0]} {pairs[i][1]}" for i in chosen]
        skus += [f"{name[:3].upper()}-{k + 1:04d}" for k in range(n)]
        in_house[offset + rng.choice(n, size=_IN_HOUSE_COUNTS[c], replace=False)] = True
        low, high = _PRICE_RANGE[c]
        euros = np.exp(rng.uniform(np.log(low), np.log(high), n))
        price[offset : offset + n] = np.maximum(np.round(euros / 5) * 500 - 5, 495).astype(np.int64)
        offset += n
    cost_share = rng.uniform(0.40, 0.54, len(category)) - np.where(in_house, 0.02, 0.0)
    cost = np.round(price * cost_share).astype(np.int64)
    popularity = np.exp(0.8 * rng.standard_normal(len(category)))
    products = _Products(category=category, in_house=in_house, price=price, cost=cost, popularity=popularity)
    columns = {
        "product_id": _ids(len(category)),
        "sku": pa.array(skus),
        "name": pa.array(names),
        "category": _labels(category, CATEGORIES),
        "made_in_house": _values(in_house),
        "list_price": _values(price),
        "unit_cost": _values(cost),
    }
    return products, columns


# --- marketing: campaigns ---------------------------------------------------------------------

MARKETING_CHANNELS = ("paid_search", "paid_social", "display", "email", "affiliate")
PAID_CHANNELS = (0, 1, 2)  # their clicks are the 'paid' sessions
EMAIL_CHANNEL = 3
AFFILIATE_CHANNEL = 4


@dataclass(frozen=True)
class _Campaign:
    channel: int
    name: str
    first: date
    last: date
    daily_spend: float  # euros at DEMO_START's size of business
    cpc: float  # euros per click (email: per thousand opens is folded into the spend)
    ctr: float  # clicks per impression (email: clicks per open)
    always_on: bool = False


def _campaigns() -> list[_Campaign]:
    out = [
        _Campaign(0, "Brand search", DEMO_START, DEMO_END, 270, 0.55, 0.09, True),
        _Campaign(0, "Generic search", DEMO_START, DEMO_END, 760, 1.70, 0.04, True),
        _Campaign(1, "Prospecting", DEMO_START, DEMO_END, 430, 1.30, 0.011, True),
        _Campaign(2, "Retargeting", DEMO_START, DEMO_END, 210, 1.05, 0.0045, True),
        _Campaign(3, "Newsletter", DEMO_START, DEMO_END, 60, 0.0, 0.055, True),
        _Campaign(4, "Partner network", DEMO_START, DEMO_END, 140, 0.90, 0.012, True),
    ]
    for year in range(DEMO_START.year, DEMO_END.year + 1):
        bf = _black_friday(year)
        bf_first, bf_last = bf - timedelta(days=3), bf + timedelta(days=3)
        out += [
            _Campaign(1, f"Spring launch {year}", date(year, 3, 15), date(year, 4, 15), 260, 1.4, 0.012),
            _Campaign(0, f"Summer camping {year}", date(year, 4, 25), date(year, 7, 31), 330, 1.6, 0.045),
            _Campaign(1, f"Summer camping {year}", date(year, 4, 25), date(year, 7, 31), 250, 1.4, 0.012),
            _Campaign(2, f"Summer camping {year}", date(year, 5, 1), date(year, 7, 31), 110, 1.2, 0.004),
            _Campaign(3, f"Summer camping {year}", date(year, 5, 1), date(year, 7, 31), 20, 0.0, 0.06),
            _Campaign(0, f"Holiday {year}", date(year, 11, 1), date(year, 12, 22), 520, 1.6, 0.045),
            _Campaign(1, f"Holiday {year}", date(year, 11, 1), date(year, 12, 22), 420, 1.4, 0.012),
            _Campaign(2, f"Holiday {year}", date(year, 11, 1), date(year, 12, 22), 170, 1.2, 0.004),
            _Campaign(0, f"Black Friday {year}", bf_first, bf_last, 1500, 1.8, 0.05),
            _Campaign(1, f"Black Friday {year}", bf_first, bf_last, 1000, 1.5, 0.014),
            _Campaign(3, f"Black Friday {year}", bf_first, bf_last, 80, 0.0, 0.07),
            _Campaign(1, f"Winter sale {year + 1}", date(year, 12, 27), date(year + 1, 1, 12), 240, 1.4, 0.012),
            _Campaign(3, f"Winter sale {year + 1}", date(year, 12, 27), date(year + 1, 1, 12), 30, 0.0, 0.06),
        ]
    # the slump: paid spend raised from October 2026, at much higher bids
    out += [
        _Campaign(0, "Autumn push 2026", AUTUMN_PUSH, DEMO_END, 700, 6.0, 0.04),
        _Campaign(1, "Autumn push 2026", AUTUMN_PUSH, DEMO_END, 480, 5.0, 0.011),
    ]
    return [c for c in out if c.last >= DEMO_START and c.first <= DEMO_END]


@dataclass
class _Marketing:
    day: I64  # row's calendar index
    channel: I64
    campaign: list[str]
    impressions: I64
    clicks: I64
    spend: I64  # cents
    paid_clicks: I64  # per calendar day
    email_clicks: I64
    affiliate_clicks: I64
    attributed_revenue: I64 | None = None
    new_customers: I64 | None = None


def _marketing_spend(cal: _Calendar, rng: np.random.Generator) -> _Marketing:
    rows_day: list[I64] = []
    rows_channel: list[I64] = []
    names: list[str] = []
    impressions: list[I64] = []
    clicks: list[I64] = []
    spend: list[I64] = []
    pushed = cal.days >= _day(AUTUMN_PUSH)
    for campaign in _campaigns():
        idx = np.flatnonzero(cal.between(max(campaign.first, DEMO_START), min(campaign.last, DEMO_END)))
        n = len(idx)
        g = cal.growth[idx]
        weekend = np.where(cal.weekday[idx] >= 5, 0.9, 1.0)
        if campaign.channel == EMAIL_CHANNEL:
            # opens are the impressions; the spend is the email platform's fee
            send_day = np.isin(cal.weekday[idx], (1, 3, 5)) if campaign.always_on else np.ones(n, dtype=bool)
            list_size = 52_000 * g
            opens = np.where(send_day, list_size * 0.34, list_size * 0.11 if campaign.always_on else 0.0)
            opens = opens * np.exp(0.08 * rng.standard_normal(n))
            opened = np.maximum(np.round(opens), 1).astype(np.int64)
            clicked = rng.binomial(opened, campaign.ctr).astype(np.int64)
            cents = np.round(campaign.daily_spend * 100 * g**0.5 * np.exp(0.05 * rng.standard_normal(n)))
        else:
            level = campaign.daily_spend * g**0.9 * weekend
            if campaign.always_on:
                level = level * cal.season[idx] ** 0.5
            cpc = np.full(n, campaign.cpc)
            if campaign.name == "Generic search":  # bids raised in the autumn push
                level = np.where(pushed[idx], level * 1.35, level)
                cpc = np.where(pushed[idx], cpc * 1.3, cpc)
            cents = np.round(level * 100 * np.exp(0.1 * rng.standard_normal(n)))
            clicked = np.maximum(np.round(cents / 100 / cpc * np.exp(0.08 * rng.standard_normal(n))), 0).astype(
                np.int64
            )
            opened = np.maximum(
                np.round(clicked / campaign.ctr * np.exp(0.1 * rng.standard_normal(n))), clicked
            ).astype(np.int64)
        rows_day.append(idx.astype(np.int64))
        rows_channel.append(np.full(n, campaign.channel, dtype=np.int64))
        names += [campaign.name] * n
        impressions.append(opened)
        clicks.append(clicked)
        spend.append(np.maximum(cents, 100).astype(np.int64))
    day = np.concatenate(rows_day)
    channel = np.concatenate(rows_channel)
    order = np.lexsort((channel, day))  # by day, then channel (stable for the campaigns)
    day, channel = day[order], channel[order]
    all_clicks = np.concatenate(clicks)[order]
    per_day = [np.bincount(day, weights=all_clicks * (channel == c), minlength=cal.n) for c in range(5)]
    return _Marketing(
        day=day,
        channel=channel,
        campaign=[names[i] for i in order],
        impressions=np.concatenate(impressions)[order],
        clicks=all_clicks,
        spend=np.concatenate(spend)[order],
        paid_clicks=np.round(per_day[0] + per_day[1] + per_day[2]).astype(np.int64),
        email_clicks=np.round(per_day[3]).astype(np.int64),
        affiliate_clicks=np.round(per_day[4]).astype(np.int64),
    )


def _marketing_columns(m: _Marketing) -> Columns:
    assert m.attributed_revenue is not None and m.new_customers is not None
    return {
        "date": _dates(m.day + START),
        "channel": _labels(m.channel, MARKETING_CHANNELS),
        "campaign": pa.array(m.campaign),
        "impressions": _values(m.impressions),
        "clicks": _values(m.clicks),
        "spend": _values(m.spend),
        "attributed_revenue": _values(m.attributed_revenue),
        "new_customers": _values(m.new_customers),
    }


# --- sales: traffic, orders, customers, items, deliveries --------------------------------------

# device shares of each source's sessions (desktop, mobile, tablet)
_DEVICE_SHARE = np.array(
    [[0.38, 0.54, 0.08], [0.35, 0.57, 0.08], [0.45, 0.47, 0.08], [0.40, 0.52, 0.08], [0.15, 0.80, 0.05]]
)
_DEVICE_CR = np.array([0.034, 0.0245, 0.029])  # conversion rate by device
_SOURCE_CR = np.array([1.0, 1.05, 1.15, 1.4, 0.55])  # multiplier by source
_FIRST_ORDER_P = np.array([0.36, 0.58, 0.48, 0.10, 0.55])  # a new customer's first order, by source
_MARKETPLACE_FIRST_P = 0.5
_PREEXISTING_CUSTOMERS = 50_000
_COUNTRY_P = np.array([0.25, 0.12, 0.18, 0.08, 0.06, 0.24, 0.07])
_RETURN_RATE = np.array([0.05, 0.04, 0.09, 0.10, 0.03])  # by category
_CATEGORY_MIX = np.array([0.14, 0.16, 0.38, 0.14, 0.18])


@dataclass
class _Sales:
    order_day: I64  # calendar index
    order_seconds: I64  # since the epoch
    order_source: I64
    order_channel: I64
    customer: I64  # 0-based
    customer_country: I64  # per customer
    first: Bools
    country: I64
    status: I64
    net: I64  # cents: subtotal - discount
    warehouse: I64
    item_order: I64
    item_product: I64
    item_quantity: I64
    orders_per_day: I64
    columns: dict[str, Columns]


def _sales(cal: _Calendar, rng: np.random.Generator, products: _Products, marketing: _Marketing) -> _Sales:
    traffic, cells = _traffic(cal, rng, marketing)
    order_day, source, device = cells

    # marketplace orders: not affected by our checkout, referral as the source
    market = rng.poisson(24 * cal.growth * cal.season * np.where(cal.weekday >= 5, 0.92, 1.0))
    m_day = np.repeat(np.arange(cal.n, dtype=np.int64), market)
    order_day = np.concatenate((order_day, m_day))
    source = np.concatenate((source, np.full(len(m_day), 2, dtype=np.int64)))
    device = np.concatenate((device, np.full(len(m_day), -1, dtype=np.int64)))
    app_share = np.where(device == 1, 0.35 + 0.05 * cal.years[order_day], np.where(device == 2, 0.3, 0.0))
    channel = np.where(device < 0, 2, np.where(rng.random(len(order_day)) < app_share, 1, 0)).astype(np.int64)

    # time of day; on the outage day no web or app order gets through while checkout is down
    minute = rng.choice(1440, size=len(order_day), p=SHOP_HOURS).astype(np.int64)
    outage = (order_day == cal.index(OUTAGE_DAY)) & (channel < 2)
    closed = SHOP_HOURS.copy()
    closed[OUTAGE_MINUTES[0] : OUTAGE_MINUTES[1]] = 0
    minute[outage] = rng.choice(1440, size=int(outage.sum()), p=closed / closed.sum())
    seconds = (cal.days[order_day] * DAY_S + minute * 60 + rng.integers(0, 60, len(order_day))).astype(np.int64)
    order = np.argsort(seconds, kind="stable")
    order_day, source, device, channel, seconds = (a[order] for a in (order_day, source, device, channel, seconds))
    n = len(order_day)

    # customers: a pool from before the history, then one new customer per first order
    p_first = np.where(channel == 2, _MARKETPLACE_FIRST_P, _FIRST_ORDER_P[source])
    first = rng.random(n) < p_first
    new_per_day = np.bincount(order_day[first], minlength=cal.n)
    known_before = _PREEXISTING_CUSTOMERS + np.concatenate(([0], np.cumsum(new_per_day)[:-1]))
    returning = np.floor(known_before[order_day] * rng.random(n) ** 0.6).astype(np.int64)
    customer = np.where(first, _PREEXISTING_CUSTOMERS + np.cumsum(first) - 1, returning).astype(np.int64)
    n_new = int(first.sum())
    pre_signup = START - 1 - np.floor(1700 * rng.random(_PREEXISTING_CUSTOMERS) ** 1.5).astype(np.int64)
    pre_signup.sort()
    new_signup = cal.days[order_day[first]]
    na_boost = np.array([0, 0, 0, 0, 0, 1, 1]) * 0.04
    new_country_p = _COUNTRY_P[None, :] + na_boost[None, :] * cal.years[order_day[first]][:, None]
    customer_country = np.concatenate(
        (_pick(rng, _COUNTRY_P, _PREEXISTING_CUSTOMERS), _pick_rows(rng, new_country_p))
    ).astype(np.int64)
    acquisition = np.concatenate(
        (_pick(rng, np.array([0.45, 0.15, 0.15, 0.15, 0.10]), _PREEXISTING_CUSTOMERS), source[first])
    ).astype(np.int64)
    country = customer_country[customer]
    is_na = COUNTRY_IS_NA[country]

    # items
    lines = 1 + np.minimum(rng.poisson(0.65, n), 4).astype(np.int64)
    item_order = np.repeat(np.arange(n, dtype=np.int64), lines)
    line_start = _starts(lines)
    n_items = len(item_order)
    moy = cal.month_of_year[order_day[item_order]] - 1
    mix = np.tile(_CATEGORY_MIX, (12, 1))
    mix[4:7, 0] *= 1.8
    mix[4:7, 1] *= 1.3
    mix[10:12, 2] *= 1.3
    mix[10:12, 3] *= 1.1
    mix[10:12, 4] *= 1.4
    mix[0:2, 2] *= 1.2
    mix[0:2, 0] *= 0.6
    category = _pick_rows(rng, mix[moy])
    product = np.zeros(n_items, dtype=np.int64)
    for c in range(5):
        rows = np.flatnonzero(category == c)
        ids = np.flatnonzero(products.category == c)
        product[rows] = ids[_pick(rng, products.popularity[ids], len(rows))]
    quantity = 1 + _pick(rng, np.array([0.82, 0.13, 0.04, 0.01]), n_items)
    list_price = products.price[product]
    before_rise = cal.days[order_day[item_order]] < _day(PRICE_RISE)
    old_price = np.maximum(np.floor((list_price / 1.04 + 5) / 100) * 100 - 5, 95).astype(np.int64)
    unit_price = np.where(before_rise, old_price, list_price).astype(np.int64)
    unit_cost = products.cost[product]
    gross = quantity * unit_price
    cost = quantity * unit_cost
    subtotal = np.add.reduceat(gross, line_start)
    item_count = np.add.reduceat(quantity, line_start)

    # discounts (in cents, allocated to the lines; the rounding remainder goes to the first line)
    d = cal.days[order_day]
    pct = np.zeros(n)
    u = rng.random(n)
    pct = np.where(u < 0.15, 0.15, pct)
    pct = np.where(first & (u > 0.5), 0.10, pct)
    black_friday = np.zeros(n, dtype=bool)
    winter_sale = np.zeros(n, dtype=bool)
    for year in range(DEMO_START.year, DEMO_END.year + 1):
        bf = _day(_black_friday(year))
        black_friday |= (d >= bf - 3) & (d <= bf + 3)
        winter_sale |= (d >= _day(date(year, 12, 27))) & (d <= _day(date(year + 1, 1, 12)))
    pct = np.where(black_friday & (rng.random(n) < 0.6), 0.20, pct)
    pct = np.where(winter_sale & (rng.random(n) < 0.4), np.maximum(pct, 0.15), pct)
    pct = np.where(channel == 2, 0.0, pct)
    discount = np.floor(subtotal * pct).astype(np.int64)
    share = (gross * discount[item_order]) // subtotal[item_order]
    remainder = discount - np.add.reduceat(share, line_start)
    share[line_start] += remainder
    revenue = gross - share
    net = subtotal - discount
    shipping = np.where((net >= 7500) | (channel == 2), 0, np.where(is_na, 695, 495)).astype(np.int64)
    total = net + shipping

    # status: cancellations, and returns by the most returned category in the order
    rate = _RETURN_RATE[category]
    faulty = (category == 0) & (d[item_order] >= _day(TENT_RETURNS[0])) & (d[item_order] <= _day(TENT_RETURNS[1]))
    rate = np.where(faulty, 0.16, rate)
    order_rate = np.maximum.reduceat(rate, line_start)
    cancelled = rng.random(n) < np.where(channel == 2, 0.04, 0.025)
    returned = ~cancelled & (rng.random(n) < order_rate)

    warehouse = np.where(is_na, 2, np.where(country == 2, 0, 1)).astype(np.int64)
    deliveries, delivered = _deliveries(cal, rng, order_day, seconds, country, ~cancelled, faulty, line_start)
    returned &= delivered <= END - 3  # a return needs the parcel, and a few days
    status = np.where(cancelled, 2, np.where(returned, 1, 0)).astype(np.int64)

    order_columns: Columns = {
        "order_id": _ids(n),
        "customer_id": _values(customer + 1),
        "order_date": _dates(cal.days[order_day]),
        "ordered_at": _timestamps(seconds),
        "channel": _labels(channel, ORDER_CHANNELS),
        "traffic_source": _labels(source, SOURCES),
        "country": _labels(country, COUNTRIES),
        "region": _labels(is_na.astype(np.int64), REGIONS),
        "status": _labels(status, STATUSES),
        "is_first_order": _values(first),
        "item_count": _values(item_count),
        "subtotal": _values(subtotal),
        "discount": _values(discount),
        "shipping_fee": _values(shipping),
        "total": _values(total),
    }
    item_columns: Columns = {
        "order_item_id": _ids(n_items),
        "order_id": _values(item_order + 1),
        "product_id": _values(product + 1),
        "quantity": _values(quantity),
        "unit_price": _values(unit_price),
        "unit_cost": _values(unit_cost),
        "revenue": _values(revenue),
        "cost": _values(cost),
    }
    customer_columns: Columns = {
        "customer_id": _ids(_PREEXISTING_CUSTOMERS + n_new),
        "signed_up_on": _dates(np.concatenate((pre_signup, new_signup))),
        "country": _labels(customer_country, COUNTRIES),
        "region": _labels(COUNTRY_IS_NA[customer_country].astype(np.int64), REGIONS),
        "acquisition_channel": _labels(acquisition, SOURCES),
    }
    return _Sales(
        order_day=order_day,
        order_seconds=seconds,
        order_source=source,
        order_channel=channel,
        customer=customer,
        customer_country=customer_country,
        first=first,
        country=country,
        status=status,
        net=net,
        warehouse=warehouse,
        item_order=item_order,
        item_product=product,
        item_quantity=quantity,
        orders_per_day=np.bincount(order_day, minlength=cal.n).astype(np.int64),
        columns={
            "orders": order_columns,
            "order_items": item_columns,
            "customers": customer_columns,
            "web_traffic_daily": traffic,
            "deliveries": deliveries,
        },
    )


def _traffic(cal: _Calendar, rng: np.random.Generator, m: _Marketing) -> tuple[Columns, tuple[I64, I64, I64]]:
    """Sessions per day, source and device, the orders they convert into, and one row per such order."""
    g, s = cal.growth, cal.season
    weekend = cal.weekday >= 5
    browse = np.where(weekend, 1.13, 1.0)
    base = np.stack(
        [
            1750 * g * s * browse,  # organic
            m.paid_clicks * 0.9,  # paid: the campaigns' clicks that land
            (300 * g * s * browse + m.affiliate_clicks * 0.9),  # referral
            m.email_clicks * 0.95,  # email
            650 * g**1.15 * s * browse,  # social
        ],
        axis=1,
    )  # days x sources
    base = base * np.exp(0.06 * rng.standard_normal(base.shape))
    drift = np.clip(0.015 * cal.years, 0, 0.1)
    share = np.broadcast_to(_DEVICE_SHARE, (cal.n, 5, 3)).copy()
    share[:, :, 0] -= drift[:, None]
    share[:, :, 1] += drift[:, None]
    expected = base[:, :, None] * share * np.exp(0.03 * rng.standard_normal((cal.n, 5, 3)))
    sessions = np.maximum(np.round(expected), 0).astype(np.int64)

    # conversion: weekends browse more and buy less, the holiday season converts better
    holiday = 1 + 0.1 * np.clip((s - 1.0) / 0.62, 0, 1.5) * (cal.month_of_year >= 11)
    day_cr = np.where(weekend, 0.78, 1.0) * holiday
    day_cr[cal.index(OUTAGE_DAY)] *= 0.35  # checkout down for six hours
    device_cr = np.broadcast_to(_DEVICE_CR, (cal.n, 3)).copy()
    slump = cal.days >= _day(SLUMP)
    device_cr[slump] *= np.array([0.93, 0.85, 0.87])  # the redesigned checkout, mostly on mobile
    cr = day_cr[:, None, None] * _SOURCE_CR[None, :, None] * device_cr[:, None, :]
    orders = rng.binomial(sessions, np.minimum(cr, 0.5)).astype(np.int64)

    users = np.floor(sessions * rng.uniform(0.80, 0.90, sessions.shape)).astype(np.int64)
    users = np.where(sessions > 0, np.maximum(users, 1), 0)
    per_view = np.array([4.3, 3.1, 3.7])[None, None, :] * np.exp(0.05 * rng.standard_normal(sessions.shape))
    pageviews = sessions + np.round(sessions * (per_view - 1)).astype(np.int64)
    bounce = np.broadcast_to(np.array([0.36, 0.47, 0.42]), (cal.n, 3)).copy()
    bounce[slump, 1] += 0.02
    bounces = rng.binomial(sessions - orders, bounce[:, None, :]).astype(np.int64)

    day_i, source_i, device_i = (a.ravel().astype(np.int64) for a in np.indices(sessions.shape))
    columns: Columns = {
        "date": _dates(cal.days[day_i]),
        "source": _labels(source_i, SOURCES),
        "device": _labels(device_i, DEVICES),
        "sessions": _values(sessions.ravel()),
        "users": _values(users.ravel()),
        "pageviews": _values(pageviews.ravel()),
        "bounces": _values(bounces.ravel()),
        "orders": _values(orders.ravel()),
    }
    counts = orders.ravel()
    cells = (np.repeat(day_i, counts), np.repeat(source_i, counts), np.repeat(device_i, counts))
    return columns, cells


# carriers per country before and after NorthFreight (probabilities over CARRIERS)
_CARRIER_P = np.array(
    [
        [0.65, 0.35, 0.0, 0.0, 0.0],  # DE
        [0.65, 0.35, 0.0, 0.0, 0.0],  # FR
        [0.50, 0.50, 0.0, 0.0, 0.0],  # GB
        [0.30, 0.0, 0.70, 0.0, 0.0],  # NL
        [0.65, 0.35, 0.0, 0.0, 0.0],  # SE
        [0.0, 1.0, 0.0, 0.0, 0.0],  # US
        [0.0, 0.2, 0.0, 0.8, 0.0],  # CA
    ]
)
_CARRIER_P_NEW = _CARRIER_P.copy()
_CARRIER_P_NEW[5] = [0.0, 0.3, 0.0, 0.0, 0.7]
_CARRIER_P_NEW[6] = [0.0, 0.1, 0.0, 0.3, 0.6]
_LATE_P = np.array([0.045, 0.06, 0.05, 0.11, 0.03])  # by carrier
_UPS_NA_LATE_P = 0.085
_PROMISE_DAYS = np.array([3, 4, 3, 3, 4, 5, 6])  # by country


def _deliveries(
    cal: _Calendar,
    rng: np.random.Generator,
    order_day: I64,
    seconds: I64,
    country: I64,
    shipped: Bools,
    faulty_item: Bools,
    line_start: I64,
) -> tuple[Columns, I64]:
    """One delivery per order that is not cancelled; returns the columns and each order's delivery day (big when none)."""
    idx = np.flatnonzero(shipped)
    k = len(idx)
    ordered = cal.days[order_day[idx]]
    c = country[idx]
    after = ordered >= _day(NORTHFREIGHT)
    carrier = np.where(after, _pick_rows(rng, _CARRIER_P_NEW[c]), _pick_rows(rng, _CARRIER_P[c])).astype(np.int64)
    is_na = COUNTRY_IS_NA[c]

    late_p = _LATE_P[carrier]
    late_p = np.where((carrier == 1) & is_na, _UPS_NA_LATE_P, late_p)
    moy = cal.month_of_year[order_day[idx]]
    dom = (ordered - _month_start(ordered)) + 1
    peak = (moy == 12) & (dom <= 23) | (moy == 11) & (dom >= 25)
    late_p = late_p + np.where(peak, 0.015, 0.0)
    migration = (ordered >= _day(MIGRATION[0])) & (ordered <= _day(MIGRATION[1]))
    late_p = np.where(migration, late_p + 0.2, late_p)

    hour = (seconds[idx] % DAY_S) // 3600
    handling = (hour >= 14).astype(np.int64)
    handling += np.where(migration, 1 + (rng.random(k) < 0.35), 0).astype(np.int64)
    ship = ordered + handling
    ship += ((ship + 3) % 7 == 6).astype(np.int64)  # nothing leaves on a Sunday
    ship = np.minimum(ship, END)
    promised = ordered + _PROMISE_DAYS[c]
    slack = promised - ship
    late = rng.random(k) < late_p
    on_time_transit = 1 + np.floor(rng.random(k) * np.maximum(slack, 1)).astype(np.int64)
    late_transit = np.maximum(slack, 0) + rng.geometric(0.5, k).astype(np.int64)
    delivered = ship + np.where(late, late_transit, on_time_transit)
    underway = delivered > END
    on_time = ~underway & (delivered <= promised)
    faulty_order = np.maximum.reduceat(faulty_item.astype(np.int64), line_start).astype(bool)[idx]
    damaged = rng.random(k) < np.where(faulty_order, 0.02, 0.012)

    columns: Columns = {
        "delivery_id": _ids(k),
        "order_id": _values(idx.astype(np.int64) + 1),
        "carrier": _labels(carrier, CARRIERS),
        "region": _labels(is_na.astype(np.int64), REGIONS),
        "shipped_on": _dates(ship),
        "promised_on": _dates(promised),
        "delivered_on": _dates(delivered, underway),
        "on_time": _values(on_time),
        "damaged": _values(damaged),
    }
    delivered_day = np.full(len(order_day), np.iinfo(np.int64).max // 2, dtype=np.int64)
    delivered_day[idx] = np.where(underway, np.iinfo(np.int64).max // 2, delivered)
    return columns, delivered_day


def _attribute(cal: _Calendar, rng: np.random.Generator, m: _Marketing, sales: _Sales) -> None:
    """The ad platforms' view: orders of a source go to that day's campaigns by their clicks."""
    revenue = np.zeros(len(m.day), dtype=np.int64)
    customers = np.zeros(len(m.day), dtype=np.int64)
    web = sales.order_channel < 2
    referral_sessions = 300 * cal.growth * cal.season + m.affiliate_clicks * 0.9
    affiliate_share = m.affiliate_clicks * 0.9 / referral_sessions
    groups = (
        (np.isin(m.channel, PAID_CHANNELS), web & (sales.order_source == 1), np.ones(cal.n)),
        (m.channel == EMAIL_CHANNEL, web & (sales.order_source == 3), np.ones(cal.n)),
        (m.channel == AFFILIATE_CHANNEL, web & (sales.order_source == 2), affiliate_share),
    )
    for rows_mask, orders_mask, keep in groups:
        rows = np.flatnonzero(rows_mask)
        day = m.day[rows]
        weight = m.clicks[rows].astype(np.float64) + 1e-9
        day_total = np.bincount(day, weights=weight, minlength=cal.n)
        cum = np.cumsum(weight)
        day_cum_before = np.concatenate(([0.0], np.cumsum(day_total)))[day]
        key = day + (cum - day_cum_before) / day_total[day]  # each row's upper edge within its day
        o = np.flatnonzero(orders_mask)
        o = o[rng.random(len(o)) < keep[sales.order_day[o]]]
        o_day = sales.order_day[o]
        has_rows = day_total[o_day] > 0
        o, o_day = o[has_rows], o_day[has_rows]
        pos = np.searchsorted(key, o_day + rng.random(len(o)) * (1 - 1e-9), side="right")
        pos = np.minimum(pos, len(rows) - 1)
        target = rows[pos]
        np.add.at(revenue, target, sales.net[o])
        np.add.at(customers, target, sales.first[o].astype(np.int64))
    m.attributed_revenue = np.round(revenue * 1.15).astype(np.int64)  # platforms also count view-throughs
    m.new_customers = customers


# --- marketing: social posts and leads --------------------------------------------------------

NETWORKS = ("instagram", "facebook", "linkedin", "tiktok")


def _social_posts(cal: _Calendar, rng: np.random.Generator) -> Columns:
    per_week = (5.0, 3.0, 2.0, 4.0)
    median_reach = (12_000.0, 6_000.0, 2_500.0, 18_000.0)
    engagement = (0.035, 0.02, 0.015, 0.05)
    since = (DEMO_START, DEMO_START, DEMO_START, date(2024, 4, 1))
    days: list[I64] = []
    nets: list[I64] = []
    for k in range(4):
        posted = (rng.random(cal.n) < per_week[k] / 7) & (cal.days >= _day(since[k]))
        idx = np.flatnonzero(posted)
        days.append(idx)
        nets.append(np.full(len(idx), k, dtype=np.int64))
    day = np.concatenate(days)
    net = np.concatenate(nets)
    order = np.lexsort((net, day))
    day, net = day[order], net[order]
    n = len(day)
    reach = np.array(median_reach)[net] * cal.growth[day] ** 1.3
    impressions = np.round(_lognormal(rng, reach, 0.6, n)).astype(np.int64)
    rate = np.array(engagement)[net]
    reactions = rng.binomial(impressions, rate).astype(np.int64)
    comments = rng.binomial(impressions, rate * 0.08).astype(np.int64)
    shares = rng.binomial(impressions, rate * 0.05).astype(np.int64)
    return {
        "post_id": _ids(n),
        "posted_on": _dates(cal.days[day]),
        "network": _labels(net, NETWORKS),
        "impressions": _values(impressions),
        "reactions": _values(reactions),
        "comments": _values(comments),
        "shares": _values(shares),
    }


LEAD_SOURCES = ("website", "trade_show", "referral", "partner", "outbound")
SEGMENTS = ("retailer", "corporate", "team")
SALES_REPS = ("Amelia Hart", "Jonas Berg", "Priya Nair", "Tom Whitaker", "Lucía Romero", "Daan de Vries")
TRADE_SHOWS = (
    (date(2024, 6, 2), date(2024, 6, 4)),
    (date(2025, 6, 1), date(2025, 6, 3)),
    (date(2026, 6, 14), date(2026, 6, 16)),
    (date(2024, 1, 23), date(2024, 1, 25)),
    (date(2025, 1, 21), date(2025, 1, 23)),
    (date(2026, 1, 20), date(2026, 1, 22)),
)


def _leads(cal: _Calendar, rng: np.random.Generator) -> Columns:
    rate = 5.5 * cal.growth**0.7 * np.where(cal.weekday >= 5, 0.2, 1.2)
    count = rng.poisson(rate)
    day = np.repeat(np.arange(cal.n, dtype=np.int64), count)
    source = _pick(rng, np.array([0.42, 0.0, 0.2, 0.18, 0.2]), len(day))
    show = np.zeros(cal.n, dtype=np.int64)
    for first, last in TRADE_SHOWS:
        show[cal.between(first, last)] = 1
    show_count = rng.poisson(22 * show)
    show_day = np.repeat(np.arange(cal.n, dtype=np.int64), show_count)
    day = np.concatenate((day, show_day))
    source = np.concatenate((source, np.ones(len(show_day), dtype=np.int64)))
    order = np.lexsort((source, day))
    day, source = day[order], source[order]
    n = len(day)
    created = cal.days[day]
    segment = _pick(rng, np.array([0.5, 0.32, 0.18]), n)
    rep = _pick(rng, np.ones(len(SALES_REPS)), n)
    qualify_p = np.array([0.40, 0.35, 0.60, 0.55, 0.28])[source]
    qualified = rng.random(n) < qualify_p
    qualified_on = created + rng.geometric(1 / 6, n).astype(np.int64)
    decided = qualified_on + 7 + rng.geometric(1 / 30, n).astype(np.int64)
    outcome = rng.random(n)
    won = qualified & (outcome < 0.33)
    lost = qualified & (outcome >= 0.33) & (outcome < 0.83)
    disqualified = ~qualified & (rng.random(n) < 0.55)
    lost_on = np.where(disqualified, created + 5 + rng.geometric(1 / 20, n).astype(np.int64), decided)
    lost = lost | disqualified
    qualified &= qualified_on <= END
    won &= qualified & (decided <= END)
    lost &= (lost_on <= END) & (qualified | disqualified)
    median = np.array([18_000.0, 9_000.0, 3_500.0])[segment]
    value = np.round(_lognormal(rng, median, 0.6, n) / 10) * 1000  # cents, whole tens of euros
    return {
        "lead_id": _ids(n),
        "created_on": _dates(created),
        "source": _labels(source, LEAD_SOURCES),
        "segment": _labels(segment, SEGMENTS),
        "sales_rep": _labels(rep, SALES_REPS),
        "qualified_on": _dates(qualified_on, ~qualified),
        "won_on": _dates(decided, ~won),
        "lost_on": _dates(lost_on, ~lost),
        "deal_value": _values(value.astype(np.int64), ~won),
    }


# --- customers: the club ----------------------------------------------------------------------

PLANS = ("monthly", "annual")
_PLAN_FEE = np.array([699, 492])  # cents a month: 6.99, and 59.00 a year


def _club(cal: _Calendar, rng: np.random.Generator, sales: _Sales) -> Columns:
    n_pre = 3_400
    pre_started = START - 1 - np.floor(970 * rng.random(n_pre) ** 0.8).astype(np.int64)
    pre_customer = rng.choice(_PREEXISTING_CUSTOMERS, size=n_pre, replace=False).astype(np.int64)
    first_orders = np.flatnonzero(sales.first)
    joins = first_orders[rng.random(len(first_orders)) < 0.045]
    new_started = cal.days[sales.order_day[joins]] + rng.geometric(1 / 25, len(joins)).astype(np.int64) - 1
    new_customer = sales.customer[joins]
    keep = new_started <= END
    others = np.setdiff1d(np.arange(_PREEXISTING_CUSTOMERS), pre_customer)
    n_old = 1_100  # customers from before the history who join during it
    old_customer = rng.choice(others, size=n_old, replace=False).astype(np.int64)
    old_started = rng.integers(START, END + 1, n_old)
    started = np.concatenate((pre_started, new_started[keep], old_started))
    customer = np.concatenate((pre_customer, new_customer[keep], old_customer))
    n = len(started)
    plan = (rng.random(n) < 0.38).astype(np.int64)

    # lifetimes: monthly plans churn about 3.5 % a month, annual plans renew 82 % of the time
    monthly_life = np.ceil(rng.exponential(30.44 / 0.035, n)).astype(np.int64)
    terms = rng.geometric(0.18, n).astype(np.int64)
    annual_life = terms * 365 - rng.integers(1, 30, n)
    cancelled = started + np.where(plan == 0, monthly_life, annual_life)

    # autumn 2026: a few more cancellations than usual
    for month in (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)):
        first = _day(month)
        last = min(_day(date(month.year, month.month + 1, 1)) - 1, END) if month.month < 12 else END
        active = (started < first) & (cancelled >= first)
        extra = active & (rng.random(n) < np.where(plan == 0, 0.012, 0.006))
        day = rng.integers(first, last + 1, n)
        cancelled = np.where(extra & (day < cancelled), day, cancelled)

    alive = cancelled >= START
    order = np.lexsort((customer, started))
    order = order[alive[order]]
    started, customer, plan, cancelled = started[order], customer[order], plan[order], cancelled[order]
    return {
        "membership_id": _ids(len(started)),
        "customer_id": _values(customer + 1),
        "plan": _labels(plan, PLANS),
        "region": _labels(COUNTRY_IS_NA[sales.customer_country[customer]].astype(np.int64), REGIONS),
        "started_on": _dates(started),
        "cancelled_on": _dates(cancelled, cancelled > END),
        "monthly_fee": _values(_PLAN_FEE[plan]),
    }


# --- people -----------------------------------------------------------------------------------

_DEPT_START = (22, 18, 58, 62, 24, 24, 14, 10)  # about 230 people on 2023-11-01
_DEPT_GROWTH = (0.06, 0.06, 0.09, 0.04, 0.10, 0.07, 0.04, 0.04)  # a year
_DEPT_LOCATION = np.array(
    [
        [0.7, 0.2, 0.1],  # Sales
        [0.8, 0.2, 0.0],  # Marketing
        [0.35, 0.35, 0.3],  # Operations: the three warehouses
        [1.0, 0.0, 0.0],  # Manufacturing: the Leeds workshop
        [0.6, 0.0, 0.4],  # Support
        [0.8, 0.2, 0.0],  # IT
        [0.85, 0.15, 0.0],  # Finance
        [0.7, 0.2, 0.1],  # People
    ]
)
_BASE_SALARY = np.array([38_000, 40_000, 27_000, 27_000, 26_500, 52_000, 45_000, 39_000], dtype=np.float64)
_LEVEL_FACTOR = np.array([0.8, 1.0, 1.3, 1.65])
_MONTHLY_LEAVE_P = 0.0115
SUPPORT = DEPARTMENTS.index("Support")
_FIRST_NAMES = (
    "Olivia", "Noah", "Emma", "Liam", "Sofia", "Lucas", "Mia", "Elias", "Freya", "Oscar",
    "Isla", "Finn", "Maya", "Hugo", "Ella", "Leo", "Nora", "Arthur", "Chloe", "Jack",
    "Ava", "Milan", "Zoe", "Sam",
)  # fmt: skip
_LAST_NAMES = (
    "Jansen", "Clarke", "Müller", "Dubois", "Lindqvist", "Bakker", "Evans", "Moreau", "Schmidt", "Hughes",
    "Nilsson", "Visser", "Price", "Lambert", "Fischer", "Walsh", "Berg", "Martin", "Kowalski", "Reid",
)  # fmt: skip
NO_DAY = 10**9  # "never" as a day number


@dataclass(frozen=True)
class _People:
    hired: I64
    left: I64  # NO_DAY while employed
    department: I64
    location: I64
    level: I64
    voluntary: Bools


def _month_bounds(first: date, last: date) -> list[tuple[int, int]]:
    """(first day, last day within the history) of every month from ``first``'s to ``last``'s."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        out.append((_day(date(year, month, 1)), min(_day(nxt) - 1, END)))
        year, month = nxt.year, nxt.month
    return out


def _people(rng: np.random.Generator) -> _People:
    hired: list[int] = []
    dept: list[int] = []
    loc: list[int] = []
    level: list[int] = []
    for d, count in enumerate(_DEPT_START):
        since = np.floor(rng.exponential(4 * 365, count)).astype(np.int64)
        hired += list(np.maximum(START - 1 - since, _day(date(2008, 1, 5))))
        dept += [d] * count
        loc += list(_pick(rng, _DEPT_LOCATION[d], count))
        if d == SUPPORT:  # two leads, five Tier 2 agents, the rest Tier 1
            level += [3, 3] + [2] * 5 + list(_pick(rng, np.array([0.5, 0.5]), count - 7))
        else:
            level += list(_pick(rng, np.array([0.3, 0.4, 0.22, 0.08]), count))
    left = [NO_DAY] * len(hired)
    voluntary = [False] * len(hired)
    for first, last in _month_bounds(DEMO_START, DEMO_END):
        h = np.array(hired)
        lf = np.array(left)
        dp = np.array(dept)
        lv = np.array(level)
        active = (h < first) & (lf == NO_DAY)
        p = np.where((dp == SUPPORT) & (first >= _day(date(2026, 9, 1))), 0.0, _MONTHLY_LEAVE_P)
        leaving = active & (rng.random(len(h)) < p)
        day = rng.integers(first, last + 1, len(h))
        quits = rng.random(len(h)) < 0.75
        for i in np.flatnonzero(leaving):
            left[i] = int(day[i])
            voluntary[i] = bool(quits[i])
        if first == _day(date(2026, 10, 1)):  # two Tier 1 agents leave in October 2026
            agents = np.flatnonzero(active & ~leaving & (dp == SUPPORT) & (lv <= 1) & (np.array(loc) == 0))
            for i, when in zip(agents[:2], AGENTS_LEAVE, strict=True):
                left[int(i)] = _day(when)
                voluntary[int(i)] = True
        years = (first - START) / 365.25
        lf = np.array(left)
        for d, count in enumerate(_DEPT_START):
            if d == SUPPORT and first >= _day(date(2026, 9, 1)):
                continue  # the agents who left are not replaced before December
            target = round(count * (1 + _DEPT_GROWTH[d]) ** years)
            staying = int(((dp == d) & (h <= last) & ((lf == NO_DAY) | (lf > last))).sum())
            need = target - staying
            if need <= 0:
                continue
            start_day = np.where(rng.random(need) < 0.4, first, rng.integers(first, last + 1, need))
            hired += list(start_day)
            dept += [d] * need
            loc += list(_pick(rng, _DEPT_LOCATION[d], need))
            p_level = np.array([0.45, 0.4, 0.15, 0.0]) if d == SUPPORT else np.array([0.45, 0.35, 0.15, 0.05])
            level += list(_pick(rng, p_level, need))
            left += [NO_DAY] * need
            voluntary += [False] * need
    order = np.lexsort((np.array(dept), np.array(hired)))
    return _People(
        hired=np.array(hired, dtype=np.int64)[order],
        left=np.array(left, dtype=np.int64)[order],
        department=np.array(dept, dtype=np.int64)[order],
        location=np.array(loc, dtype=np.int64)[order],
        level=np.array(level, dtype=np.int64)[order],
        voluntary=np.array(voluntary, dtype=np.bool_)[order],
    )


def _employee_columns(rng: np.random.Generator, people: _People) -> Columns:
    n = len(people.hired)
    salary = _BASE_SALARY[people.department] * _LEVEL_FACTOR[people.level] * np.exp(0.08 * rng.standard_normal(n))
    salary_cents = (np.round(salary / 100) * 10_000).astype(np.int64)
    gone = people.left == NO_DAY
    leave_type = np.where(people.voluntary, 0, 1).astype(np.int64)
    return {
        "employee_id": _ids(n),
        "department": _labels(people.department, DEPARTMENTS),
        "location": _labels(people.location, WAREHOUSES),
        "job_level": _labels(people.level, LEVELS),
        "hired_on": _dates(people.hired),
        "left_on": _dates(np.where(gone, 0, people.left), gone),
        "leave_type": pa.array(np.array(["voluntary", "involuntary"], dtype=object)[leave_type], mask=gone),
        "annual_salary": _values(salary_cents),
    }


# --- support ----------------------------------------------------------------------------------

TICKET_CHANNELS = ("email", "chat", "phone")
TICKET_CATEGORIES = ("order", "delivery", "product", "returns", "billing")
PRIORITIES = ("low", "normal", "high", "urgent")
TEAMS = ("Tier 1", "Tier 2")
_TICKETS_PER_ORDER = np.array([0.10, 0.115, 0.075, 0.08, 0.04])
_FRT_MEDIAN = np.array([150.0, 2.5, 1.5])  # minutes, by channel
_FRT_SIGMA = np.array([0.8, 0.6, 0.5])
_HANDLING_MEDIAN = np.array([7.0, 11.0, 8.0])
_CSAT_GOOD = np.array([0.015, 0.02, 0.06, 0.24, 0.665])
_CSAT_POOR = np.array([0.06, 0.08, 0.13, 0.31, 0.42])


def _support_tickets(cal: _Calendar, rng: np.random.Generator, sales: _Sales, people: _People) -> Columns:
    padded = np.pad(sales.orders_per_day.astype(np.float64), 3, mode="edge")
    smooth = np.convolve(padded, np.ones(7) / 7, mode="valid")
    base = smooth[:, None] * _TICKETS_PER_ORDER[None, :]
    story = np.ones_like(base)
    migration = cal.between(MIGRATION[0], date(2026, 2, 28))
    story[migration, 1] *= 2.1  # where is my parcel?
    story[cal.index(OUTAGE_DAY), 0] *= 3.0
    story[cal.index(OUTAGE_DAY), 4] *= 2.5
    story[cal.index(OUTAGE_DAY) + 1, 0] *= 1.5
    story[cal.between(date(2025, 9, 8), date(2025, 10, 31)), 2] *= 1.8  # the faulty tents
    story[cal.between(date(2025, 10, 1), date(2025, 10, 31)), 3] *= 1.5
    counts = rng.poisson(base * story)
    day = np.repeat(np.repeat(np.arange(cal.n, dtype=np.int64), 5), counts.ravel())
    category = np.repeat(np.tile(np.arange(5, dtype=np.int64), cal.n), counts.ravel())
    minute = rng.choice(1440, size=len(day), p=OFFICE_HOURS).astype(np.int64)
    created = cal.days[day] * DAY_S + minute * 60 + rng.integers(0, 60, len(day))
    order = np.argsort(created, kind="stable")
    day, category, created = day[order], category[order], created[order]
    n = len(day)

    chat_shift = 0.03 * cal.years[day]
    channel = _pick_rows(rng, np.stack([0.45 - chat_shift, 0.35 + chat_shift, np.full(n, 0.2)], axis=1))
    priority = _pick(rng, np.array([0.2, 0.6, 0.15, 0.05]), n)
    tier2 = rng.random(n) < np.array([0.12, 0.1, 0.35, 0.1, 0.3])[category]
    team = tier2.astype(np.int64)

    # agents: Support employees on duty that day (Tier 1 junior/mid, Tier 2 senior)
    agent_ids = np.flatnonzero((people.department == SUPPORT) & (people.level <= 2))
    names = rng.choice(len(_FIRST_NAMES) * len(_LAST_NAMES), size=len(agent_ids), replace=False)
    agent_names = [f"{_FIRST_NAMES[k // len(_LAST_NAMES)]} {_LAST_NAMES[k % len(_LAST_NAMES)]}" for k in names]
    agent = np.zeros(n, dtype=np.int64)
    for t in (0, 1):
        members = agent_ids[(people.level[agent_ids] == 2) == bool(t)]
        on_duty = (people.hired[members][None, :] <= cal.days[:, None]) & (
            people.left[members][None, :] >= cal.days[:, None]
        )
        cum = np.cumsum(on_duty, axis=1)
        rows = np.flatnonzero(team == t)
        available = cum[day[rows], -1]
        assert available.min() > 0, "a support team without agents on duty"
        pick = np.floor(rng.random(len(rows)) * available).astype(np.int64)
        slot = (cum[day[rows]] <= pick[:, None]).sum(axis=1)
        agent[rows] = np.searchsorted(agent_ids, members[slot])
    agent_label = [agent_names[k] for k in agent]

    # first response: busier days answer later; the migration and the short-staffed autumn of 2026 too
    load = (counts.sum(axis=1) / base.sum(axis=1))[day]
    slow = np.ones(n)
    slow[migration[day]] = 1.45
    d = cal.days[day]
    slow = np.where(d >= _day(AGENTS_LEAVE[0]), 1.3, slow)
    slow = np.where(d >= _day(AGENTS_LEAVE[1]), 1.55, slow)
    weekend = np.where((cal.weekday[day] >= 5) & (channel == 0), 1.25, 1.0)
    frt = _FRT_MEDIAN[channel] * np.exp(_FRT_SIGMA[channel] * rng.standard_normal(n))
    frt = np.round(frt * slow * weekend * load**0.7, 2)
    handling = np.round(_HANDLING_MEDIAN[channel] * np.where(tier2, 1.6, 1.0) * np.exp(0.5 * rng.standard_normal(n)), 1)
    autumn = d >= _day(AGENTS_LEAVE[0])
    p_fcr = 0.77 - 0.12 * tier2 - 0.12 * migration[day] - 0.05 * autumn - 0.03 * (channel == 0)
    fcr = rng.random(n) < p_fcr
    later = np.exp(np.log(26 * 60) + 0.8 * rng.standard_normal(n))  # minutes until solved when not at once
    resolved = created + np.round((frt + handling + np.where(fcr, 0.0, later)) * 60).astype(np.int64)
    open_ = resolved > END * DAY_S + DAY_S - 1
    fcr &= ~open_
    reopened = ~open_ & (rng.random(n) < np.where(fcr, 0.03, 0.09))
    good = fcr & (frt <= 2.5 * _FRT_MEDIAN[channel]) & ~reopened
    score = np.where(good, _pick(rng, _CSAT_GOOD, n), _pick(rng, _CSAT_POOR, n)) + 1
    answered = ~open_ & (rng.random(n) < 0.3)
    return {
        "ticket_id": _ids(n),
        "created_at": _timestamps(created),
        "created_on": _dates(cal.days[day]),
        "channel": _labels(channel, TICKET_CHANNELS),
        "category": _labels(category, TICKET_CATEGORIES),
        "priority": _labels(priority, PRIORITIES),
        "team": _labels(team, TEAMS),
        "agent": pa.array(agent_label),
        "first_response_minutes": _values(frt),
        "handling_minutes": _values(handling),
        "resolved_at": _timestamps(resolved, open_),
        "resolved_first_contact": _values(fcr),
        "reopened": _values(reopened),
        "csat_score": _values(score.astype(np.int16), ~answered),
    }


# --- finance ----------------------------------------------------------------------------------

_RENT = np.array([8_000, 6_000, 52_000, 0, 7_000, 8_000, 4_500, 3_500], dtype=np.float64)
_SOFTWARE = np.array([4_500, 6_000, 5_000, 2_500, 7_000, 38_000, 3_000, 2_500], dtype=np.float64)
_OTHER = np.array([4_000, 3_000, 6_000, 5_000, 1_500, 2_500, 2_000, 1_800], dtype=np.float64)
_PARCEL_COST = {"DHL": "6.10", "UPS": "7.40", "PostNL": "5.20", "Canada Post": "8.90", "NorthFreight": "7.80"}


def _fixed_expenses(rng: np.random.Generator) -> Columns:
    """Rent, software and other costs per month and department (payroll, marketing and logistics are derived)."""
    months: list[int] = []
    depts: list[int] = []
    cats: list[str] = []
    cents: list[I64] = []
    for first, last in _month_bounds(DEMO_START, DEMO_END):
        year = (first - START) / 365.25
        index = 1.03 ** (date.fromordinal(_EPOCH.toordinal() + first).year - DEMO_START.year)
        full = (date.fromordinal(_EPOCH.toordinal() + last) + timedelta(days=1)).day == 1
        elapsed = 1.0 if full else (last - first + 1) / 30
        k = len(DEPARTMENTS)
        parts = (
            ("rent", _RENT * index * np.ones(k)),
            ("software", _SOFTWARE * 1.22 ** (0.5 * year) * np.exp(0.05 * rng.standard_normal(k))),
            ("other", _OTHER * elapsed * np.exp(0.2 * rng.standard_normal(k))),
        )
        for category, amount in parts:
            has = np.flatnonzero(amount > 0)  # Manufacturing's workshop rent is in the unit costs
            months += [first] * len(has)
            depts += list(has)
            cats += [category] * len(has)
            cents.append(np.round(amount[has] * 100).astype(np.int64))
    return {
        "month": _dates(np.array(months, dtype=np.int64)),
        "department": _labels(np.array(depts, dtype=np.int64), DEPARTMENTS),
        "category": pa.array(cats),
        "amount": _values(np.concatenate(cents)),
    }


# --- operations: inventory and production -----------------------------------------------------


def _inventory(cal: _Calendar, rng: np.random.Generator, products: _Products, sales: _Sales) -> Columns:
    """Weekly stock per product and warehouse: sales take units out, reorders arrive after a lead time."""
    first_sunday = START + (6 - (START + 3) % 7)
    sundays = np.arange(first_sunday, END + 1, 7, dtype=np.int64)
    weeks = len(sundays)
    series = products.n * 3
    sold = sales.status[sales.item_order] != 2
    item_day = cal.days[sales.order_day[sales.item_order]][sold]
    week = (item_day - (first_sunday - 6)) // 7
    key = sales.item_product[sold] * 3 + sales.warehouse[sales.item_order][sold]
    inside = (week >= 0) & (week < weeks)
    demand = np.zeros((weeks, series), dtype=np.int64)
    np.add.at(demand, (week[inside], key[inside]), sales.item_quantity[sold][inside])

    in_house = np.repeat(products.in_house, 3)
    average = demand.mean(axis=0) + 0.3
    ema = average.copy()
    stock = np.round(average * 9).astype(np.int64) + 5
    on_order = np.zeros(series, dtype=np.int64)
    arrivals = np.zeros((weeks + 8, series), dtype=np.int64)
    units = np.zeros((weeks, series), dtype=np.int64)
    for k in range(weeks):
        stock += arrivals[k]
        on_order -= arrivals[k]
        stock -= np.minimum(stock, demand[k])
        ema = 0.75 * ema + 0.25 * demand[k]
        reorder = stock + on_order < ema * 4.2
        quantity = np.where(reorder, np.ceil(ema * 9 + 3), 0).astype(np.int64)
        lead = np.where(in_house, rng.integers(1, 3, series), rng.integers(2, 4, series))
        lead = lead + (rng.random(series) < 0.15) * rng.integers(1, 5, series)  # late suppliers
        np.add.at(arrivals, (k + lead, np.arange(series)), quantity)
        on_order += quantity
        units[k] = stock
    snap = np.repeat(sundays, series)
    product = np.tile(np.repeat(np.arange(products.n, dtype=np.int64), 3), weeks)
    warehouse = np.tile(np.arange(3, dtype=np.int64), products.n * weeks)
    flat = units.ravel()
    return {
        "snapshot_date": _dates(snap),
        "product_id": _values(product + 1),
        "category": _labels(products.category[product], CATEGORIES),
        "warehouse": _labels(warehouse, WAREHOUSES),
        "units_on_hand": _values(flat),
        "inventory_value": _values(flat * products.cost[product]),
        "stockout": _values(flat == 0),
    }


_RUN_UNITS = np.array([25.0, 50.0, 90.0, 45.0, 110.0])  # planned units per run, by category
_DEFECT_RATE = np.array([0.012, 0.016, 0.013])  # by line


def _production_runs(cal: _Calendar, rng: np.random.Generator, products: _Products) -> Columns:
    christmas = (cal.month_of_year == 12) & (cal.day_of_year >= 357) | (cal.month_of_year == 1) & (cal.day_of_year == 0)
    working = (cal.weekday < 5) & ~christmas
    summer = (cal.month_of_year >= 5) & (cal.month_of_year <= 7)
    days: list[I64] = []
    lines: list[I64] = []
    slots: list[I64] = []
    for k, runs in enumerate((3, 2, 2)):
        per_day = np.where(working, runs + (summer & (k == 1)), 0).astype(np.int64)
        on = np.repeat(np.arange(cal.n, dtype=np.int64), per_day)
        days.append(on)
        lines.append(np.full(len(on), k, dtype=np.int64))
        slots.append(np.arange(len(on), dtype=np.int64) - np.repeat(_starts(per_day), per_day))
    day = np.concatenate(days)
    line = np.concatenate(lines)
    slot = np.concatenate(slots)
    order = np.lexsort((slot, line, day))
    day, line, slot = day[order], line[order], slot[order]
    n = len(day)
    product = np.zeros(n, dtype=np.int64)
    for ln in range(3):
        rows = np.flatnonzero(line == ln)
        ids = np.flatnonzero(products.in_house & (LINE_OF_CATEGORY[products.category] == ln))
        product[rows] = ids[_pick(rng, products.popularity[ids], len(rows))]
    planned_units = (np.round(_RUN_UNITS[products.category[product]] * rng.uniform(0.7, 1.3, n) / 10) * 10).astype(
        np.int64
    )
    planned_minutes = rng.choice(np.array([150, 180, 210]), size=n).astype(np.int64)
    started = cal.days[day] * DAY_S + (6 * 60 + slot * 225 + rng.integers(0, 10, n)) * 60
    breakdown = rng.random(n) < 0.05
    downtime = rng.binomial(planned_minutes, 0.025) + breakdown * rng.integers(20, 90, n)
    downtime = np.minimum(downtime, planned_minutes).astype(np.int64)
    produced = np.round(planned_units * (1 - downtime / planned_minutes) * rng.uniform(0.96, 1.01, n)).astype(np.int64)
    rate = _DEFECT_RATE[line] * np.exp(0.25 * rng.standard_normal(n))
    fault = (line == 1) & cal.between(*LINE_B_FAULT)[day]
    rate = np.where(fault, rate * 3.2, rate)
    defective = rng.binomial(produced, np.minimum(rate, 0.5)).astype(np.int64)
    return {
        "run_id": _ids(n),
        "product_id": _values(product + 1),
        "line": _labels(line, LINES),
        "run_date": _dates(cal.days[day]),
        "started_at": _timestamps(started),
        "planned_units": _values(planned_units),
        "produced_units": _values(produced),
        "defective_units": _values(defective),
        "planned_minutes": _values(planned_minutes),
        "downtime_minutes": _values(downtime),
    }


# --- IT ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Incident:
    system: int
    severity: int
    started: int  # seconds since the epoch, whole minutes
    detect_after: int  # minutes
    duration: int  # minutes from detection to resolution
    down: bool  # an outage (downtime = started..resolved) rather than a degradation


def _story_incidents() -> list[_Incident]:
    def at(d: date, hour: int, minute: int) -> int:
        return _day(d) * DAY_S + (hour * 60 + minute) * 60

    checkout, erp, warehouse = SYSTEMS.index("checkout"), SYSTEMS.index("erp"), SYSTEMS.index("warehouse")
    outage_minutes = OUTAGE_MINUTES[1] - OUTAGE_MINUTES[0]
    return [
        _Incident(checkout, 0, at(OUTAGE_DAY, 10, 40), 12, outage_minutes - 12, True),
        _Incident(erp, 1, at(date(2026, 2, 2), 7, 10), 9, 86, True),
        _Incident(warehouse, 1, at(date(2026, 2, 4), 13, 20), 6, 64, True),
        _Incident(erp, 0, at(date(2026, 2, 9), 8, 5), 14, 176, True),
        _Incident(erp, 2, at(date(2026, 2, 16), 9, 0), 25, 300, False),
        _Incident(warehouse, 1, at(date(2026, 2, 18), 23, 30), 8, 47, True),  # across midnight
        _Incident(checkout, 2, at(SLUMP, 9, 30), 40, 240, False),  # the redesigned checkout goes live
    ]


def _random_incidents(cal: _Calendar, rng: np.random.Generator) -> list[_Incident]:
    """Everyday incidents: sev2 outages of a few dozen minutes, sev3 degradations (no downtime)."""
    sev3_per_month = np.array([0.8, 0.5, 0.9, 0.7, 0.5])
    sev2_per_month = np.array([0.25, 0.2, 0.3, 0.25, 0.2])
    found: list[_Incident] = []
    last_start = cal.n - 2  # every incident ends inside the history
    for sev, rates in ((1, sev2_per_month), (2, sev3_per_month)):
        counts = rng.poisson(np.broadcast_to(rates / 30.44, (last_start, 5)))
        on, where = np.nonzero(counts)
        minute = rng.integers(0, 1440, len(on))
        detect = rng.geometric(1 / 6 if sev == 1 else 1 / 10, len(on))
        median = 25.0 if sev == 1 else 50.0
        duration = np.minimum(np.round(_lognormal(rng, median, 0.6, len(on))), 180).astype(np.int64)
        for k in range(len(on)):
            started = int(cal.days[on[k]]) * DAY_S + int(minute[k]) * 60
            found.append(_Incident(int(where[k]), sev, started, int(detect[k]), int(duration[k]) + 1, sev == 1))
    return found


def _incidents(cal: _Calendar, rng: np.random.Generator) -> tuple[Columns, Columns]:
    found = _random_incidents(cal, rng)
    story = _story_incidents()

    def end(i: _Incident) -> int:
        return i.started + (i.detect_after + i.duration) * 60

    kept = list(story)
    for candidate in sorted(found, key=lambda i: (i.started, i.system, i.severity)):
        if all(
            i.system != candidate.system or end(i) + 3600 < candidate.started or end(candidate) + 3600 < i.started
            for i in kept
        ):
            kept.append(candidate)
    kept.sort(key=lambda i: (i.started, i.system))
    n = len(kept)
    system = np.array([i.system for i in kept], dtype=np.int64)
    severity = np.array([i.severity for i in kept], dtype=np.int64)
    started = np.array([i.started for i in kept], dtype=np.int64)
    detected = started + np.array([i.detect_after for i in kept], dtype=np.int64) * 60
    resolved = np.array([end(i) for i in kept], dtype=np.int64)
    down = np.array([i.down for i in kept])
    downtime = np.where(down, (resolved - started) / 60, 0.0)
    facing = np.isin(system, (0, 1)) | ((system == 4) & (severity <= 1))
    incidents: Columns = {
        "incident_id": _ids(n),
        "system": _labels(system, SYSTEMS),
        "severity": _labels(severity, SEVERITIES),
        "started_at": _timestamps(started),
        "detected_at": _timestamps(detected),
        "resolved_at": _timestamps(resolved),
        "started_on": _dates(started // DAY_S),
        "downtime_minutes": _values(downtime),
        "customer_facing": _values(facing),
    }

    # each day's share of the downtime, split at midnight
    minutes_down = np.zeros((cal.n, 5))
    for k in np.flatnonzero(down):
        t, stop = int(started[k]), int(resolved[k])
        while t < stop:
            midnight = (t // DAY_S + 1) * DAY_S
            part = min(stop, midnight) - t
            minutes_down[t // DAY_S - START, system[k]] += part / 60
            t += part
    day_i, system_i = (a.ravel().astype(np.int64) for a in np.indices(minutes_down.shape))
    uptime: Columns = {
        "date": _dates(cal.days[day_i]),
        "system": _labels(system_i, SYSTEMS),
        "minutes_total": _values(np.full(len(day_i), 1440, dtype=np.int64)),
        "minutes_down": _values(minutes_down.ravel()),
    }
    return incidents, uptime


# --- healthcare sample ------------------------------------------------------------------------

CLINICS = ("North", "South")
SPECIALTIES = ("general", "cardiology", "orthopedics", "pediatrics")
_SATISFACTION_P = np.array([0.01, 0.01, 0.01, 0.02, 0.02, 0.04, 0.06, 0.13, 0.25, 0.25, 0.20])
_SATISFACTION_SLOW_P = np.array([0.03, 0.02, 0.03, 0.05, 0.06, 0.09, 0.12, 0.18, 0.2, 0.13, 0.09])


def _clinic_visits(cal: _Calendar, rng: np.random.Generator) -> Columns:
    winter = np.isin(cal.month_of_year, (12, 1, 2))
    rate = np.select([cal.weekday == 5, cal.weekday == 6], [48.0, 42.0], 68.0) * (1 + 0.03 * cal.years)
    count = rng.poisson(rate * np.where(winter, 1.1, 1.0))
    day = np.repeat(np.arange(cal.n, dtype=np.int64), count)
    n = len(day)
    clinic = (rng.random(n) < 0.45).astype(np.int64)
    specialty = _pick(rng, np.array([0.5, 0.15, 0.2, 0.15]), n)
    arrival_minute = 8 * 60 + np.floor(600 * rng.beta(1.6, 2.2, n)).astype(np.int64)
    arrived = cal.days[day] * DAY_S + arrival_minute * 60 + rng.integers(0, 60, n)
    order = np.argsort(arrived, kind="stable")
    day, clinic, specialty, arrived = day[order], clinic[order], specialty[order], arrived[order]
    wait = np.round(_lognormal(rng, np.where(specialty == 3, 16.0, 22.0), 0.55, n) * 60).astype(np.int64)
    exam = np.round(_lognormal(rng, np.array([42.0, 60.0, 50.0, 38.0])[specialty], 0.35, n) * 60).astype(np.int64)
    checkout = rng.integers(180, 900, n)
    seen = arrived + wait
    discharged = seen + exam + checkout
    throughput = (discharged - arrived) / 60.0
    # patients: about 45 % of visits are a patient's first
    new = rng.random(n) < 0.45
    known = 9_000 + np.cumsum(new)
    patient = np.where(new, known, np.floor(known * rng.random(n) ** 0.7).astype(np.int64) + 1)
    admitted = rng.random(n) < np.array([0.025, 0.08, 0.04, 0.02])[specialty]
    readmitted = rng.random(n) < np.array([0.09, 0.12, 0.12, 0.07])[specialty]
    slow = wait > 40 * 60
    score = np.where(slow, _pick(rng, _SATISFACTION_SLOW_P, n), _pick(rng, _SATISFACTION_P, n))
    answered = rng.random(n) < 0.4
    return {
        "visit_id": _ids(n),
        "patient_id": _values(patient.astype(np.int64)),
        "clinic": _labels(clinic, CLINICS),
        "specialty": _labels(specialty, SPECIALTIES),
        "visit_date": _dates(cal.days[day]),
        "arrived_at": _timestamps(arrived),
        "seen_at": _timestamps(seen),
        "discharged_at": _timestamps(discharged),
        "throughput_minutes": _values(throughput),
        "admitted": _values(admitted),
        "readmitted_within_30d": _values(readmitted),
        "satisfaction_score": _values(score.astype(np.int16), ~answered),
    }


# --- writing ----------------------------------------------------------------------------------


def _build() -> dict[str, Columns]:
    """Every base table's columns (derived tables are computed in DuckDB)."""
    rngs = np.random.default_rng(SEED).spawn(15)
    cal = _Calendar.build()
    products, product_columns = _products(rngs[0])
    marketing = _marketing_spend(cal, rngs[1])
    sales = _sales(cal, rngs[2], products, marketing)
    _attribute(cal, rngs[3], marketing, sales)
    people = _people(rngs[4])
    incidents, uptime = _incidents(cal, rngs[5])
    tables = {
        "products": product_columns,
        **sales.columns,
        "marketing_spend": _marketing_columns(marketing),
        "social_posts": _social_posts(cal, rngs[6]),
        "leads": _leads(cal, rngs[7]),
        "club_memberships": _club(cal, rngs[8], sales),
        "support_tickets": _support_tickets(cal, rngs[9], sales, people),
        "employees": _employee_columns(rngs[10], people),
        "inventory_snapshots": _inventory(cal, rngs[11], products, sales),
        "production_runs": _production_runs(cal, rngs[12], products),
        "system_incidents": incidents,
        "system_uptime_daily": uptime,
        "clinic_visits": _clinic_visits(cal, rngs[13]),
        "_fixed_expenses": _fixed_expenses(rngs[14]),
    }
    return tables


def _select(name: str) -> str:
    """The SELECT list that casts a source's columns to the contract's types (money from cents)."""
    parts = []
    for column, sql_type in SCHEMA[name]:
        if sql_type.startswith("DECIMAL"):
            parts.append(f'CAST(CAST("{column}" AS DECIMAL(18,0)) * 0.01 AS {sql_type}) AS "{column}"')
        else:
            parts.append(f'CAST("{column}" AS {sql_type}) AS "{column}"')
    return ", ".join(parts)


def _load(con: duckdb.DuckDBPyConnection, name: str, columns: Columns) -> None:
    con.register("_source", pa.table(columns))
    try:
        con.execute(f'CREATE TABLE "{name}" AS SELECT {_select(name)} FROM _source')
    finally:
        con.unregister("_source")


def _derive(con: duckdb.DuckDBPyConnection, fixed: Columns) -> None:
    """The tables the contract defines from other tables, computed exactly in SQL."""
    months = (
        f"SELECT CAST(m AS DATE) AS month, CAST(last_day(m) AS DATE) AS last,"
        f" CAST(least(last_day(m), DATE '{DEMO_END}') AS DATE) AS last_seen"
        f" FROM generate_series(DATE '{DEMO_START.replace(day=1)}', DATE '{DEMO_END.replace(day=1)}',"
        f" INTERVAL 1 MONTH) AS t(m)"
    )
    con.execute(f"""
        CREATE TABLE club_member_months AS
        WITH months AS ({months}), member_months AS (
            SELECT m.month, c.membership_id, c.plan, c.region,
                c.started_on < m.month AND (c.cancelled_on IS NULL OR c.cancelled_on >= m.month) AS active_at_start,
                c.started_on BETWEEN m.month AND m.last AS joined,
                coalesce(c.cancelled_on BETWEEN m.month AND m.last, false) AS cancelled,
                c.cancelled_on IS NULL OR c.cancelled_on > m.last AS active_at_end,
                c.monthly_fee
            FROM months AS m
            JOIN club_memberships AS c
              ON c.started_on <= m.last AND (c.cancelled_on IS NULL OR c.cancelled_on >= m.month)
        )
        SELECT CAST(month AS DATE) AS month, CAST(membership_id AS BIGINT) AS membership_id,
            CAST(plan AS VARCHAR) AS plan, CAST(region AS VARCHAR) AS region,
            CAST(active_at_start AS BOOLEAN) AS active_at_start, CAST(joined AS BOOLEAN) AS joined,
            CAST(cancelled AS BOOLEAN) AS cancelled, CAST(active_at_end AS BOOLEAN) AS active_at_end,
            CAST(CASE WHEN active_at_end THEN monthly_fee ELSE 0 END AS DECIMAL(8,2)) AS mrr
        FROM member_months
        ORDER BY month, membership_id
    """)
    con.execute(f"""
        CREATE TABLE headcount_monthly AS
        WITH months AS ({months}),
        groups AS (SELECT DISTINCT department, location FROM employees)
        SELECT CAST(m.month AS DATE) AS month, CAST(g.department AS VARCHAR) AS department,
            CAST(g.location AS VARCHAR) AS location,
            CAST(count(e.employee_id) FILTER (
                WHERE e.hired_on < m.month AND (e.left_on IS NULL OR e.left_on >= m.month)) AS INTEGER)
                AS headcount_start,
            CAST(count(e.employee_id) FILTER (WHERE e.hired_on BETWEEN m.month AND m.last) AS INTEGER) AS hires,
            CAST(count(e.employee_id) FILTER (WHERE e.left_on BETWEEN m.month AND m.last) AS INTEGER) AS leavers,
            CAST(count(e.employee_id) FILTER (
                WHERE e.left_on BETWEEN m.month AND m.last AND e.leave_type = 'voluntary') AS INTEGER)
                AS voluntary_leavers,
            CAST(count(e.employee_id) FILTER (
                WHERE e.hired_on <= m.last AND (e.left_on IS NULL OR e.left_on > m.last)) AS INTEGER)
                AS headcount_end
        FROM months AS m
        CROSS JOIN groups AS g
        LEFT JOIN employees AS e ON e.department = g.department AND e.location = g.location
        GROUP BY ALL
        ORDER BY month, department, location
    """)
    parcel = " ".join(f"WHEN '{carrier}' THEN {cost}" for carrier, cost in _PARCEL_COST.items())
    con.register("_fixed", pa.table(fixed))
    try:
        con.execute(f"""
            CREATE TABLE operating_expenses AS
            WITH months AS ({months}),
            payroll AS (  -- salaries plus 15 % employer costs, for the days employed; Manufacturing's
                          -- wages are part of the products' unit costs
                SELECT m.month, e.department, 'payroll' AS category,
                    sum(CAST(round(CAST(e.annual_salary AS DOUBLE) * 1.15 / 12
                        * (date_diff('day', greatest(e.hired_on, m.month),
                                     least(coalesce(e.left_on, m.last_seen), m.last_seen)) + 1)
                        / day(m.last), 2) AS DECIMAL(12,2))) AS amount
                FROM months AS m
                JOIN employees AS e ON e.hired_on <= m.last_seen AND (e.left_on IS NULL OR e.left_on >= m.month)
                WHERE e.department <> 'Manufacturing'
                GROUP BY ALL
            ),
            marketing AS (
                SELECT CAST(date_trunc('month', "date") AS DATE) AS month, 'Marketing' AS department,
                    'marketing' AS category, sum(spend) AS amount
                FROM marketing_spend GROUP BY ALL
            ),
            logistics AS (
                SELECT CAST(date_trunc('month', shipped_on) AS DATE) AS month, 'Operations' AS department,
                    'logistics' AS category, sum(CASE carrier {parcel} END) AS amount
                FROM deliveries GROUP BY ALL
            ),
            fixed AS (
                SELECT CAST(month AS DATE) AS month, CAST(department AS VARCHAR) AS department,
                    CAST(category AS VARCHAR) AS category,
                    CAST(CAST(amount AS DECIMAL(18,0)) * 0.01 AS DECIMAL(12,2)) AS amount
                FROM _fixed
            ),
            all_lines AS (
                SELECT * FROM payroll UNION ALL SELECT * FROM marketing
                UNION ALL SELECT * FROM logistics UNION ALL SELECT * FROM fixed
            )
            SELECT CAST(month AS DATE) AS month, CAST(department AS VARCHAR) AS department,
                CAST(category AS VARCHAR) AS category, CAST(amount AS DECIMAL(12,2)) AS amount
            FROM all_lines
            ORDER BY month, department, category
        """)
    finally:
        con.unregister("_fixed")


def generate(path: Path) -> Path:
    """Write the demo company's tables into the DuckDB file ``path`` (replacing it); return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = _build()
    fixed = tables.pop("_fixed_expenses")
    partial = path.with_name(path.name + ".partial")  # built aside, moved into place when complete
    for stale in (partial, partial.with_name(partial.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        con.execute("SET enable_progress_bar = false")
        for name, columns in tables.items():
            _load(con, name, columns)
        _derive(con, fixed)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    os.replace(partial, path)
    return path
