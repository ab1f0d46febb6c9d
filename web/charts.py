"""Charts drawn on the server as SVG (nothing loaded from outside, nothing to run in the browser, printable): grouped
bars of percentages per period, with the line of the rate that earns the full points."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ("#1f5f99", "#c26a00", "#2f7d32", "#7b3f99")
HEIGHT, TOP, BOTTOM, LEFT, RIGHT = 260, 16, 46, 44, 12


def percent_bars(
    title: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    threshold: float | None = 80.0,
    width: int = 880,
) -> Markup:
    """`series`: (name, one percentage or None (N/A) per period). Each period a group of bars, 0-100 %."""
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = width - LEFT - RIGHT
    group = plot_width / max(len(periods), 1)
    bar = min(28.0, (group * 0.8) / max(len(series), 1))

    def y(value: float) -> float:
        return TOP + plot_height * (1 - max(0.0, min(value, 100.0)) / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {HEIGHT + 24}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 20, 40, 60, 80, 100):  # the axis, a light line per 20 %
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">{tick}%</text>'
        )
    for index, period in enumerate(periods):
        left = LEFT + index * group + (group - bar * len(series)) / 2
        for number, (name, values) in enumerate(series):
            value = values[index] if index < len(values) else None
            x = left + number * bar
            if value is None:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y(0) - 3:.1f}" text-anchor="middle" font-size="9" '
                    f'fill="#666">N/A</text>'
                )
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar - 2:.1f}" height="{y(0) - y(value):.1f}" '
                f'fill="{COLOURS[number % len(COLOURS)]}"><title>{escape(name)} {escape(period)}: '
                f"{value:.2f}%</title></rect>"
            )
        parts.append(
            f'<text x="{LEFT + (index + 0.5) * group:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{escape(period)}</text>'
        )
    if threshold is not None:
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
            f'stroke="#b00020" stroke-dasharray="6 4"/>'
            f'<text x="{width - RIGHT}" y="{y(threshold) - 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#b00020">{threshold:.0f}% = đủ điểm</text>'
        )
    legend_x = LEFT
    for number, (name, _) in enumerate(series):  # the legend, under the periods
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 8}" width="12" height="12" fill="{COLOURS[number % len(COLOURS)]}"/>'
            f'<text x="{legend_x + 16}" y="{HEIGHT + 2}" font-size="12">{escape(name)}</text>'
        )
        legend_x += 18 + 7 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))
