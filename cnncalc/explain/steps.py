"""Every figure of a network worked out the way a textbook shows it (`cnncalc explain`).

For each layer: the output size per axis with the formula filled in (and what a floored division
drops), parameters, multiply-adds, memory, the receptive-field recurrence, how a merge combines its
inputs, and for a convolution what a dense layer between the same shapes would cost. A kind's own
explainer lives with the kind (`Kind.explain`, in `cnncalc.core.kinds.<family>`); a kind without one,
or a form its explainer does not know, gets the generic explanation read from its `LayerOut`. A
specific step is only kept when its result equals what the kind computed, so an explanation never
states a figure the tables do not. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from math import prod

from cnncalc.core import formulas as F
from cnncalc.core.kinds import KINDS, Shape
from cnncalc.core.kinds.worked import TOPICS, Ctx, Parts, Step, dots, n, no_weights
from cnncalc.core.memory import DTYPE_BYTES, LivePlan
from cnncalc.core.network import INPUT, PIXEL, RF, Layer, Network
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis

@dataclass(frozen=True)
class LayerExplanation:
    """The worked figures of one layer."""

    index: int  # 1-based, as in the tables
    name: str
    kind: str
    inputs: tuple[Shape, ...]
    output: Shape
    steps: tuple[Step, ...]
    generic: tuple[str, ...] = ()  # topics explained from the LayerOut alone (no dedicated explainer)


@dataclass(frozen=True)
class Change:
    """A layer that changes the spatial size: the size before and after, and the worked formula."""

    index: int
    name: str
    before: tuple[int, ...]
    after: tuple[int, ...]
    worked: str


@dataclass(frozen=True)
class Explanation:
    """A network's explanation: its layers' worked figures and the trail of spatial-size changes."""

    name: str
    input: Shape
    output: Shape
    dtype: str
    layers: tuple[LayerExplanation, ...]
    trail: tuple[Change, ...] = ()
    feature_map: Shape | None = None  # the last output that still has spatial axes, which the trail explains



class UnknownLayer(ValueError):
    """A --layer that names no layer; the message says what exists."""


CONV_LIKE = ("conv", "deconv", "depthwise", "separable")  # explained with their dense equivalent


# --- what every layer gets, read from its LayerOut ---------------------------------------------

def _generic(ctx: Ctx, topic: str) -> list[Step]:
    """A topic explained from the LayerOut alone: right for every kind, new ones included."""
    out, layer = ctx.layer.out, ctx.layer
    if topic == "output":
        if layer.input_shapes == (out.output,):
            return [Step("output", "output", "unchanged (the input's shape)", "", fmt_shape(out.output))]
        arrow = " and ".join(fmt_shape(s) for s in layer.input_shapes)
        return [Step("output", "output", f"as {layer.kind} computes it", f"{arrow} → {fmt_shape(out.output)}",
                     fmt_shape(out.output))]
    if topic == "params":
        return _generic_params(ctx)
    if topic == "macs":
        if not out.macs:
            return no_weights("")["macs"]
        return [Step("macs", "multiply-adds", f"as {layer.kind} counts them (bias excluded)", "", n(out.macs),
                     out.macs)]
    return []


def _generic_params(ctx: Ctx) -> list[Step]:
    out = ctx.layer.out
    total = out.trainable + out.non_trainable
    if not total:
        return [Step("params", "parameters", "none", "", "0", 0)]
    weights = [prod(w) for w in out.weights]
    parts = [dots(w) for w in out.weights]
    rest = out.trainable - sum(weights)
    if rest > 0:
        parts.append(n(rest))
    steps = [Step("params", "trainable", "weight tensors" + (" + biases" if rest > 0 else ""),
                  " + ".join(parts) if rest >= 0 and parts else "", n(out.trainable), out.trainable)]
    if out.non_trainable:
        steps.append(Step("params", "non-trainable", "statistics kept, not trained", "", n(out.non_trainable),
                          out.non_trainable))
        steps.append(Step("params", "parameters", "trainable + non-trainable",
                          f"{n(out.trainable)} + {n(out.non_trainable)}", n(total), total))
    return steps


def _agrees(topic: str, steps: list[Step], layer: Layer) -> bool:
    """Whether a specific explanation ends on the figure the kind computed."""
    out, last = layer.out, steps[-1] if steps else None
    if last is None:
        return False
    if topic == "output":
        return last.result == fmt_shape(out.output)
    if topic == "params":
        return last.value == out.trainable + out.non_trainable
    if topic == "macs":
        return last.value == out.macs
    return True


def _memory(ctx: Ctx) -> Step:
    shape, size = ctx.layer.out.output, DTYPE_BYTES[ctx.dtype]
    total = prod(shape) * size
    return Step("memory", "output memory", f"output values × {size} bytes ({ctx.dtype})",
                f"{dots(shape)} × {size}", f"{n(total)} B", total,
                (_binary(total),) if total >= 2 ** 10 else ())


def _binary(count: int) -> str:
    """Bytes in binary units, as the tables show memory (1 MiB = 2^20 bytes)."""
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if count >= scale:
            return f"{count / scale:,.2f} {unit}"
    return f"{count} B"


def _source_rf(network: Network, source: int) -> RF | None:
    if source == INPUT:
        return PIXEL if len(network.input) == 3 else None
    return network.layers[source].rf


def _rf_steps(ctx: Ctx) -> list[Step]:
    """The recurrence r' = r + (k − 1)·j, j' = j·s, p' = p + pad·j, per axis (once when the axes agree)."""
    layer = ctx.layer
    if layer.rf is None:
        return []
    if len(layer.sources) > 1:
        size = layer.rf.size
        return [Step("rf", "receptive field", "the largest of the merged paths", "",
                     "×".join(map(str, size)) if size[0] != size[1] else str(size[0]), size[0])]
    before, transform = _source_rf(ctx.network, layer.sources[0]), layer.out.rf
    if before is None:
        return []
    if transform is None:
        how = ("unchanged (each output reads the whole vector, whose every value already sees this field)"
               if len(ctx.shape) == 1 else "unchanged (each output sees one position of its input)")
        return [Step("rf", "receptive field", how, "", _rf_text(layer.rf), layer.rf.size[0],
                     _padding_note(ctx, layer.rf))]
    axes = [(before.size[i], before.jump[i], before.padding[i], *transform[i]) for i in (0, 1)]
    if (layer.rf.size, layer.rf.jump, layer.rf.padding) != tuple(
            tuple(v) for v in zip(*[(r + (k - 1) * j, j * s, p + q * j) for r, j, p, k, s, q in axes])):
        return [Step("rf", "receptive field", "composed through the layers", "", _rf_text(layer.rf))]
    names = ("height and width",) if axes[0] == axes[1] else ("height", "width")
    steps = []
    for name, (r, j, p, k, s, q) in zip(names, axes):
        suffix = f" ({name})" if len(names) > 1 else ""
        steps += [Step("rf", f"receptive field{suffix}", "r' = r + (k − 1)·j", f"{r} + ({k} − 1)·{j}",
                       str(r + (k - 1) * j), r + (k - 1) * j),
                  Step("rf", f"jump{suffix}", "j' = j·s", f"{j}·{s}", str(j * s), j * s),
                  Step("rf", f"effective padding{suffix}", "p' = p + pad·j", f"{p} + {q}·{j}", str(p + q * j), p + q * j)]
    note = _padding_note(ctx, layer.rf)
    if note:
        steps[0] = replace(steps[0], notes=note)
    return steps


