"""Attendance per month drawn as an SVG bar chart on the server (no JavaScript).

Each month is a stacked bar: in person (solid) under virtual (hatched), so
the two read apart without colour. When a part is withheld (small-cell
suppression) but the total is published, the month gets one plain total bar;
when the total is withheld too, no bar is drawn and the month says
"withheld". The same numbers are always in the table under the chart: the
SVG is ``role="img"`` with a title and a description pointing there.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 64
IN_PERSON, VIRTUAL, TOTAL = "#1d4f2b", "#3b2a7a", "#4a5360"


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return max(step * 5, step * ((value + step - 1) // step))
    return value


def attendance_svg(rows: list[dict], title: str) -> Markup:
    """An SVG of ``stats.attendance_table`` rows (``label``, ``in_person``, ``virtual``, ``total``)."""
    top = _nice_max(max([r["total"] or 0 for r in rows] + [r["in_person"] or 0 for r in rows] + [1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(rows), 1)
    bar = min(48.0, slot * 0.6)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-labelledby="chart-title chart-desc" font-family="system-ui, sans-serif" font-size="12">',
           f'<title id="chart-title">{escape(title)}</title>',
           '<desc id="chart-desc">Bars per month: in person (solid) and virtual (hatched). '
           'The table below the chart has the same numbers.</desc>',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
           f'<rect width="6" height="6" fill="#ffffff"/><rect width="3" height="6" fill="{VIRTUAL}"/></pattern></defs>']
    for i in range(6):
        value = top * i / 5
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#c9d0da"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#1b1f24">{value:g}</text>')
    for index, row in enumerate(rows):
        x = LEFT + slot * index + (slot - bar) / 2
        label_x = x + bar / 2
        # "September 2026" as "Sep" over "2026": "Sep 26" would read as a day.
        month, _, year = row["label"].partition(" ")
        out.append(f'<text x="{label_x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#1b1f24">'
                   f'<tspan x="{label_x:.1f}">{escape(month[:3])}</tspan>'
                   f'<tspan x="{label_x:.1f}" dy="14">{escape(year)}</tspan></text>')
        in_person, virtual, total = row["in_person"], row["virtual"], row["total"]
        if in_person is not None and virtual is not None:
            out.append(_rect(x, y(in_person), bar, y(0) - y(in_person), IN_PERSON,
                             f'{row["label"]}: {in_person} in person'))
            out.append(_rect(x, y(in_person + virtual), bar, y(in_person) - y(in_person + virtual), "url(#hatch)",
                             f'{row["label"]}: {virtual} virtual', stroke=VIRTUAL))
            if total:
                out.append(f'<text x="{label_x:.1f}" y="{y(total) - 4:.1f}" text-anchor="middle" fill="#1b1f24">{total}</text>')
        elif total is not None:
            out.append(_rect(x, y(total), bar, y(0) - y(total), TOTAL, f'{row["label"]}: {total} in total'))
            out.append(f'<text x="{label_x:.1f}" y="{y(total) - 4:.1f}" text-anchor="middle" fill="#1b1f24">{total}</text>')
        else:
            out.append(f'<text x="{label_x:.1f}" y="{y(0) - 6:.1f}" text-anchor="middle" fill="#1b1f24" '
                       f'font-style="italic">withheld</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#1b1f24"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _rect(x, y, w, h, fill, label, stroke=None) -> str:
    edge = f' stroke="{stroke}"' if stroke else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{max(h, 0):.1f}" fill="{fill}"{edge}>'
            f"<title>{escape(label)}</title></rect>")
