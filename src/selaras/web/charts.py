"""Charts as inline SVG, rendered on the server (no script, no library).

Drawn 360 units wide, the width of a phone: the SVG scales to its box, so on a phone a label's
12 units stay about 12 px (legible); on a desktop the box is capped (``.chart`` in app.css)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from selaras.catalogue import words

STATUS_COLOURS = {"TERSINKRON": "#1a7f37", "SIAP": "#9a6700", "GAGAL": "#cf222e"}


def bar_chart(items: Sequence[tuple[str, int, str]], width: int = 360) -> Markup:
    """Horizontal bars: (label, value, tooltip) per row, scaled to the largest value."""
    if not items:
        return Markup('<p class="muted">Tidak ada data.</p>')
    row_h, label_w = 26, 118
    top = max(v for _, v, _ in items) or 1
    height = row_h * len(items) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="Diagram batang" '
        f'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (label, value, title) in enumerate(items):
        y = i * row_h + 4
        w = max(2, round((width - label_w - 52) * value / top))
        parts.append(
            f"<g><title>{escape(title)}</title>"
            f'<text x="0" y="{y + 15}" class="lbl">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{row_h - 8}" rx="3" class="bar"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" class="val">{words.angka(value)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(rows: Sequence[dict[str, Any]], width: int = 360, height: int = 170) -> Markup:
    """Lines of pegawai per status over the days (``queries.trend`` rows)."""
    if not rows:
        return Markup('<p class="muted">Belum ada riwayat.</p>')
    pad_l, pad_b, pad_t = 48, 28, 10
    top = max(max(r.get(s, 0) for s in STATUS_COLOURS) for r in rows) or 1
    n = len(rows)

    def x(i: int) -> float:
        return pad_l + (width - pad_l - 10) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: int) -> float:
        return pad_t + (height - pad_t - pad_b) * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="Tren status per hari">',
        f'<line x1="{pad_l}" y1="{y(0)}" x2="{width - 10}" y2="{y(0)}" class="axis"/>',
        f'<text x="{pad_l - 6}" y="{y(top) + 4}" class="val" text-anchor="end">{words.angka(top)}</text>',
        f'<text x="{pad_l - 6}" y="{y(0) + 4}" class="val" text-anchor="end">0</text>',
    ]
    for status, colour in STATUS_COLOURS.items():
        pts = " ".join(f"{x(i):.1f},{y(r.get(status, 0)):.1f}" for i, r in enumerate(rows))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for i, r in enumerate(rows):
            tip = f"{_day(r['hari'])}: {words.STATUS[status]} {words.angka(r.get(status, 0))}"
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(r.get(status, 0)):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    for i in sorted({0, n - 1}):
        label = escape(_day(rows[i]["hari"]))
        anchor = "start" if i == 0 else "end"  # the first and last day, inside the drawing
        parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" class="val" text-anchor="{anchor}">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _day(value: Any) -> str:
    return value.strftime("%d-%m-%Y") if isinstance(value, date) else str(value)


def sebaran_chart(
    rows: Sequence[tuple[str, int, float, Sequence[tuple[str, float]], bool]], width: int = 360
) -> Markup:
    """A school's ratings against its PKO: one bar per rating, its share of the rated teachers
    on a 0-100% scale, a dashed mark at each bound that rating alone is held to (``paling
    banyak`` / ``paling sedikit``), the bar red when a bound it is part of is broken.

    ``rows``: (label, teachers, share in percent, [(bound kind, percent)], broken) per rating."""
    if not rows:
        return Markup('<p class="muted">Tidak ada data.</p>')
    row_h, label_w, right = 26, 118, 52
    span = width - label_w - right
    height = row_h * len(rows) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Sebaran predikat terhadap batas PKO" preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (label, count, share, bounds, broken) in enumerate(rows):
        y = i * row_h + 4
        w = max(2, round(span * share / 100))
        colour = ' style="fill:#cf222e"' if broken else ""
        tip = f"{label}: {words.angka(count)} guru ({words.persen(share)})"
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text x="0" y="{y + 15}" class="lbl">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{row_h - 8}" rx="3" class="bar"{colour}/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" class="val">{escape(words.persen(share))}</text></g>'
        )
        for kind, percent in bounds:
            x = label_w + round(span * percent / 100)
            parts.append(
                f'<line x1="{x}" y1="{y - 2}" x2="{x}" y2="{y + row_h - 6}" stroke="#57606a" stroke-dasharray="3,2">'
                f"<title>{escape(kind)} {escape(words.persen(percent, 0))}</title></line>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
