"""SVG charts for the benchmark report, drawn by hand (no plotting package)."""
import math
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 170, 30, 40, 40
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def _text(x, y, text, size=12, anchor="start", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="sans-serif" font-size="{size}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{escape(text)}</text>')


def _svg(body, height=HEIGHT):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}"><rect width="100%" height="100%" fill="white"/>'
            + "".join(body) + "</svg>\n")


def rate(value):
    return f"{value / 1e6:.2f} M" if value >= 1e6 else f"{value / 1e3:.0f} k"


def bar_chart(path, title, bars):
    """Horizontal bars: [(label, value)], values as rows/s; the first bar is highlighted."""
    height = TOP + BOTTOM + 30 * len(bars)
    top = max(v for _, v in bars) or 1
    body = [_text(WIDTH / 2, 22, title, 14, "middle", "bold")]
    span = WIDTH - LEFT - RIGHT - 70
    for index, (label, value) in enumerate(bars):
        y = TOP + 30 * index
        length = span * value / top
        color = COLORS[0] if index == 0 else "#9e9e9e"
        body.append(_text(LEFT - 8, y + 16, label, 12, "end"))
        body.append(f'<rect x="{LEFT}" y="{y + 4}" width="{length:.1f}" height="18" fill="{color}"/>')
        body.append(_text(LEFT + length + 6, y + 17, rate(value) + " rows/s", 11))
    with open(path, "w") as f:
        f.write(_svg(body, height))


def line_chart(path, title, series, x_label, log_x=False, mark=None):
    """Lines of (x, rows/s) points per series name; `mark` draws a dashed line at that x."""
    xs = sorted({x for points in series.values() for x, _ in points})
    top = max(y for points in series.values() for _, y in points) or 1
    left, right, plot_top, plot_bottom = 80, WIDTH - 150, TOP, HEIGHT - BOTTOM

    def px(x):
        if len(xs) == 1:
            return (left + right) / 2
        if log_x:
            return left + (right - left) * (math.log(x) - math.log(xs[0])) / (math.log(xs[-1]) - math.log(xs[0]))
        return left + (right - left) * (x - xs[0]) / (xs[-1] - xs[0])

    def py(y):
        return plot_bottom - (plot_bottom - plot_top) * y / top

    body = [_text(WIDTH / 2, 22, title, 14, "middle", "bold"),
            f'<line x1="{left}" y1="{plot_bottom}" x2="{right}" y2="{plot_bottom}" stroke="black"/>',
            f'<line x1="{left}" y1="{plot_top}" x2="{left}" y2="{plot_bottom}" stroke="black"/>',
            _text((left + right) / 2, HEIGHT - 8, x_label, 12, "middle")]
    for fraction in (0, 0.5, 1):
        body.append(_text(left - 6, py(top * fraction) + 4, rate(top * fraction), 10, "end"))
    for x in xs:
        body.append(_text(px(x), plot_bottom + 14, str(x), 10, "middle"))
    if mark is not None:
        body.append(f'<line x1="{px(mark):.1f}" y1="{plot_top}" x2="{px(mark):.1f}" y2="{plot_bottom}" '
                    f'stroke="#999" stroke-dasharray="4,3"/>')
        body.append(_text(px(mark) + 4, plot_top + 10, "default", 10))
    for index, (name, points) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        coordinates = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(points))
        body.append(f'<polyline points="{coordinates}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in points:
            body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        body.append(f'<rect x="{right + 12}" y="{plot_top + 18 * index}" width="12" height="12" fill="{color}"/>')
        body.append(_text(right + 30, plot_top + 18 * index + 11, name, 11))
    with open(path, "w") as f:
        f.write(_svg(body))
