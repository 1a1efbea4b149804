"""Rendering of analyses and worked formulas: tables (rich or plain), JSON, CSV and Markdown.

Nothing here computes figures: callers pass the analysis and the memory estimate in, and everything
here turns them into text or rich renderables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence, Union

from cnncalc.core.quantities import fmt_shape
from cnncalc.cli.textout import ascii_table, neutral

if TYPE_CHECKING:  # the analysis chain and rich are imported only by the commands that need them
    from rich.table import Table

    from cnncalc.core.analysis import RF, Analysis, Row
    from cnncalc.calc.requests import DenseStack, LayerParams
    from cnncalc.core.formulas import ConvParams, SizeAxis
    from cnncalc.core.memory import MemoryEstimate
    from cnncalc.conventions import Counted

Shape = tuple[int, ...]
COLUMNS = ("output", "params", "macs", "memory", "rf", "weights", "args")
DEFAULT_COLUMNS = ("output", "params", "macs")
# Columns a narrow terminal may drop, least needed first; output, params and macs always stay.
OPTIONAL_COLUMNS = ("args", "weights", "rf", "memory")
HEADERS = {"output": "Output", "params": "Params", "macs": "MACs", "memory": "Memory",
           "rf": "RF (size/stride/pad)", "weights": "Weights", "args": "Arguments"}
LEFT = ("output", "rf", "weights", "args")


@dataclass
class Group:
    """A folded block or repeat: the sums of what is inside it, the last member's output and RF."""

    index: str
    name: str
    kind: str
    output: Shape
    params: int
    macs: int
    elements: int
    rf: "RF | None"
    weights: tuple[Shape, ...] = ()
    args: str = ""  # a block use's arguments, as `--columns args` shows them


Shown = Union["Row", Group]


def fold(analysis: "Analysis", depth: int | None) -> list[Shown]:
    """Rows folded to `depth` levels of blocks and repeats (None: every leaf), like torchinfo's depth."""
    if depth is None:
        return list(analysis.rows)
    shown: list[Shown] = []
    current: str | None = None
    members: list[Row] = []

    def flush() -> None:
        if not members:
            return
        first, last = members[0], members[-1]
        index = f"{first.index}–{last.index}" if len(members) > 1 else str(first.index)
        uses = analysis.network.use_args
        used = uses.get(current or "", uses.get(f"{current}.1", {}))  # a repeated use: its first repetition
        shown.append(Group(index, current or "", analysis.groups.get(current or "", "block"), last.output,
                           sum(m.params for m in members), sum(m.macs for m in members), last.elements, last.rf,
                           args=" ".join(f"{k}={_compact(v)}" for k, v in used.items())))
        members.clear()

    for row in analysis.rows:
        group = row.scope[depth] if len(row.scope) > depth else None
        if group != current:
            flush()
            current = group
        if group is None:
            shown.append(row)
        else:
            members.append(row)
    flush()
    return shown


def fmt_rf(rf: "RF | None") -> str:
    """Receptive field as size/stride/padding, one number per value when square."""
    if rf is None:
        return "—"
    parts = []
    for axes in (rf.size, rf.jump, rf.padding):
        parts.append(str(axes[0]) if len(set(axes)) == 1 else "×".join(map(str, axes)))
    return "/".join(parts)


def fmt_weights(weights: tuple[Shape, ...]) -> str:
    """Weight tensor shapes, kh×kw×C×F for convolutions."""
    return " + ".join(fmt_shape(w) for w in weights)


def _compact(value: Any) -> str:
    """An argument value as written: 3 for (3, 3) or (3, 3, 3, 3), 1×2 for (1, 2), true/false, none."""
    if isinstance(value, (tuple, list)):
        return str(value[0]) if value and all(v == value[0] for v in value) else "×".join(map(str, value))
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "none"
    return str(value)


