"""Normalisation and scaling: batch, layer, group and instance norm, LRN, layer scale, Keras's
Rescaling and Normalization.

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from cnncalc.core import formulas as F
from cnncalc.core.kinds.args import Arg, boolean, number, positive_int
from math import prod

from cnncalc.core.kinds.base import Alloc, Call, Extra, Kind, LayerOut, Storage, divides, ranked, \
    same_positions, saves_input
from cnncalc.core.kinds.worked import Ctx, Parts, Step, n, shape_step

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _batchnorm(call: Call) -> LayerOut:
    c = call.channels()
    return LayerOut(call.inputs[0], trainable=2 * c if call.args["affine"] else 0, non_trainable=2 * c,
                    weights=((c,),) if call.args["affine"] else (), margins=call.margins)

def _lrn(call: Call) -> LayerOut:
    # Local response normalization runs across channels at each position: PyTorch, Keras and
    # Caffe all need a feature map (PyTorch's in any rank).
    call.spatial()
    return LayerOut(call.inputs[0])

def _layernorm(call: Call) -> LayerOut:
    # nn.LayerNorm(C) on channels-last positions (ConvNeXt's LayerNorm2d): γ and β per channel.
    c, a = call.channels(), call.args
    n = F.norm_params(c, a["affine"], a["affine"] and a["bias"])
    return same_positions(call, trainable=n, weights=((c,),) if n else ())


def _groupnorm(call: Call) -> LayerOut:
    c = divides(call, call.args["groups"], "groups", "groups")
    if c // call.args["groups"] * F.positions(call.inputs[0][:-1]) == 1:
        raise call.fail("invalid-groups", f"groups={c} leaves one value per group (one channel at one position), "
                        "whose normalised value is always 0 (PyTorch refuses it); use fewer groups", "groups")
    n = F.norm_params(c, call.args["affine"], call.args["affine"])
    return same_positions(call, trainable=n, weights=((c,),) if n else ())


def _instancenorm(call: Call) -> LayerOut:
    # PyTorch's defaults: affine=False, track_running_stats=False (no weights at all).
    if len(call.inputs[0]) < 2:
        call.feature_map()  # says a feature map is needed
    c, a = call.channels(), call.args
    if F.positions(call.inputs[0][:-1]) == 1 and not a["track_running_stats"]:
        raise call.fail("invalid-value", "instance normalization over a single position always gives 0 (PyTorch "
                        "refuses it); apply it before the map is pooled to 1×1, or use layernorm")
    n = F.norm_params(c, a["affine"], a["affine"])
    return same_positions(call, trainable=n, non_trainable=2 * c if a["track_running_stats"] else 0,
                           weights=((c,),) if n else ())


def _layerscale(call: Call) -> LayerOut:
    c = call.channels()
    return same_positions(call, trainable=F.layer_scale_params(c, call.args["bias"]),
                          weights=((c,),) * (1 + call.args["bias"]))


def _emit_layerscale(e: Emit) -> tuple[str, str]:
    e.helpers.add("LayerScale")
    return f"LayerScale({e.channels[0]}{e.kw('bias', e.code('bias'), 'False')})", e.channels[0]

def _normalization(call: Call) -> LayerOut:
    # Keras Normalization(axis=-1): adapted, it holds mean (C), variance (C) and count (1) as non-trainable weights.
    c = call.channels()
    return same_positions(call, non_trainable=F.keras_normalization_weights(c) if call.args["adapt"] else 0)


# --- explained -----------------------------------------------------------------------------------

def _explain_batchnorm(ctx: Ctx) -> Parts:
    c, affine = ctx.shape[-1], ctx.args["affine"]
    steps = []
    if affine:
        steps.append(Step("params", "trainable", "2·C (a scale and a shift per channel)", f"2·{n(c)}", n(2 * c),
                          2 * c))
    steps.append(Step("params", "non-trainable", "2·C (running mean and variance per channel)", f"2·{n(c)}",
                      n(2 * c), 2 * c))
    total = (4 if affine else 2) * c
    steps.append(Step("params", "parameters", "trainable + non-trainable",
                      f"{n(2 * c)} + {n(2 * c)}" if affine else n(2 * c), n(total), total))
    return {"output": [shape_step("output", "unchanged", "", ctx.shape)], "params": steps}


# --- as PyTorch ----------------------------------------------------------------------------------

def _emit_batchnorm(e: Emit) -> tuple[str, str]:
    nd = "1d" if e.rank() == 1 else e.feature_map()
    return f"nn.BatchNorm{nd}({e.channels[0]}{e.kw('affine', e.code('affine'), 'True')})", e.channels[0]

def _emit_lrn(e: Emit) -> tuple[str, str]:
    e.feature_map()
    return f"nn.LocalResponseNorm({e.code('size')})", e.channels[0]

def _emit_layernorm(e: Emit) -> tuple[str, str]:
    e.helpers.add("ChannelLayerNorm")
    affine = e.code("affine")
    bias = "False" if affine == "False" else e.code("bias")
    return (f"ChannelLayerNorm({e.channels[0]}{e.kw('elementwise_affine', affine, 'True')}{e.kw('bias', bias, 'True')})",
            e.channels[0])


def _emit_groupnorm(e: Emit) -> tuple[str, str]:
    return f"nn.GroupNorm({e.code('groups')}, {e.channels[0]}{e.kw('affine', e.code('affine'), 'True')})", e.channels[0]


def _emit_instancenorm(e: Emit) -> tuple[str, str]:
    return (f"nn.InstanceNorm{e.feature_map()}({e.channels[0]}{e.kw('affine', e.code('affine'), 'False')}"
            f"{e.kw('track_running_stats', e.code('track_running_stats'), 'False')})", e.channels[0])

def _emit_rescaling(e: Emit) -> tuple[str, str]:
    e.helpers.add("Rescaling")
    return f"Rescaling({e.code('scale')}{e.kw('offset', e.code('offset'), '0.0')})", e.channels[0]


def _emit_normalization(e: Emit) -> tuple[str, str]:
    e.helpers.add("Normalization")
    return f"Normalization({e.channels[0]}{e.kw('adapt', e.code('adapt'), 'True')})", e.channels[0]


CHANNEL_LAYER_NORM = '''
class ChannelLayerNorm(nn.LayerNorm):
    """nn.LayerNorm over the channels at each position of a channels-first tensor (torchvision's LayerNorm2d)."""

    def forward(self, x):
        x = x.movedim(1, -1)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps).movedim(-1, 1)
