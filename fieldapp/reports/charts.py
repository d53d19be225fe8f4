"""Charts for the reports, drawn with reportlab.graphics.

Every label is HarfBuzz-shaped before it goes into a graphics ``String``
(a plain ``String`` would put Thai tone marks on top of upper vowels), and
centred or right-aligned text is placed from the shaped width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from fieldapp.reports.data import CAPITAL_KEYS, CAPITAL_LABELS
from fieldapp.reports.text import shape, text_width

FONT = "Sarabun"
FONT_BOLD = "Sarabun-Bold"

GRID = colors.HexColor("#b7c2d3")
LABEL = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5a6270")

SERIES_COLORS = (colors.HexColor("#8c96a5"), colors.HexColor("#1f5fa8"))
"""Before (grey), after or current (blue)."""

CLASS_COLORS: dict[str, colors.Color] = {
    "อยู่ลำบาก": colors.HexColor("#b03a2e"),
    "อยู่ยาก": colors.HexColor("#dc7f2a"),
    "อยู่พอได้": colors.HexColor("#c9a227"),
    "พออยู่ได้": colors.HexColor("#c9a227"),
    "อยู่ดี": colors.HexColor("#2e8b57"),
}
BAR_COLOR = colors.HexColor("#3d6fb0")

Digits = Callable[[str], str]


def _same(text: str) -> str:
    return text


def label(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 9,
    font: str = FONT,
    anchor: str = "start",
    color: colors.Color = LABEL,
) -> String:
    """A shaped graphics String; ``anchor`` is start, middle or end."""
    shaped = shape(text, font, size)
    w = text_width(shaped, font, size)
    if anchor == "middle":
        x -= w / 2
    elif anchor == "end":
        x -= w
    return String(x, y, shaped, fontName=font, fontSize=size, fillColor=color)


@dataclass
class Series:
    """One polygon on the radar chart: a name for the legend and one value per axis."""

    name: str
    values: Sequence[float | None]


def radar_chart(
    series: Sequence[Series],
    *,
    labels: Sequence[str] | None = None,
    width: float = 230,
    height: float = 200,
    scale_max: float = 4.0,
    rings: Sequence[float] = (1, 2, 3, 4),
    show_values: bool = True,
    digits: Digits = _same,
) -> Drawing:
    """A five-capital radar (spider) chart on the 1–4 scale, one or two series.

    With two series the first is drawn as "before" (grey, dashed) and the
    last as "after" (blue, filled); a legend names them. With one series
    each axis label shows its score. Missing values are drawn at the centre.
    """
    labels = list(labels or [CAPITAL_LABELS[k] for k in CAPITAL_KEYS])
    one = len(series) == 1
    radar = _Radar.fitted(labels, width, height, scale_max, values_shown=show_values and one, legend=not one)
    d = Drawing(width, radar.height, initialFontName=FONT)
    radar.grid(d, rings, digits)
    for si, s in enumerate(series):
        radar.series(d, s, last=si == len(series) - 1)
    values = series[-1].values if series else [None] * len(labels)
    radar.axis_labels(d, labels, values, digits)
    if not one:
        _legend(d, series, digits)
    return d


@dataclass
class _Radar:
    """Where a radar chart's axes are: the centre, the radius, the angle of each axis."""

    cx: float
    cy: float
    radius: float
    angles: list[float]
    scale_max: float
    height: float
    values_shown: bool
    name_size: float = 8.5
    value_size: float = 8.0

    @classmethod
    def fitted(
        cls,
        labels: list[str],
        width: float,
        height: float,
        scale_max: float,
        *,
        values_shown: bool,
        legend: bool,
    ) -> _Radar:
        """The largest radar that leaves room for the axis names at the sides and the values above
        and below (and a legend under it), with no empty band above."""
        n = len(labels)
        name_size = 8.5
        legend_h = 18.0 if legend else 0.0
        angles = [math.radians(90 - 360 * i / n) for i in range(n)]
        label_w = [text_width(shape(t, FONT_BOLD, name_size), FONT_BOLD, name_size) for t in labels]
        side_w = max(
            (w for w, a in zip(label_w, angles, strict=True) if abs(math.cos(a)) >= 0.2), default=0.0
        )
        below = max((-math.sin(a) for a in angles), default=0.0)  # how far the lowest axis reaches
        text_h = 10.0 + (10.0 if values_shown else 0.0)
        radius = min(
            width / 2 - side_w - 12,
            (height - legend_h - 2 * text_h - 14) / (1 + below),
        )
        cx = width / 2
        cy = legend_h + 4 + text_h + below * radius + 6
        height = min(height, cy + radius + text_h + 8)  # no empty band above the chart
        return cls(cx, cy, radius, angles, scale_max, height, values_shown, name_size)

    def point(self, i: int, value: float) -> tuple[float, float]:
        r = self.radius * max(0.0, min(value, self.scale_max)) / self.scale_max
        return self.cx + r * math.cos(self.angles[i]), self.cy + r * math.sin(self.angles[i])

    def grid(self, d: Drawing, rings: Sequence[float], digits: Digits) -> None:
        """The rings, the axes and the ring values along the first axis."""
        n = len(self.angles)
        for ring in rings:
            pts: list[float] = []
            for i in range(n):
                pts.extend(self.point(i, ring))
            d.add(Polygon(pts, strokeColor=GRID, strokeWidth=0.5, fillColor=None))
        for i in range(n):
            x, y = self.point(i, self.scale_max)
            d.add(Line(self.cx, self.cy, x, y, strokeColor=GRID, strokeWidth=0.5))
        for ring in rings:
            x, y = self.point(0, ring)
            d.add(label(x - 2.5, y - 2.5, digits(f"{ring:g}"), size=6.5, anchor="end", color=MUTED))

    def series(self, d: Drawing, s: Series, *, last: bool) -> None:
        """One series: "after" (the last) filled, "before" dashed; a dot on each axis."""
        color = SERIES_COLORS[1] if last else SERIES_COLORS[0]
        pts: list[float] = []
        for i, v in enumerate(s.values):
            pts.extend(self.point(i, v if v is not None else 0.0))
        poly = Polygon(
            pts,
            strokeColor=color,
            strokeWidth=1.6 if last else 1.2,
            fillColor=color,
            fillOpacity=0.18 if last else 0.0,
        )
        if not last:
            poly.strokeDashArray = [3, 2]
        d.add(poly)
        for j in range(0, len(pts), 2):
            d.add(Circle(pts[j], pts[j + 1], 1.8, fillColor=color, strokeColor=None))

    def axis_labels(
        self, d: Drawing, labels: list[str], values: Sequence[float | None], digits: Digits
    ) -> None:
        """Each axis's name beyond its tip, and its score when one series is shown."""
        for i, text in enumerate(labels):
            cos, sin = math.cos(self.angles[i]), math.sin(self.angles[i])
            x = self.cx + (self.radius + 7) * cos
            y = self.cy + (self.radius + 7) * sin
            anchor = "middle" if abs(cos) < 0.2 else ("start" if cos > 0 else "end")
            v = values[i] if i < len(values) else None
            value_text = digits(f"{v:.2f}") if self.values_shown and v is not None else ""
            if sin > 0.9:  # the top axis: name above, value between it and the tip
                name_y = y + (10 if value_text else 0)
                value_y = y
            elif sin < -0.3:  # lower axes: everything hangs below the tip
                name_y = y - 9
                value_y = name_y - 10
            else:
                name_y = y - 3
                value_y = name_y - 10
            d.add(label(x, name_y, digits(text), size=self.name_size, font=FONT_BOLD, anchor=anchor))
            if value_text:
                d.add(label(x, value_y, value_text, size=self.value_size, anchor=anchor, color=MUTED))


