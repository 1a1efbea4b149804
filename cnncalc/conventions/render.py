"""A comparison of two conventions as text or JSON (`explain --convention A --against B`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.cli.textout import neutral
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.conventions.compare import Comparison


def text(comparison: Comparison, shown: int = 3) -> str:
    """Totals of both, then each layer type that differs: both rules, the difference, the first layers."""
    a, b = comparison.first, comparison.second
    ca, cb = a.convention, b.convention
    lines = [f"{ca.name} ({ca.version}) against {cb.name} ({cb.version}) at {fmt_shape(a.input)}",
             f"  {ca.name}: {a.total:,} {ca.unit}, {a.params:,} parameters",
             f"  {cb.name}: {b.total:,} {cb.unit}, {b.params:,} parameters",
             f"  difference: {b.total - a.total:+,} ({cb.name} − {ca.name})"]
    if a.params != b.params:
        lines.append(f"  parameters: {b.params - a.params:+,}: {ca.name} counts {ca.rules.get('parameters', '')}; "
                     f"{cb.name} counts {cb.rules.get('parameters', '')}")
    if not comparison.types:
        lines.append("Every layer is counted alike.")
    for t in comparison.types:
        lines += ["", f"{t.layer_type}: {len(t.layers)} layer(s), {t.delta:+,}",
                  f"  {ca.name}: {t.rule}", f"  {cb.name}: {t.against_rule}"]
        for d in t.layers[:shown]:
            lines.append(f"    {neutral(d.layer)} ({d.kind}): {d.ours:,} → {d.theirs:,}")
        if len(t.layers) > shown:
            lines.append(f"    … and {len(t.layers) - shown} more")
    return "\n".join(lines) + "\n"


def json_text(comparison: Comparison) -> str:
    import json

    data = {"convention": comparison.first.totals(), "against": comparison.second.totals(),
            "differences": [{"layer_type": t.layer_type, "rule": t.rule, "against_rule": t.against_rule,
                             "delta": t.delta, "layers": [d._asdict() for d in t.layers]}
                            for t in comparison.types]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": text, "json": json_text, "markdown": text}
