"""An attainment just under 1 never reads 100% on a page, nor a chance just under 1 or above 0 a round
100% or 0%: the pages write shares as ``onpace status`` and the reasons do (:mod:`onpace.kpi.reason`).

Found on the served demo: "Checkout uptime in 2025", missed at 99.974% of its target, showed
"100% of pace" on its card and "Attainment 100.0%" on its page, beside "Missed", while
``onpace status`` said "pace 99.97%".
"""

from __future__ import annotations

from sqlalchemy import select, update
from tests.api.conftest import Site

from onpace.store.models import KpiEvaluation
from onpace.web.render import TEMPLATES


def test_the_filters_never_round_to_100_or_0() -> None:
    pct, likelihood = TEMPLATES.env.filters["pct"], TEMPLATES.env.filters["likelihood"]
    assert (pct(0.99974), pct(0.99974, 1), pct(0.5), pct(0.9, 1), pct(1.2), pct(None)) == (
        "99.97%",
        "99.97%",
        "50%",
        "90.0%",
        "120%",
        "–",
    )
    assert (likelihood(0.997), likelihood(0.003), likelihood(0.0), likelihood(1.0), likelihood(0.37)) == (
        ">99%",
        "<1%",
        "0%",
        "100%",
        "37%",
    )


def test_the_card_and_the_kpi_page_show_a_near_miss_as_one(site: Site) -> None:
    store = site.workspace.store
    with store.session() as s:
        latest = s.scalars(
            select(KpiEvaluation.id)
            .where(KpiEvaluation.kpi == "quarterly_revenue")
            .order_by(KpiEvaluation.id.desc())
            .limit(1)
        ).one()
        s.execute(update(KpiEvaluation).where(KpiEvaluation.id == latest).values(attainment=0.99974, probability=0.997))
    viewer = site.login("viewer")
    card = viewer.get("/").text
    assert "99.97% of pace" in card and "100% of pace" not in card
    page = viewer.get("/kpis/quarterly_revenue").text
    assert "<b>99.97%</b>" in page and "100.0%" not in page
    assert "<b>&gt;99%</b>" in page  # the chance: not 100%
    printed = viewer.get("/reports/print/scorecard")
    assert printed.status_code == 200
    assert '<td class="num">99.97%</td>' in printed.text and '<td class="num">&gt;99%</td>' in printed.text
