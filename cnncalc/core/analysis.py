"""The analysis of a spec: the expanded network as table rows, totals, warnings (the library API)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cnncalc.core.expand import SHAPE_RULES, expand
from cnncalc.core.kinds import ALIASES, Shape
from cnncalc.core.limits import collector_paused
from cnncalc.core.network import RF, Layer, Network, replay
from cnncalc.core.problems import INFO, WARNING, Problem, SpecError
from cnncalc.core.rules import suppress
from cnncalc.core.spec import Spec

__all__ = ["RF", "Analysis", "Row", "Totals", "analyze", "first_uneven", "suppress"]


@dataclass(slots=True)
class Row:
    """One leaf layer of the expanded network, with all its figures."""

    index: int
    name: str
    kind: str
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    weights: tuple[Shape, ...]
    rf: RF | None
    line: int
    column: int
    scope: tuple[str, ...]
    inputs: tuple[str, ...]
    args: dict[str, Any] = field(default_factory=dict)  # the kind's arguments, converted, defaults filled
    frozen: int = 0  # of `trainable`, the parameters given no gradient (`trainable: false`)

    @property
    def params(self) -> int:
        """Trainable plus non-trainable parameters."""
        return self.trainable + self.non_trainable

    @property
    def elements(self) -> int:
        """Number of values in the output, for one sample."""
        n = 1
        for d in self.output:
            n *= d
        return n


class Totals(NamedTuple):
    """Sums over every leaf layer."""

    trainable: int
    non_trainable: int
    macs: int
    elements: int
    frozen: int = 0  # of `trainable`, the frozen parameters (`trainable: false`): PyTorch's requires_grad=False

    @property
    def params(self) -> int:
        """Trainable plus non-trainable parameters."""
        return self.trainable + self.non_trainable

    @property
    def flops(self) -> int:
        """FLOPs counted as 2 per multiply-add."""
        return 2 * self.macs


@dataclass
class Analysis:
    """The result of analysing a spec: rows in execution order, totals and warnings."""

    spec: Spec
    input: Shape
    output: Shape
    totals: Totals
    warnings: list[Problem] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # block use or repeat name -> kind label
    uneven: Problem | None = None  # the first layer where the input size does not divide evenly
    network: Network = field(default_factory=lambda: Network(()))  # the resolved layer calls rows come from
    _rows: list[Row] | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The architecture's name."""
        return self.spec.name

    @property
    def rows(self) -> list[Row]:
        """The table rows, one per leaf layer, made on first use (`check` reads only the totals)."""
        if self._rows is None:
            with collector_paused():  # as in analyze: collections would only re-scan a large network's rows
                self._rows = [_row(layer) for layer in self.network.layers]
            if len(self._rows) >= FREEZE_FROM:
                gc.freeze()  # as analyze freezes the network (see there), so the rows kept for rendering
        return self._rows


FREEZE_FROM = 2_000  # layers: below this the collector's re-scans cost nothing measurable


def _row(layer: Layer) -> Row:
    out = layer.out
    return Row(layer.index + 1, layer.name, layer.kind, out.output, out.trainable, out.non_trainable, out.macs,
               out.weights, layer.rf, layer.where.line, layer.where.column, layer.scope, layer.inputs, layer.args,
               out.frozen)