def fmt_args(kind: str, args: dict[str, Any]) -> str:
    """A layer's expanded arguments that differ from its kind's defaults: `filters=32 kernel=3 stride=2`."""
    from cnncalc.core.kinds import KINDS, REQUIRED

    spec = KINDS[kind].args if kind in KINDS else {}
    shown = []
    for name, value in args.items():
        default = spec[name].default if name in spec else REQUIRED
        if default is REQUIRED or _compact(value) != _compact(default):
            shown.append(f"{name}={_compact(value)}")
    return " ".join(shown)


def _cells(row: Shown, columns: Sequence[str], dtype_bytes: int, counts: dict[int, int] | None = None) -> list[str]:
    from cnncalc.core.quantities import human_bytes

    macs = row.macs if counts is None else _counted(row, counts)
    cells: dict[str, Callable[[], str]] = {
        "output": lambda: fmt_shape(row.output),
        "params": lambda: f"{row.params:,}" if row.params else "–",
        "macs": lambda: f"{macs:,}" if macs else "–",
        "memory": lambda: human_bytes(row.elements * dtype_bytes),
        "rf": lambda: fmt_rf(row.rf),
        "weights": lambda: fmt_weights(row.weights),
        "args": lambda: row.args if isinstance(row, Group) else fmt_args(row.kind, row.args),
    }
    return [cells[c]() for c in columns]


def _counted(row: Shown, counts: dict[int, int]) -> int:
    """A row's count under a convention: a layer's, or the sum over a folded block's layers (`3–9`)."""
    if isinstance(row, Group):
        first, _, last = row.index.partition("–")
        return sum(counts.get(i, 0) for i in range(int(first), int(last or first) + 1))
    return counts.get(row.index, 0)


@dataclass(frozen=True)
class TableView:
    """What a shape table shows: the analysis, its memory estimate, the columns and the folding depth, and the
    convention its MACs column follows (None: cnncalc's own)."""

    analysis: "Analysis"
    memory: "MemoryEstimate"
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    depth: int | None = 1
    counted: "Counted | None" = None

    def counts(self) -> dict[int, int] | None:
        """Each row's count under the convention, by row index (None without one)."""
        if self.counted is None:
            return None
        return {row.index: n for row, (_, n) in zip(self.analysis.rows, self.counted.layers)}


def _dtype_bytes(memory: "MemoryEstimate") -> int:
    from cnncalc.core.memory import DTYPE_BYTES

    return DTYPE_BYTES[memory.dtype]


def cells(view: TableView) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, rows of cell text (user text neutralised) and right-alignment of a shape table."""
    size, counts = _dtype_bytes(view.memory), view.counts()
    headers = dict(HEADERS)
    if view.counted is not None:
        headers["macs"] = f"{view.counted.convention.name} {view.counted.convention.unit}"
    header = ["#", "Layer", "Kind"] + [headers[c] for c in view.columns]
    rows = [[str(r.index), neutral(r.name), neutral(r.kind), *_cells(r, view.columns, size, counts)]
            for r in fold(view.analysis, view.depth)]
    right = [True, False, False] + [c not in LEFT for c in view.columns]
    return header, rows, right


def plain_table(view: TableView) -> list[str]:
    """The table with ASCII borders as lines of text, for pipes and files (no rich needed)."""
    return ascii_table(*cells(view))


def fitting_columns(view: TableView, width: int) -> tuple[str, ...] | None:
    """The columns that fit `width` terminal columns without cutting a number (names may wrap), or None."""
    from cnncalc.cli.textout import cell_width

    header, rows, _ = cells(TableView(view.analysis, view.memory, COLUMNS, view.depth))
    need = {h: max([cell_width(h)] + [cell_width(r[i]) for r in rows]) for i, h in enumerate(header)}
    columns = list(view.columns)
    while True:
        # every column at full width but Layer, which may wrap down to 8 characters
        total = sum(need[h] for h in ("#", "Kind")) + min(need["Layer"], 8) + 3 * (len(columns) + 3) + 1
        total += sum(need[HEADERS[c]] for c in columns)
        if total <= width:
            return tuple(columns)
        droppable = [c for c in OPTIONAL_COLUMNS if c in columns] + (["output"] if "output" in columns else [])
        if not droppable:
            return None
        columns.remove(droppable[0])


def table(view: TableView, ascii_only: bool = False) -> "Table":
    """A rich table of the layers, numbers never cut: long names wrap instead."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    header, rows, right = cells(view)
    t = Table(box=box.ASCII if ascii_only else box.SIMPLE_HEAVY, show_footer=False)
    for i, (name, is_right) in enumerate(zip(header, right)):
        wrap = name in ("Layer", "Weights")
        t.add_column(name, justify="right" if is_right else "left", style="dim" if i == 0 else
                     "cyan" if name == "Kind" else None, no_wrap=not wrap, overflow="fold" if wrap else "ellipsis")
    for row in rows:
        t.add_row(*(escape(c) for c in row))
    return t