def _padding_note(ctx: Ctx, rf: RF) -> tuple[str, ...]:
    """Why a receptive field can be larger than the input: it counts the zero padding around it."""
    spatial = ctx.network.input[:-1]
    if len(spatial) != len(rf.size) or all(r <= s for r, s in zip(rf.size, spatial)):
        return ()
    shown = "×".join(map(str, spatial))
    return (f"larger than the {shown} input: the field counts the zero padding around it (it starts "
            f"{rf.padding[0]} pixels before the first row); clipped to the image, it covers all of it",)


def _rf_text(rf: RF) -> str:
    if rf.size[0] == rf.size[1]:
        return f"r = {rf.size[0]}, jump {rf.jump[0]}"
    return f"r = {rf.size[0]}×{rf.size[1]}, jump {rf.jump[0]}×{rf.jump[1]}"


def _dense_equivalent(ctx: Ctx) -> Step:
    """What a dense layer from the same input to the same output would need, against the convolution."""
    inputs, outputs = prod(ctx.shape), prod(ctx.layer.out.output)
    total = F.dense_params(inputs, outputs)
    own = ctx.layer.out.trainable
    ratio = f"{total / own:,.0f} times" if own else "infinitely many times"
    return Step("dense", "as a dense layer", "N × M + M (N inputs, M outputs, a bias each)",
                f"{n(inputs)} × {n(outputs)} + {n(outputs)}", n(total), total,
                (f"{dots(ctx.shape)} = {n(inputs)} inputs to {dots(ctx.layer.out.output)} = {n(outputs)} outputs: "
                 f"{ratio} the convolution's {n(own)}, which shares one small kernel across every position",))


def explain_layer(ctx: Ctx) -> LayerExplanation:
    """The worked figures of one layer: its kind's explainer where it fits, the generic one elsewhere."""
    layer = ctx.layer
    parts: Parts = {}
    explainer = KINDS[layer.kind].explain
    if explainer is not None:
        try:
            parts = explainer(ctx)
        except (KeyError, IndexError, TypeError, ValueError):  # a form of the kind this explainer predates
            parts = {}
    generic = []
    for topic in ("output", "params", "macs"):
        if not _agrees(topic, parts.get(topic, []), layer):
            # Marked generic when the kind has no explainer or its explainer does not fit this form;
            # a topic an explainer leaves out (a norm's MACs) is simply what LayerOut says.
            if explainer is None or not parts or topic in parts:
                generic.append(topic)
            parts[topic] = _generic(ctx, topic)
    parts["memory"] = [_memory(ctx)]
    try:
        parts["rf"] = _rf_steps(ctx)
    except (IndexError, TypeError, ValueError):  # a receptive field of a form the recurrence here predates
        parts["rf"] = [Step("rf", "receptive field", "composed through the layers", "", str(layer.rf))]
    if layer.kind in CONV_LIKE:
        parts["dense"] = [_dense_equivalent(ctx)]
    steps = tuple(step for topic in TOPICS for step in parts.get(topic, []))
    return LayerExplanation(layer.index + 1, layer.name, layer.kind, layer.input_shapes, layer.output, steps,
                            tuple(generic))