def _unlikely_reading(dims: Shape) -> str | None:
    """How an input shape that is rarely meant reads (channels last, no batch), and how to write the other
    reading; None for a shape read as it is usually meant."""
    shown = f"[{', '.join(map(str, dims))}]"
    read = "×".join(map(str, dims[:-1])) + f" with {dims[-1]} channels"
    if len(dims) == 4 and dims[0] == 1:  # a batch of one: 3-D inputs of depth 1 are almost never meant
        one: Shape = dims[2:] + dims[1:2] if dims[1] <= 4 < min(dims[2:]) else dims[1:]
        text = (f"input {shown} reads as a 3-D volume of depth 1 ({read}); a batch size does not belong in "
                f"`input`: for one image write [{', '.join(map(str, one))}]")
    elif len(dims) >= 3 and dims[0] <= 4 and min(dims[1:]) >= 16:  # channels first, PyTorch's habit
        last: Shape = dims[1:] + dims[:1]
        text = (f"input {shown} reads as {read} (channels come last); for {dims[0]} channels write "
                f"[{', '.join(map(str, last))}]")
    elif len(dims) == 2 and dims[0] == dims[1] >= 8:  # a square image without its channels
        text = (f"input {shown} reads as a 1-D signal of length {dims[0]} with {dims[1]} channels; for a "
                f"{dims[0]}×{dims[1]} image write [{dims[0]}, {dims[1]}, 1] (or 3 channels)")
    else:
        return None
    return text


def input_warnings(spec: Spec) -> list[Problem]:
    """What the file says that is read in a way rarely meant: `unlikely-input` (the input's reading) and
    `block-shadows-kind` (a block named like a built-in kind, which it replaces in this file)."""
    problems = []
    text = _unlikely_reading(spec.input)
    if text is not None:
        problems.append(spec.input_where.problem("unlikely-input", f"{text}; if it is meant, add `# cnncalc: "
                                                 "disable=unlikely-input` to the line", WARNING))
    for name, block in spec.blocks.items():
        if name in ALIASES:
            kind = ALIASES[name]
            problems.append(block.where.problem(
                "block-shadows-kind", f"block `{name}` has the name of the built-in kind `{kind}`; in this file "
                f"`{name}` means the block. Rename the block to use the kind here, or add `# cnncalc: disable="
                "block-shadows-kind` to the line", WARNING))
    return problems


def analyze(spec: Spec, input_shape: Shape | None = None) -> Analysis:
    """Expand and compute the whole network; raises SpecError at the first fatal problem."""
    with collector_paused():
        try:
            expander = expand(spec, input_shape)
        except SpecError as exc:  # a shape error an unlikely input explains (a batch axis read as depth) says so
            reading = _unlikely_reading(spec.input) if input_shape is None else None
            if reading is None or exc.problem.rule not in SHAPE_RULES:
                raise
            raise SpecError(exc.problem._replace(message=f"{exc.problem.message} (note: {reading})"),
                            exc.problems[1:]) from None
        network = expander.network
    totals = _totals(network.layers)
    warnings = suppress(input_warnings(spec) + expander.warnings, spec.text, spec.path)
    if len(network.layers) >= FREEZE_FROM:
        # A large analysis is kept while it is rendered or checked; every collection triggered meanwhile
        # would re-scan all its objects (superlinear). Frozen, the collector skips them; reference
        # counting still frees them, as they hold no cycles.
        gc.freeze()
    return Analysis(spec, network.input, network.layers[-1].output, totals, warnings, expander.groups,
                    expander.first_uneven, network)


def _totals(layers: list[Layer]) -> Totals:
    """Sums over the layers' figures, in one pass (what the rows would sum to)."""
    trainable = non_trainable = macs = elements = frozen = 0
    for layer in layers:
        out = layer.out
        trainable += out.trainable
        frozen += out.frozen
        non_trainable += out.non_trainable
        macs += out.macs
        n = 1
        for d in out.output:
            n *= d
        elements += n
    return Totals(trainable, non_trainable, macs, elements, frozen)


def first_uneven(analysis: Analysis, input_shape: Shape) -> Problem | None:
    """The first layer where `input_shape` does not divide evenly, stopping there; None if none does.

    Recomputes the analysed network's layers at that size (no re-expansion); raises SpecError if
    the network is invalid at that size.
    """
    layer = replay(analysis.network, input_shape)
    if layer is None:
        return None
    return layer.where.problem("uneven-size", f"{layer.name}: {layer.out.uneven}", INFO)
