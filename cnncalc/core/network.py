"""The expanded network: resolved layer calls in execution order, each with its figures.

This is the one representation every later stage reads (tables, checks, sizes, memory, and
whatever draws, explains, compares or exports a network): blocks, repeats, references and
`$variables` are gone; each layer knows its kind, converted arguments, input sources, scope,
the chain of block uses that produced it, its positions in the file and what its kind computed.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from cnncalc.core.kinds import KINDS, Call, LayerOut, Margins, Shape
from cnncalc.core.problems import BlockUse, Located, Problem, SpecError
from cnncalc.core.limits import too_large

INPUT = -1  # the source index of the network's input


class RF(NamedTuple):
    """Receptive field of one output position: size, effective stride (jump) and effective padding, per
    spatial axis ((h, w) in 2-D)."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    padding: tuple[int, ...]


PIXEL = RF((1, 1), (1, 1), (0, 0))  # a pixel of the input sees itself
_rf = partial(tuple.__new__, RF)  # RF(...) without its generated Python __new__: one per layer (size, jump, padding)


def pixel(shape: Shape) -> RF | None:
    """What one input position sees, for an input of this shape (None for a vector: no positions)."""
    rank = len(shape) - 1
    if rank == 2:
        return PIXEL
    return RF((1,) * rank, (1,) * rank, (0,) * rank) if rank else None


def compose_rf(rf: RF | None, out: LayerOut) -> RF | None:
    """Receptive field after a layer: r' = r + (k − 1)·j, j' = j·s, p' = p + pad·j (per axis)."""
    if rf is None or out.breaks_rf:
        return None
    if out.rf is None:
        return rf
    if len(out.rf) == 2 == len(rf.size):  # the common 2-D case, without the generic loop's generators
        (kh, sh, ph), (kw, sw, pw) = out.rf
        (r0, r1), (j0, j1), (p0, p1) = rf
        return _rf(((r0 + (kh - 1) * j0, r1 + (kw - 1) * j1), (j0 * sh, j1 * sw), (p0 + ph * j0, p1 + pw * j1)))
    if len(out.rf) != len(rf.size):  # a flatten of a map: no axis left to follow
        return rf
    axes = tuple(zip(out.rf, rf.size, rf.jump, rf.padding))
    return RF(tuple(r + (k - 1) * j for (k, _, _), r, j, _ in axes),
              tuple(j * s for (_, s, _), _, j, _ in axes),
              tuple(p + pad * j for (_, _, pad), _, j, p in axes))


class Layer(NamedTuple):
    """One resolved layer call: what to compute (kind, arguments, sources) and what it computed (out, rf).

    A named tuple: made once, complete, per layer of every file, and never changed after.
    """

    index: int  # type: ignore[assignment]  # 0-based position in the network (shadows tuple.index, never called)
    name: str  # dotted display name: stage1.block2.conv1
    kind: str  # canonical kind, a key of KINDS
    args: dict[str, Any]  # converted, defaults filled
    where: Located  # the layer's kind in the file
    arg_where: dict[str, Located]  # arguments written at this use (and `from`)
    sources: tuple[int, ...]  # indices of the layers it reads (INPUT: the network's input)
    inputs: tuple[str, ...]  # their display names
    scope: tuple[str, ...]  # enclosing block uses and repeats, outermost first
    uses: tuple[BlockUse, ...]  # the chain of block uses that produced it, outermost first
    input_shapes: tuple[Shape, ...]
    out: LayerOut
    rf: RF | None = None
    weights: str = ""  # "frozen", "fixed" or "shares:ROW" (`trainable: false`, `fixed: true`, `shares:`); "" if own

    @property
    def output(self) -> Shape:
        """The output shape."""
        return self.out.output

    def call(self, inputs: list[Shape], margins: Margins = ()) -> Call:
        """This layer's call on other input shapes (to recompute it at another input size)."""
        return Call(self.kind, self.args, self.where, self.arg_where, inputs, list(self.inputs), self.name, margins)


def margins_of(layers: list[Layer], sources: tuple[int, ...]) -> Margins:
    """The zero padding around a layer's first input (what `zeropad` layers upstream added), () if none."""
    return layers[sources[0]].out.margins if sources and sources[0] != INPUT else ()


_COMPUTED: dict[tuple[Any, ...], LayerOut] = {}


