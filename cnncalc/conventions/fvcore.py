"""fvcore 0.1.5 (`FlopCountAnalysis(model, x).total()`): a JIT trace, counted per aten operator it has a handle
for; one fused multiply-add is one "flop".

Convolutions count their weights × output positions (input positions when transposed), no bias, but a
convolution written with PyTorch's padding='same' traces as aten::_convolution_mode, which fvcore has no handle
for: it counts 0. Linear and matrix products count their multiply-adds without bias; batch norm in eval 1 per
input value, 2 with affine weights; layer and group norm 5 per input value with affine weights, 4 without;
instance norm the same; 2-D adaptive average pooling 1 per input value; nearest upsampling 1 and bilinear 4 per
output value (2-D). Everything else (activations, max and average pooling, merges, softmax) counts nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from cnncalc.conventions import Context, Convention, learned, numel, per_value, same_string, table

if TYPE_CHECKING:
    from cnncalc.core.network import Layer


def _conv(layer: Layer, context: Context) -> int:
    return 0 if same_string(layer, context) else layer.out.macs


def _two_d(rule: Callable[[Layer], int]) -> Callable[[Layer], int]:
    """fvcore has handles for the 2-D forms only (adaptive_avg_pool2d, upsample_*2d)."""
    return lambda layer: rule(layer) if len(layer.input_shapes[0]) == 3 else 0


_UPSAMPLE = {"nearest": 1, "bilinear": 4}

_RULES = {
    "deconv": lambda layer: layer.out.macs,
    "dense": lambda layer: layer.out.macs, "sdpa": lambda layer: layer.out.macs,
    "attention": lambda layer: layer.out.macs,
    "batchnorm": per_value(2, 1), "layernorm": per_value(5, 4), "groupnorm": per_value(5, 4),
    "instancenorm": per_value(5, 4),
    "globalavgpool": _two_d(lambda layer: numel(layer.input_shapes[0])),
    "adaptiveavgpool": _two_d(lambda layer: numel(layer.input_shapes[0])),
    "upsample": _two_d(lambda layer: numel(layer.out.output) * _UPSAMPLE.get(str(layer.args.get("mode")), 0)),
}

CONVENTION = Convention(
    "fvcore", "fvcore.nn.FlopCountAnalysis(model, x).total()", "fvcore 0.1.5.post20221221", "MACs",
    table("fvcore", _RULES, lambda layer, act: 0, frozenset(),
          {"conv": _conv, "depthwise": _conv, "separable": _conv}), learned,
    {
        "convolution": "weights × output positions, no bias; 0 when written with padding='same' at stride 1 (aten::_convolution_mode has no handle)",
        "transposed convolution": 'weights × input positions (right)',
        "dense": 'its multiply-adds, no bias',
        "attention": "its projections' and products' multiply-adds (linear, bmm, matmul), no bias; sdpa its "
                     "products",
        "batch norm": '1 per input value in eval, 2 with affine weights',
        "layer norm": '5 per input value with affine weights, 4 without',
        "group and instance norm": '5 per input value with affine weights, 4 without',
        "adaptive and global average pooling": '1 per input value (2-D only)',
        "upsampling": '1 per output value nearest, 4 bilinear (2-D only)',
        "parameters": 'every parameter',
        "everything else": 'nothing (activations, max and average pooling, merges, softmax)',
    })
