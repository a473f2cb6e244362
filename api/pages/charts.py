"""Bar charts drawn on the server as SVG: no chart script, and readable without colour.

Each bar carries its label above it and its value in words beside it, so the chart needs no
legend and no colour to be read; the template gives the same figures as a table too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640  # the drawing's own units (the SVG scales to its container)
LEFT = 4
BAR_AREA = 560  # the longest bar; the value is written after the bar
ROW = 52  # one bar: its label line, then the bar
LABEL_Y = 18
BAR_Y = 25
BAR_HEIGHT = 18
TOP = 4


@dataclass(frozen=True)
class Bar:
    """One bar, placed: its label and value in words, and where it is drawn."""

    label: str
    value: int
    y: int
    length: float

    @property
    def label_y(self) -> int:
        return self.y + LABEL_Y

    @property
    def bar_y(self) -> int:
        return self.y + BAR_Y

    @property
    def value_x(self) -> float:
        return LEFT + self.length + 6

    @property
    def value_y(self) -> int:
        return self.y + BAR_Y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart with its title and its text equivalent."""

    id: str
    title: str
    category: str  # what the bars are (the first column of the table alternative)
    unit: str
    bars: list[Bar]
    width: int = WIDTH
    left: int = LEFT
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return TOP + ROW * max(len(self.bars), 1)

    @property
    def description(self) -> str:
        """The chart in words, for those who do not see it."""
        if not self.bars:
            return "Aucune donnée."
        return " ; ".join(f"{bar.label} : {count(bar.value, self.unit)}" for bar in self.bars) + "."


def count(value: int, unit: str) -> str:
    """'1 jeune', '12 jeunes', '1 234 dossiers' (French thousands with a narrow space)."""
    number = f"{value:,}".replace(",", "\u202f")
    return f"{number} {unit}" if value <= 1 else f"{number} {unit}s"


def bar_chart(
    id: str, title: str, category: str, items: Sequence[tuple[str, int]], unit: str
) -> BarChart:
    """Place the bars of `items` (label, value), scaled to the largest value."""
    largest = max((value for _, value in items), default=0)
    bars = [
        Bar(label, value, TOP + ROW * i, round(BAR_AREA * value / largest, 1) if largest else 0.0)
        for i, (label, value) in enumerate(items)
    ]
    return BarChart(id, title, category, unit, bars)
