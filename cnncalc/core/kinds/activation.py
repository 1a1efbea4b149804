"""Activations and the other element-wise layers without weights: dropout, stochastic depth, identity;
PReLU, whose slopes are weights.

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.core.kinds.args import Arg, boolean, number, positive_int, rate
from math import prod

from cnncalc.core.kinds.base import Alloc, Call, Extra, Kind, LayerOut, a_view, activation_alloc, divides, \
    helper_module, same_positions, saves_input
from cnncalc.core.kinds.worked import Ctx, Parts, Step, n, shape_step

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _prelu(call: Call) -> LayerOut:
    n = 1 if call.args["shared"] else call.channels()
    return LayerOut(call.inputs[0], trainable=n, weights=((n,),), margins=call.margins)


# --- explained -----------------------------------------------------------------------------------

def _explain_prelu(ctx: Ctx) -> Parts:
    shared, c = ctx.args["shared"], ctx.shape[-1]
    count = 1 if shared else c
    step = Step("params", "parameters", "1 (one shared slope)" if shared else "C (one slope per channel)", "",
                n(count), count)
    return {"output": [shape_step("output", "unchanged", "", ctx.shape)], "params": [step]}


# --- as PyTorch ----------------------------------------------------------------------------------

def _emit_prelu(e: Emit) -> tuple[str, str]:
    shared = e.fixed("shared")
    return f"nn.PReLU({1 if shared else e.channels[0]})", e.channels[0]


def _emit_activation(e: Emit) -> tuple[str, str]:
    if e.kind == "leakyrelu":
        return f"nn.LeakyReLU({e.code('slope')})", e.channels[0]
    if e.kind == "elu":
        return f"nn.ELU({e.code('alpha')})", e.channels[0]
    return e.activation_module(e.kind), e.channels[0]


def _softmax(call: Call) -> LayerOut:
    # ResNeSt's radix softmax: the channels are cardinality × groups blocks; each value's softmax runs across
    # the groups of its cardinal block (groups 1: over all the channels, as nn.Softmax(dim=1))
    a = call.args
    divides(call, a["groups"] * a["cardinality"], "groups", "groups")
    return same_positions(call)


def _emit_softmax(e: Emit) -> tuple[str, str]:
    groups, cardinality = e.code("groups"), e.code("cardinality")
    if groups == "1" and cardinality == "1":
        return "nn.Softmax(dim=1)", e.channels[0]
    e.helpers.add("GroupSoftmax")
    return f"GroupSoftmax({groups}{e.kw('cardinality', cardinality, '1')})", e.channels[0]


GROUP_SOFTMAX = '''
class GroupSoftmax(nn.Module):
    """ResNeSt's radix softmax: the channels are cardinality x groups blocks; the softmax of each value runs across
    the groups of its cardinal block."""

    def __init__(self, groups, cardinality=1):
        super().__init__()
        self.groups, self.cardinality = groups, cardinality

    def forward(self, x):
        n, c = x.shape[:2]
        split = x.reshape(n, self.cardinality, self.groups, c // (self.cardinality * self.groups), *x.shape[2:])
        return split.softmax(dim=2).reshape(x.shape)
'''


def _emit_dropout(e: Emit) -> tuple[str, str]:
    return f"nn.Dropout({e.code('rate')})", e.channels[0]


# The PyTorch module of each activation (also what a layer's fused `activation:` becomes).
ACTIVATION_MODULES = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "gelu": "nn.GELU()", "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()", "silu": "nn.SiLU()", "swish": "nn.SiLU()", "hardswish": "nn.Hardswish()",
    "hardsigmoid": "nn.Hardsigmoid()", "softmax": "nn.Softmax(dim=1)", "mish": "nn.Mish()",
    "identity": "nn.Identity()",
}

STOCHASTIC_DEPTH = '''
class StochasticDepth(nn.Module):
    """Drops the whole residual branch of a sample with probability `rate` in training (torchvision's "row")."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training or self.rate == 0.0:
            return x
        keep = 1.0 - self.rate
        mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * mask / keep
'''

def _activation_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    return (activation_alloc(call.kind, "in0", prod(out.output)),)


def _dropout_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # in eval nn.Dropout returns its input; in training it makes a new tensor and saves a mask of its input's type (CPU)
    return (Alloc(prod(out.output), ("in0",), view=True, train_new=True, extra=(Extra(prod(out.output), 0),)),)


KINDS = [
    Kind("prelu", _prelu, {"shared": Arg(boolean, False)}, summary="parametric ReLU", explain=_explain_prelu,
         emit=_emit_prelu, category="activation", storage=saves_input, tensors=lambda call: 1),
    Kind("dropout", same_positions, {"rate": Arg(rate, 0.5)}, "rate", summary="dropout", emit=_emit_dropout,
         storage=_dropout_storage),
    *(Kind(name, same_positions, {}, summary="activation" if name != "identity" else "no-op", emit=_emit_activation,
           category="activation" if name != "identity" else "reshape / other",
           storage=a_view if name == "identity" else _activation_storage)
      for name in ("relu", "relu6", "gelu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "mish", "identity")),
    Kind("softmax", _softmax, {"groups": Arg(positive_int, 1), "cardinality": Arg(positive_int, 1)}, "groups",
         summary="softmax over the channels, or across `groups` of them (ResNeSt's radix softmax)",
         emit=_emit_softmax, helpers=(("GroupSoftmax", GROUP_SOFTMAX),), category="activation",
         storage=_activation_storage),
    Kind("leakyrelu", same_positions, {"slope": Arg(number, 0.01)}, "slope", summary="activation", emit=_emit_activation,
         category="activation", storage=_activation_storage),
    Kind("elu", same_positions, {"alpha": Arg(number, 1.0)}, "alpha", summary="activation", emit=_emit_activation,
         category="activation", storage=_activation_storage),
    Kind("silu", same_positions, {}, None, ("swish",), summary="activation", emit=_emit_activation, category="activation",
         storage=_activation_storage),
    Kind("stochasticdepth", same_positions, {"rate": Arg(rate, 0.0)}, "rate", ("droppath",),
         summary="stochastic depth: an identity for every figure", emit=helper_module("StochasticDepth", "rate"),
         helpers=(("StochasticDepth", STOCHASTIC_DEPTH),), storage=a_view),  # in eval it returns its input
]