'''

LAYER_SCALE = '''
class LayerScale(nn.Module):
    """A learnable factor per channel (ConvNeXt's layer scale, CaiT's LayerScale)."""

    def __init__(self, channels, bias=False, init=1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,), init))
        self.beta = nn.Parameter(torch.zeros(channels)) if bias else None  # Caffe's Scale with bias_term

    def forward(self, x):
        out = x * self.gamma.view(-1, *[1] * (x.dim() - 2))
        return out if self.beta is None else out + self.beta.view(-1, *[1] * (x.dim() - 2))
'''

RESCALING = '''
class Rescaling(nn.Module):
    """x * scale + offset (Keras Rescaling): no weights."""

    def __init__(self, scale, offset=0.0):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset
'''

NORMALIZATION = '''
class Normalization(nn.Module):
    """Keras Normalization per channel: (x - mean) / sqrt(variance); adapted, mean/variance/count are buffers."""

    def __init__(self, channels, adapt=True):
        super().__init__()
        # Keras keeps these as non-trainable weights once adapted; otherwise they are constants (not saved).
        self.register_buffer("mean", torch.zeros(channels), persistent=adapt)
        self.register_buffer("variance", torch.ones(channels), persistent=adapt)
        if adapt:
            self.register_buffer("count", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        shape = (-1, *[1] * (x.dim() - 2))
        return (x - self.mean.view(shape)) / torch.sqrt(self.variance.view(shape).clamp(min=1e-7))
'''

def _statistics(count: Callable[[Call], int], per_sample: bool = True) -> Storage:
    """A normalisation that saves its input and two float32 statistics (mean and 1/σ), `count` of each: per
    channel and shared by the batch (batch norm), or per sample (per position, group or channel)."""
    def storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
        stats = Extra(count(call), 4, per_sample)
        return (Alloc(prod(out.output), ("in0",), saves=("in0",), extra=(stats, stats)),)
    return storage


KINDS = [
    Kind("batchnorm", _batchnorm, {"affine": Arg(boolean, True)}, None, ("bn", *ranked("batchnorm")),
         summary="batch normalization", explain=_explain_batchnorm, emit=_emit_batchnorm, category="normalization",
         storage=_statistics(lambda call: call.inputs[0][-1], per_sample=False),
         tensors=lambda call: 2 * int(call.args["affine"])),
    Kind("lrn", _lrn, {"size": Arg(positive_int, 5)}, "size", summary="local response normalization",
         emit=_emit_lrn, category="normalization"),
    Kind("layernorm", _layernorm, {"affine": Arg(boolean, True), "bias": Arg(boolean, True)}, None,
         ("layernormalization",), summary="layer normalization over the channels at each position",
         emit=_emit_layernorm, helpers=(("ChannelLayerNorm", CHANNEL_LAYER_NORM),),
         storage=_statistics(lambda call: prod(call.inputs[0][:-1])),
         tensors=lambda call: int(call.args["affine"]) * (1 + int(call.args["bias"]))),
    Kind("groupnorm", _groupnorm, {"groups": Arg(positive_int), "affine": Arg(boolean, True)}, "groups",
         summary="group normalization", emit=_emit_groupnorm,
         storage=_statistics(lambda call: call.args["groups"]), tensors=lambda call: 2 * int(call.args["affine"])),
    Kind("instancenorm", _instancenorm, {"affine": Arg(boolean, False), "track_running_stats": Arg(boolean, False)},
         None, summary="instance normalization (PyTorch defaults: no weights)", emit=_emit_instancenorm,
         storage=_statistics(lambda call: call.inputs[0][-1]), tensors=lambda call: 2 * int(call.args["affine"])),
    Kind("layerscale", _layerscale, {"bias": Arg(boolean, False)}, summary="learnable per-channel scale (ConvNeXt, "
         "CaiT), and with `bias` a shift (Caffe's Scale)", emit=_emit_layerscale, helpers=(("LayerScale", LAYER_SCALE),),
         storage=saves_input, tensors=lambda call: 1 + int(call.args["bias"])),
    Kind("rescaling", same_positions, {"scale": Arg(number), "offset": Arg(number, 0.0)}, "scale",
         summary="x·scale + offset (Keras Rescaling): no weights", emit=_emit_rescaling,
         helpers=(("Rescaling", RESCALING),)),
    Kind("normalization", _normalization, {"adapt": Arg(boolean, True)}, None,
         summary="Keras Normalization: (x − mean)/√variance per channel", emit=_emit_normalization,
         helpers=(("Normalization", NORMALIZATION),)),
]
