"""``onpace init``: a new project with starter definitions and sample data."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from importlib import resources
from pathlib import Path

from onpace.errors import UserError

SAMPLE_START = dt.date(2024, 1, 1)
SAMPLE_DAYS = 2 * 366


def create_project(directory: Path, *, force: bool = False, sample: bool = True) -> Path:
    """Write onpace.yml, models/ and (with ``sample``) data/warehouse.duckdb into ``directory``."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()) and not force:
        raise UserError(f"{directory} is not empty; choose a new directory or pass --force")
    copy_template("starter", directory)
    if sample:
        write_sample(directory / "data" / "warehouse.duckdb")
    return directory.resolve()


def copy_template(name: str, directory: Path) -> None:
    """Copy the example project ``name`` (a folder of ``onpace.examples``) into ``directory``, with the
    JSON Schemas of the definitions and a .gitignore that leaves the data and the store out."""
    directory.mkdir(parents=True, exist_ok=True)
    template = resources.files("onpace.examples") / name
    with resources.as_file(template) as source:
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    write_project_support(directory)


def write_project_support(directory: Path) -> None:
    """What every new project gets besides its definitions: the JSON Schemas (for editor
    completion) and a .gitignore that leaves the data and the store out of version control."""
    (directory / ".gitignore").write_text("data/\n.onpace/\n", encoding="utf-8")
    write_schemas(directory / "schema")


def write_schemas(directory: Path) -> None:
    """The JSON Schemas of the definitions, for editor completion (see the files' first line)."""
    from onpace.catalog.schema import write

    write(directory)


def sample_orders(seed: int = 7) -> list[tuple[int, int, dt.date, str, str, float]]:
    """Deterministic sample orders: two years, weekly and yearly seasonality, growth."""
    rng = random.Random(seed)
    rows = []
    order_id = 0
    for day in range(SAMPLE_DAYS):
        date = SAMPLE_START + dt.timedelta(days=day)
        weekday_factor = 0.7 if date.weekday() >= 5 else 1.0
        season = 1.3 if date.month in (11, 12) else 1.0
        growth = 1 + day / SAMPLE_DAYS * 0.4
        for _ in range(int(rng.gauss(20, 4) * weekday_factor * season * growth)):
            order_id += 1
            rows.append(
                (
                    order_id,
                    rng.randint(1, 400),
                    date,
                    rng.choices(["web", "app", "store"], weights=[5, 3, 2])[0],
                    rng.choice(["EU", "NA", "APAC"]),
                    round(rng.lognormvariate(4, 0.6), 2),
                )
            )
    return rows


def write_sample(path: Path) -> None:
    import duckdb
    import pyarrow as pa

    rows = sample_orders()
    names = ["order_id", "customer_id", "order_date", "channel", "region", "amount"]
    orders = pa.table({name: [r[i] for r in rows] for i, name in enumerate(names)})
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.register("sample_orders", orders)
        con.execute(
            "CREATE OR REPLACE TABLE orders AS SELECT order_id::BIGINT AS order_id, customer_id::BIGINT AS customer_id, "
            "order_date::DATE AS order_date, channel, region, amount::DECIMAL(12, 2) AS amount FROM sample_orders"
        )
    finally:
        con.close()