def _legend(d: Drawing, series: Sequence[Series], digits: Digits) -> None:
    """The names of "before" and "after" under a radar of two series."""
    x = 4.0
    for si, s in enumerate(series):
        last = si == len(series) - 1
        color = SERIES_COLORS[1] if last else SERIES_COLORS[0]
        line = Line(x, 6, x + 16, 6, strokeColor=color, strokeWidth=1.6)
        if not last:
            line.strokeDashArray = [3, 2]
        d.add(line)
        name = label(x + 20, 3, digits(s.name), size=8)
        d.add(name)
        x += 20 + text_width(name.text, FONT, 8) + 14


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: float = 300,
    bar_height: float = 11,
    gap: float = 6,
    label_width: float | None = None,
    bar_colors: Sequence[colors.Color] | None = None,
    value_text: Callable[[float], str] | None = None,
    digits: Digits = _same,
) -> Drawing:
    """A horizontal bar chart: a label on the left, the bar, its value at the end."""
    size = 9
    items = [(digits(t), v) for t, v in items]
    shaped = [shape(t, FONT, size) for t, _ in items]
    widest = max((text_width(s, FONT, size) for s in shaped), default=0.0)
    lw = label_width if label_width is not None else widest + 6
    height = len(items) * (bar_height + gap) + gap
    d = Drawing(width, height, initialFontName=FONT)
    vmax = max((v for _, v in items), default=0.0) or 1.0
    fmt = value_text or (lambda v: f"{v:,.0f}")
    value_room = 48.0
    span = width - lw - value_room
    for i, (text, value) in enumerate(items):
        y = height - (i + 1) * (bar_height + gap)
        d.add(label(lw - 5, y + bar_height / 2 - 3.2, text, size=size, anchor="end"))
        color = bar_colors[i % len(bar_colors)] if bar_colors else BAR_COLOR
        bw = max(0.0, span * value / vmax)
        d.add(Rect(lw, y, bw, bar_height, fillColor=color, strokeColor=None))
        d.add(label(lw + bw + 4, y + bar_height / 2 - 3.2, digits(fmt(value)), size=8.5))
    d.add(Line(lw, 0, lw, height, strokeColor=GRID, strokeWidth=0.6))
    return d


def class_colors(labels: Sequence[str]) -> list[colors.Color]:
    """Bar colours for livelihood classes (unknown labels get the default blue)."""
    return [CLASS_COLORS.get(t, BAR_COLOR) for t in labels]


def stars(count: int, total: int = 5, size: float = 10.0) -> Drawing:
    """OTOP stars: ``count`` filled out of ``total`` (Sarabun has no star glyph)."""
    gold = colors.HexColor("#c9961a")
    d = Drawing(total * (size + 2), size + 1, initialFontName=FONT)
    for i in range(total):
        cx = i * (size + 2) + size / 2
        cy = size / 2 + 0.3
        pts: list[float] = []
        for j in range(10):
            r = size / 2 if j % 2 == 0 else size / 5
            a = math.radians(90 + 36 * j)
            pts.extend((cx + r * math.cos(a), cy + r * math.sin(a)))
        filled = i < count
        d.add(
            Polygon(
                pts,
                fillColor=gold if filled else None,
                strokeColor=gold if filled else GRID,
                strokeWidth=0.6,
            )
        )
    return d
