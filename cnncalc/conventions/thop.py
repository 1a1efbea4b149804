"""thop 0.1.1 (`thop.profile`): operations of the module types it registers, matched by exact type.

Convolutions count k·k·C/groups per output value, without bias (a transposed convolution too: stride² too
high); batch, layer and instance norm 2 per input value, 4 with affine weights; Linear in_features per output
value; average pooling 1 per output value, adaptive average pooling (input/output + 1) per output value;
softmax 3·F − 1 per row; PReLU 1 per value; upsampling 1 (nearest), 5 (linear), 11 (bilinear) per output
value; ReLU, max pooling and dropout 0. A module of any other type (SiLU, Sigmoid, GroupNorm, a Conv2d subclass
such as a weight-standardised convolution, cnncalc's helpers) counts nothing, and its parameters are dropped.
"""

from __future__ import annotations

from math import prod

from typing import TYPE_CHECKING

from cnncalc.conventions import (Convention, attention_parts, group_softmax, kernel_size, learned, numel, per_value,
                                 positions, table)

if TYPE_CHECKING:
    from cnncalc.core.network import Layer


def _conv(layer: Layer) -> int:
    if layer.args.get("standardize") or layer.args.get("gain"):
        return 0  # StdConv2d is a subclass: thop has no rule for it
    channels = layer.input_shapes[0][-1]
    groups = layer.args.get("groups", 1) if layer.kind != "depthwise" else channels
    return numel(layer.out.output) * (channels // groups) * kernel_size(layer)


def _separable(layer: Layer) -> int:
    channels, multiplier = layer.input_shapes[0][-1], layer.args.get("multiplier", 1)
    return positions(layer.out.output) * channels * multiplier * kernel_size(layer) + \
        numel(layer.out.output) * channels * multiplier


def _softmax(layer: Layer) -> int:
    if group_softmax(layer):
        return 0
    features = layer.input_shapes[0][-1]
    return numel(layer.input_shapes[0]) // features * (3 * features - 1)


def _adaptive_avg(layer: Layer) -> int:
    inp, out = layer.input_shapes[0], layer.out.output
    kernel = prod(i / o for i, o in zip(inp[:-1], out[:-1]))  # thop divides as floats
    return int((kernel + 1) * numel(out))


_UPSAMPLE = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259, "trilinear": 31}


def _upsample(layer: Layer) -> int:
    return numel(layer.out.output) * _UPSAMPLE.get(str(layer.args.get("mode", "nearest")), 0)


def _activation(layer: Layer, act: str) -> int:
    """A fused activation's module: nn.Softmax(dim=1) counts as a softmax layer; the others count 0."""
    if act != "softmax":
        return 0
    features = layer.out.output[-1]
    return numel(layer.out.output) // features * (3 * features - 1)


def _attention(layer: Layer) -> int:
    parts = attention_parts(layer)
    return 0 if parts.functional else parts.projections


_RULES = {
    "attention": _attention,
    "conv": _conv, "depthwise": _conv, "deconv": _conv, "separable": _separable,
    "dense": lambda layer: layer.input_shapes[0][-1] * numel(layer.out.output),
    "batchnorm": per_value(4, 2), "instancenorm": per_value(4, 2), "prelu": lambda layer: numel(layer.input_shapes[0]),
    "softmax": _softmax, "avgpool": lambda layer: numel(layer.out.output),
    "sumpool": lambda layer: numel(layer.out.output), "globalavgpool": _adaptive_avg,
    "adaptiveavgpool": _adaptive_avg, "upsample": _upsample,
}
_COUNTED = {"conv", "depthwise", "deconv", "separable", "dense", "batchnorm", "instancenorm", "prelu", "attention"}


def _params(layer: Layer) -> int:
    if layer.kind not in _COUNTED or (layer.kind == "conv" and (layer.args.get("standardize") or layer.args.get("gain"))):
        return 0
    if layer.kind == "attention" and attention_parts(layer).functional:
        return 0  # nn.MultiheadAttention: no rule, its parameters dropped
    return learned(layer)


CONVENTION = Convention(
    "thop", "thop.profile(model, (x,))", "thop 0.1.1.post2209072238", "MACs",
    table("thop", _RULES, _activation), _params,
    {
        "convolution": 'k·k·C/groups per output value; bias not counted; a Conv2d subclass (weight-standardised) nothing',
        "transposed convolution": 'k·k·C_in/groups per output value: stride² too high',
        "dense": 'in_features per output value; bias not counted',
        "attention": "sdpa nothing; attention nothing, parameters dropped, with dim = channels (nn.MultiheadAttention has no rule); "
                     "otherwise its two nn.Linear layers: in_features per output value",
        "batch norm": '2 per input value, 4 with affine weights',
        "layer norm": 'nothing, parameters dropped (exported as an nn.LayerNorm subclass, which thop matches by exact type)',
        "group and instance norm": 'group norm: nothing, parameters dropped; instance norm: 2 per value, 4 with affine',
        "ReLU-like": '0 (PReLU: 1 per value)',
        "other activations": 'nothing (softmax: 3·F − 1 per row of F values)',
        "max pooling": '0',
        "average pooling": '1 per output value',
        "adaptive and global average pooling": '(input/output size + 1) per output value',
        "upsampling": '1 per output value (nearest), 5 linear, 11 bilinear',
        "parameters": 'only those of the module types it has a rule for',
        "everything else": 'nothing; parameters of modules it has no rule for are dropped',
    })
