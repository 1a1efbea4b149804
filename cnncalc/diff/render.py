"""Rendering of a Diff: a rich table, Markdown for pull requests, and JSON. Nothing here computes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cnncalc.cli.textout import neutral
from cnncalc.diff.compare import ADDED, CHANGED, REMOVED, SAME, Diff, LayerChange, LayerFigures, Threshold, TotalChange
from cnncalc.core.quantities import fmt_shape
from cnncalc.core.quantities import human_bytes

if TYPE_CHECKING:  # rich is imported only when a table is drawn
    from rich.console import RenderableType

MARKS = {ADDED: "+", REMOVED: "-", CHANGED: "~", SAME: " "}
LABELS = {"params": "Params", "trainable": "Trainable", "non_trainable": "Non-trainable", "macs": "MACs",
          "memory": "Memory (inference, float32)"}
DISJOINT_NOTE = ("the two networks have no layer in common (no shared name, kind or output shape): "
                 "every layer is shown as removed and added")


def signed(value: int, metric: str = "") -> str:
    """+1,234 / −1,234 / 0; bytes in binary units for memory."""
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "−"
    body = human_bytes(abs(value)) if metric == "memory" else f"{abs(value):,}"
    return sign + body


def percent(change: TotalChange) -> str:
    """+3.84% / −1.20% / 0%; "new" when growing from 0."""
    p = change.percent
    if p is None:
        return "new" if change.new else "0%"
    if p == 0:
        return "0%"
    return f"{'+' if p > 0 else '−'}{abs(p):.2f}%"


def total_value(change: TotalChange, which: str) -> str:
    """The old or new total as shown."""
    value = change.old if which == "old" else change.new
    return human_bytes(value) if change.metric == "memory" else f"{value:,}"


def _name(change: LayerChange) -> str:
    """The layer's name (old → new when it changed), and the arguments that changed: `conv1 (groups 1 → 32)`."""
    old, new = change.old, change.new
    if old and new and old.name != new.name:
        name = f"{neutral(old.name)} → {neutral(new.name)}"
    else:
        name = neutral((new or old).name)  # type: ignore[union-attr]
    if change.arguments:
        name += " (" + ", ".join(f"{arg} {neutral(a)} → {neutral(b)}" for arg, a, b in change.arguments) + ")"
    return name


def _side(f: LayerFigures | None, attr: str) -> str:
    if f is None:
        return ""
    return fmt_shape(f.output) if attr == "output" else f.kind


def _both(change: LayerChange, attr: str) -> str:
    before, after = _side(change.old, attr), _side(change.new, attr)
    if change.old and change.new and before != after:
        return f"{before} → {after}"
    return after or before


def layer_cells(change: LayerChange) -> list[str]:
    """The cells of one row: mark, layer, kind, output, Δ params, Δ MACs, Δ memory."""
    return [MARKS[change.status], _name(change), _both(change, "kind"), _both(change, "output"),
            signed(change.delta("params")), signed(change.delta("macs")), signed(change.delta("memory"), "memory")]


LAYER_HEADERS = ["", "Layer", "Kind", "Output", "Δ Params", "Δ MACs", "Δ Memory"]
TOTAL_HEADERS = ["Total", "Old", "New", "Δ", "Δ %"]


def total_cells(change: TotalChange) -> list[str]:
    """The cells of one totals row."""
    return [LABELS[change.metric], total_value(change, "old"), total_value(change, "new"),
            signed(change.delta, change.metric), percent(change)]


def summary(result: Diff) -> str:
    """`3 added, 0 removed, 1 changed, 21 unchanged`."""
    return (f"{result.count(ADDED)} added, {result.count(REMOVED)} removed, {result.count(CHANGED)} changed, "
            f"{result.count(SAME)} unchanged")


def heading(result: Diff) -> str:
    """`VGG-16 (a.yaml) → VGG-19 (b.yaml)`."""
    counted = f"; MACs as {result.convention} counts them" if result.convention != "cnncalc" else ""
    return (f"{neutral(result.old_name)} ({neutral(result.old_label)}) → {neutral(result.new_name)} "
            f"({neutral(result.new_label)}){counted}")


def failures(hits: list[tuple[Threshold, TotalChange]]) -> list[str]:
    """One line per threshold exceeded."""
    return [f"--fail-on {t.text}: {LABELS[c.metric].split(' (')[0].lower()} changed by "
            f"{signed(c.delta, c.metric)} ({percent(c)}), beyond the threshold" for t, c in hits]