def vertical(view: TableView) -> list[str]:
    """One block of lines per layer, for terminals too narrow for any table."""
    header, rows, _ = cells(view)
    lines = []
    for row in rows:
        lines.append(f"{row[0]}  {row[1]} ({row[2]})")
        lines.extend(f"    {name}: {value}" for name, value in zip(header[3:], row[3:]))
    return lines


def title(analysis: "Analysis") -> str:
    """The line above the table: name (a variant's with its file's: `efficientnet_b3 (EfficientNet)`), input and
    output."""
    family = analysis.spec.family
    name = f"{analysis.name} ({family})" if family and family != analysis.name else analysis.name
    return f"{neutral(name)}: {fmt_shape(analysis.input)} → {fmt_shape(analysis.output)}"


def footer(analysis: "Analysis", memory: "MemoryEstimate", counted: "Counted | None" = None) -> list[str]:
    """Totals lines under the table (plain text): parameters, multiply-adds (and a convention's count), memory,
    output."""
    from cnncalc.core.quantities import human, human_bytes

    tot = analysis.totals
    m = memory
    return [
        f"Total params: {tot.params:,}  (trainable {tot.trainable:,}"
        f"{f' of which frozen {tot.frozen:,}' if tot.frozen else ''}, non-trainable {tot.non_trainable:,})",
        f"Multiply-adds at {fmt_shape(analysis.input)}: {tot.macs:,} MACs = {human(tot.macs)} MACs "
        f"({human(tot.flops)} FLOPs at 2 per MAC)",
        *([convention_line(counted)] if counted is not None else []),
        f"Memory ({m.dtype}, batch {m.batch}, 1 MiB = 2^20 bytes): parameters {human_bytes(m.weights)}, "
        f"activations {human_bytes(m.activations)}",
        f"  inference ≈ {human_bytes(m.inference)}; training with {m.optimizer} ≈ {human_bytes(m.training)} "
        f"(+ gradients {human_bytes(m.gradients)}, optimizer state {human_bytes(m.optimizer_state)})",
        f"Output: {fmt_shape(analysis.output)}",
    ]


def convention_line(counted: "Counted") -> str:
    """The convention's totals, named by tool, version and the input they were computed at."""
    c = counted.convention
    return (f"{c.name} ({c.version}, as `{c.tool}` prints): {counted.total:,} {c.unit} at "
            f"{fmt_shape(counted.input)}; parameters {counted.params:,}")


def text(view: TableView) -> str:
    """Title, ASCII table and totals as plain text: what `shape` writes to a pipe or file."""
    lines = [title(view.analysis), *plain_table(view), *footer(view.analysis, view.memory, view.counted)]
    return "\n".join(lines) + "\n"


def _rf_dict(rf: "RF | None") -> dict[str, list[int]] | None:
    if rf is None:
        return None
    return {"size": list(rf.size), "stride": list(rf.jump), "padding": list(rf.padding)}


