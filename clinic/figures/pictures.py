"""The figures page's charts: which numbers each one draws (``charts`` draws them).

Pure: takes the ``service.Figures`` of a page and returns SVG markup, one chart per table."""

from __future__ import annotations

from markupsafe import Markup

from .charts import BLUE, GREEN, PURPLE, RED, Series, bar_chart


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def by_month(rows) -> Markup:
    """Households booked, attended and not come, month by month."""
    return bar_chart(
        "chart-by-month",
        "Households booked and attended, by month",
        [f"{row.month:%B %Y}" for row in rows],
        [
            Series("booked", [row.booked for row in rows], BLUE),
            Series("attended", [row.attended for row in rows], GREEN),
            Series("did not come", [row.no_shows for row in rows], RED),
        ],
        described_by="The same numbers are in the table ‘By month: the numbers’ below the chart.",
    )


def by_school(rows) -> Markup:
    """Households booked and attended at each school."""
    return bar_chart(
        "chart-by-school",
        "Households booked and attended, by school",
        [row.school_name for row in rows],
        [
            Series("booked", [row.booked for row in rows], BLUE),
            Series("attended", [row.attended for row in rows], GREEN),
            Series("did not come", [row.no_shows for row in rows], RED),
        ],
        described_by="The same numbers are in the table ‘By school: the numbers’ below the chart.",
    )


def no_show_rates(rows) -> Markup:
    """The no-show rate of each school whose attendance was marked."""
    marked = [row for row in rows if row.no_show_rate is not None]
    if not marked:
        return Markup("")
    return bar_chart(
        "chart-no-shows",
        "No-show rate, by school",
        [row.school_name for row in marked],
        [Series("did not come", [row.no_show_rate for row in marked], RED)],
        described_by="The same rates are in the ‘No-show rate’ column of the table "
        "‘By school: the numbers’.",
        value_text=_percent,
        scale_max=1,
    )


def topics(counts: list[tuple[str, int]], label) -> Markup:
    """The families asking about each app or device, most asked first."""
    return bar_chart(
        "chart-topics",
        "Apps and devices parents asked about",
        [label(topic) for topic, _ in counts],
        [Series("families", [n for _, n in counts], PURPLE)],
        described_by="The same numbers are in the table below the chart.",
    )
