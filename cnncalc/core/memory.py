"""Memory estimates: parameters, activations, and training memory for a batch, dtype and optimizer."""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING, Iterator, NamedTuple

if TYPE_CHECKING:  # the CLI reads the registries below for its --help, without the analysis chain
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.kinds.base import Extra

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
# Values of optimizer state kept per trainable parameter.
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "nesterov": 1, "adam": 2, "adamw": 2, "adagrad": 1, "rmsprop": 1}


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
    peak_alive: tuple[tuple[str, int, str], ...] = ()  # at the peak: (the layer that made it, bytes, why alive)


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
    dropout's mask, normalisations' float32 statistics). Every tensor of `dtype`."""
    return saved_parts(analysis, DTYPE_BYTES[dtype]).saved.at(batch)


class Bytes(NamedTuple):
    """Bytes that grow with the batch and bytes that do not (batch norm's statistics are shared by it)."""

    per_sample: int
    shared: int

    def at(self, batch: int) -> int:
        return self.per_sample * batch + self.shared


class SavedParts(NamedTuple):
    """What one training step keeps for its backward pass, and each checkpointed segment's own saved bytes."""

    saved: Bytes  # checkpointed segments keep only their inputs
    segments: tuple[Bytes, ...]  # alive again while the segment is recomputed, one at a time

    def recompute(self, batch: int) -> int:
        """The largest segment's own saved bytes at `batch` (0 without checkpointing)."""
        return max((segment.at(batch) for segment in self.segments), default=0)


def saved_parts(analysis: Analysis, value_bytes: int, segments: list[frozenset[int]] | None = None) -> SavedParts:
    """Saved for backward with activations of `value_bytes` each, in one walk. A checkpointed segment (layer
    indices) keeps only the tensors it reads from outside itself, as torch.utils.checkpoint does; its own saved
    tensors exist again while its backward pass recomputes it, one segment at a time."""
    steps, elements, _ = _steps(analysis, training=True)
    segments = segments or []
    segment_of = {index: n for n, segment in enumerate(segments) for index in segment}
    made_by = {step.made: step.layer for step in steps if step.made}
    saved: set[str] = set()
    extra = [0, 0]  # per sample, shared
    own: list[set[str]] = [set() for _ in segments]
    own_extra = [[0, 0] for _ in segments]
    for step in steps:
        n = segment_of.get(step.layer)
        if n is None:
            saved.update(step.saves)
            into = extra
        else:
            own[n].update(step.saves)
            into = own_extra[n]
            saved.update(r for r in step.reads if segment_of.get(made_by.get(r, -1)) != n)  # the segment's inputs
        for e in step.extra:
            into[0 if e.per_sample else 1] += e.elements * (e.bytes_each or value_bytes)
    return SavedParts(Bytes(sum(elements[s] for s in saved) * value_bytes + extra[0], extra[1]),
                      tuple(Bytes(sum(elements[s] for s in mine - saved) * value_bytes + more[0], more[1])
                            for mine, more in zip(own, own_extra)))


def layer_traffic(analysis: Analysis) -> list[tuple[int, int]]:
    """Per layer, (elements it reads from other layers' tensors, elements it makes), per sample; a view (flatten,
    a channel slice, dropout in eval) moves nothing."""
    steps, elements, _ = _steps(analysis, training=False)
    traffic: dict[int, tuple[set[str], int]] = {layer.index: (set(), 0) for layer in analysis.network.layers}
    mine: dict[int, set[str]] = {layer.index: set() for layer in analysis.network.layers}
    for step in steps:
        if not step.made:
            continue
        reads, made = traffic[step.layer]
        reads.update(r for r in step.reads if r not in mine[step.layer])
        mine[step.layer].add(step.made)
        traffic[step.layer] = (reads, made + elements[step.made])
    return [(sum(elements[r] for r in traffic[layer.index][0]), traffic[layer.index][1])
            for layer in analysis.network.layers]


class _Timeline:
    """The storages alive after each step of an inference, in execution order, and why each is alive."""

    def __init__(self, analysis: Analysis, batch: int, dtype: str) -> None:
        size = DTYPE_BYTES[dtype] * batch
        self.steps, elements, output_of = _steps(analysis, training=False)
        self.bytes = {name: count * size for name, count in elements.items()}
        self.readers: dict[str, list[int]] = {}
        for position, step in enumerate(self.steps):
            for storage in step.reads:
                self.readers.setdefault(storage, []).append(position)
        self.last_read = {storage: positions[-1] for storage, positions in self.readers.items()}
        self.last_read[output_of[analysis.network.layers[-1].index]] = len(self.steps)  # the output is kept

    def reasons(self, at: int, alive: dict[str, int], name_of: dict[int, str]) -> tuple[tuple[str, int, str], ...]:
        """Each storage alive at step `at`: the layer that made it, its bytes, and why it is alive then."""
        step, here = self.steps[at], name_of[self.steps[at].layer]
        entries = []
        for storage, size in alive.items():
            maker = "input" if storage == "in" else name_of[int(storage.split(".")[0])]
            later = [p for p in self.readers.get(storage, []) if p > at]
            if maker == here:
                why = f"made by {here}"
            elif storage in step.reads:
                why = f"read by {here}"
            elif later:
                why = f"read later by {name_of[self.steps[later[0]].layer]}"
            else:
                why = "the network's output"
            entries.append((maker, size, why))
        return tuple(entries)

    def run(self) -> Iterator[tuple[int, _Step, int, dict[str, int]]]:
        """(position, step, bytes alive while it runs, the storages alive) for every step."""
        alive: dict[str, int] = {"in": self.bytes["in"]}
        total = self.bytes["in"]
        for position, step in enumerate(self.steps):
            if step.made:
                alive[step.made] = self.bytes[step.made]
                total += self.bytes[step.made]
            yield position, step, total, alive
            for storage in set(step.reads) | ({step.made} if step.made else set()):
                if self.last_read.get(storage, position) <= position and storage in alive:
                    total -= alive.pop(storage)


def liveness(analysis: Analysis, batch: int = 1, dtype: str = "float32") -> LivePlan:
    """Bytes alive at once through one inference (weights apart), layer by layer in execution order.

    The model is PyTorch's in eval with no in-place operation, each tensor freed after its last reader (a
    torch.fx graph run with garbage collection): while a layer runs, alive are every tensor a layer at or after
    it still reads, the network's input until its last reader, the tensors the layer makes (a fused activation
    is a second tensor, an explicit padding module a third: `Kind.storage`), and its output. A view (flatten,
    dropout in eval, a channel slice) shares its source's storage and keeps it alive. The output lives to the end.
    The storages alive at the peak are kept with the reason each is alive.
    """
    layers = analysis.network.layers
    timeline = _Timeline(analysis, batch, dtype)
    per_layer: dict[int, int] = {}
    best: tuple[int, int, dict[str, int]] = (-1, 0, {})
    for position, step, total, alive in timeline.run():
        per_layer[step.layer] = max(per_layer.get(step.layer, 0), total)
        if total > best[0]:
            best = (total, position, dict(alive))
    shown = tuple(LayerLive(layer.index, layer.name, per_layer.get(layer.index, 0)) for layer in layers)
    peak = max(shown, key=lambda live: live.live_bytes)
    kept = estimate(analysis, batch, dtype)  # every output kept, and the weights, as `shape` totals them
    return LivePlan(batch, dtype, peak.live_bytes, peak.name, timeline.bytes["in"] + kept.activations, shown,
                    kept.weights, timeline.reasons(best[1], best[2], {layer.index: layer.name for layer in layers}))
