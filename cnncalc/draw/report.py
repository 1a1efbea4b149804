"""A one-file HTML report of an analysis: totals, the diagram, where the cost sits, and every layer.

Self-contained and offline: inline CSS and SVG, no scripts, no fetched fonts; readable at phone width
(wide parts scroll sideways) and printable.
"""

from __future__ import annotations

import os
import re
from cnncalc.draw.markup import escape
from typing import Callable

from cnncalc.core.analysis import Analysis
from cnncalc.draw.layout import Node, Options, fold_note, layout, nodes
from cnncalc.core.quantities import fmt_shape
from cnncalc.core.memory import DTYPE_BYTES, MemoryEstimate
from cnncalc.core.quantities import human, human_bytes
from cnncalc.draw.svg import render

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #212121;
  margin: 0 auto; padding: 12px 16px 32px; max-width: 1100px; line-height: 1.4; }
h1 { font-size: 1.5rem; margin: 0.4em 0 0.1em; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.6em 0 0.5em; border-bottom: 1px solid #cfd8dc; }
h3 { font-size: 1rem; margin: 1em 0 0.3em; }
.sub { color: #546e7a; margin: 0; overflow-wrap: anywhere; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; margin: 12px 0; }
.totals div { border: 1px solid #cfd8dc; border-radius: 6px; padding: 6px 10px; }
.totals dt { font-size: 0.8rem; color: #546e7a; }
.totals dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; border: 1px solid #eceff1; border-radius: 6px; }
.scroll svg { display: block; }
svg.timeline { width: 100%; min-width: 600px; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { padding: 3px 6px; border-bottom: 1px solid #eceff1; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { overflow-wrap: break-word; max-width: 22em; }
.bars td.bar { width: 40%; }
.bar span { display: block; height: 0.9em; margin-top: 0.2em; background: #5c8fc9; border-radius: 2px; min-width: 1px; }
.bars.macs .bar span { background: #c9795c; }
.bars.memory .bar span { background: #6aa86a; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; }
.note { font-size: 0.8rem; color: #546e7a; }
@media (max-width: 600px) { body { padding: 8px; } table { font-size: 0.75rem; } .opt { display: none; } }
@media print {
  body { max-width: none; padding: 0; }
  .scroll { overflow: visible; border: none; }
  .scroll svg { max-width: 100%; max-height: 240mm; width: auto; height: auto; }  /* one page, scaled to fit */
  h2, h3 { break-after: avoid; }
  tr, .totals div { break-inside: avoid; }
  .bar span { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _totals(analysis: Analysis, mem: MemoryEstimate) -> str:
    tot = analysis.totals
    cells = [("Parameters", f"{tot.params:,}"), ("Trainable", f"{tot.trainable:,}"),
             ("Non-trainable", f"{tot.non_trainable:,}"), ("Multiply-adds", f"{tot.macs:,} ({human(tot.macs)})"),
             ("FLOPs (2 per MAC)", human(tot.flops)), ("Weights (float32)", human_bytes(mem.weights)),
             ("Activations (batch 1)", human_bytes(mem.activations)), ("Training with Adam", human_bytes(mem.training)),
             ("Layers", f"{len(analysis.rows):,}")]
    return '<dl class="totals">' + "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>"
                                             for k, v in cells) + "</dl>"


def _chart(title: str, css: str, shown: list[Node], values: list[int], fmt: Callable[[int], str]) -> str:
    top = max(values) if values and max(values) > 0 else 1
    rows = []
    for node, value in zip(shown, values):
        width = 100.0 * value / top
        text = fmt(value)
        rows.append(f'<tr><td class="name">{escape(node.name)}</td><td class="bar"><span style="width:{width:.1f}%">'
                    f'</span></td><td class="n">{escape(text)}</td></tr>')
    return (f'<section><h3>{escape(title)}</h3><table class="bars {css}"><thead><tr><th>Layer</th><th>'
            f'</th><th class="n">{escape(css.capitalize() if css != "macs" else "MACs")}</th></tr></thead><tbody>{"".join(rows)}'
            "</tbody></table></section>")


def _charts(analysis: Analysis, depth: int | None) -> str:
    shown = nodes(analysis, depth)[1:]
    size = DTYPE_BYTES["float32"]
    return ('<div class="charts">'
            + _chart("Parameters per layer", "params", shown, [n.params for n in shown], human)
            + _chart("MACs per layer", "macs", shown, [n.macs for n in shown], human)
            + _chart("Activation memory per layer", "memory", shown, [n.elements * size for n in shown], human_bytes)
            + "</div>")


def _timeline(analysis: Analysis) -> str:
    """Live activation bytes while each layer runs (`cnncalc memory`), in execution order, the peak marked: an
    inline SVG area chart; each layer's slice has a tooltip with its name and bytes."""
    from cnncalc.core.memory import liveness

    plan = liveness(analysis)
    values = [live.live_bytes for live in plan.layers]
    top_value = max(values) or 1
    width, height, left, right, top, bottom = 1000, 240, 78, 16, 28, 34
    span_x, span_y = width - left - right, height - top - bottom
    step = span_x / max(len(values) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(value: int) -> float:
        return top + span_y * (1 - value / top_value)

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    area = f"M{x(0):.1f},{y(0):.1f} L" + points.replace(" ", " L") + f" L{x(len(values) - 1):.1f},{y(0):.1f} Z"
    peak = max(range(len(values)), key=values.__getitem__)
    label = f"peak {human_bytes(values[peak])} while {plan.peak_layer} runs"
    anchor = "end" if x(peak) > width / 2 else "start"
    grid = "".join(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eceff1"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="axis">{escape(human_bytes(v))}'
                   "</text>" for v in (0, top_value // 2, top_value))
    slices = "".join(f'<rect x="{x(i) - step / 2:.1f}" y="{top}" width="{max(step, 1):.1f}" height="{span_y}" '
                     f'fill="transparent"><title>{escape(live.name)}: {live.live_bytes:,} B alive</title></rect>'
                     for i, live in enumerate(plan.layers))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="live activation memory per layer; {escape(label)}" class="timeline">'
           "<style>.axis { font: 11px sans-serif; fill: #546e7a; } .peak { font: 12px sans-serif; fill: #b23c17; "
           "font-weight: 600; }</style>" + grid
           + f'<path d="{area}" fill="#6aa86a" fill-opacity="0.35" stroke="none"/>'
           + f'<polyline points="{points}" fill="none" stroke="#3d7a3d" stroke-width="1.5"/>'
           + f'<line x1="{x(peak):.1f}" x2="{x(peak):.1f}" y1="{top}" y2="{y(0):.1f}" stroke="#b23c17" '
           'stroke-dasharray="4 3"/>'
           + f'<circle cx="{x(peak):.1f}" cy="{y(values[peak]):.1f}" r="4" fill="#b23c17"/>'
           + f'<text x="{x(peak) + (-8 if anchor == "end" else 8):.1f}" y="{top - 10}" text-anchor="{anchor}" '
           f'class="peak">{escape(label)}</text>'
           + f'<text x="{left}" y="{height - 10}" class="axis">layer 1</text>'
           + f'<text x="{width - right}" y="{height - 10}" text-anchor="end" class="axis">layer {len(values)}'
           "</text>" + slices + "</svg>")
    return (f'<div class="scroll">{svg}</div><p class="note">Bytes of activations alive while each layer runs, in '
            f"execution order, float32, batch 1, each tensor freed after its last reader (`cnncalc memory`); "
            f"every output kept would be {escape(human_bytes(plan.naive_sum_bytes))}. Hover for a layer's figure."
            "</p>")


def _table(analysis: Analysis) -> str:
    size = DTYPE_BYTES["float32"]
    head = ('<tr><th class="n">#</th><th>Layer</th><th class="opt">Kind</th><th>Output</th><th class="n">Params</th>'
            '<th class="n">MACs</th><th class="n opt">Memory</th></tr>')
    rows = [f'<tr><td class="n">{r.index}</td><td class="name" title="{escape(r.name)}">{escape(r.name)}</td>'
            f'<td class="opt">{escape(r.kind)}</td><td>{fmt_shape(r.output)}</td><td class="n">{r.params:,}</td>'
            f'<td class="n">{r.macs:,}</td><td class="n opt">{escape(human_bytes(r.elements * size))}</td></tr>'
            for r in analysis.rows]
    return f'<div class="scroll"><table class="layers"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def html(analysis: Analysis, memory: MemoryEstimate, options: Options) -> str:
    """The report of an analysis and its memory estimate (float32, batch 1, Adam) as one HTML document."""
    drawn = layout(analysis, options)
    svg = render(drawn)
    depth = fold_note(options.depth)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(analysis.name)} · cnncalc report</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f"<h1>{escape(analysis.name)}</h1>",
        f'<p class="sub">{escape(fmt_shape(analysis.input))} → {escape(fmt_shape(analysis.output))} · '
        f"{escape(analysis.spec.path)}</p>",
        _totals(analysis, memory),
        "<h2>Diagram</h2>", '<p class="note">Hover over a box for its figures.</p>',
        f'<div class="scroll diagram">{svg}</div>',
        "<h2>Where the cost sits</h2>", f'<p class="note">Per layer or folded block ({escape(depth)}); '
        "memory is the layer's output (a block's: all its layers' outputs) in float32 for one sample.</p>", _charts(analysis, options.depth),
        '<h2 id="memory">Memory over time</h2>', _timeline(analysis),
        "<h2>Every layer</h2>", _table(analysis),
        '<p class="note">Made by cnncalc.</p>', "</body>", "</html>",
    ]
    return "\n".join(parts) + "\n"


def report_name(spec_path: str) -> str:
    """A file name for the report of `spec_path` that stays unique within one run (`nets/a.yaml` → `nets__a.html`)."""
    stem = os.path.splitext(os.path.normpath(spec_path))[0].lstrip("./" + os.sep)
    return re.sub(r"[^\w.-]+", "__", stem) + ".html"


def write_report(analysis: Analysis, memory: MemoryEstimate, directory: str, options: Options | None = None) -> str:
    """Write the report of `analysis` into `directory` (made if missing) for `check --report-dir`; returns its path."""
    from cnncalc.cli.textout import make_folder, write_file

    make_folder(directory)
    path = os.path.join(directory, report_name(analysis.spec.path))
    write_file(path, html(analysis, memory, options or Options()).encode("utf-8"))
    return path