def memo_key(kind: str, args: dict[str, Any], inputs: tuple[Shape, ...], margins: Margins) -> tuple[Any, ...]:
    """What compute() memoizes a call on: its kind, arguments, input shapes and margins."""
    key: tuple[Any, ...] = (kind, tuple(args.items()), inputs, margins)
    if len(inputs[0]) != 3:  # outside 2-D, `kernel: 3` and `kernel: [3, 3]` differ
        key += tuple(getattr(v, "raw", None) for v in args.values())
    return key


def computed(key: tuple[Any, ...]) -> LayerOut | None:
    """compute()'s memoized result for a memo_key, if there is one (then the call need not be built)."""
    try:
        return _COMPUTED.get(key)
    except TypeError:  # an unhashable argument value
        return None


def compute(call: Call) -> LayerOut:
    """What the kind computes for a call, refusing outputs beyond the documented limits.

    Memoized on (kind, arguments, input shapes, padding margins) when the result carries no warning (warnings hold
    positions): networks repeat the same layer on the same shape (ResNet stages, VGG's convs,
    CI runs over many similar files). Results are shared, so a LayerOut is read-only.
    """
    key: tuple[Any, ...] | None = memo_key(call.kind, call.args, tuple(call.inputs), call.margins)
    try:
        cached = _COMPUTED.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable argument value
        key, cached = None, None
    if cached is not None:
        return cached
    out = KINDS[call.kind].infer(call)
    reason = too_large(out.output)
    if reason:
        raise call.where.error("too-large", f"{call.name}: the output {reason}; check the scale or units")
    if key is not None and not out.warnings and len(_COMPUTED) < 20_000:
        _COMPUTED[key] = out
    return out


class Network:
    """The expanded network: its input shape and layers; the output is the last layer's.

    A plain slotted class: nothing compares networks, and a dataclass's generated methods would be
    compiled at every start-up.
    """

    __slots__ = ("input", "layers", "_runs", "use_args")

    def __init__(self, input: Shape, layers: list[Layer] | None = None) -> None:
        self.input = input
        self.layers: list[Layer] = [] if layers is None else layers
        self._runs: list[int] | None = None
        self.use_args: dict[str, dict[str, Any]] = {}  # block use name -> its arguments

    def shape_of(self, source: int) -> Shape:
        """The shape a source index refers to."""
        return self.input if source == INPUT else self.layers[source].out.output

    def run_ends(self) -> list[int]:
        """For each layer, the index after the run of identical chained layers it starts (a `repeat`)."""
        if self._runs is None:
            ends = list(range(1, len(self.layers) + 1))
            for i in range(len(self.layers) - 2, -1, -1):
                layer, following = self.layers[i], self.layers[i + 1]
                if following.sources == (i,) and following.kind == layer.kind and following.args == layer.args:
                    ends[i] = ends[i + 1]
            self._runs = ends
        return self._runs


def _through(problem: Problem, uses: tuple[BlockUse, ...]) -> Problem:
    """A problem inside blocks, with the chain of uses that led to it."""
    for use in reversed(uses):
        problem = problem.used_from(use)
    return problem


def replay(network: Network, input_shape: Shape) -> Layer | None:
    """Recompute the network's layers on another input size; the first layer that does not divide
    evenly, or None. Raises SpecError where the network is invalid at that size.

    Expansion does not depend on the input's height and width, so the resolved calls are reused;
    a run of one layer that maps its shape onto itself (a repeated 3×3 same conv) is computed once.
    """
    shapes: list[Shape] = []
    margins: list[Margins] = []
    ends = network.run_ends()
    layers = network.layers
    i = 0
    while i < len(layers):
        layer = layers[i]
        inputs = [input_shape if s == INPUT else shapes[s] for s in layer.sources]
        try:
            first = layer.sources[0] if layer.sources else INPUT
            out = compute(layer.call(inputs, margins[first] if first != INPUT else ()))
        except SpecError as exc:
            raise SpecError(_through(exc.problem, layer.uses)) from None
        if out.uneven is not None:
            return Layer(layer.index, layer.name, layer.kind, layer.args, layer.where, layer.arg_where,
                         layer.sources, layer.inputs, layer.scope, layer.uses, tuple(inputs), out)
        shapes.append(out.output)
        margins.append(out.margins)
        i += 1
        if out.output == inputs[0] and ends[i - 1] > i:  # a fixed point: the rest of the run repeats it
            shapes.extend([out.output] * (ends[i - 1] - i))
            margins.extend([out.margins] * (ends[i - 1] - i))
            i = ends[i - 1]
    return None


__all__ = ["INPUT", "RF", "Layer", "Network", "SpecError", "compose_rf", "compute", "computed", "margins_of", "memo_key",
           "pixel", "replay"]
