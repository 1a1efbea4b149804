"""calflops 0.3.2 (`calculate_flops(model, input_shape)`): patched functionals and tensor methods, no module
hooks, so each operation is counted once, and only when its functional is one calflops patches.

FLOPs: convolutions 2 per multiply-add plus 1 per output value for a bias (transposed: the multiply-adds per
input position, right); Linear 2 per multiply-add, its bias not counted; batch norm in eval 1 per input value, 2
with affine weights; layer, group and instance norm 5 per value with affine weights, 4 without; ReLU, PReLU,
ELU, LeakyReLU, SiLU, GELU and softmax 1 per value (ReLU6 runs F.hardtanh, sigmoid, tanh and hardswish their
own functionals: none is patched, so they count nothing); every pooling 1 per input value; upsampling 1 per
input value (its scale factor is multiplied into nothing) or the product of the target size. Merges, a layer
scale and attention's products are written with operators (+, *, @), which calflops does not patch: nothing.
MACs (`calflops-macs`): the convolutions' and Linear layers' multiply-adds, nothing else. Parameters: those
that require a gradient.
"""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING

from cnncalc.conventions import Convention, attention_parts, group_softmax, numel, patched_lrn, per_value, table, trainable_only

if TYPE_CHECKING:
    from cnncalc.core.network import Layer


def _conv(layer: Layer) -> int:
    return 2 * layer.out.macs + (numel(layer.out.output) if layer.args.get("bias", True) else 0)


def _deconv(layer: Layer) -> int:
    """calflops sizes a transposed convolution's bias term with the forward convolution's output formula,
    ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1 per axis, not the transposed output (a quarter of it at stride 2)."""
    if not layer.args.get("bias", True):
        return 2 * layer.out.macs
    rank = len(layer.input_shapes[0]) - 1
    call = layer.call(list(layer.input_shapes))
    stride, dilation = call.per_axis("stride", rank), call.per_axis("dilation", rank)
    pads = call.pads_per_axis("padding", rank)
    kernel = layer.out.weights[0][:-2]
    sized = prod((n + 2 * (pads[2 * i] if not isinstance(pads, str) else 0) - dilation[i] * (kernel[i] - 1) - 1)
                     // stride[i] + 1 for i, n in enumerate(layer.input_shapes[0][:-1]))
    return 2 * layer.out.macs + layer.out.output[-1] * sized


_PATCHED = {"relu", "prelu", "elu", "leakyrelu", "silu", "swish", "gelu", "softmax"}


def _activation(layer: Layer) -> int:
    if layer.kind == "softmax" and group_softmax(layer):
        return 0
    return numel(layer.out.output)


def _upsample(layer: Layer) -> int:
    size = layer.args.get("size")
    return prod(size) if size is not None else numel(layer.input_shapes[0])


def _attention(layer: Layer) -> int:
    parts = attention_parts(layer)
    return 2 * parts.projections + (parts.softmax if parts.functional else 0)


def _attention_macs(layer: Layer) -> int:
    return attention_parts(layer).projections


_RULES = {
    "lrn": patched_lrn,
    "attention": _attention,
    "conv": _conv, "depthwise": _conv, "separable": _conv, "deconv": _deconv,
    "dense": lambda layer: 2 * layer.out.macs,
    "batchnorm": per_value(2, 1), "layernorm": per_value(5, 4), "groupnorm": per_value(5, 4),
    "instancenorm": per_value(5, 4),
    **{kind: _activation for kind in _PATCHED},
    **{kind: (lambda layer: numel(layer.input_shapes[0])) for kind in
       ("maxpool", "avgpool", "sumpool", "globalavgpool", "globalmaxpool", "adaptiveavgpool", "adaptivemaxpool")},
    "upsample": _upsample,
}
_MAC_KINDS = ("conv", "depthwise", "separable", "deconv", "dense")



_COMMON = {
    "attention": "the projections (patched F.linear, no bias) and, in FLOPs, the softmax's values with dim = "
                 "channels; the products (bmm, `@`) are not counted; sdpa nothing",
    "merges": "nothing (written with operators, which are not patched)",
    "parameters": "those that require a gradient: frozen ones are left out",
}

CONVENTION = Convention(
    "calflops", "calflops.calculate_flops(model, input_shape)[0] (FLOPs)", "calflops 0.3.2", "FLOPs",
    table("calflops", _RULES, lambda layer, act: numel(layer.out.output) if act in _PATCHED else 0,
          frozenset()), trainable_only, {
        "convolution": "2 per multiply-add + 1 per output value for a bias",
        "transposed convolution": "2 per multiply-add (per input position: right) + a bias term sized by the forward "
                                  "convolution's output formula (a quarter of the output at stride 2)",
        "dense": "2 per multiply-add; the bias not counted",
        "batch norm": "1 per input value in eval, 2 with affine weights",
        "layer norm": "5 per input value with affine weights, 4 without",
        "group and instance norm": "5 per input value with affine weights, 4 without",
        "ReLU-like": "1 per value; ReLU6 nothing (F.hardtanh is not patched)",
        "other activations": "GELU, SiLU, softmax 1 per value; sigmoid, tanh, hardswish, hardsigmoid, mish nothing",
        "max pooling": "1 per input value",
        "average pooling": "1 per input value",
        "adaptive and global average pooling": "1 per input value",
        "local response norm": "3 per input value (the patched x·x, ·alpha, +k) + 1 per value of the channel-padded "
                               "average pool",
        "upsampling": "1 per input value (the scale factor is dropped), or the target size's product",
        "everything else": "nothing",
        **_COMMON,
    })


def _macs(layer: Layer) -> int:
    return layer.out.macs if layer.kind in _MAC_KINDS else 0


MACS = Convention(
    "calflops-macs", "calflops.calculate_flops(model, input_shape)[1] (MACs)", "calflops 0.3.2", "MACs",
    table("calflops-macs", {**{kind: _macs for kind in _MAC_KINDS}, "attention": _attention_macs},
          lambda layer, act: 0),
    trainable_only, {
        "convolution": "its multiply-adds (k·C·F/groups per output position)",
        "transposed convolution": "its multiply-adds, per input position (right)",
        "dense": "its multiply-adds",
        "everything else": "nothing",
        **_COMMON,
    })
