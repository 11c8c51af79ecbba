"""Charts drawn on the server as SVG, for the admin dashboard: no script, no inline style (colours
are presentation attributes and classes of the one stylesheet), each with a title and a description
for screen readers, and the numbers in a table beside it."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 12, 36
COLOURS = ("#2f55d4", "#b85c00", "#a40000", "#2e7d32", "#6a1b9a")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def _nice_max(value: int) -> int:
    """A round top for the axis at or above `value`: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _frame(chart_id: str, title: str, description: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        f'{body}</svg>')


def _axes(top: int) -> str:
    bottom_y = HEIGHT - BOTTOM
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom_y}" stroke="#5c5c66"/>',
             f'<line x1="{LEFT}" y1="{bottom_y}" x2="{WIDTH - RIGHT}" y2="{bottom_y}" stroke="#5c5c66"/>']
    for fraction in (0, 0.5, 1):
        y = bottom_y - fraction * (bottom_y - TOP)
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#1d1d1f">'
                     f'{top * fraction:g}</text>')
    return "".join(parts)


def bars(chart_id: str, title: str, labels: list[str], series: list[Series], *, stacked: bool = False) -> Markup:
    """Vertical bars per label: side by side, or stacked (one colour per series), with a legend."""
    count = max(len(labels), 1)
    totals = [sum(s.values[i] for s in series) if stacked else max((s.values[i] for s in series), default=0)
              for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    width = slot * 0.8 / (1 if stacked else max(len(series), 1))
    parts = [_axes(top)]
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * 0.1
        base = 0.0
        for k, s in enumerate(series):
            h = plot_h * s.values[i] / top
            x = x0 if stacked else x0 + k * width
            y = HEIGHT - BOTTOM - h - (base if stacked else 0)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[k % len(COLOURS)]}"><title>{escape(label)}: {escape(s.name)} '
                         f'{s.values[i]}</title></rect>')
            if stacked:
                base += h
        if count <= 8 or (count - 1 - i) % 2 == 0:  # the last day and every other one: no overlap
            parts.append(f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" '
                         f'text-anchor="middle" font-size="10" fill="#1d1d1f">{escape(label)}</text>')
    for k, s in enumerate(series):
        x = LEFT + k * 130
        parts.append(f'<rect x="{x}" y="{HEIGHT - 12}" width="10" height="10" fill="{COLOURS[k % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="{HEIGHT - 3}" font-size="11" fill="#1d1d1f">{escape(s.name)}</text>')
    description = "; ".join(f"{label}: " + ", ".join(f"{s.name} {s.values[i]}" for s in series)
                            for i, label in enumerate(labels))
    return _frame(chart_id, title, description, "".join(parts))


def horizontal(chart_id: str, title: str, items: list[tuple[str, int]]) -> Markup:
    """One horizontal bar per (label, value), longest first, the value at its end."""
    label_w = 190
    row = 20
    height = TOP + max(len(items), 1) * row + 8
    top = _nice_max(max((v for _, v in items), default=0))
    plot_w = WIDTH - label_w - 60
    parts = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * row
        w = plot_w * value / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="11" fill="#1d1d1f">'
                     f'{escape(label[:32])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{COLOURS[2]}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11" fill="#1d1d1f">{value}</text>')
    if not items:
        parts.append(f'<text x="{WIDTH / 2}" y="{TOP + 14}" text-anchor="middle" font-size="12" fill="#1d1d1f">'
                     'None</text>')
    description = "; ".join(f"{label}: {value}" for label, value in items) or "none"
    svg = _frame(chart_id, title, description, "".join(parts))
    return Markup(str(svg).replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {WIDTH} {height}"', 1))
