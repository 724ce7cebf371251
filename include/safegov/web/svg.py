"""Small server-side SVG charts (no JavaScript library, no CDN, no network).

Each function returns an ``<svg>`` string that is safe to inline in the page: every text
is XML-escaped here.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from safegov.web.queries import Heatmap

# Text on these fills keeps a WCAG 2 contrast of at least 4.5:1 (tests/web/test_accessible_charts.py
# computes it): the former #2e9d5b and #d9534f under white text gave 3.45:1 and 3.96:1.
COLOURS = {
    "met": "#1e7e45",
    "met_late": "#f0ad4e",
    "missed": "#c9302c",
    "pending": "#b0b7c3",
    "exempt": "#e4e7eb",
    "none": "#ffffff",
}
TEXT_ON = {"met": "#fff", "met_late": "#222", "missed": "#fff", "pending": "#222", "exempt": "#555", "none": "#666"}
# Light reds for misses of only a few subjects (``_fill``), with their text colour.
FEW_MISSED = ("#f6c7c5", "#222")
SOME_MISSED = ("#ec9592", "#222")
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
]


def _e(s) -> str:
    return escape(str(s), quote=True)


def _same(s: str) -> str:
    return s


def heatmap_svg(
    hm: Heatmap,
    href: Callable[[str, str], str],
    *,
    title: str = "",
    selected: tuple[str, str] | None = None,
    words: Callable[[str], str] = _same,
    period_label: Callable[[str], str] = _same,
) -> str:
    """Units × periods; each cell links to its detail (``href(unit, period)``).

    The chart is a group of links, not an image: a screen reader lists every cell as a link
    named in words (``新城区 2024年2月：未履职（0/1）``), ``words`` translating the statuses and
    ``period_label`` the period keys."""
    label_w, cell_w, cell_h, head_h = 190, 62, 18, 34
    n_rows = sum(len(g.rows) + 1 for g in hm.groups)
    width = label_w + cell_w * max(len(hm.periods), 1) + 10
    height = head_h + n_rows * cell_h + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-label="{_e(title)}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{_e(title)}</title>",
    ]
    periods = [(p, _e(p), label_w + j * cell_w) for j, p in enumerate(hm.periods)]
    for _p, ep, x in periods:
        out.append(
            f'<text x="{x + cell_w / 2:.0f}" y="{head_h - 10}" text-anchor="middle" font-weight="bold">{ep}</text>'
        )
    y = head_h
    for g in hm.groups:
        out.append(f'<text x="2" y="{y + 13}" font-weight="bold" fill="#333">{_e(g.name)}</text>')
        out.append(f'<line x1="0" x2="{width}" y1="{y + cell_h - 1}" y2="{y + cell_h - 1}" stroke="#ccc"/>')
        y += cell_h
        for r in g.rows:
            name, code = _e(r.unit_name), _e(r.unit_code)
            out.append(f'<text x="12" y="{y + 13}" fill="#222">{name} <tspan fill="#666">{code}</tspan></text>')
            for p, ep, x in periods:
                cell = r.cells.get(p)
                status = cell.status if cell else "none"
                counts = "、".join(f"{words(k)} {v}" for k, v in sorted(cell.counts.items())) if cell else "—"
                fill, ink = _fill(cell)
                rect = (
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" rx="2" '
                    f'fill="{fill}" stroke="{"#1d3557" if selected == (r.unit_code, p) else "#d0d4da"}" '
                    f'stroke-width="{2 if selected == (r.unit_code, p) else 1}"/>'
                )
                text = (
                    f'<text x="{x + cell_w / 2:.0f}" y="{y + 13}" text-anchor="middle" fill="{ink}">'
                    f"{_e(cell.label)}</text>"
                    if cell
                    else ""
                )
                said = _e(period_label(p))
                tip = f"<title>{name} {said}: {_e(counts)}</title>"
                if cell:
                    spoken = _e(f"{r.unit_name} {period_label(p)}: {words(status)} ({cell.label})")
                    out.append(
                        f'<a href="{_e(href(r.unit_code, p))}" class="cell" data-unit="{code}" '
                        f'data-period="{ep}" data-status="{status}" aria-label="{spoken}">{tip}{rect}{text}</a>'
                    )
                else:
                    out.append(f"<g>{tip}{rect}</g>")
            y += cell_h
    out.append("</svg>")
    return "".join(out)


def _fill(cell) -> tuple[str, str]:
    """Cell colour: its worst status; for misses, lighter when only a few subjects missed
    (one enterprise in forty is not the same signal as a county that held no meeting)."""
    if cell is None:
        return COLOURS["none"], TEXT_ON["none"]
    status = cell.status
    if status == "missed" and cell.decided > 1:
        share = cell.counts.get("missed", 0) / cell.decided
        if share < 0.1:
            return FEW_MISSED
        if share < 0.34:
            return SOME_MISSED
    return COLOURS[status], TEXT_ON[status]


def legend_svg(labels: dict[str, str]) -> str:
    items = [s for s in ("met", "met_late", "missed", "pending", "exempt")]
    w = 110 * len(items)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" font-family="sans-serif" font-size="11">']
    for i, s in enumerate(items):
        out.append(f'<rect x="{i * 110}" y="3" width="14" height="14" fill="{COLOURS[s]}" stroke="#aaa"/>')
        out.append(f'<text x="{i * 110 + 18}" y="14">{_e(labels.get(s, s))}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart_svg(
    keys: list[str],
    series: dict[str, dict[str, float]],
    names: dict[str, str],
    *,
    title: str = "",
    width: int = 760,
    height: int = 280,
    key_label: Callable[[str], str] = _same,
) -> str:
    """One line per series over ``keys`` (axis labels ``key_label(key)``), values 0..1 shown
    as percentages."""
    left, right, top, bottom = 40, 150, 20, 40
    pw, ph = width - left - right, height - top - bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" font-family="sans-serif" font-size="10">'
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + ph - ph * pct / 100
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#666">{pct}%</text>')
    if not keys:
        out.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle" fill="#666">—</text></svg>')
        return "".join(out)
    step = pw / max(len(keys) - 1, 1)
    for i, k in enumerate(keys):
        if len(keys) <= 12 or i % 2 == 0:
            out.append(
                f'<text x="{left + i * step:.1f}" y="{top + ph + 14}" text-anchor="middle" fill="#444">'
                f"{_e(key_label(k))}</text>"
            )
    for n, (sid, values) in enumerate(sorted(series.items())):
        colour = PALETTE[n % len(PALETTE)]
        pts = [(left + i * step, top + ph - ph * values[k]) for i, k in enumerate(keys) if k in values]
        if not pts:
            continue
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{d}">'
            f"<title>{_e(names.get(sid, sid))}</title></polyline>"
        )
        for x, y in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}"/>')
        ly = top + 10 + n * 14
        out.append(f'<rect x="{left + pw + 10}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{left + pw + 24}" y="{ly + 1}">{_e(names.get(sid, sid))}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked_bars_svg(
    keys: list[str],
    data: dict[str, dict[str, int]],
    names: dict[str, str],
    *,
    title: str = "",
    width: int = 760,
    height: int = 260,
    key_label: Callable[[str], str] = _same,
) -> str:
    """Stacked bars: one bar per key (month, labelled ``key_label(key)``), one colour per
    category (case kind)."""
    left, right, top, bottom = 40, 150, 20, 40
    pw, ph = width - left - right, height - top - bottom
    cats = sorted({c for k in keys for c in data.get(k, {})})
    peak = max([sum(data.get(k, {}).values()) for k in keys] or [0]) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart cases" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" font-family="sans-serif" font-size="10">'
    ]
    for tick in sorted({0, round(peak / 2), peak}):  # whole numbers only: these are counts
        y = top + ph - ph * tick / peak
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#666">{tick}</text>')
    if not keys:
        out.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle" fill="#666">—</text></svg>')
        return "".join(out)
    bw = pw / len(keys)
    for i, k in enumerate(keys):
        x = left + i * bw + bw * 0.15
        y = top + ph
        for n, c in enumerate(cats):
            v = data.get(k, {}).get(c, 0)
            if not v:
                continue
            h = ph * v / peak
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[n % len(PALETTE)]}">'
                f"<title>{_e(key_label(k))} {_e(names.get(c, c))}: {v}</title></rect>"
            )
        out.append(
            f'<text x="{left + i * bw + bw / 2:.1f}" y="{top + ph + 14}" text-anchor="middle" fill="#444">'
            f"{_e(key_label(k))}</text>"
        )
    for n, c in enumerate(cats):
        ly = top + 10 + n * 14
        out.append(
            f'<rect x="{left + pw + 10}" y="{ly - 8}" width="10" height="10" fill="{PALETTE[n % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{left + pw + 24}" y="{ly + 1}">{_e(names.get(c, c))}</text>')
    out.append("</svg>")
    return "".join(out)