def _json_args(args: dict[str, Any]) -> dict[str, Any]:
    """A layer's expanded arguments for JSON: tuples as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}


def to_dict(analysis: "Analysis", memory: "MemoryEstimate") -> dict[str, Any]:
    """The stable JSON contract of the spec format, plus memory, receptive fields and weight shapes."""
    m = memory
    dtype_bytes = _dtype_bytes(m)
    tot = analysis.totals
    return {
        "name": analysis.name,
        "input": list(analysis.input),
        "output": list(analysis.output),
        "layers": [
            {
                "index": r.index, "name": r.name, "kind": r.kind, "output": list(r.output),
                "params": r.params, "trainable": r.trainable, "non_trainable": r.non_trainable, "frozen": r.frozen,
                "macs": r.macs,
                "memory": r.elements * dtype_bytes,
                "weights": [list(w) for w in r.weights],
                "receptive_field": _rf_dict(r.rf),
                "inputs": list(r.inputs),
                "args": _json_args(r.args),
                "line": r.line,
            }
            for r in analysis.rows
        ],
        "totals": {
            "params": tot.params, "trainable": tot.trainable, "non_trainable": tot.non_trainable,
            "frozen": tot.frozen, "macs": tot.macs, "flops": tot.flops, "convention": "cnncalc",
            "input": list(analysis.input),
        },
        "memory": {
            "dtype": m.dtype, "batch": m.batch, "optimizer": m.optimizer, "units": "bytes",
            "weights": m.weights, "gradients": m.gradients, "optimizer_state": m.optimizer_state,
            "activations": m.activations, "inference": m.inference, "training": m.training,
        },
        "warnings": [p.as_dict() for p in analysis.warnings],
    }


def to_json(view: TableView) -> str:
    """JSON text of `to_dict` (every leaf and figure, whatever the columns and depth); with a convention, its
    totals under "convention" and each layer's count as "convention_count"."""
    import json

    data = to_dict(view.analysis, view.memory)
    if view.counted is not None:
        c = view.counted
        data["convention"] = c.totals()
        for layer, (_, n) in zip(data["layers"], c.layers):
            layer["convention_count"] = n
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


CSV_FIELDS = ("index", "name", "kind", "output", "params", "trainable", "non_trainable", "macs", "memory",
              "rf_size", "rf_stride", "rf_padding", "weights")


def to_csv(view: TableView) -> str:
    """One CSV row per leaf layer with every figure (shapes as HxWxC, memory in bytes)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    dtype_bytes = _dtype_bytes(view.memory)
    for r in view.analysis.rows:
        rf = r.rf
        writer.writerow([
            r.index, neutral(r.name), neutral(r.kind), "x".join(map(str, r.output)), r.params, r.trainable, r.non_trainable, r.macs,
            r.elements * dtype_bytes,
            "x".join(map(str, rf.size)) if rf else "", "x".join(map(str, rf.jump)) if rf else "",
            "x".join(map(str, rf.padding)) if rf else "",
            " + ".join("x".join(map(str, w)) for w in r.weights),
        ])
    return out.getvalue()


def to_markdown(view: TableView) -> str:
    """A Markdown table with a totals paragraph."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    header, rows, right = cells(view)
    align = ["---:" if r else "---" for r in right]
    lines = [f"### {cell(title(view.analysis))}", "", "| " + " | ".join(header) + " |",
             "| " + " | ".join(align) + " |"]
    lines.extend("| " + " | ".join(cell(x) for x in row) + " |" for row in rows)
    lines.append("")
    lines.extend(f"{line}  " for line in footer(view.analysis, view.memory, view.counted))
    return "\n".join(lines).rstrip() + "\n"


# `shape --format` choices: every format but the table is text made from a TableView.
FORMATS: dict[str, Callable[[TableView], str]] = {"table": text, "json": to_json, "csv": to_csv,
                                                   "markdown": to_markdown}


