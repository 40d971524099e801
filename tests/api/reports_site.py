"""The test site (TPC-H) with two reports and a folder channel: what the Reports API and page tests use.

- ``ops``: the KPIs of objective ``deliver_reliably`` (on_time_delivery, returns_in_1998), on demand,
  to the ``inbox`` folder channel, with a label to escape;
- ``sales``: quarterly_revenue, every Monday at 07:00 in Europe/London, to the inbox, CSV only.

The data ends on 1998-08-02 (``as_of: latest_data``): the reports are as of that day by default.
"""

from __future__ import annotations

from pathlib import Path

LATEST = "1998-08-02"
REPORTS = """reports:
  - name: ops
    label: Ops <b>pack</b>
    audience: {objective: deliver_reliably}
    recipients: [channel:inbox]
  - name: sales
    label: Weekly sales
    audience: {kpis: [quarterly_revenue]}
    schedule: {cron: "0 7 * * mon", timezone: Europe/London}
    recipients: [channel:inbox]
    formats: [csv]
"""


def add_reports(root: Path) -> None:
    """The reports above and the ``inbox`` channel (a folder of the site) in the site at ``root``."""
    config = root / "onpace.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "channels:\n  inbox: {type: file, folder: outbox}\n", encoding="utf-8"
    )
    (root / "models" / "reports.yml").write_text(REPORTS, encoding="utf-8")


def on_time_rate(root: Path, start: str, end: str) -> float:
    """The share of order lines received by their committed date, of orders placed from ``start`` to
    ``end``, by hand-written SQL on the site's data (the KPI on_time_delivery's actual)."""
    import shutil
    import tempfile

    import duckdb

    # a copy: the site's own engine holds the file open in this process, with its own settings
    folder = Path(tempfile.mkdtemp())
    shutil.copyfile(root / "data" / "tpch.duckdb", folder / "tpch.duckdb")
    con = duckdb.connect(str(folder / "tpch.duckdb"), read_only=True)
    try:
        [(rate,)] = con.execute(
            """
            SELECT count(*) FILTER (WHERE l_receiptdate <= l_commitdate)::DOUBLE / count(*)
            FROM lineitem JOIN orders ON l_orderkey = o_orderkey
            WHERE o_orderdate BETWEEN ?::DATE AND ?::DATE
            """,
            [start, end],
        ).fetchall()
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
    return float(rate)