def tables(result: Diff, terminal: bool, width: int) -> list[str | RenderableType]:
    """What the report shows after its heading: the changed layers (unchanged ones are counted, not listed), then
    the totals. On a terminal, rich tables in which no number is cut (names fold), or one block per layer or total
    where even that does not fit `width`; elsewhere plain ASCII tables. Headers are spelled for the stream."""
    from cnncalc.cli.textout import ascii_table, blocks, fits, spelled, terminal_table

    colours = {ADDED: "green", REMOVED: "red", CHANGED: "yellow"}
    changed = [change for change in result.layers if change.status != SAME]
    parts: list[tuple[list[str], list[list[str]], list[bool], list[bool], list[str | None]]] = []
    if changed:
        parts.append(([spelled(h) for h in LAYER_HEADERS], [[spelled(c) for c in layer_cells(change)] for change in changed],
                      [n >= 4 for n in range(len(LAYER_HEADERS))], [h == "Layer" for h in LAYER_HEADERS],
                      [colours[change.status] for change in changed]))
    parts.append(([spelled(h) for h in TOTAL_HEADERS], [[spelled(c) for c in total_cells(total)]
                                                        for total in result.totals.values()],
                  [n > 0 for n in range(len(TOTAL_HEADERS))], [n == 0 for n in range(len(TOTAL_HEADERS))],
                  [None] * len(result.totals)))
    shown: list[str | RenderableType] = []
    for header, rows, right, wrap, styles in parts:
        if not terminal:
            shown.append("\n".join(ascii_table(header, rows, right)))
        elif fits(header, rows, wrap, width):
            shown.append(terminal_table(header, rows, right, wrap, styles))
        else:
            shown.append("\n".join(blocks(header, rows, 2 if header is parts[0][0] and changed else 1)))
    return shown


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(result: Diff, hits: list[tuple[Threshold, TotalChange]] | None = None) -> str:
    """A Markdown report to paste into a pull request: heading, summary, changed layers, totals."""
    lines = [f"### {_md(heading(result))}", "", f"Layers: {summary(result)}.", ""]
    if result.disjoint:
        lines += [f"> **Note:** {DISJOINT_NOTE}.", ""]
    changed = [c for c in result.layers if c.status != SAME]
    if changed:
        lines.append("| " + " | ".join(h or "&nbsp;" for h in LAYER_HEADERS) + " |")
        lines.append("| --- | --- | --- | --- | ---: | ---: | ---: |")
        for change in changed:
            cells = layer_cells(change)
            cells[0] = {"+": "➕", "-": "➖", "~": "✏️"}[cells[0]]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines.append("")
    lines.append("| " + " | ".join(TOTAL_HEADERS) + " |")
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for total in result.totals.values():
        lines.append("| " + " | ".join(_md(c) for c in total_cells(total)) + " |")
    if hits:
        lines += [""] + [f"- ❌ `{_md(line)}`" for line in failures(hits)]
    return "\n".join(lines) + "\n"


def _figures_dict(f: LayerFigures | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"index": f.index, "name": f.name, "kind": f.kind, "output": list(f.output), "params": f.params,
            "trainable": f.trainable, "macs": f.macs, "memory": f.memory}


def to_dict(result: Diff, hits: list[tuple[Threshold, TotalChange]] | None = None) -> dict[str, Any]:
    """Every aligned layer (unchanged ones too) and every total, as plain data; memory in bytes."""
    import json

    return {
        "convention": result.convention,
        "old": {"label": result.old_label, "name": result.old_name, "input": list(result.old_input),
                "output": list(result.old_output)},
        "new": {"label": result.new_label, "name": result.new_name, "input": list(result.new_input),
                "output": list(result.new_output)},
        "summary": {s: result.count(s) for s in (ADDED, REMOVED, CHANGED, SAME)},
        "disjoint": result.disjoint,
        "layers": [
            {"status": c.status, "changed": list(c.fields),
             "arguments": [{"name": arg, "old": json.loads(a), "new": json.loads(b)} for arg, a, b in c.arguments],
             "old": _figures_dict(c.old), "new": _figures_dict(c.new),
             "delta": {m: c.delta(m) for m in ("params", "trainable", "macs", "memory")}}
            for c in result.layers
        ],
        "totals": {m: {"old": c.old, "new": c.new, "delta": c.delta,
                       "percent": None if c.percent is None else round(c.percent, 4)}
                   for m, c in result.totals.items()},
        "failed": [{"threshold": t.text, "metric": c.metric} for t, c in (hits or [])],
    }


def to_json(result: Diff, hits: list[tuple[Threshold, TotalChange]] | None = None) -> str:
    """JSON text of `to_dict`."""
    return json.dumps(to_dict(result, hits), indent=2, ensure_ascii=False) + "\n"
