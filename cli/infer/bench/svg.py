"""Small, dependency-free SVG line charts (the HTML report inlines them; no script, no fonts
fetched, nothing from the network)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 560, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 58, 48
PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#4b5563")


@dataclass
class Series:
    """One line: its name in the legend, its points, how it is drawn."""

    name: str
    points: list[tuple[float, float]]
    color: str = PALETTE[0]
    dashed: bool = False
    fill: bool = False  # shade the area under the line (histograms)
    markers: bool = True


@dataclass
class Chart:
    """A titled chart with axes; `render()` gives the `<svg>` element."""

    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    log_x: bool = False
    x_ticks: list[tuple[float, str]] | None = None  # fixed ticks (e.g. the levels)
    y_max: float | None = None

    def render(self) -> str:
        """The chart as one SVG element (an empty-state message when it has no data)."""
        points = [p for s in self.series for p in s.points]
        parts = [
            f'<svg class="chart" viewBox="0 0 {WIDTH} '
            f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
            f'aria-label="{escape(self.title)}">',
            f'<text x="{WIDTH / 2}" y="20" class="title" text-anchor="middle">'
            f"{escape(self.title)}</text>",
        ]
        if not points:
            parts.append(
                f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">'
                "no data</text></svg>"
            )
            return "".join(parts)
        scale = _Scale(self, points)
        parts += scale.axes(self)
        for series in self.series:
            parts.append(_draw(series, scale))
        parts.append(_legend(self.series))
        parts.append("</svg>")
        return "".join(parts)


class _Scale:
    def __init__(self, chart: Chart, points: list[tuple[float, float]]) -> None:
        xs = [x for x, _ in points] + [x for x, _ in chart.x_ticks or []]
        self.log = chart.log_x and min(xs) > 0
        # Linear axes start at 0 so latencies and gaps read as absolute values.
        self.x0, self.x1 = (min(xs) if self.log or chart.x_ticks else min(0.0, *xs)), max(xs)
        if self.log:
            self.x0, self.x1 = math.log10(self.x0), math.log10(self.x1)
        if self.x1 == self.x0:
            self.x0, self.x1 = self.x0 - 1, self.x1 + 1
        top = chart.y_max if chart.y_max is not None else max(y for _, y in points)
        bottom = min(0.0, *(y for _, y in points))  # below 0 only for changes (deltas)
        step = nice_step(top - bottom if top > bottom else 1.0)
        low, high = math.floor(bottom / step + 1e-9), math.ceil(top / step - 1e-9)
        self.y_ticks = [round(i * step, 10) for i in range(low, max(high, low + 1) + 1)]
        self.y0, self.y1 = self.y_ticks[0], self.y_ticks[-1]

    def px(self, x: float) -> float:
        value = math.log10(x) if self.log and x > 0 else x
        span = WIDTH - LEFT - RIGHT
        return LEFT + (value - self.x0) / (self.x1 - self.x0) * span

    def py(self, y: float) -> float:
        return HEIGHT - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)

    def axes(self, chart: Chart) -> list[str]:
        base, out = HEIGHT - BOTTOM, []
        out.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" class="axis"/>')
        out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" class="axis"/>')
        for tick in self.y_ticks:
            y = self.py(tick)
            kind = "axis" if tick == 0 and self.y0 < 0 else "grid"
            out.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="{kind}"/>'
            )
            out.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
            )
        x_ticks = chart.x_ticks or [(value, _fmt(value)) for value in self._auto_x_ticks()]
        for value, label in x_ticks:
            x = self.px(value)
            out.append(
                f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" class="axis"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{base + 17}" text-anchor="middle">{escape(label)}</text>'
            )
        out.append(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 10}" '
            f'text-anchor="middle" class="label">{escape(chart.x_label)}</text>'
        )
        out.append(
            f'<text x="14" y="{(TOP + base) / 2}" text-anchor="middle" class="label" '
            f'transform="rotate(-90 14 {(TOP + base) / 2})">{escape(chart.y_label)}</text>'
        )
        return out

    def _auto_x_ticks(self) -> list[float]:
        if self.log:
            return [
                10.0**p
                for p in range(math.floor(self.x0), math.ceil(self.x1) + 1)
                if self.x0 <= p <= self.x1
            ]
        return [t for t in nice_ticks(self.x1) if t >= self.x0]


def nice_step(span: float, count: int = 5) -> float:
    """A round tick spacing (1, 2, 2.5 or 5 times a power of ten) giving about ``count`` ticks."""
    raw = span / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    step = nice_step(top, count)
    return [round(i * step, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]


def _draw(series: Series, scale: _Scale) -> str:
    coords = [(scale.px(x), scale.py(y)) for x, y in series.points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dash = ' stroke-dasharray="6 4"' if series.dashed else ""
    out = []
    if series.fill and coords:
        base = scale.py(0)
        area = f"{coords[0][0]:.1f},{base:.1f} {path} {coords[-1][0]:.1f},{base:.1f}"
        out.append(
            f'<polygon points="{area}" fill="{series.color}" fill-opacity="0.15" stroke="none"/>'
        )
    out.append(
        f'<polyline points="{path}" fill="none" stroke="{series.color}" '
        f'stroke-width="2"{dash}><title>{escape(series.name)}</title></polyline>'
    )
    if series.markers:
        out += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{series.color}"/>' for x, y in coords
        ]
    return "".join(out)


def _legend(series: list[Series]) -> str:
    out, x = [], LEFT + 8
    for item in series:
        dash = ' stroke-dasharray="6 4"' if item.dashed else ""
        out.append(
            f'<line x1="{x}" y1="{TOP + 4}" x2="{x + 18}" y2="{TOP + 4}" '
            f'stroke="{item.color}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{x + 22}" y="{TOP + 8}" class="legend">{escape(item.name)}</text>')
        x += 30 + 7 * len(item.name)
    return "".join(out)


def _fmt(value: float) -> str:
    if value >= 10000:
        return f"{value / 1000:g}k"
    return f"{value:g}"
