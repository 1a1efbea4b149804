"""Render a diagram `Layout` as a standalone, deterministic SVG document (no scripts, no fetched fonts)."""

from __future__ import annotations

from cnncalc.draw.markup import attribute as quoteattr, escape

from cnncalc.draw.layout import COLOURS, Box, Edge, Layout, Text

FONTS = "'DejaVu Sans Mono', ui-monospace, Menlo, Consolas, 'Liberation Mono', monospace"


def num(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zero, so output is byte-stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(t: Text, css: str = "") -> str:
    anchor = ' text-anchor="middle"' if t.anchor == "middle" else ""
    weight = ' font-weight="bold"' if t.bold else ""
    cls = f' class="{css}"' if css else ""
    return (f'<text x="{num(t.x)}" y="{num(t.y)}" font-size="{num(t.size)}"{anchor}{weight}{cls}>'
            f"{escape(t.text)}</text>")


def _box(box: Box) -> list[str]:
    fill, stroke = COLOURS[box.category]
    out = [f'<g class="box" data-key="{box.key}" data-name={quoteattr(box.name)}>',
           f"<title>{escape(box.tooltip)}</title>"]
    dx, dy = box.depth
    if dx or dy:  # a 3-D slab: front face, then the top and right faces in darker tints
        fx, fy, fw, fh = box.x, box.y + dy, box.w - dx, box.h - dy
        out.append(f'<rect class="face" x="{num(fx)}" y="{num(fy)}" width="{num(fw)}" height="{num(fh)}" '
                   f'fill="{fill}" stroke="{stroke}"/>')
        top = [(fx, fy), (fx + dx, fy - dy), (fx + fw + dx, fy - dy), (fx + fw, fy)]
        side = [(fx + fw, fy), (fx + fw + dx, fy - dy), (fx + fw + dx, fy + fh - dy), (fx + fw, fy + fh)]
        for points, shade in ((top, "0.10"), (side, "0.22")):
            path = " ".join(f"{num(x)},{num(y)}" for x, y in points)
            out.append(f'<polygon points="{path}" fill="{fill}" stroke="{stroke}"/>')
            out.append(f'<polygon points="{path}" fill="#000" fill-opacity="{shade}" stroke="none"/>')
    else:
        out.append(f'<rect x="{num(box.x)}" y="{num(box.y)}" width="{num(box.w)}" height="{num(box.h)}" rx="5" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{1.5 if box.folded else 1}"/>')
        if box.folded:  # a second, inner outline marks a folded block
            out.append(f'<rect x="{num(box.x + 3)}" y="{num(box.y + 3)}" width="{num(box.w - 6)}" '
                       f'height="{num(box.h - 6)}" rx="3" fill="none" stroke="{stroke}" stroke-opacity="0.6"/>')
    out += [_text(t) for t in box.lines]
    out.append("</g>")
    return out


def _edge(edge: Edge) -> str:
    path = " ".join(f"{num(x)},{num(y)}" for x, y in edge.points)
    cls = "edge skip" if edge.skip else "edge"
    return (f'<polyline class="{cls}" data-source="{edge.source}" data-target="{edge.target}" points="{path}" '
            f'fill="none" stroke="{"#8a4f9e" if edge.skip else "#546e7a"}" stroke-width="1.4" '
            'marker-end="url(#cnncalc-arrow)"/>')


def render(layout: Layout) -> str:
    """The SVG document of a layout, as text ending in a newline."""
    w, h = num(layout.width), num(layout.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'font-family="{FONTS}" class="cnncalc-diagram">',
        f"<title>{escape(layout.title[0].text)}</title>",
        '<defs><marker id="cnncalc-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" markerHeight="8" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#455a64"/></marker></defs>',
        f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
        '<g class="title" fill="#212121">',
    ]
    out += [_text(t) for t in layout.title]
    out.append('</g><g class="legend" fill="#37474f">')
    for item in layout.legend:
        fill, stroke = COLOURS[item.category]
        out.append(f'<rect class="swatch" x="{num(item.x)}" y="{num(item.y)}" width="{num(item.size)}" '
                   f'height="{num(item.size)}" rx="2" fill="{fill}" stroke="{stroke}"/>')
        out.append(_text(item.label))
    out.append('</g><g class="edges">')
    out += [_edge(e) for e in layout.edges]
    out.append('</g><g class="boxes" fill="#212121">')
    for box in layout.boxes:
        out += _box(box)
    out.append('</g><g class="labels" fill="#263238">')
    out += [_text(t, "label") for t in layout.labels]
    out.append("</g></svg>")
    return "\n".join(out) + "\n"