def show(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool],
         wrap: Sequence[bool] | None = None) -> None:
    """Draw a table on the terminal with rich, no number or name cut: only the `wrap` columns fold (by default the
    text columns after the first); one block per row where even that does not fit."""
    from rich.console import Console

    from cnncalc.cli.textout import blocks, fits, spelled, terminal_table

    console = Console(highlight=False)
    wrap = wrap if wrap is not None else [i > 0 and not r for i, r in enumerate(right)]
    header = [spelled(h) for h in header]
    rows = [[spelled(c) for c in row] for row in rows]
    if fits(header, rows, wrap, console.width):
        console.print(terminal_table(header, rows, right, wrap))
    else:
        console.print("\n".join(blocks(header, rows)), markup=False)


def show_table(view: TableView) -> None:
    """A shape table on the terminal: every number whole; columns dropped, or one block per layer, if narrow."""
    import sys

    from rich.console import Console

    console = Console(highlight=False)
    console.print(title(view.analysis), markup=False, style="bold")
    columns = fitting_columns(view, console.width)
    if columns is None:
        console.print("\n".join(vertical(view)), markup=False)
        sys.stderr.write(f"cnncalc: the terminal is {console.width} columns wide: one block per layer\n")
    else:
        if columns != view.columns:
            dropped = ", ".join(c for c in view.columns if c not in columns)
            sys.stderr.write(f"cnncalc: {dropped} left out to fit {console.width} columns; widen the "
                             "terminal, or pipe the output, to see them\n")
        console.print(table(TableView(view.analysis, view.memory, columns, view.depth, view.counted)))
    for line in footer(view.analysis, view.memory, view.counted):
        console.print(line, markup=False)


