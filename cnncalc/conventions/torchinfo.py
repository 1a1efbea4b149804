"""torchinfo 1.8.0: `summary(...).total_mult_adds` and `total_params`.

torchinfo reads MACs from parameters, not from operations: a leaf module whose class name contains "Conv"
counts its weight and bias once per output position; any other leaf module with a `weight` or `bias` counts
them once per sample. So a Linear counts its weights once per sample even on tokens (ConvNeXt's pointwise
layers), a transposed convolution counts per output position (stride² too high), batch norm counts its 2·C
affine values, and parameters under other names (a layer scale's gamma, a convolution's gain) count nothing.
Modules without parameters (activations, pooling, merges) count nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.conventions import Convention, attention_parts, learned, positions, table

if TYPE_CHECKING:
    from cnncalc.core.network import Layer


def _conv(layer: Layer) -> int:
    gain = layer.out.output[-1] if layer.args.get("gain") else 0  # the gain is a parameter, not a weight
    return (learned(layer) - gain) * positions(layer.out.output)


def _attention(layer: Layer) -> int:
    return 0 if attention_parts(layer).functional else learned(layer)


_RULES = {
    "attention": _attention,
    "conv": _conv, "depthwise": _conv, "separable": _conv, "deconv": _conv,
    "dense": learned, "batchnorm": learned, "layernorm": learned, "groupnorm": learned, "instancenorm": learned,
    "prelu": learned,
}

CONVENTION = Convention(
    "torchinfo", "torchinfo.summary(model, input_size).total_mult_adds", "torchinfo 1.8.0", "MACs",
    table("torchinfo", _RULES, lambda layer, act: 0), learned,
    {
        "convolution": '(weights + bias) × output positions (layers whose class name contains Conv)',
        "transposed convolution": '(weights + bias) × output positions: stride² times the real count',
        "dense": '(weights + bias) once per sample, however many tokens',
        "attention": "sdpa nothing; attention nothing with dim = channels (nn.MultiheadAttention run through its functional form calls no "
                     "module); otherwise its two Linear layers' weights and biases once per sample",
        "batch norm": 'its 2·C affine values once per sample',
        "layer norm": 'its affine values once per sample',
        "group and instance norm": 'their affine values once per sample',
        "ReLU-like": 'nothing (PReLU: its weights once per sample)',
        "parameters": 'every parameter',
        "everything else": "nothing: modules without a weight or bias (a layer scale's gamma, a convolution's gain count nothing)",
    })
