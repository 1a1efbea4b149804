"""Merges: element-wise sum, difference and product (with a broadcast 1×1×C gate), concatenation along channels.

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from math import prod

from cnncalc.core.kinds.args import Arg, axis, skipped_mode
from cnncalc.core.kinds.base import AXES, Alloc, Call, Emitter, Kind, LayerOut, Shape
from cnncalc.core.kinds.worked import Ctx, Parts, Step, n, no_weights, shape_step
from cnncalc.core.problems import SpecError
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _mismatch(call: Call, i: int, what: str) -> SpecError:
    return call.fail("shape-mismatch",
                     f"{call.kind} needs {what}: '{call.input_names[0]}' is {fmt_shape(call.inputs[0])} but "
                     f"'{call.input_names[i]}' is {fmt_shape(call.inputs[i])}; make them agree (a 1×1 conv or "
                     "a strided layer on one side)", "from")


def _is_gate(shape: Shape) -> bool:
    return all(d == 1 for d in shape[:-1])


def _rank_mismatch(call: Call, i: int) -> SpecError:
    def rank(shape: Shape) -> str:
        return "a vector" if len(shape) == 1 else f"{len(shape) - 1}-D"

    first, other = call.inputs[0], call.inputs[i]
    return call.fail("shape-mismatch",
                     f"{call.kind} needs inputs of one rank: '{call.input_names[0]}' is {fmt_shape(first)} "
                     f"({rank(first)}) but '{call.input_names[i]}' is {fmt_shape(other)} ({rank(other)}); "
                     "reshape one path (a flatten, a global pooling) so that they agree", "from")


def _add(call: Call) -> LayerOut:
    first = call.inputs[0]
    for i, shape in enumerate(call.inputs[1:], 1):
        if len(shape) != len(first):
            raise _rank_mismatch(call, i)
        if shape != first:
            raise _mismatch(call, i, "inputs of one shape")
    return LayerOut(first)


def _subtract(call: Call) -> LayerOut:
    # Keras Subtract, torch.sub, ONNX Sub: exactly two inputs of one shape, the first minus the second.
    if len(call.inputs) != 2:
        raise call.fail("invalid-value", f"subtract takes exactly two inputs, [a, b] for a − b, but got "
                        f"{len(call.inputs)}; give two, and subtract the others in another layer", "from")
    return _add(call)


def _shortcut(call: Call) -> LayerOut:
    # Darknet's [shortcut] between layers of different shapes: the second input is added to the first over the
    # channels and (sampled) positions both have; the output has the first input's shape.
    if len(call.inputs) != 2:
        raise call.fail("invalid-value", f"shortcut takes two inputs, [a, b] for a + b over what they share, but got "
                        f"{len(call.inputs)}; give two", "from")
    if len(call.inputs[1]) != len(call.inputs[0]):
        raise _rank_mismatch(call, 1)
    return LayerOut(call.inputs[0])


def _multiply(call: Call) -> LayerOut:
    out = call.inputs[0]
    for i, shape in enumerate(call.inputs[1:], 1):
        if shape == out:
            continue
        # A 1×1×C gate broadcasts over H×W×C (squeeze-and-excitation), in any rank.
        if len(shape) == len(out) > 1 and shape[-1] == out[-1] and (_is_gate(shape) or _is_gate(out)):
            out = out if _is_gate(shape) else shape
            continue
        if len(shape) != len(out):
            raise _rank_mismatch(call, i)
        raise _mismatch(call, i, "inputs of one shape, or a 1×1×C gate and an H×W×C map")
    return LayerOut(out)


def _concat(call: Call) -> LayerOut:
    first = call.inputs[0]
    at = concat_axis(call)
    total = 0
    for i, shape in enumerate(call.inputs):
        if len(shape) != len(first):
            raise _rank_mismatch(call, i)
        if shape[:at] + shape[at + 1:] != first[:at] + first[at + 1:]:
            if at == len(first) - 1:
                what = "the same height and width" if len(first) == 3 else f"the same {AXES[len(first) - 2]}"
            else:
                what = f"the same size on every axis but axis {at}"
            raise _mismatch(call, i, f"{what} in every input")
        total += shape[at]
    return LayerOut(first[:at] + (total,) + first[at + 1:])


def concat_axis(call: Call) -> int:
    """The axis a concat joins along, counted from 0 (channels by default; `axis: 0` joins token sequences)."""
    rank = len(call.inputs[0])
    at = call.args["axis"]
    if not -rank <= at < rank:
        raise call.fail("invalid-value", f"axis {at} is not an axis of {fmt_shape(call.inputs[0])} (0 to {rank - 1}, "
                        "or -1 for the channels)", "axis")
    return at % rank


# --- explained -----------------------------------------------------------------------------------

def _explain_add(ctx: Ctx) -> Parts:
    shapes = ctx.layer.input_shapes
    worked = (" + " if ctx.layer.kind == "add" else " · ").join(fmt_shape(s) for s in shapes)
    what = "sum" if ctx.layer.kind == "add" else "product"
    step = Step("merge", "shapes", "every input the same shape; the output has it too", worked,
                fmt_shape(shapes[0]), None, (f"element-wise {what} of {len(shapes)} inputs",))
    return {"merge": [step], "output": [shape_step("output", "output", "", shapes[0])],
            **no_weights("a merge has no weights")}


def _explain_subtract(ctx: Ctx) -> Parts:
    first, second = ctx.layer.input_shapes
    step = Step("merge", "shapes", "both inputs the same shape; the output has it too",
                f"{fmt_shape(first)} − {fmt_shape(second)}", fmt_shape(first), None,
                (f"element-wise difference: '{ctx.layer.inputs[0]}' minus '{ctx.layer.inputs[1]}'",))
    return {"merge": [step], "output": [shape_step("output", "output", "", first)],
            **no_weights("a merge has no weights")}


def _explain_multiply(ctx: Ctx) -> Parts:
    shapes = ctx.layer.input_shapes
    if len(set(shapes)) == 1:
        return _explain_add(ctx)
    out = max(shapes, key=prod)
    step = Step("merge", "shapes", "a 1×1×C gate broadcasts over an H×W×C map",
                " · ".join(fmt_shape(s) for s in shapes), fmt_shape(out), None,
                ("each channel of the map is scaled by its gate value (squeeze-and-excitation)",))
    return {"merge": [step], "output": [shape_step("output", "output", "", out)],
            **no_weights("a merge has no weights")}


def _explain_concat(ctx: Ctx) -> Parts:
    shapes = ctx.layer.input_shapes
    at = ctx.layer.args["axis"] % len(shapes[0])
    total = sum(s[at] for s in shapes)
    if at == len(shapes[0]) - 1:
        same = fmt_shape(shapes[0][:-1]) if len(shapes[0]) > 1 else ""
        notes = (f"every input is {same}: concatenation needs equal sizes except along channels",) if same else ()
        step = Step("merge", "channels", "summed along the last axis", " + ".join(n(s[-1]) for s in shapes),
                    n(total), total, notes)
    else:
        step = Step("merge", f"axis {at}", f"summed along axis {at}", " + ".join(n(s[at]) for s in shapes), n(total),
                    total, (f"concatenation needs equal sizes on every other axis (axis {at}: positions or tokens)",))
    return {"merge": [step], "output": [shape_step("output", "output", "", shapes[0][:at] + (total,)
                                                   + shapes[0][at + 1:])],
            **no_weights("a merge has no weights")}


# --- as PyTorch ----------------------------------------------------------------------------------

def _merge(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        e.helpers.add(module)
        if module == "Concat":
            dims = {_torch_dim(layer.input_shapes[0], layer.args["axis"]) for layer in e.instances}
            if len(dims) != 1:
                raise e.fail("this concat joins different axes in different uses of its block")
            dim = dims.pop()
            if dim != 1:
                return f"Concat(dim={dim})", e.literal(e.layer.output[-1])
            return "Concat()", " + ".join(e.group(c) for c in e.channels)
        return f"{module}()", e.channels[0]
    return emit


ADD = '''
class Add(nn.Module):
    """Element-wise sum of the inputs."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
