"""The deployment figures `cnncalc memory` reports beside the peak live memory (`core.memory.liveness`): one
training step under a precision policy, activation checkpointing, quantized sizes, the largest batch (or input)
that fits, and a roofline time bound. Everything here returns plain values; `memory.render` writes them."""

from __future__ import annotations

from math import ceil, prod
from typing import TYPE_CHECKING, Callable, NamedTuple

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.memory import LivePlan
    from cnncalc.memory.devices import Device


class Policy(NamedTuple):
    """Bytes per value of each tensor of a training step under a precision policy."""

    name: str
    weight: int  # a stored parameter (the float32 master copy under mixed precision)
    grad: int
    state: int  # one optimizer value
    activation: int  # an activation the forward pass saves for the backward pass
    cast: int  # autocast's low-precision copy of each convolution, dense and attention weight (mixed only)
    summary: str


POLICIES = {
    "fp32": Policy("fp32", 4, 4, 4, 4, 0, "every tensor in float32"),
    "mixed-fp16": Policy("mixed-fp16", 4, 4, 4, 2, 2, "torch.autocast(float16): float32 weights (the master copy), "
                         "gradients and optimizer state; a float16 copy of each convolution, dense and attention "
                         "weight; activations in float16"),
    "mixed-bf16": Policy("mixed-bf16", 4, 4, 4, 2, 2, "torch.autocast(bfloat16): as mixed-fp16, in bfloat16"),
    "bf16": Policy("bf16", 2, 2, 2, 2, 0, "pure bfloat16: weights, gradients, optimizer state and activations"),
}


def pure(dtype: str) -> Policy:
    """Every tensor of the step in `dtype` (what `--train` means without `--precision`)."""
    from cnncalc.core.memory import DTYPE_BYTES

    size = DTYPE_BYTES[dtype]
    return Policy(dtype, size, size, size, size, 0, f"every tensor in {dtype}")


# values of state per trainable parameter, and whether it keeps a float32 step count per parameter tensor, as
# PyTorch 2.13's optimizers do after one step (the torch tier checks each)
OPTIMIZERS: dict[str, tuple[int, bool]] = {
    "sgd": (0, False), "momentum": (1, False), "nesterov": (1, False), "adam": (2, True), "adamw": (2, True),
    "adagrad": (1, True), "rmsprop": (1, True),
}


def optimizer_rule(name: str) -> tuple[int, bool]:
    """A named optimizer's (values per parameter, step per tensor), or `K` values for another optimizer."""
    if name.isdigit():
        return int(name), False
    return OPTIMIZERS[name]


class Training(NamedTuple):
    """One training step's memory at the end of its forward pass (with checkpointing: at the worst moment of
    its backward pass, while the largest segment is recomputed)."""

    optimizer: str
    policy: Policy
    saved: int  # saved for backward, checkpointed segments keeping only their inputs
    saved_per_sample: int  # what one more sample adds (batch norm's statistics are shared by the batch)
    params: int
    grads: int
    optimizer_state: int
    cast_copies: int  # autocast's low-precision weight copies (mixed precision)
    recompute_bytes: int  # the largest checkpointed segment's own saved tensors, alive while it is recomputed
    recompute_per_sample: int
    recompute_macs: int  # the checkpointed segments' multiply-adds, run a second time in the backward pass
    checkpointed: tuple[str, ...]

    @property
    def total(self) -> int:
        """Weights + gradients + optimizer state + weight copies + saved for backward (+ a recomputed segment)."""
        return self.params + self.grads + self.optimizer_state + self.cast_copies + self.saved + self.recompute_bytes

    @property
    def per_sample(self) -> int:
        return self.saved_per_sample + self.recompute_per_sample


def quantizable(analysis: Analysis) -> list[tuple[str, tuple[tuple[int, ...], ...]]]:
    """The weight matrices of convolutions, dense and attention layers (rank ≥ 2; the last axis is the output
    channels), per layer that owns its weights; biases, norms and other vectors are not matrices."""
    out = []
    for row, layer in zip(analysis.rows, analysis.network.layers):
        if layer.weights.startswith("shares:"):  # frozen and fixed weights are quantized too; shared ones once
            continue
        matrices = tuple(shape for shape in row.weights if len(shape) >= 2)
        if matrices and (layer.kind == "attention" or _category(layer.kind) in ("convolution", "dense")):
            out.append((row.name, matrices))
    return out


def _category(kind: str) -> str:
    from cnncalc.core.kinds import KINDS

    return KINDS[kind].category


