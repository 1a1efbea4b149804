"""Rendering of analyses and worked formulas: rich tables, JSON, CSV and Markdown.

Nothing here computes figures; everything here turns data into text or rich renderables.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from cnncalc.analysis import RF, Analysis, Row
from cnncalc.formulas import ConvParams, SizeAxis
from cnncalc.kinds import Shape, fmt_shape
from cnncalc.memory import DTYPE_BYTES
from cnncalc.quantities import human, human_bytes

if TYPE_CHECKING:  # rich is imported only when a table is drawn, to keep start-up fast
    from rich.table import Table

    from cnncalc.memory import MemoryEstimate

COLUMNS = ("output", "params", "macs", "memory", "rf", "weights")
DEFAULT_COLUMNS = ("output", "params", "macs")


@dataclass
class DisplayRow:
    """A row as shown: a leaf layer, or a folded group summing what is inside it."""

    index: str
    name: str
    kind: str
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    elements: int
    rf: RF | None
    weights: tuple[Shape, ...]

    @property
    def params(self) -> int:
        """Trainable plus non-trainable parameters."""
        return self.trainable + self.non_trainable


def _leaf(row: Row) -> DisplayRow:
    return DisplayRow(str(row.index), row.name, row.kind, row.output, row.trainable, row.non_trainable,
                      row.macs, row.elements, row.rf, row.weights)


def fold(analysis: Analysis, depth: int | None) -> list[DisplayRow]:
    """Rows folded to `depth` levels of blocks and repeats (None: every leaf), like torchinfo's depth."""
    if depth is None:
        return [_leaf(r) for r in analysis.rows]
    shown: list[DisplayRow] = []
    current: str | None = None
    members: list[Row] = []

    def flush() -> None:
        if not members:
            return
        last = members[-1]
        first = members[0]
        index = f"{first.index}–{last.index}" if len(members) > 1 else str(first.index)
        shown.append(DisplayRow(index, current or "", analysis.groups.get(current or "", "block"), last.output,
                                sum(m.trainable for m in members), sum(m.non_trainable for m in members),
                                sum(m.macs for m in members), last.elements, last.rf, ()))
        members.clear()

    for row in analysis.rows:
        group = row.scope[depth] if len(row.scope) > depth else None
        if group != current:
            flush()
            current = group
        if group is None:
            shown.append(_leaf(row))
        else:
            members.append(row)
    flush()
    return shown


def fmt_rf(rf: RF | None) -> str:
    """Receptive field as size/stride/padding, one number per value when square."""
    if rf is None:
        return "—"
    parts = []
    for pair in (rf.size, rf.jump, rf.padding):
        parts.append(str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}")
    return "/".join(parts)


def fmt_weights(weights: tuple[Shape, ...]) -> str:
    """Weight tensor shapes, kh×kw×C×F for convolutions."""
    return " + ".join(fmt_shape(w) for w in weights)


def _cells(row: DisplayRow, columns: tuple[str, ...], dtype_bytes: int) -> list[str]:
    cells = {
        "output": lambda: fmt_shape(row.output),
        "params": lambda: f"{row.params:,}" if row.params else "–",
        "macs": lambda: f"{row.macs:,}" if row.macs else "–",
        "memory": lambda: human_bytes(row.elements * dtype_bytes),
        "rf": lambda: fmt_rf(row.rf),
        "weights": lambda: fmt_weights(row.weights),
    }
    return [cells[c]() for c in columns]


HEADERS = {"output": "Output", "params": "Params", "macs": "MACs", "memory": "Memory",
           "rf": "RF (size/stride/pad)", "weights": "Weights"}