def listing(entries: Sequence[Any]) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, rows and alignment of `cnncalc list` (bundled.Entry values)."""
    from cnncalc.core.quantities import human

    # A family file's variants sit together under its stem (`efficientnet`), so the list groups them.
    rows = [[e.name, e.family, neutral(e.title), fmt_shape(e.input), f"{e.params:,}", human(e.macs)]
            for e in entries]
    return ["Name", "Family", "Architecture", "Input", "Params", "MACs"], rows, [False, False, False, False, True, True]


def listing_text(entries: Sequence[Any]) -> str:
    """`cnncalc list` as a plain table, for pipes and files."""
    return "\n".join(ascii_table(*listing(entries))) + "\n"


def show_listing(entries: Sequence[Any]) -> None:
    """`cnncalc list` on a terminal."""
    from rich.console import Console

    from cnncalc.cli.textout import fits

    header, rows, right = listing(entries)
    if not fits(header, rows, [False] * len(header), Console().width):  # the family is in the name: drop it first
        header, rows, right = header[:1] + header[2:], [row[:1] + row[2:] for row in rows], right[:1] + right[2:]
    show(header, rows, right, [name in ("Family", "Architecture") for name in header])


def listing_json(entries: Sequence[Any]) -> str:
    """`cnncalc list --json`."""
    import json

    return json.dumps([{"name": e.name, "family": e.family or None, "title": e.title, "description": e.description,
                        "input": list(e.input), "params": e.params, "macs": e.macs} for e in entries],
                      indent=2, ensure_ascii=False) + "\n"


def kind_line(kind: Any) -> str:
    """One line of `cnncalc kinds`: name, main argument, aliases, summary, other arguments with defaults."""
    from cnncalc.core.kinds import REQUIRED, show_default

    args = ", ".join(a if spec.default is REQUIRED else f"{a}={show_default(spec)}"
                     for a, spec in kind.args.items() if a != kind.main)
    aliases = f" (aliases: {', '.join(kind.aliases)})" if kind.aliases else ""
    main = f" <{kind.main}>" if kind.main else ""
    return f"{kind.name}{main}{aliases}: {kind.summary}" + (f"; {args}" if args else "")


def sizes_summary(clean: Sequence[int], low: int, high: int) -> str:
    """`3 clean input sizes from 200 to 300: 224, 256, 288` with arithmetic runs shortened."""
    from cnncalc.sizes.scan import runs

    if not clean:
        return f"no size from {low} to {high} divides evenly everywhere"
    parts = []
    for first, last, step in runs(list(clean)):
        if step == 0:
            parts.append(str(first))
        elif first + step == last:
            parts.append(f"{first}, {last}")
        else:
            parts.append(f"{first}, {first + step}, …, {last} (every {step})")
    return f"{len(clean)} clean input size{'s' if len(clean) != 1 else ''} from {low} to {high}: " + "; ".join(parts)


def sizes_text(clean: Sequence[int], low: int, high: int) -> str:
    """`cnncalc sizes`: the summary line."""
    return sizes_summary(clean, low, high) + "\n"


def sizes_json(clean: Sequence[int], low: int, high: int) -> str:
    """`cnncalc sizes --json`: the range scanned and the clean sizes in it."""
    import json

    return json.dumps({"range": [low, high], "clean": list(clean)}) + "\n"


def verdict_text(verdict: Any, near: tuple[Shape | None, Shape | None] = (None, None)) -> str:
    """`sizes --size`: clean, or the first layer that breaks it and the nearest clean sizes."""
    from cnncalc.check.diagnostics import text as problem_text

    def spatial(shape: Shape) -> str:
        return "×".join(map(str, shape[:-1]))  # the spatial axes, without the channels

    sizes = spatial(verdict.input)
    if verdict.problem is None:
        return f"{sizes}: clean: every layer divides evenly\n"
    lines = [f"{sizes}: not clean; the first layer that breaks it:", problem_text(verdict.problem)]
    below, above = near
    if below or above:
        options = [f"{spatial(s)} ({how})" for s, how in ((below, "crop or resize down"), (above, "pad or resize up"))
                   if s is not None]
        lines.append(f"nearest clean sizes: {' or '.join(options)}")
    return "\n".join(lines) + "\n"


def verdict_json(verdict: Any, near: tuple[Shape | None, Shape | None] = (None, None)) -> str:
    """`sizes --size --json`."""
    import json

    below, above = near
    return json.dumps({"input": list(verdict.input), "clean": verdict.clean,
                       "problem": verdict.problem.as_dict() if verdict.problem else None,
                       "nearest": {"below": list(below) if below else None,
                                   "above": list(above) if above else None}}) + "\n"


def size_json(axes: Sequence["SizeAxis"]) -> str:
    """`size --json`: output per axis ([height, width] in 2-D), whether or not the input is square."""
    import json

    return json.dumps({"output": [a.out_size for a in axes], "even": all(a.remainder == 0 for a in axes),
                       "padding": [[a.pad_begin, a.pad_end] for a in axes]}) + "\n"


def size_text(axes: Sequence["SizeAxis"]) -> str:
    """`size`: the output size, then the worked formula (once when every axis is the same), worded as `explain`
    words it (one path: explain.size_step)."""
    from cnncalc.core.kinds.worked import size_step

    def worked(axis: "SizeAxis") -> list[str]:
        step = size_step("", axis)
        return [f"{step.worked} = {step.result}", *step.notes]

    first = axes[0]
    if all(_same_axis(first, other) for other in axes[1:]):
        return "\n".join([str(first.out_size), *worked(first)]) + "\n"
    lines = ["×".join(str(a.out_size) for a in axes)]
    names = ("height", "width") if len(axes) == 2 else ("depth", "height", "width")
    for name, axis in zip(names, axes):
        lines.extend(f"{name}: {line}" for line in worked(axis))
    return "\n".join(lines) + "\n"


def _same_axis(a: "SizeAxis", b: "SizeAxis") -> bool:
    return (a.in_size, a.kernel_size, a.stride, a.dilation, a.pad_begin, a.pad_end) == \
        (b.in_size, b.kernel_size, b.stride, b.dilation, b.pad_begin, b.pad_end)


# --- worked formulas ---------------------------------------------------------------------

def explain_params(result: "ConvParams") -> str:
    """`64 × (3·3·256 + 1) = 147,520`, with groups and bias shown as they apply."""
    kernel = result.kernel or (result.kernel_h, result.kernel_w)
    per_filter = f"{'·'.join(map(str, kernel))}·{result.in_channels}"
    if result.groups > 1:
        per_filter = f"{per_filter}/{result.groups}"
    if result.bias:
        return (f"{result.filters} × ({per_filter} + 1) = {result.total:,} ({result.weights:,} weights + "
                f"{result.filters:,} bias{'es' if result.filters != 1 else ''})")
    return f"{result.filters} × {per_filter} = {result.total:,}"


def pointwise_note(result: "ConvParams") -> str:
    """Why a 1×1 convolution is cheap and useful, on the user's numbers (empty for other kernels)."""
    kernel = result.kernel or (result.kernel_h, result.kernel_w)
    if any(k != 1 for k in kernel):
        return ""
    c, f, g = result.in_channels, result.filters, result.groups
    three = f * 9 * (c // g) + (f if result.bias else 0)
    return (f"a 1×1 convolution mixes the {c:,} channel{'s' if c != 1 else ''} at each position (a dense layer {c:,} → {f:,} applied "
            f"at every position) and leaves the spatial size alone; a 3×3 with the same channels would have "
            f"{three:,} parameters, {three / result.total:.1f}× as many"
            + (" (the bottleneck's reduction before a 3×3)" if f < c else ""))


def explain_dense(inputs: int, units: int, bias: bool, total: int) -> str:
    """`4096 × (25088 + 1) = 102,764,544 (102,760,448 weights + 4,096 biases)`."""
    if bias:
        return (f"{units} × ({inputs} + 1) = {total:,} ({units * inputs:,} weights + {units:,} "
                f"bias{'es' if units != 1 else ''})")
    return f"{units} × {inputs} = {total:,}"


def explain_stack(stack: "DenseStack") -> str:
    """`params --inputs 224x224x3 --units 128`: the flattening, then each dense layer's U × (N + 1)."""
    lines = []
    if len(stack.shape) > 1:
        lines.append(f"{'·'.join(f'{d:,}' for d in stack.shape)} = {stack.features:,} inputs (flattened)")
    for layer in stack.layers:
        n, u = layer.inputs, layer.units
        lines.append(f"{u:,} × ({n:,} + 1) = {layer.params:,}" if stack.bias else f"{u:,} × {n:,} = {layer.params:,}")
    if len(stack.layers) > 1:
        lines.append(f"total: {stack.params:,}")
    return "\n".join(lines)


def params_text(result: "LayerParams") -> str:
    """`cnncalc params`: the worked count of a convolution, a dense layer or a stack of them."""
    from cnncalc.calc.requests import DenseStack

    if not isinstance(result, DenseStack):
        note = pointwise_note(result)
        return explain_params(result) + "\n" + (note + "\n" if note else "")
    if result.stacked:
        return explain_stack(result) + "\n"
    layer = result.layers[0]
    return explain_dense(layer.inputs, layer.units, result.bias, layer.params) + "\n"


def params_json(result: "LayerParams") -> str:
    """`cnncalc params --json`: the question's numbers and the answer, as one object."""
    import json

    from cnncalc.calc.requests import DenseStack

    if not isinstance(result, DenseStack):
        r = result
        data: dict[str, Any] = {"kind": "conv", "filters": r.filters, "kernel": list(r.kernel), "channels":
                                r.in_channels, "groups": r.groups, "bias": r.bias, "weights": r.weights,
                                "biases": r.total - r.weights, "params": r.total}
    elif result.stacked:
        data = {"kind": "dense", "inputs": list(result.shape), "features": result.features, "bias": result.bias,
                "layers": [{"inputs": x.inputs, "units": x.units, "params": x.params} for x in result.layers],
                "params": result.params}
    else:
        layer = result.layers[0]
        data = {"kind": "dense", "units": layer.units, "inputs": layer.inputs, "bias": result.bias,
                "params": layer.params}
    return json.dumps(data) + "\n"


def json_document(value: Any) -> str:
    """A JSON document for people and editors to read: indented, non-ASCII kept."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
