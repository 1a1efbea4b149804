"""The fully connected layer.

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.core import formulas as F
from cnncalc.core.kinds.args import Arg, activation, boolean, positive_int
from cnncalc.core.kinds.base import Alloc, Call, Kind, LayerOut, activation_alloc, fused, weight_and_bias
from cnncalc.core.kinds.worked import Ctx, Parts, Step, n, shape_step
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _dense(call: Call) -> LayerOut:
    shape = call.inputs[0]
    if len(shape) != 1:
        raise call.fail("needs-flatten",
                        f"dense needs a vector, but its input '{call.input_names[0]}' is a {fmt_shape(shape)} "
                        "feature map; add `- flatten` (or a global pooling and `- flatten`) before it")
    n, units = shape[0], call.args["units"]
    return LayerOut((units,), trainable=F.dense_params(n, units, call.args["bias"]),
                    macs=F.dense_macs(n, units), weights=((n, units),))


# --- explained -----------------------------------------------------------------------------------

def _explain_dense(ctx: Ctx) -> Parts:
    (inputs,), units, bias = ctx.shape, ctx.args["units"], ctx.args["bias"]
    total = F.dense_params(inputs, units, bias)
    params = Step("params", "parameters", "U × (N + 1)" if bias else "U × N",
                  f"{n(units)} × ({n(inputs)} + 1)" if bias else f"{n(units)} × {n(inputs)}", n(total), total,
                  ("one weight per input for each unit" + (", plus its bias" if bias else ""),))
    macs = F.dense_macs(inputs, units)
    return {"output": [shape_step("output", "U", "", (units,))], "params": [params],
            "macs": [Step("macs", "multiply-adds", "N·U", f"{n(inputs)}·{n(units)}", n(macs), macs)]}


# --- as PyTorch ----------------------------------------------------------------------------------

def _emit_dense(e: Emit) -> tuple[str, str]:
    if e.rank() != 1:
        raise e.fail("dense on a feature map is not exported")
    linear = f"nn.Linear({e.channels[0]}, {e.code('units')}{e.kw('bias', e.code('bias'), 'True')})"
    return e.with_activation([linear]), e.code("units")


def _dense_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    allocs = [Alloc(out.output[0], ("in0",), saves=("in0",))]  # nn.Linear saves its input
    if fused(call):
        allocs.append(activation_alloc(call.args["activation"], "a0", out.output[0]))
    return tuple(allocs)


KINDS = [
    Kind("dense", _dense, {"units": Arg(positive_int), "bias": Arg(boolean, True),
                           "activation": Arg(activation, "none")}, "units", ("fc", "linear"),
         summary="fully connected layer", explain=_explain_dense, emit=_emit_dense, category="dense",
         storage=_dense_storage, tensors=weight_and_bias),
]
