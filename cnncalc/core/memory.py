"""Memory estimates: parameters, activations, and training memory for a batch, dtype and optimizer."""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the CLI reads the registries below for its --help, without the analysis chain
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.kinds.base import Extra

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
# Values of optimizer state kept per trainable parameter.
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2}


class MemoryEstimate(NamedTuple):
    """Bytes of each part of a network's memory, and the assumptions they were computed under."""

    dtype: str
    batch: int
    optimizer: str
    weights: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def inference(self) -> int:
        """Weights plus every layer's output for the batch (an upper bound: nothing is freed)."""
        return self.weights + self.activations

    @property
    def training(self) -> int:
        """Weights, gradients, optimizer state and the activations kept for the backward pass."""
        return self.weights + self.gradients + self.optimizer_state + self.activations


def estimate(analysis: Analysis, batch: int = 1, dtype: str = "float32", optimizer: str = "adam") -> MemoryEstimate:
    """Memory of a network, every tensor in `dtype`.

    weights = all parameters (running statistics included) × bytes;
    gradients = (trainable − frozen) × bytes; optimizer state = that × (0 sgd, 1 momentum, 2 adam);
    activations = batch × Σ layer output elements × bytes (every output kept for the backward pass).
    """
    size = DTYPE_BYTES[dtype]
    tot = analysis.totals
    return MemoryEstimate(
        dtype=dtype,
        batch=batch,
        optimizer=optimizer,
        weights=tot.params * size,
        gradients=(tot.trainable - tot.frozen) * size,  # frozen parameters get no gradient, no optimizer state
        optimizer_state=(tot.trainable - tot.frozen) * size * OPTIMIZER_STATES[optimizer],
        activations=batch * tot.elements * size,
    )


# --- peak live memory (`cnncalc memory`) ---------------------------------------------------------------------

class LayerLive(NamedTuple):
    """One layer's share of the liveness: the bytes alive while it runs (its inputs still needed, the tensors
    it makes, and every earlier tensor a later layer reads), for the whole batch."""

    index: int  # type: ignore[assignment]  # 0-based position (shadows tuple.index, never called)
    name: str
    live_bytes: int


class LivePlan(NamedTuple):
    """Peak live activation memory of one inference, as PyTorch frees a tensor after its last reader."""

    batch: int
    dtype: str
    peak_bytes: int
    peak_layer: str
    naive_sum_bytes: int  # the input and every layer's output, none freed (what `shape` sums)
    layers: tuple[LayerLive, ...]
    param_bytes: int  # every parameter and buffer in `dtype`


class _Step(NamedTuple):
    """One tensor a layer makes (or a view), with the storages it reads and, for training, what it saves."""

    layer: int
    reads: list[str]
    made: str  # the storage it makes, "" for a view
    saves: list[str]
    extra: tuple[Extra, ...]


def _steps(analysis: Analysis, training: bool) -> tuple[list[_Step], dict[str, int], dict[int, str]]:
    """Every layer's tensors in execution order (`Kind.storage`), with storages named and sized in elements per
    sample: "in" for the network's input, "<layer>.<n>" for a tensor a layer makes; a view names its source's."""
    from cnncalc.core.kinds import KINDS
    from cnncalc.core.network import INPUT

    elements: dict[str, int] = {"in": prod(analysis.network.input)}
    output_of: dict[int, str] = {INPUT: "in"}
    steps: list[_Step] = []
    for layer in analysis.network.layers:
        allocs = KINDS[layer.kind].storage(layer.call(list(layer.input_shapes)), layer.out)
        made: list[str] = []
        for n, alloc in enumerate(allocs):
            def named(ref: str) -> str:
                if ref == "self":
                    return made[n]
                return output_of[layer.sources[int(ref[2:])]] if ref.startswith("in") else made[int(ref[1:])]
            reads = [named(r) for r in alloc.reads]
            if alloc.view and not (training and alloc.train_new):
                made.append(reads[0])
                steps.append(_Step(layer.index, reads, "", [], alloc.extra))
                continue
            made.append(f"{layer.index}.{n}")
            elements[made[-1]] = alloc.elements
            steps.append(_Step(layer.index, reads, made[-1], [named(r) for r in alloc.saves], alloc.extra))
        output_of[layer.index] = made[-1]
    return steps, elements, output_of


def parameter_tensors(analysis: Analysis) -> int:
    """How many parameter tensors the network has (`Kind.tensors`): PyTorch's Adam keeps a float32 step count
    for each, besides its two values per parameter."""
    from cnncalc.core.kinds import KINDS

    # frozen weights get no optimizer state; fixed ones are not parameters; shared ones are counted where they are
    return sum(KINDS[layer.kind].tensors(layer.call(list(layer.input_shapes))) for layer in analysis.network.layers
               if not layer.weights)


def saved_for_backward(analysis: Analysis, batch: int = 1, dtype: str = "float32") -> int:
    """Bytes the forward pass of one training step keeps for the backward pass, weights apart: every tensor an
    operation saves (its input, or its output: `Kind.storage`, as PyTorch 2.13's autograd saves them), each
    storage once however many operations save it, and what they save besides (max pooling's int64 indices,
    dropout's float32 mask, normalisations' float32 statistics). Every tensor of `dtype`."""
    steps, elements, _ = _steps(analysis, training=True)
    size = DTYPE_BYTES[dtype]
    saved = {storage for step in steps for storage in step.saves}
    extra = sum(e.elements * e.bytes_each * (batch if e.per_sample else 1) for step in steps for e in step.extra)
    return sum(elements[storage] for storage in saved) * size * batch + extra


def liveness(analysis: Analysis, batch: int = 1, dtype: str = "float32") -> LivePlan:
    """Bytes alive at once through one inference (weights apart), layer by layer in execution order.

    The model is PyTorch's in eval with no in-place operation, each tensor freed after its last reader (a
    torch.fx graph run with garbage collection): while a layer runs, alive are every tensor a layer at or after
    it still reads, the network's input until its last reader, the tensors the layer makes (a fused activation
    is a second tensor, an explicit padding module a third: `Kind.storage`), and its output. A view (flatten,
    dropout in eval, a channel slice) shares its source's storage and keeps it alive. The output lives to the end.
    """
    size = DTYPE_BYTES[dtype] * batch
    layers = analysis.network.layers
    steps, elements, output_of = _steps(analysis, training=False)
    storage_bytes = {name: count * size for name, count in elements.items()}
    last_read: dict[str, int] = {}
    for position, step in enumerate(steps):
        for storage in step.reads:
            last_read[storage] = position
    last_read[output_of[layers[-1].index]] = len(steps)  # the network's output is kept
    alive: dict[str, int] = {"in": storage_bytes["in"]}
    total = storage_bytes["in"]
    per_layer: dict[int, int] = {}
    for position, step in enumerate(steps):
        if step.made:
            alive[step.made] = storage_bytes[step.made]
            total += storage_bytes[step.made]
        per_layer[step.layer] = max(per_layer.get(step.layer, 0), total)
        for storage in set(step.reads) | ({step.made} if step.made else set()):
            if last_read.get(storage, position) <= position and storage in alive:
                total -= alive.pop(storage)
    shown = tuple(LayerLive(layer.index, layer.name, per_layer.get(layer.index, 0)) for layer in layers)
    peak = max(shown, key=lambda live: live.live_bytes)
    kept = estimate(analysis, batch, dtype)  # every output kept, and the weights, as `shape` totals them
    return LivePlan(batch, dtype, peak.live_bytes, peak.name, storage_bytes["in"] + kept.activations, shown,
                    kept.weights)