'''

MULTIPLY = '''
class Multiply(nn.Module):
    """Element-wise product of the inputs (a N x C x 1 x 1 gate broadcasts over the map)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
'''

SUBTRACT = '''
class Subtract(nn.Module):
    """Element-wise difference of two inputs: the first minus the second."""

    def forward(self, a, b):
        return a - b
'''

SHORTCUT = '''
class Shortcut(nn.Module):
    """Darknet's [shortcut]: a + b over the channels and positions both have (b sampled onto a's grid, as
    Darknet's shortcut_cpu does); the output has a's shape."""

    def forward(self, a, b):
        out = a.clone()
        c = min(a.shape[1], b.shape[1])
        index_a, index_b = [slice(None), slice(0, c)], [slice(None), slice(0, c)]
        for axis in range(2, a.dim()):
            stride, sample = max(b.shape[axis] // a.shape[axis], 1), max(a.shape[axis] // b.shape[axis], 1)
            n = min(a.shape[axis], b.shape[axis])
            index_a.append(slice(0, n * sample, sample))
            index_b.append(slice(0, n * stride, stride))
        out[tuple(index_a)] += b[tuple(index_b)]
        return out
'''

def _torch_dim(shape: Shape, axis: int) -> int:
    """The channels-first dimension of a batch that is axis `axis` of a channels-last sample shape."""
    at = axis % len(shape)
    return 1 if at == len(shape) - 1 else at + 2


CONCAT = '''
class Concat(nn.Module):
    """Concatenation along channels (dimension 1: channels-first), or along another dimension."""

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)
'''

def _chained(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # Add, Subtract, Multiply as exported: ((in0 ∘ in1) ∘ in2) ∘ …, one output-sized tensor per operation;
    # a product saves both of its operands for the backward pass, a sum or difference nothing
    size, product = prod(out.output), call.kind == "multiply"
    return tuple(Alloc(size, reads, saves=reads if product else ())
                 for reads in (("in0", "in1") if i == 0 else (f"a{i - 1}", f"in{i + 1}")
                               for i in range(len(call.inputs) - 1)))


# Every merge: what an input that is not built means (see Expander._merge_sources).
_MERGE = {"skipped": Arg(skipped_mode, "input")}

KINDS = [
    Kind("add", _add, _MERGE, "from", merge=True, summary="element-wise sum", explain=_explain_add, emit=_merge("Add"),
         helpers=(("Add", ADD),), category="merge", storage=_chained),
    Kind("subtract", _subtract, _MERGE, "from", ("sub",), merge=True, summary="element-wise difference of two inputs",
         explain=_explain_subtract, emit=_merge("Subtract"), helpers=(("Subtract", SUBTRACT),), category="merge",
         storage=_chained),
    Kind("shortcut", _shortcut, _MERGE, "from", merge=True,
         summary="Darknet's shortcut: a + b over the channels and positions both have; a's shape",
         emit=_merge("Shortcut"), helpers=(("Shortcut", SHORTCUT),), category="merge"),
    Kind("multiply", _multiply, _MERGE, "from", merge=True, summary="element-wise product (broadcasts a 1×1×C gate)",
         explain=_explain_multiply, emit=_merge("Multiply"), helpers=(("Multiply", MULTIPLY),), category="merge",
         storage=_chained),
    Kind("concat", _concat, {**_MERGE, "axis": Arg(axis, -1)}, "from", merge=True,
         summary="concatenation along channels (or `axis`)", explain=_explain_concat,
         emit=_merge("Concat"), helpers=(("Concat", CONCAT),), category="merge"),
]
