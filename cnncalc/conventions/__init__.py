"""Other counters' numbers: the multiply-adds (or FLOPs) and parameters torchinfo, fvcore, ptflops, thop and
PyTorch's FlopCounterMode print for a network, layer by layer, as cnncalc's own rule gives its MACs.

Each tool has a module here holding its rule per layer kind, written as the tool counts the PyTorch modules
`cnncalc export` writes for that kind (an `nn.Conv2d`, an `nn.BatchNorm2d`, an `Add` helper): what it counts for
bias, normalisation, activations, pooling, element-wise merges, adaptive pooling, transposed convolution and
attention, and what it ignores, with its quirks (`RULES`: the text docs/conventions.md shows). The torch tier
runs each tool on the exported modules and holds every total equal.
"""

from __future__ import annotations

from importlib import import_module
from math import prod
from typing import TYPE_CHECKING, Callable, Mapping, NamedTuple

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.network import Layer

# name -> the module that holds its rules; `cnncalc` is the tool's own rule
NAMES = ("cnncalc", "torchinfo", "fvcore", "ptflops", "thop", "calflops", "calflops-macs", "flopcounter")


# The layer types the conventions' rules are stated for (docs/conventions.md's rows), and the kinds of each.
LAYER_TYPES: dict[str, tuple[str, ...]] = {
    "convolution": ("conv", "depthwise", "separable"),
    "transposed convolution": ("deconv",),
    "dense": ("dense",),
    "attention": ("attention", "sdpa"),
    "batch norm": ("batchnorm",),
    "layer norm": ("layernorm",),
    "group and instance norm": ("groupnorm", "instancenorm"),
    "local response norm": ("lrn",),
    "ReLU-like": ("relu", "relu6", "leakyrelu", "elu", "prelu"),
    "other activations": ("gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "mish", "softmax"),
    "max pooling": ("maxpool", "globalmaxpool", "adaptivemaxpool"),
    "average pooling": ("avgpool", "sumpool"),
    "adaptive and global average pooling": ("globalavgpool", "adaptiveavgpool"),
    "merges": ("add", "subtract", "multiply", "concat", "shortcut"),
    "upsampling": ("upsample",),
    "parameters": (),
}


def layer_type(kind: str) -> str:
    """The row of the rules table a kind belongs to ("everything else" for views, padding, dropout, …)."""
    return next((label for label, kinds in LAYER_TYPES.items() if kind in kinds), "everything else")


class Context(NamedTuple):
    """What a rule needs beyond the layer: the layers whose export pads at run time (a block used with `same`
    and with explicit padding), which the export writes with a padding helper and padding=0."""

    runtime_padding: frozenset[int]


class Convention(NamedTuple):
    """One counter's rule: what it reports (its unit), its version, its count per layer and its parameters."""

    name: str
    tool: str  # what the tool prints: `torchinfo.summary(...).total_mult_adds`
    version: str  # the version the rules were read from and the torch tier checks
    unit: str  # "MACs" or "FLOPs"
    counter: Callable[[Layer, Context], int]  # the tool's number for one layer (its modules as `cnncalc export` writes)
    params: Callable[[Layer], int]  # the parameters the tool counts for the layer
    rules: dict[str, str]  # layer type (LAYER_TYPES, "everything else") -> what the tool counts there

    def reason(self, kind: str) -> str:
        """What this tool counts for a layer of that kind."""
        return self.rules.get(layer_type(kind), self.rules.get("everything else", "nothing"))


class NotModelled(Exception):
    """A layer kind a convention does not reproduce yet: the total would be a guess, so there is none."""

    def __init__(self, convention: str, layer: str, kind: str) -> None:
        super().__init__(f"the {convention} convention does not model `{kind}` yet (layer {layer}); its total "
                         "would be a guess")
        self.convention, self.layer, self.kind = convention, layer, kind


def table(name: str, rules: Mapping[str, Callable[[Layer], int]], activation: Callable[[Layer, str], int],
          unmodelled: frozenset[str] = frozenset(),
          contextual: Mapping[str, Callable[[Layer, Context], int]] | None = None) -> Callable[[Layer, Context], int]:
    """A count per layer from a table of kinds (a kind not in it counts 0), plus the tool's count of a fused
    `activation:` module on the layer's output; a kind in `unmodelled` raises NotModelled."""
    def count(layer: Layer, context: Context) -> int:
        if layer.kind in unmodelled:
            raise NotModelled(name, layer.name, layer.kind)
        special = (contextual or {}).get(layer.kind)
        rule = rules.get(layer.kind)
        own = special(layer, context) if special is not None else rule(layer) if rule is not None else 0
        act = fused(layer)
        return own + (activation(layer, act) if act is not None else 0)
    return count


class Counted(NamedTuple):
    """A network counted under a convention: per layer and in total, at the analysis' input."""

    convention: Convention
    input: tuple[int, ...]
    layers: tuple[tuple[str, int], ...]  # (layer name, the tool's count)
    total: int
    params: int

    def totals(self) -> dict[str, object]:
        """The totals as JSON gives them: the tool, its version and unit, the input, the count, the parameters."""
        c = self.convention
        return {"name": c.name, "tool": c.tool, "version": c.version, "unit": c.unit, "input": list(self.input),
                "total": self.total, "params": self.params}


def convention(name: str) -> Convention:
    """The convention of that name (KeyError if there is none)."""
    if name not in NAMES:
        raise KeyError(name)
    module = import_module(f"cnncalc.conventions.{ {'cnncalc': 'own', 'calflops-macs': 'calflops'}.get(name, name)}")
    return module.MACS if name == "calflops-macs" else module.CONVENTION  # type: ignore[no-any-return]


def count(analysis: Analysis, name: str) -> Counted:
    """Every layer counted as the convention's tool counts it, and the totals."""
    rule = convention(name)
    context = Context(runtime_padding(analysis))
    layers = tuple((layer.name, rule.counter(layer, context)) for layer in analysis.network.layers)
    params = sum(rule.params(layer) for layer in analysis.network.layers if not layer.weights.startswith("shares:"))
    return Counted(rule, tuple(analysis.input), layers, sum(n for _, n in layers), params)


# --- what the rules read from a layer ------------------------------------------------------------------------

def numel(shape: tuple[int, ...]) -> int:
    return prod(shape)


def positions(shape: tuple[int, ...]) -> int:
    """Positions of a channels-last shape (a vector: 1)."""
    return prod(shape[:-1]) if len(shape) > 1 else 1


def learned(layer: Layer) -> int:
    """The layer's parameters (learned, frozen included; fixed weights are buffers)."""
    return layer.out.trainable


def trainable_only(layer: Layer) -> int:
    """The parameters that require a gradient (ptflops and calflops leave frozen ones out)."""
    return layer.out.trainable - layer.out.frozen


def per_value(affine: int, plain: int) -> Callable[[Layer], int]:
    """A normalisation counted per input value: `affine` each with affine weights, `plain` each without."""
    return lambda layer: numel(layer.input_shapes[0]) * (affine if layer.args.get("affine", True) else plain)


def group_softmax(layer: Layer) -> bool:
    """A softmax over groups of channels, which the export writes as a GroupSoftmax helper calling `.softmax`
    (no tool hooks or patches it), not nn.Softmax(dim=1)."""
    return layer.args.get("groups", 1) != 1 or layer.args.get("cardinality", 1) != 1


def fused(layer: Layer) -> str | None:
    """The fused `activation:` of a layer (its own module in the export), or None."""
    act = layer.args.get("activation", "none")
    return None if act in ("none", "linear", None) else str(act)


def runtime_padding(analysis: Analysis) -> frozenset[int]:
    """Layers of one item of the file (a block's layer) whose uses pad differently (`same` here, explicit
    there): `cnncalc export` pads those at run time with a helper and writes the layer with padding=0."""
    paddings: dict[tuple[str, int, int], set[object]] = {}
    for layer in analysis.network.layers:
        if "padding" in layer.args:
            key = (layer.where.path, layer.where.line, layer.where.column)
            paddings.setdefault(key, set()).add(layer.args["padding"])
    return frozenset(layer.index for layer in analysis.network.layers if "padding" in layer.args and
                     len(paddings[(layer.where.path, layer.where.line, layer.where.column)]) > 1)


def same_string(layer: Layer, context: Context) -> bool:
    """Whether the export writes the convolution with PyTorch's own padding='same' (stride 1, `same`)."""
    stride = layer.args.get("stride", (1,))
    strides = stride if isinstance(stride, tuple) else (stride,)
    return layer.args.get("padding") == "same" and all(s == 1 for s in strides) and \
        layer.index not in context.runtime_padding


class AttentionParts(NamedTuple):
    """An `attention` layer as the exported module runs it, per sample: its projections' multiply-adds (q, k, v
    and the output), its two products' (Q·Kᵀ and A·V), the softmax's values, and whether it runs PyTorch's
    nn.MultiheadAttention functional path (dim = channels) or two nn.Linear layers and `@` (another dim)."""

    projections: int
    projection_bias: int  # the biases' additions, one per output value of each projection
    products: int
    softmax: int
    functional: bool


def attention_parts(layer: Layer) -> AttentionParts:
    shape = layer.input_shapes[0]
    channels, positions_ = shape[-1], positions(shape)
    dim = layer.args.get("dim") or channels
    patch = layer.args.get("patch")
    sequences = prod(patch) if patch else 1
    tokens = positions_ // sequences
    heads = layer.args["heads"]
    projections = positions_ * channels * 3 * dim + positions_ * dim * channels
    bias = positions_ * (3 * dim + channels) if layer.args.get("bias", True) else 0
    return AttentionParts(projections, bias, 2 * sequences * tokens * tokens * dim,
                          heads * sequences * tokens * tokens, dim == channels)


def patched_lrn(layer: Layer) -> int:
    """A local response norm under tools that patch torch's functionals and tensor methods (ptflops, calflops):
    F.local_response_norm's x·x, ·alpha and +k (one per value each) and its average pool over the channels padded
    by size − 1 (one per value of that pool's input)."""
    shape = layer.input_shapes[0]
    return 3 * numel(shape) + positions(shape) * (shape[-1] + layer.args["size"] - 1)


def kernel_size(layer: Layer) -> int:
    """The window's positions, from the weight's shape (kernel axes, then in and out channels)."""
    return prod(layer.out.weights[0][:-2])
