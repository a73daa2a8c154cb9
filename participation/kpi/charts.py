"""Server-rendered SVG charts (no JavaScript): monthly trend bars with a text alternative."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 360, 180, 24, 28, 8
# The chart is drawn 1:1 on a phone (360 units ~ 360 px): text this size reads as 13 / 12 px there.
LABEL_SIZE, VALUE_SIZE = 13, 12
CHAR_WIDTH = 0.6  # of the font size, for digits and commas: decides whether a value fits over its bar


def bar_chart(points: list[tuple[str, float | None]], title: str, chart_id: str) -> Markup:
    """points: (label, value or None). Only escaped text and numbers we computed go into the SVG."""
    values = [v for _, v in points if v is not None]
    top = max(values) if values else 0
    slot = (WIDTH - 2 * LEFT) / max(len(points), 1)
    bar = slot * 0.7
    plot = HEIGHT - TOP - BOTTOM
    # Values that would run into their neighbours are left to the table beside the chart.
    widest = max((len(_number(v)) for v in values), default=0)
    show_values = widest * VALUE_SIZE * CHAR_WIDTH <= slot
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMidYMid meet" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#767676" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(points):
        x = LEFT + index * slot + (slot - bar) / 2
        centre = x + bar / 2
        if value is not None:
            height = 0 if top == 0 else plot * value / top
            y = HEIGHT - BOTTOM - height
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="#1f6f43"/>')
            if show_values:
                parts.append(f'<text x="{centre:.1f}" y="{y - 4:.1f}" font-size="{VALUE_SIZE}" text-anchor="middle" '
                             f'fill="#222">{escape(_number(value))}</text>')
        else:
            parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM - 4}" font-size="{VALUE_SIZE}" '
                         f'text-anchor="middle" fill="#555">–</text>')
        parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - 8}" font-size="{LABEL_SIZE}" text-anchor="middle" '
                     f'fill="#222">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
