"""HTML rendering of an analysis, for Jupyter (`Result._repr_html_`): a table with a totals footer."""

from __future__ import annotations

from cnncalc.draw.markup import escape

from cnncalc.core.analysis import Analysis
from cnncalc.core.quantities import fmt_shape
from cnncalc.core.memory import MemoryEstimate
from cnncalc.shape.render import fold, footer, title

_STYLE = "text-align:right;font-variant-numeric:tabular-nums"


def _count(value: int) -> str:
    return f"{value:,}" if value else "–"


def to_html(analysis: Analysis, memory: MemoryEstimate, depth: int | None = 1) -> str:
    """A self-contained HTML table (rows folded to `depth`, as `cnncalc shape`) and its footer, user text escaped."""
    head = "".join(f"<th style=\"{_STYLE if h in ('#', 'Params', 'MACs') else 'text-align:left'}\">{h}</th>"
                   for h in ("#", "Layer", "Kind", "Output", "Params", "MACs"))
    body = []
    for row in fold(analysis, depth):
        body.append(
            f"<tr><td style=\"{_STYLE}\">{escape(str(row.index))}</td><td style=\"text-align:left\">{escape(row.name)}</td>"
            f"<td style=\"text-align:left\">{escape(row.kind)}</td>"
            f"<td style=\"text-align:left\">{escape(fmt_shape(row.output))}</td>"
            f"<td style=\"{_STYLE}\">{_count(row.params)}</td><td style=\"{_STYLE}\">{_count(row.macs)}</td></tr>")

    notes = "".join(f"<div>{escape(line)}</div>" for line in footer(analysis, memory))
    warnings = "".join(f"<div style=\"color:#b35900\">warning: {escape(p.message)} [{escape(p.rule)}] "
                       f"(line {p.line})</div>" for p in analysis.warnings)
    return (f"<div class=\"cnncalc\"><strong>{escape(title(analysis))}</strong>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<div style=\"font-size:smaller\">{notes}{warnings}</div></div>")
