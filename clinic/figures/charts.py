"""Bar charts drawn on the server as inline SVG: plain values in, markup out.

Pure (no Flask, no database): ``bar_chart`` takes a title, the categories (months, schools,
topics) and one or more series of numbers, and returns an ``<svg>`` the page puts inline.
The chart needs no JavaScript and no stylesheet of its own.  Bars run across the page, one
group per category with the category's name above it, so long school names fit on a phone.

For people who cannot see it the chart is one image (``role="img"``) named by its
``<title>``, with a ``<desc>`` that points to the table beside it: the page always shows the
same numbers as a table, which screen readers read cell by cell.  Each bar carries its number
and series name as text, so colour is never the only way to tell the series apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# The GOV.UK Frontend palette: each has at least 3:1 contrast with white (WCAG 1.4.11).
BLUE, GREEN, RED, PURPLE = "#1d70b8", "#00703c", "#d4351c", "#4c2c92"
TEXT = "#0b0c0c"

# The chart is as wide as its column and has no viewBox: lengths across are percentages of
# that width and text keeps its size, so it stays readable on a 320 px phone.
LONGEST_BAR = 62  # per cent of the width; the rest is room for "12 attended" after it
LABEL_HEIGHT = 24  # the category's name above its bars
BAR_HEIGHT = 20
BAR_GAP = 4
GROUP_GAP = 14
FONT = 'font-family="arial, sans-serif" font-size="16"'  # the service's own font


@dataclass(frozen=True)
class Series:
    name: str  # shown after each number, e.g. "booked"
    values: Sequence[float]
    colour: str = BLUE


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    described_by: str = "",
    value_text: Callable[[float], str] = _number,
    scale_max: float | None = None,
) -> Markup:
    """An SVG bar chart: for each category, one bar per series, longest at ``scale_max``
    (the largest value when not given).  ``chart_id`` must be unique on the page."""
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("each series needs one value per category")
    largest = (
        scale_max
        if scale_max is not None
        else max((v for s in series for v in s.values), default=0)
    )
    group_height = LABEL_HEIGHT + len(series) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    height = max(len(categories) * group_height, group_height)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    description = described_by or "The same numbers are in the table below."

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="app-chart"'
        f' role="img" aria-labelledby="{title_id} {desc_id}" width="100%"'
        f' height="{height}" focusable="false">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    for index, category in enumerate(categories):
        top = index * group_height
        parts.append(
            f'<text x="0" y="{top + LABEL_HEIGHT - 6}" {FONT} font-weight="bold"'
            f' fill="{TEXT}">{escape(category)}</text>'
        )
        for position, one in enumerate(series):
            value = one.values[index]
            y = top + LABEL_HEIGHT + position * (BAR_HEIGHT + BAR_GAP)
            length = LONGEST_BAR * min(value / largest, 1) if largest else 0
            # A zero still shows as a hairline, so the reader sees it was counted.
            length = max(length, 0.4)
            parts.append(
                f'<rect x="0" y="{y}" width="{length:.2f}%" height="{BAR_HEIGHT}"'
                f' fill="{one.colour}"/>'
            )
            parts.append(
                f'<text x="{length:.2f}%" dx="6" y="{y + BAR_HEIGHT - 5}" {FONT}'
                f' fill="{TEXT}">{escape(value_text(value))} {escape(one.name)}</text>'
            )
    parts.append("</svg>")
    # Every value from outside went through escape() above; the rest is this module's own.
    return Markup("".join(parts))  # noqa: S704
