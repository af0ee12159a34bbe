"""Bar chart geometry for server-rendered SVG (templates/pfa/_charts.html draws it).

No JavaScript and no CDN: Python works out the rectangles, Jinja writes them out. Charts are
narrow (360 units wide) so that their text stays readable when a phone shows them at 1:1;
every chart has a table with the same numbers beside it, which is what screen readers use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 360


def nice_step(max_value: int, ticks: int = 4) -> int:
    """A round grid step (1, 2, 5 × 10ⁿ) giving about `ticks` lines up to `max_value`."""
    if max_value <= 0:
        return 1
    raw = max_value / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return max(1, int(power * factor))
    return max(1, int(power * 10))


# --- horizontal bars: one labelled bar per row (provinces, groups, stars ...) ---------------


@dataclass(frozen=True)
class HBar:
    label: str
    value: int
    text: str  # the value as shown
    y: float  # top of the row
    width: float  # of the bar


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    bars: list[HBar]
    plot_width: int
    row_height: int

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def hbar_chart(
    items: list[tuple[str, int]],
    *,
    text=str,
    width: int = WIDTH,
    row_height: int = 42,
) -> HBarChart:
    """Rows of [label above, bar below with its value after it]: long Vietnamese names need
    the full width, so labels sit over the bars, not beside them. `text` formats a value."""
    texts = [text(value) for _, value in items]
    # Room for the longest value after the longest bar (about 8 units a character).
    plot_width = int(width - 8 - 8 * max((len(t) for t in texts), default=1))
    top = max((value for _, value in items), default=0) or 1
    bars = [
        HBar(label, value, texts[i], i * row_height, round(plot_width * value / top, 1))
        for i, (label, value) in enumerate(items)
    ]
    return HBarChart(width, max(row_height, len(items) * row_height), bars, plot_width, row_height)


# --- columns: months along the bottom, one or more stacked series ---------------------------


@dataclass(frozen=True)
class Segment:
    series: int
    value: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    label: str  # short, under the column ("12")
    sublabel: str  # a second line where it is needed ("2025" under the first month of a year)
    x: float
    width: float
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class GridLine:
    y: float
    value: int


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: int
    columns: list[Column]
    grid: list[GridLine]
    series: list[str]

    @property
    def empty(self) -> bool:
        return not any(column.total for column in self.columns)


def column_chart(
    labels: list[str],
    series: list[tuple[str, list[int]]],
    *,
    sublabels: list[str] | None = None,
    width: int = WIDTH,
    height: int = 210,
) -> ColumnChart:
    """Stacked columns, one per label; `series` is [(name, one value per label)]."""
    plot_left, plot_top, plot_bottom = 30, 10, height - 36
    sublabels = sublabels or [""] * len(labels)
    plot_height = plot_bottom - plot_top
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    step = nice_step(max(totals, default=0))
    top = max(step, math.ceil(max(totals, default=0) / step) * step)
    slot = (width - plot_left - 4) / max(1, len(labels))
    bar_width = max(4.0, slot * 0.62)
    columns = []
    for i, label in enumerate(labels):
        x = plot_left + i * slot + (slot - bar_width) / 2
        y = float(plot_bottom)
        segments = []
        for s, (_, values) in enumerate(series):
            value = values[i]
            if value:
                h = plot_height * value / top
                y -= h
                segments.append(Segment(s, value, round(y, 1), round(h, 1)))
        columns.append(
            Column(label, sublabels[i], round(x, 1), round(bar_width, 1), totals[i], segments)
        )
    grid = [
        GridLine(round(plot_bottom - plot_height * v / top, 1), v) for v in range(0, top + 1, step)
    ]
    return ColumnChart(
        width, height, plot_left, plot_top, plot_bottom, columns, grid, [n for n, _ in series]
    )