def table(analysis: Analysis, columns: tuple[str, ...] = DEFAULT_COLUMNS, depth: int | None = None,
          dtype: str = "float32", ascii_only: bool = False) -> "Table":
    """A rich table of the layers with a totals footer."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    dtype_bytes = DTYPE_BYTES[dtype]
    t = Table(box=box.ASCII if ascii_only else box.SIMPLE_HEAVY, show_footer=False)
    t.add_column("#", justify="right", style="dim")
    t.add_column("Layer")
    t.add_column("Kind", style="cyan")
    for c in columns:
        t.add_column(HEADERS[c], justify="left" if c in ("output", "rf", "weights") else "right")
    for row in fold(analysis, depth):
        t.add_row(row.index, escape(row.name), escape(row.kind), *_cells(row, columns, dtype_bytes))
    return t


def title(analysis: Analysis) -> str:
    """The line above the table: name, input and output."""
    return f"{analysis.name}: {fmt_shape(analysis.input)} → {fmt_shape(analysis.output)}"


def footer(analysis: Analysis, memory: "MemoryEstimate | None" = None) -> list[str]:
    """Totals lines under the table (plain text): parameters, multiply-adds, memory, output."""
    from cnncalc.memory import estimate

    tot = analysis.totals
    m = memory or estimate(analysis)
    lines = [
        f"Total params: {tot.params:,}  (trainable {tot.trainable:,}, non-trainable {tot.non_trainable:,})",
        f"Multiply-adds: {tot.macs:,} MACs = {human(tot.macs)} MACs ({human(tot.flops)} FLOPs at 2 per MAC)",
        f"Memory ({m.dtype}, batch {m.batch}, 1 MiB = 2^20 bytes): parameters {human_bytes(m.weights)}, "
        f"activations {human_bytes(m.activations)}",
        f"  inference ≈ {human_bytes(m.inference)}; training with {m.optimizer} ≈ {human_bytes(m.training)} "
        f"(+ gradients {human_bytes(m.gradients)}, optimizer state {human_bytes(m.optimizer_state)})",
        f"Output: {fmt_shape(analysis.output)}",
    ]
    return lines


def _rf_dict(rf: RF | None) -> dict[str, list[int]] | None:
    if rf is None:
        return None
    return {"size": list(rf.size), "stride": list(rf.jump), "padding": list(rf.padding)}


def to_dict(analysis: Analysis, memory: "MemoryEstimate | None" = None) -> dict[str, Any]:
    """The stable JSON contract of the spec format, plus memory, receptive fields and weight shapes."""
    from cnncalc.memory import estimate

    m = memory or estimate(analysis)
    dtype_bytes = DTYPE_BYTES[m.dtype]
    tot = analysis.totals
    return {
        "name": analysis.name,
        "input": list(analysis.input),
        "output": list(analysis.output),
        "layers": [
            {
                "index": r.index, "name": r.name, "kind": r.kind, "output": list(r.output),
                "params": r.params, "trainable": r.trainable, "non_trainable": r.non_trainable, "macs": r.macs,
                "memory": r.elements * dtype_bytes,
                "weights": [list(w) for w in r.weights],
                "receptive_field": _rf_dict(r.rf),
                "inputs": list(r.inputs),
                "line": r.line,
            }
            for r in analysis.rows
        ],
        "totals": {
            "params": tot.params, "trainable": tot.trainable, "non_trainable": tot.non_trainable,
            "macs": tot.macs, "flops": tot.flops,
        },
        "memory": {
            "dtype": m.dtype, "batch": m.batch, "optimizer": m.optimizer, "units": "bytes",
            "weights": m.weights, "gradients": m.gradients, "optimizer_state": m.optimizer_state,
            "activations": m.activations, "inference": m.inference, "training": m.training,
        },
        "warnings": [p.as_dict() for p in analysis.warnings],
    }


def to_json(analysis: Analysis, memory: "MemoryEstimate | None" = None) -> str:
    """JSON text of `to_dict`."""
    return json.dumps(to_dict(analysis, memory), indent=2, ensure_ascii=False) + "\n"


CSV_FIELDS = ("index", "name", "kind", "output", "params", "trainable", "non_trainable", "macs", "memory",
              "rf_size", "rf_stride", "rf_padding", "weights")


def to_csv(analysis: Analysis, memory: "MemoryEstimate | None" = None) -> str:
    """One CSV row per leaf layer with every figure (shapes as HxWxC, memory in bytes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    dtype_bytes = DTYPE_BYTES[memory.dtype if memory else "float32"]
    for r in analysis.rows:
        rf = r.rf
        writer.writerow([
            r.index, r.name, r.kind, "x".join(map(str, r.output)), r.params, r.trainable, r.non_trainable, r.macs,
            r.elements * dtype_bytes,
            "x".join(map(str, rf.size)) if rf else "", "x".join(map(str, rf.jump)) if rf else "",
            "x".join(map(str, rf.padding)) if rf else "",
            " + ".join("x".join(map(str, w)) for w in r.weights),
        ])
    return out.getvalue()


def to_markdown(analysis: Analysis, columns: tuple[str, ...] = DEFAULT_COLUMNS, depth: int | None = None,
                memory: "MemoryEstimate | None" = None) -> str:
    """A Markdown table with a totals paragraph."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    dtype_bytes = DTYPE_BYTES[memory.dtype if memory else "float32"]
    head = ["#", "Layer", "Kind"] + [HEADERS[c] for c in columns]
    align = ["---:", "---", "---"] + ["---" if c in ("output", "rf", "weights") else "---:" for c in columns]
    lines = [f"### {cell(title(analysis))}", "", "| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for row in fold(analysis, depth):
        lines.append("| " + " | ".join(cell(x) for x in [row.index, row.name, row.kind,
                                                           *_cells(row, columns, dtype_bytes)]) + " |")
    lines.append("")
    lines.extend(f"{line}  " for line in footer(analysis, memory))
    return "\n".join(lines).rstrip() + "\n"


FORMATS: dict[str, Callable[..., str]] = {"json": to_json, "csv": to_csv, "markdown": to_markdown}


# --- worked formulas ---------------------------------------------------------------------

def explain_params(result: ConvParams) -> str:
    """`64 × (3·3·256 + 1) = 147,520`, with groups and bias shown as they apply."""
    per_filter = f"{result.kernel_h}·{result.kernel_w}·{result.in_channels}"
    if result.groups > 1:
        per_filter = f"{per_filter}/{result.groups}"
    if result.bias:
        return f"{result.filters} × ({per_filter} + 1) = {result.total:,}"
    return f"{result.filters} × {per_filter} = {result.total:,}"


def explain_dense(inputs: int, units: int, bias: bool, total: int) -> str:
    """`4096 × (25088 + 1) = 102,764,544`."""
    return f"{units} × ({inputs} + 1) = {total:,}" if bias else f"{units} × {inputs} = {total:,}"


def explain_size(axis: SizeAxis) -> list[str]:
    """The output-size formula with the numbers in it, and what a floored division loses."""
    a = axis
    if a.transposed:
        if a.same:
            return [f"{a.in_size} · {a.stride} = {a.out_size}   (transposed, padding same: H·s)"]
        pad = f"2·{a.pad_begin}" if a.pad_begin == a.pad_end else f"{a.pad_begin} − {a.pad_end}"
        kern = f"{a.dilation}·({a.kernel_size} − 1)" if a.dilation > 1 else f"({a.kernel_size} − 1)"
        extra = f" + {a.output_padding}" if a.output_padding else ""
        return [f"({a.in_size} − 1)·{a.stride} − {pad} + {kern}{extra} + 1 = {a.out_size}"]
    lines = []
    total_pad = a.pad_begin + a.pad_end
    if a.same:
        lines.append(f"padding same: output ⌈{a.in_size}/{a.stride}⌉ = {a.out_size}; padding {a.pad_begin} "
                     f"before, {a.pad_end} after (TensorFlow: the odd pixel goes after)")
    pad = f"2·{a.pad_begin}" if a.pad_begin == a.pad_end else f"{a.pad_begin} + {a.pad_end}"
    if a.dilation > 1:
        core = f"{a.in_size} + {pad} − {a.dilation}·({a.kernel_size} − 1) − 1"
    else:
        core = f"{a.in_size} − {a.kernel_size} + {pad}" if total_pad else f"{a.in_size} − {a.kernel_size}"
    exact = a.numerator / a.stride
    if a.remainder == 0:
        lines.append(f"({core})/{a.stride} + 1 = {a.out_size}")
    else:
        op = "⌈" if a.ceil_mode else "⌊"
        cl = "⌉" if a.ceil_mode else "⌋"
        lines.append(f"{op}({core})/{a.stride}{cl} + 1 = {op}{exact:g}{cl} + 1 = {a.out_size}")
        if not a.ceil_mode:
            if a.lost:
                first, last = a.lost
                what = f"input rows {first}–{last} are" if first != last else f"input row {first} is"
                lines.append(f"not even: {a.numerator} is not a multiple of {a.stride}; the remainder "
                             f"{a.remainder} is floored away, so {what} never covered by a window")
            else:
                lines.append(f"not even: {a.numerator} is not a multiple of {a.stride}, but no input row is lost: "
                             "only padding, or rows the stride skips anyway, fall outside the windows")
        else:
            lines.append("ceil mode: the last, partial window is kept (it starts inside the input)")
    return lines