def training(analysis: Analysis, plan: LivePlan, optimizer: str, policy: Policy,
             checkpoint: tuple[str, ...] = ()) -> Training:
    """The training figures at the plan's batch under `policy`; `checkpoint` names block uses (or layers) whose
    activations are recomputed in the backward pass instead of kept."""
    from cnncalc.core.memory import parameter_tensors, saved_parts

    members = _segments(analysis, checkpoint)
    batch = plan.batch
    parts = saved_parts(analysis, policy.activation, members)
    tot = analysis.totals
    learning = tot.trainable - tot.frozen  # frozen parameters get no gradient, no optimizer state
    values, step = optimizer_rule(optimizer)
    casts = sum(prod(shape) for _, matrices in quantizable(analysis) for shape in matrices) * policy.cast
    recomputed = {i for segment in members for i in segment}
    macs = sum(row.macs for row, layer in zip(analysis.rows, analysis.network.layers) if layer.index in recomputed)
    return Training(optimizer, policy, parts.saved.at(batch), parts.saved.per_sample, tot.params * policy.weight,
                    learning * policy.grad,
                    learning * policy.state * values + (4 * parameter_tensors(analysis) if step else 0), casts,
                    parts.recompute(batch), parts.recompute(2) - parts.recompute(1), macs * batch, checkpoint)


def _segments(analysis: Analysis, names: tuple[str, ...]) -> list[frozenset[int]]:
    """The layer indices of each checkpointed segment: a block use's layers (`layer1.0`), or one layer."""
    segments = []
    for name in names:
        prefix = name + "."
        segments.append(frozenset(layer.index for layer in analysis.network.layers
                                  if layer.name == name or layer.name.startswith(prefix)))
    return segments


def block_uses(analysis: Analysis) -> tuple[str, ...]:
    """Every innermost block use (one that holds no other), in order: what `--checkpoint blocks` checkpoints."""
    uses = [name for name, label in analysis.groups.items() if " ×" not in label]
    return tuple(name for name in uses if not any(other.startswith(name + ".") for other in uses))


def checkpointed(analysis: Analysis, names: tuple[str, ...]) -> tuple[str, ...]:
    """`--checkpoint` names as segments: `blocks` (unless the file has a block use of that name) is every
    innermost block use."""
    return block_uses(analysis) if names == ("blocks",) and "blocks" not in analysis.groups else names


def unknown_segment(analysis: Analysis, names: tuple[str, ...]) -> str | None:
    """The first name that is neither a block use nor a layer, or None."""
    known = set(analysis.groups) | {layer.name for layer in analysis.network.layers}
    return next((name for name in names if name not in known), None)


class Fit(NamedTuple):
    """The largest batch (or input side) whose memory fits the usable bytes of a device."""

    budget: int  # the device's bytes
    text: str  # as the user named it (24GiB, rtx4090)
    usable: int  # after the margin and the fixed overhead
    margin: float
    overhead: int
    max_batch: int  # 0: not even one
    fixed: int  # bytes that do not grow with the batch (weights; in training gradients, optimizer state, …)
    per_sample: int  # bytes each sample adds
    max_side: int | None = None  # with --fit-input: the largest square input side at the batch


def usable_bytes(budget: int, margin: float, overhead: int) -> int:
    """What a device leaves for the model: its bytes less the margin (a fraction) and a fixed overhead."""
    return max(int(budget * (1 - margin)) - overhead, 0)


