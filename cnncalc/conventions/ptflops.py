"""ptflops 0.7.5, pytorch backend (`get_model_complexity_info(..., backend="pytorch")`): module hooks plus
patched functionals.

Convolutions count k·C·F/groups per output position (per input position when transposed: right) plus 1 per
output value for a bias; Linear (in·out + out) per row; batch, instance, group and layer norm (nn.LayerNorm
only) 1 per input value, 2 with affine weights; ReLU, ELU, PReLU and GELU 1 per output value from their hook and
again from the functional the module calls (counted twice), LeakyReLU and ReLU6 once (their functionals are not
patched); SiLU and softmax 1 per input value (their functional); max, average and adaptive pooling 1 per input
value, twice (hook and functional); upsampling its output twice. Sigmoid, tanh, hardswish, merges written with
operators, and cnncalc's helpers count nothing. Parameters: those that require a gradient (frozen ones are
left out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.conventions import (Convention, attention_parts, group_softmax, kernel_size, numel, patched_lrn,
                                 per_value, positions, table, trainable_only)

if TYPE_CHECKING:
    from cnncalc.core.network import Layer


def _bias(layer: Layer) -> int:
    return numel(layer.out.output) if layer.args.get("bias", True) else 0


def _conv(layer: Layer) -> int:
    if layer.args.get("standardize") or layer.args.get("gain"):
        return 0  # StdConv2d: not a type ptflops hooks, and F.conv2d is not patched
    channels, filters = layer.input_shapes[0][-1], layer.out.output[-1]
    groups = layer.args.get("groups", 1) if layer.kind != "depthwise" else channels
    where = layer.input_shapes[0] if layer.kind == "deconv" else layer.out.output
    return kernel_size(layer) * channels * (filters // groups) * positions(where) + _bias(layer)


def _separable(layer: Layer) -> int:
    channels, multiplier = layer.input_shapes[0][-1], layer.args.get("multiplier", 1)
    spread = channels * multiplier
    return kernel_size(layer) * spread * positions(layer.out.output) + spread * layer.out.output[-1] * \
        positions(layer.out.output) + _bias(layer)


def _dense(layer: Layer) -> int:
    units = layer.out.output[-1]
    return (layer.input_shapes[0][-1] * units + (units if layer.args.get("bias", True) else 0)) * \
        positions(layer.input_shapes[0])


_TWICE = {"relu", "elu", "prelu", "gelu"}  # hook + patched functional
_ONCE = {"leakyrelu", "relu6", "silu", "swish", "softmax"}  # one of the two


def _activation_count(kind: str, values: int) -> int:
    return 2 * values if kind in _TWICE else values if kind in _ONCE else 0


def _activation(layer: Layer) -> int:
    if layer.kind == "softmax" and group_softmax(layer):
        return 0
    return _activation_count(layer.kind, numel(layer.out.output))


def _attention(layer: Layer) -> int:
    parts = attention_parts(layer)
    return parts.products + parts.softmax if parts.functional else parts.projections + parts.projection_bias


_RULES = {
    "lrn": patched_lrn,
    "attention": _attention,
    "conv": _conv, "depthwise": _conv, "deconv": _conv, "separable": _separable, "dense": _dense,
    "batchnorm": per_value(2, 1), "instancenorm": per_value(2, 1), "groupnorm": per_value(2, 1),
    **{kind: _activation for kind in _TWICE | _ONCE},
    **{kind: (lambda layer: 2 * numel(layer.input_shapes[0])) for kind in
       ("maxpool", "avgpool", "sumpool", "globalavgpool", "globalmaxpool", "adaptiveavgpool", "adaptivemaxpool")},
    "upsample": lambda layer: 2 * numel(layer.out.output),
}



CONVENTION = Convention(
    "ptflops", 'ptflops.get_model_complexity_info(model, (C, H, W), backend="pytorch")[0]', "ptflops 0.7.5",
    "MACs", table("ptflops", _RULES, lambda layer, act: _activation_count(act, numel(layer.out.output)),
                  frozenset()), trainable_only,
    {
        "convolution": 'k·C·F/groups per output position + 1 per output value for a bias',
        "transposed convolution": 'the same per input position (right)',
        "dense": '(in · out + out) per row',
        "local response norm": "3 per input value (the patched x·x, ·alpha, +k) + 1 per value of the channel-padded "
                               "average pool",
        "attention": "sdpa nothing (`@`); attention with dim = channels, the products (bmm) and the softmax's values (the functional form's "
                     "projections are not counted); otherwise its two Linear layers with their biases",
        "batch norm": '1 per input value, 2 with affine weights',
        "layer norm": 'nothing: exported as an nn.LayerNorm subclass (not hooked) calling F.layer_norm (not patched)',
        "group and instance norm": '1 per input value, 2 with affine weights',
        "ReLU-like": "ReLU, ELU, PReLU: 2 per output value (the module's hook and its patched functional); LeakyReLU, ReLU6: 1",
        "other activations": 'GELU 2 per value; SiLU and softmax 1 (their functional); sigmoid, tanh, hardswish nothing',
        "max pooling": '2 per input value (hook and functional)',
        "average pooling": '2 per input value (hook and functional)',
        "adaptive and global average pooling": '2 per input value',
        "upsampling": '2 per output value',
        "parameters": 'those that require a gradient: frozen ones are left out',
        "everything else": 'nothing (merges are written with operators, which are not patched)',
    })
