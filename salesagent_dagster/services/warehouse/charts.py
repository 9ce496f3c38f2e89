"""The report's four charts as PNGs: reply rate by ICP bucket (Wilson 95% intervals),
positive-reply rate by experiment arm, the speed-to-lead histogram and the funnel. One module
for `salesagent report --png` and the mart assets' metadata in the Dagster UI.

Aggregates only (bucket, stage and arm names, counts, rates), so a chart carries no PII and
may go into event metadata (DESIGN I-6). Drawn with matplotlib's object API on the Agg canvas:
no pyplot state, no display, safe in a run worker. Small on purpose (about 20 KB each): the
UI shows them inline from the event log, where each is stored with every refresh.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from salesagent_dagster.services.warehouse.report import WarehouseReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# chart name -> the mart whose materialization shows it in the Dagster UI
CHART_MARTS = {
    "reply_rate_by_icp_bucket": "reply_rates",
    "positive_reply_rate_by_variant": "variant_arms",
    "speed_to_lead": "speed_to_lead",
    "funnel": "funnel",
}
SIZE_INCHES, DPI = (6.0, 3.4), 90
BAR, MUTED = "#3b6ea8", "#8a8f98"


def render_charts(report: WarehouseReport) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by chart name (CHART_MARTS' keys)."""
    drawers: dict[str, Callable[[Axes, WarehouseReport], str]] = {
        "reply_rate_by_icp_bucket": _reply_rate_by_icp_bucket,
        "positive_reply_rate_by_variant": _positive_reply_rate_by_variant,
        "speed_to_lead": _speed_to_lead,
        "funnel": _funnel,
    }
    return {name: _png(draw, report) for name, draw in drawers.items()}


def write_charts(report: WarehouseReport, directory: Path) -> list[Path]:
    """The charts as `<name>.png` files in `directory` (made if missing); their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in render_charts(report).items():
        path = directory / f"{name}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths


def as_markdown(name: str, png: bytes) -> str:
    """The chart as Markdown with the PNG inline as a data URI: how the Dagster UI shows an
    image in metadata (MetadataValue.md; its Markdown renderer allows base64 images)."""
    alt = name.replace("_", " ")
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def _png(draw: Callable[[Axes, WarehouseReport], str], report: WarehouseReport) -> bytes:
    # Imported here: matplotlib costs ~0.5 s to import, which only chart drawing should pay.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    title = draw(axes, report)
    window = f"\nleads submitted since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else ""
    # On the figure, not the axes: long arm names push the axes right, not the title.
    figure.suptitle(title + window, x=0.01, ha="left", fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _nothing(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", color=MUTED, transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _reply_rate_by_icp_bucket(axes: Axes, report: WarehouseReport) -> str:
    rates = report.rates_by_icp_bucket
    if not rates:
        _nothing(axes, "no emails delivered yet")
    else:
        values = [r.reply_rate for r in rates]
        low = [r.reply_rate - r.reply_rate_interval[0] for r in rates]
        high = [r.reply_rate_interval[1] - r.reply_rate for r in rates]
        labels = [f"{r.icp_bucket}\n(n={r.sends})" for r in rates]
        axes.bar(labels, values, color=BAR, yerr=[low, high], capsize=4, ecolor="#333333")
        axes.set_ylim(0, 1)
        axes.yaxis.set_major_formatter(_percent)
        axes.set_xlabel("ICP bucket", fontsize=8)
    return "Reply rate by ICP bucket (95% Wilson intervals)"


def _positive_reply_rate_by_variant(axes: Axes, report: WarehouseReport) -> str:
    arms = report.variant_arms
    if not arms:
        _nothing(axes, "no first email went out in an experiment yet")
    else:
        labels = [f"{a.variant}  (n={a.sends})" for a in arms]
        values = [a.positive_reply_rate for a in arms]
        low = [a.positive_reply_rate - a.positive_reply_interval[0] for a in arms]
        high = [a.positive_reply_interval[1] - a.positive_reply_rate for a in arms]
        axes.barh(labels, values, color=BAR, xerr=[low, high], capsize=3, ecolor="#333333")
        axes.invert_yaxis()
        axes.set_xlim(0, 1)
        axes.xaxis.set_major_formatter(_percent)
    return "Positive-reply rate by variant, first emails (95% Wilson)"


def _speed_to_lead(axes: Axes, report: WarehouseReport) -> str:
    from matplotlib.ticker import MaxNLocator

    buckets = report.speed_to_lead
    axes.bar([b.bucket for b in buckets], [b.leads for b in buckets], color=BAR)
    axes.set_ylabel("leads", fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if report.p50_seconds is None or report.p95_seconds is None:
        return "Speed to lead: form submitted -> first email (none sent yet)"
    return (
        f"Speed to lead: form -> first email, p50 {report.p50_seconds:.0f} s, "
        f"p95 {report.p95_seconds:.0f} s"
    )


def _funnel(axes: Axes, report: WarehouseReport) -> str:
    from matplotlib.ticker import MaxNLocator

    stages = report.funnel
    axes.barh([s.stage for s in stages], [s.leads for s in stages], color=BAR)
    axes.invert_yaxis()
    for y, s in enumerate(stages):
        share = "" if s.share_of_submitted is None else f"  {s.share_of_submitted:.0%}"
        axes.annotate(f" {s.leads}{share}", (s.leads, y), va="center", fontsize=7)
    axes.set_xlim(0, max([s.leads for s in stages] + [1]) * 1.2)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return "Funnel: leads reaching each stage"


def _percent(value: float, _position: float) -> str:
    return f"{value:.0%}"