def fit(plan: LivePlan, device: tuple[int, str], train: Training | None = None,
        reserve: tuple[float, int] = (0.0, 0)) -> Fit:
    """Exact for the model, not a search: activations scale with the batch and weights do not, so the largest
    batch is ⌊(usable − weights) / peak live bytes per sample⌋; for training
    ⌊(usable − weights − gradients − optimizer state − weight copies − shared statistics) / saved per sample⌋."""
    (budget, text), (margin, overhead) = device, reserve
    room = usable_bytes(budget, margin, overhead)
    per_sample, fixed = fixed_and_per_sample(plan, train)
    return Fit(budget, text, room, margin, overhead, max((room - fixed) // per_sample, 0) if per_sample else 0,
               fixed, per_sample)


def fixed_and_per_sample(plan: LivePlan, train: Training | None) -> tuple[int, int]:
    """(bytes per sample, bytes that do not grow with the batch) of an inference or a training step."""
    if train is None:
        return plan.peak_bytes // plan.batch, plan.param_bytes
    return train.per_sample, train.total - train.per_sample * plan.batch


def fit_side(fits_at: Callable[[int], bool | None], start: int, limit: int = 1 << 16) -> int:
    """The largest side s (up to `limit`) at which `fits_at(s)` holds, searching up from the file's own side by
    doubling and then halving the interval; `fits_at` returns None where the network is not valid at that side
    (too small for its windows, too large for cnncalc's limits). 0 when not even the smallest valid side fits."""
    low, high = 0, None
    side = start
    while side <= limit:  # grow while it fits
        ok = fits_at(side)
        if not ok:
            high = side
            break
        low, side = side, side * 2
    if high is None:
        return low
    if low == 0:  # the file's own side does not fit: search below it
        side = high // 2
        while side >= 1:
            ok = fits_at(side)
            if ok:
                low = side
                break
            if ok is None:  # smaller is not valid either
                return 0
            high, side = side, side // 2
        if low == 0:
            return 0
    while high - low > 1:
        middle = (low + high) // 2
        if fits_at(middle):
            low = middle
        else:
            high = middle
    return low


class Quantized(NamedTuple):
    """A quantized deployment: weights at `weight_bits` with scales, the rest kept; activations apart."""

    label: str  # W8A8, W4A16, fp8
    weight_bits: int
    activation_bits: int
    scales: str  # per-tensor, per-channel, per-group
    group: int
    quantized_values: int  # weight values stored at weight_bits
    scale_count: int  # one float32 each (symmetric: no zero point)
    kept_values: int  # parameters and buffers kept in float32: biases, norms, statistics, kept layers' weights
    kept_layers: tuple[str, ...]  # layers whose weights stay in float32 (--keep)
    flash_bytes: int  # weights + scales + what is kept
    ram_bytes: int  # the peak live activations at activation_bits

    @property
    def overhead_bytes(self) -> int:
        return 4 * self.scale_count


def parse_scheme(text: str) -> tuple[str, int, int] | None:
    """`W8A8`, `W4A16`, `W8A16`, `fp8` (W8A8 in float8) as (label, weight bits, activation bits), or None."""
    import re

    if text.lower() == "fp8":
        return "fp8", 8, 8
    match = re.fullmatch(r"[wW](\d+)[aA](\d+)", text)
    if not match or not 1 <= int(match.group(1)) <= 32 or int(match.group(2)) not in (4, 8, 16, 32):
        return None
    return text.upper(), int(match.group(1)), int(match.group(2))


def quantize(analysis: Analysis, plan: LivePlan, scheme: tuple[str, int, int], scaling: tuple[str, int],
             keep: tuple[str, ...]) -> Quantized:
    """Flash: every convolution, dense and attention weight matrix at the weight bits (rounded up to whole bytes
    per network) plus its scales (per tensor: one; per channel: one per output channel; per group of G values
    along a channel's inputs: ⌈inputs / G⌉ per output channel), and every other parameter and buffer in float32
    (biases as TFLite's int32, norms, statistics, and the weights of `keep` layers). RAM: the peak live
    activations (`liveness`) at the activation bits, the same moment as in float32."""
    from cnncalc.core.memory import DTYPE_BYTES

    label, w_bits, a_bits = scheme
    scales, group = scaling
    kept_names = set(keep)
    values = scale_count = 0
    kept_layers = []
    for name, matrices in quantizable(analysis):
        if name in kept_names or any(name.startswith(k + ".") for k in kept_names):
            kept_layers.append(name)
            continue
        for shape in matrices:
            channels, inputs = shape[-1], prod(shape[:-1])
            values += prod(shape)
            scale_count += 1 if scales == "per-tensor" else channels if scales == "per-channel" else \
                channels * ceil(inputs / group)
    tot = analysis.totals
    kept = tot.params - values
    activations_f32 = plan.peak_bytes * 4 // DTYPE_BYTES[plan.dtype]
    flash = ceil(values * w_bits / 8) + 4 * scale_count + 4 * kept
    return Quantized(label, w_bits, a_bits, scales, group, values, scale_count, kept, tuple(kept_layers), flash,
                     ceil(activations_f32 * a_bits / 32))


class LayerBound(NamedTuple):
    """One layer under the roofline: what it computes and moves, and the least time it can take."""

    name: str
    flops: int  # 2 × multiply-adds, for the batch
    bytes_moved: int  # its inputs read, its output written, its weights read once
    intensity: float  # flops per byte
    seconds: float  # max(flops / peak, bytes / bandwidth)
    memory_bound: bool


class Roofline(NamedTuple):
    """A lower bound on the time of one inference on a device: never a latency (no launch overhead, no cache,
    no kernel efficiency), the least the arithmetic and the traffic allow."""

    device: str
    dtype: str
    peak_flops: float
    bandwidth: float
    layers: tuple[LayerBound, ...]

    @property
    def seconds(self) -> float:
        return sum(layer.seconds for layer in self.layers)

    @property
    def memory_bound(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers if layer.memory_bound)


def roofline(analysis: Analysis, plan: LivePlan, device: Device) -> Roofline | None:
    """Per layer, max(FLOPs / peak FLOP/s at the plan's value type, bytes moved / bandwidth): bytes moved are
    the tensors the layer reads and makes (a view moves nothing) and its weights, all in the plan's value type.
    None when the device states no peak for that type."""
    from cnncalc.core.memory import DTYPE_BYTES, layer_traffic

    peak = device.flops.get(plan.dtype)
    if not peak or not device.bandwidth:
        return None
    size = DTYPE_BYTES[plan.dtype]
    bounds = []
    for row, (read, made) in zip(analysis.rows, layer_traffic(analysis)):
        flops = 2 * row.macs * plan.batch
        moved = (read + made) * size * plan.batch + (row.trainable + row.non_trainable) * size
        compute, traffic = flops / peak, moved / device.bandwidth
        bounds.append(LayerBound(row.name, flops, moved, flops / moved if moved else 0.0, max(compute, traffic),
                                 traffic > compute))
    return Roofline(device.name, plan.dtype, peak, device.bandwidth, tuple(bounds))
