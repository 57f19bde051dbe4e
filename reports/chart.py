"""Bar charts laid out on the server, for an SVG template to draw: a grouped bar chart
of money by category (the spending report, ``reports/_chart.svg``) and a horizontal
one of labelled bars in groups (the impact report's measures, ``reports/templatetags/impact_html.py``).

Web pages forbid inline styles (Content Security Policy), so the template uses
presentation attributes only (x, y, width, height, fill); every number it needs
is worked out here. The same chart goes into the PDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

# GOV.UK Design System colours, dark enough for text on white and apart in hue.
BLUE, ORANGE, GREEN = "#1d70b8", "#f47738", "#00703c"
TEXT, AXIS, GRID = "#0b0c0c", "#0b0c0c", "#b1b4b6"

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 80, 16, 48, 40  # room for the £ axis, the legend and the year labels
STEPS = (1, 2, 2.5, 5, 10)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Category:
    x: float
    y: float
    label: str
    angle: int = 0  # turned when there are too many to fit side by side


@dataclass(frozen=True)
class LegendItem:
    x: float
    fill: str
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    bars: list[Bar]
    ticks: list[Tick]
    categories: list[Category]
    legend: list[LegendItem]
    baseline: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP

    @property
    def has_money(self) -> bool:
        """Whether any bar stands above £0: with none, a page says so in words rather than draw an empty axis."""
        return any(bar.height > 0 for bar in self.bars)


def pounds_short(amount: Decimal | float) -> str:
    """£0, £250k, £1.5m, £12m: an axis label."""
    amount = float(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for size, suffix in ((1_000_000_000, "bn"), (1_000_000, "m"), (1_000, "k")):
        if amount >= size:
            value = amount / size
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{sign}£{text}{suffix}"
    return f"{sign}£{amount:,.0f}"


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) so that ``ticks`` steps reach ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    # Whole pounds at least: an axis of £0.25 steps tells nobody anything.
    return max(1.0, next(step * power for step in STEPS if step * power >= raw))


def grouped_bar_chart(title: str, categories: list[str], series: list[tuple[str, str, list[Decimal]]]) -> BarChart:
    """Bars for each category, one per series (name, colour, values); negative values are drawn as 0."""
    peak = max((float(value) for _, _, values in series for value in values), default=0.0)
    step = nice_step(peak)
    count = max(1, int(-(-peak // step))) if peak > 0 else 4
    axis_top = step * count
    plot_width = WIDTH - RIGHT - LEFT
    slot = plot_width / max(len(categories), 1)
    # Labels such as 2016-17 need about 60 units side by side; with less room they are turned.
    turned = slot < 60
    baseline = HEIGHT - (BOTTOM + 24 if turned else BOTTOM)
    plot_height = baseline - TOP

    def y_of(value: float) -> float:
        return round(baseline - max(value, 0.0) / axis_top * plot_height, 1)

    ticks = [Tick(y_of(step * n), pounds_short(step * n)) for n in range(count + 1)]
    bar_width = round(min(48.0, slot * 0.8 / max(len(series), 1)), 1)
    bars, labels = [], []
    for index, category in enumerate(categories):
        centre = LEFT + slot * (index + 0.5)
        labels.append(Category(round(centre, 1), baseline + (14 if turned else 20), category, -40 if turned else 0))
        start = centre - bar_width * len(series) / 2
        for number, (name, colour, values) in enumerate(series):
            value = float(values[index])
            top = y_of(value)
            bars.append(
                Bar(
                    round(start + number * bar_width, 1),
                    top,
                    bar_width,
                    round(baseline - top, 1),
                    colour,
                    f"{category} {name.lower()}: £{Decimal(values[index]):,.2f}",
                )
            )
    legend = [LegendItem(LEFT + number * 130, colour, name) for number, (name, colour, _) in enumerate(series)]
    described = "; ".join(
        f"{category}: " + ", ".join(f"{name.lower()} £{Decimal(values[index]):,.2f}" for name, _, values in series)
        for index, category in enumerate(categories)
    )
    return BarChart(title, described, bars, ticks, labels, legend, baseline)


# --- Horizontal bars in groups, each bar's value written beside it ---------------------


@dataclass(frozen=True)
class LabelledBar:
    label: str  # the series
    value: str  # the value as a reader writes it
    x: int
    y: int
    width: int
    fill: str
    text_x: int


@dataclass
class HorizontalBarChart:
    colours: dict[str, str]  # series name -> fill, in the legend's order
    subject: object = None  # what the chart is of (the impact report's measure)
    groups: list[dict] = field(default_factory=list)
    height: int = 0
    width: int = 660

    LABEL_WIDTH = 230
    BAR_AREA = 330
    BAR_HEIGHT = 14
    GAP = 4
    GROUP_GAP = 18
    LABEL_LENGTH = 32

    @property
    def legend(self):
        return [
            {"name": name, "fill": fill, "x": self.LABEL_WIDTH + index * 110}
            for index, (name, fill) in enumerate(self.colours.items())
        ]


def horizontal_bar_chart(colours: dict[str, str], groups, *, subject=None) -> HorizontalBarChart:
    """``groups`` is (label, item, [(series, value, value as written)]) for each group; a value of None
    has no bar. Bars are scaled to the largest value; ``item`` stays on the group for the template."""
    chart = HorizontalBarChart(colours, subject=subject)
    values = [value for _, _, bars in groups for _, value, _ in bars if value is not None]
    top = max(values, default=Decimal("1")) or Decimal("1")
    y = 30  # below the legend
    for label, item, series in groups:
        bars = []
        label_y = y + chart.BAR_HEIGHT
        for name, value, written in series:
            if value is None:
                continue
            width = max(1, int(value / top * chart.BAR_AREA)) if value > 0 else 0
            bars.append(
                LabelledBar(name, written, chart.LABEL_WIDTH, y, width, colours[name], chart.LABEL_WIDTH + width + 4)
            )
            y += chart.BAR_HEIGHT + chart.GAP
        shown = label if len(label) <= chart.LABEL_LENGTH else label[: chart.LABEL_LENGTH - 1] + "…"
        chart.groups.append({"row": item, "label_y": label_y, "bars": bars, "label": shown})
        y += chart.GROUP_GAP
    chart.height = y
    return chart