# --- the network ------------------------------------------------------------------------------

def trail(network: Network, explained: dict[int, LayerExplanation]) -> tuple[Change, ...]:
    """Every layer that changes the spatial size, in order: VGG-16's 224 → 112 → 56 → 28 → 14 → 7."""
    changes = []
    for layer in network.layers:
        before, after = layer.input_shapes[0][:-1], layer.output[:-1]
        if len(before) < 1 or len(after) < 1 or before == after:
            continue
        worked = ""
        ex = explained.get(layer.index)
        sizes = [s for s in ex.steps if s.topic == "output" and s.worked] if ex else []
        if sizes:
            worked = f"{sizes[0].worked} = {sizes[0].result}"
        changes.append(Change(layer.index + 1, layer.name, tuple(before), tuple(after), worked))
    return tuple(changes)


def select(network: Network, wanted: list[str]) -> list[int]:
    """Indices (0-based) of the layers named or numbered (1-based); a block name selects its layers."""
    if not wanted:
        return list(range(len(network.layers)))
    chosen: list[int] = []
    names = [layer.name for layer in network.layers]
    for word in wanted:
        if word.isdigit():
            i = int(word)
            if not 1 <= i <= len(names):
                raise UnknownLayer(f"there is no layer {i}: the layers are numbered 1 to {len(names)}")
            found = [i - 1]
        else:
            found = [k for k, name in enumerate(names) if name == word or name.startswith(word + ".")]
        if not found:
            from cnncalc.core.problems import did_you_mean

            raise UnknownLayer(f"no layer is named {word!r}{did_you_mean(word, names)}; "
                               "`cnncalc shape --depth all` lists the names")
        chosen += [k for k in found if k not in chosen]
    return sorted(chosen)


def explain(network: Network, name: str, layers: list[str] | None = None, dtype: str = "float32",
            plan: LivePlan | None = None) -> Explanation:
    """Explain the chosen layers of a network (all when none is chosen); raises UnknownLayer. With the network's
    liveness (`core.memory.liveness`), the peak layer's explanation works out what is alive while it runs."""
    indices = select(network, layers or [])
    explained = {i: explain_layer(Ctx(network, network.layers[i], dtype)) for i in indices}
    if plan is not None:
        for i, layer in explained.items():
            if layer.name == plan.peak_layer:
                explained[i] = replace(layer, steps=_with_live(layer.steps, plan))
    maps = [layer.output for layer in network.layers if len(layer.output) > 1]
    changes = trail(network, explained) if not layers else ()
    return Explanation(name, network.input, network.layers[-1].output, dtype, tuple(explained.values()), changes,
                       maps[-1] if maps and changes else None)


def explain_analysis(analysis: Analysis, layers: list[str] | None = None, dtype: str = "float32") -> Explanation:
    """`explain` of an analysed network, with its liveness (the peak layer works out what is alive)."""
    from cnncalc.core.memory import liveness

    return explain(analysis.network, analysis.name, layers, dtype, liveness(analysis, 1, dtype))


def _with_live(steps: tuple[Step, ...], plan: LivePlan) -> tuple[Step, ...]:
    """The steps with the peak's liveness after the memory step: every tensor alive while the layer runs."""
    alive = plan.peak_alive
    live = Step("live", "live memory (the peak)", "Σ tensors alive while it runs (each freed after its last reader)",
                " + ".join(n(size) for _, size, _ in alive), f"{n(plan.peak_bytes)} B", plan.peak_bytes,
                tuple(f"{tensor}: {n(size)} B, {why}" for tensor, size, why in alive)
                + (f"the most of any layer at batch {plan.batch}; `cnncalc memory` gives the whole timeline",))
    at = max((k for k, step in enumerate(steps) if step.topic in ("memory", "macs", "params", "output")), default=-1)
    return steps[:at + 1] + (live,) + steps[at + 1:]


def kinds_without_explainer() -> list[str]:
    """Kinds explained by the generic fallback alone (activations, dropout, and any kind added later)."""
    return [name for name, kind in KINDS.items() if kind.explain is None]


__all__ = ["Change", "Ctx", "Explanation", "LayerExplanation", "Step", "UnknownLayer", "explain", "explain_analysis",
           "explain_layer", "kinds_without_explainer", "select"]

