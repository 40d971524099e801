"""A missing table spoils no other dataset's check on DuckDB (issue 16, "the other problems seen").

ibis 12 lists a DuckDB 2 database's tables with ``execute()`` and then a method DuckDB 2
removed: the call failed, the "did you mean" was lost, and the result it left unread made the
connection refuse every later statement, so the next, valid dataset was reported with
"Resource In Use ... unfinished result". Data: ``orders`` and ``customers`` tables; the
datasets ``traffic`` and ``tickets`` name tables that do not exist.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import pytest

from onpace.catalog.project import load_project
from onpace.engine.check import check_sources
from onpace.engine.connect import settle, table_names

MODELS = """\
datasets:
  - name: traffic
    table: web_traffic_daily
    time: traffic_day
    dimensions:
      - {name: traffic_day, column: day, type: time}
    measures:
      - {name: sessions, agg: sum, expr: sessions}
  - name: tickets
    table: custmers
    time: ticket_day
    dimensions:
      - {name: ticket_day, column: day, type: time}
    measures:
      - {name: tickets, agg: count}
  - name: orders
    table: orders
    time: order_day
    dimensions:
      - {name: order_day, column: day, type: time}
    measures:
      - {name: revenue, agg: sum, expr: amount}
metrics:
  - {name: revenue, measure: orders.revenue}
"""


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "onpace.yml").write_text("name: shop\n", encoding="utf-8")
    (tmp_path / "models" / "shop.yml").write_text(MODELS, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE orders (day DATE, amount DOUBLE)")
        con.execute("INSERT INTO orders VALUES (DATE '2025-01-01', 10), (DATE '2025-01-02', 5)")
        con.execute("CREATE TABLE customers (day DATE, name VARCHAR)")
        con.execute("CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 6")
    finally:
        con.close()
    return tmp_path


def test_only_the_missing_tables_are_reported(project_dir: Path) -> None:
    issues = check_sources(load_project(project_dir))
    assert [(i.file, i.line, i.message, i.suggestion) for i in issues] == [
        ("models/shop.yml", 3, "dataset 'traffic': table 'web_traffic_daily' does not exist", None),
        ("models/shop.yml", 10, "dataset 'tickets': table 'custmers' does not exist", "customers"),
    ]


def test_table_names_reads_every_table_and_view_and_leaves_the_connection_usable(project_dir: Path) -> None:
    backend = ibis.duckdb.connect(str(project_dir / "data" / "warehouse.duckdb"), read_only=True)
    try:
        assert table_names(backend) == ["big_orders", "customers", "orders"]
        assert backend.con.sql("SELECT sum(amount) FROM orders").fetchall() == [(15.0,)]
    finally:
        backend.disconnect()


def test_settle_drops_a_result_left_unread(project_dir: Path) -> None:
    backend = ibis.duckdb.connect(str(project_dir / "data" / "warehouse.duckdb"), read_only=True)
    try:
        backend.con.execute("SELECT * FROM orders")  # left unread, as a failed call leaves it
        if hasattr(backend.con, "abort"):  # DuckDB 2 keeps it and refuses any other statement meanwhile
            with pytest.raises(duckdb.Error, match="unfinished result"):
                backend.con.sql("SELECT 1").fetchall()
        settle(backend)
        assert backend.con.sql("SELECT count(*) FROM orders").fetchall() == [(2,)]
        settle(backend)  # nothing left: nothing to do
    finally:
        backend.disconnect()
