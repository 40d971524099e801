"""A KPI's chart as a PNG, drawn on the server for reports: the PDF and the email's inline images.

It draws the KPI page's series (:class:`onpace.services.views.kpis.KpiChart`, from
:func:`onpace.services.kpi_chart.chart`): the actual to date, the phased target path (or band),
and the forecast cone from the as-of day to the period end. Nothing is computed here: the numbers
are the chart's. matplotlib draws with its Agg backend on a ``Figure`` of its own (no pyplot, no
display, no state shared between threads), imported only when a chart is drawn (ADR 0016).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

from onpace.catalog import models as m
from onpace.catalog.display import compact_value
from onpace.services.views.kpis import KpiChart

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ACTUAL, TARGET, FORECAST, GRID = "#1d4ed8", "#667085", "#7c3aed", "#e4e7ec"
WIDTH_IN, HEIGHT_IN, DPI = 6.4, 2.6, 150  # 960 x 390 pixels, shown 640 pixels wide


def chart_png(chart: KpiChart, fmt: m.Format | None = None) -> bytes | None:
    """The chart as PNG bytes; None when the KPI was never evaluated (nothing to draw)."""
    if not chart.days or chart.as_of is None:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image  # matplotlib's own dependency

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    _draw(axes, chart, fmt)
    figure.tight_layout(pad=0.4)
    canvas.draw()
    # RGB without an alpha channel: smaller, and shown alike by every mail client and PDF reader
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw(axes: Axes, chart: KpiChart, fmt: m.Format | None) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import FuncFormatter

    days: Any = chart.days  # matplotlib takes dates where its stubs say floats
    low, high = chart.target_low, chart.target_high
    if any(v is not None for v in low) and any(v is not None for v in high):
        axes.fill_between(
            days, _nan(low), _nan(high), color=TARGET, alpha=0.15, linewidth=0, label="target band (phased)"
        )
    if any(v is not None for v in chart.target):
        axes.plot(days, _nan(chart.target), color=TARGET, linestyle="--", linewidth=1.2, label="target (phased)")
    seen = [(d, v) for d, v in zip(days, chart.actual, strict=True) if v is not None]
    if seen:
        axes.plot([d for d, _ in seen], [v for _, v in seen], color=ACTUAL, linewidth=2, label="actual")
    cone = chart.cone
    if cone is not None:
        start, end = cast(Any, cone.from_), cast(Any, cone.to)
        if cone.low is not None and cone.high is not None:
            axes.fill([start, end, end], [cone.start, cone.low, cone.high], color=FORECAST, alpha=0.15, linewidth=0)
        axes.plot(
            [start, end], [cone.start, cone.value], color=FORECAST, linestyle=":", linewidth=1.6, label="forecast"
        )
    axes.axvline(cast(Any, chart.as_of), color=TARGET, linewidth=0.8, alpha=0.6)
    axes.set_xlim(days[0], days[-1])
    locator = AutoDateLocator(minticks=3, maxticks=7)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: compact_value(float(value), fmt)))
    axes.grid(True, color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=7, colors="#475467")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, fontsize=7, frameon=False, borderaxespad=0.2)


def _nan(values: list[float | None]) -> list[Any]:
    """None as NaN, so a line has a gap where there is no value."""
    return [float("nan") if v is None else v for v in values]
