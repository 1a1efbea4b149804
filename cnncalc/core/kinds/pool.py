"""Pooling: max, average and sum windows, global and adaptive pooling.

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.core.kinds.args import Arg, boolean, padding, pair
from math import prod

from cnncalc.core.kinds.base import Alloc, Call, Emitter, Extra, Kind, LayerOut, geometry, padded_then, ranked, \
    whole, window
from cnncalc.core.kinds.worked import Ctx, Parts, Step, no_weights, output_steps, shape_step, spatial_names, \
    window_axes, n
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _pool(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    pad = call.pads_per_axis("padding", len(sizes))
    ceil = call.args["ceil"] and pad != "same"
    geo = geometry(call, len(sizes), ceil)
    if not isinstance(pad, str):
        for i, p in enumerate(pad):
            k = geo.kernel[i // 2]
            if p * 2 > k:
                raise call.fail("invalid-value", f"padding {p} is more than half the kernel ({k}); PyTorch "
                                "refuses it, since a window would see only padding", "padding")
    if len(sizes) == 3 and call.kind != "maxpool" and not isinstance(pad, str) \
            and any(n < k for n, k in zip(sizes, geo.kernel)):
        # PyTorch's AvgPool3d (unlike its 1-D and 2-D pools) wants the unpadded input to hold the kernel;
        # `same` padding is explicit padding before the pool (TensorFlow's), which always holds it.
        raise call.fail("kernel-too-large", f"the kernel {fmt_shape(geo.kernel)} is larger than the input "
                        f"{fmt_shape(sizes)} on some axis, which PyTorch's AvgPool3d refuses even with padding; "
                        "use a smaller kernel or a larger input", "kernel")
    win = window(call, sizes, geo)
    return LayerOut(win.out + (c,), rf=win.rf(geo), warnings=win.warnings, uneven=win.uneven)


def _global_pool(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    return LayerOut((1,) * len(sizes) + (c,), rf=whole(call.inputs[0]))


def _adaptive_pool(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    out = call.per_axis("output", len(sizes))
    # PyTorch's windows run from ⌊i·H/out⌋ to ⌈(i+1)·H/out⌉: one size and stride (H/out) only when
    # out divides H; otherwise they vary and overlap, so no receptive field describes the output.
    if any(n % o for n, o in zip(sizes, out)):
        return LayerOut(out + (c,), breaks_rf=True)
    return LayerOut(out + (c,), rf=tuple((n // o, n // o, 0) for n, o in zip(sizes, out)))


# --- explained -----------------------------------------------------------------------------------

def _explain_pool(ctx: Ctx) -> Parts:
    a = ctx.args
    stride = a["stride"] if a["stride"] is not None else a["kernel"]
    axes = window_axes(ctx, stride, a["ceil"] and a["padding"] != "same")
    c = ctx.shape[-1]
    channels = Step("output", "channels", "C (each channel pooled on its own)", "", n(c), c)
    return {"output": output_steps(ctx, axes, channels), **no_weights("a pooling window has no weights")}


def _explain_global_pool(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    shape = (1,) * len(spatial) + (c,)
    how = "averaged" if ctx.layer.kind.startswith("globalavg") else "the largest"
    step = shape_step("output", "1 × … × 1 × C (one value per channel)",
                       f"each {fmt_shape(tuple(spatial))} map → one value ({how})", shape)
    return {"output": [step], **no_weights("pooling has no weights")}


def _explain_adaptive_pool(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    out = ctx.args["output"]
    steps = []
    for name, size, o in zip(spatial_names(len(spatial)), spatial, out):
        if size % o:
            steps.append(Step("output", name, "given", "", str(o), o,
                              (f"{size}/{o} is not whole: windows ⌊i·H/out⌋ to ⌈(i+1)·H/out⌉ vary and overlap",)))
        else:
            steps.append(Step("output", name, "given; window = stride = H/out", f"{size}/{o} = {size // o}",
                              str(o), o))
    steps.append(shape_step("output", "given × C", "", tuple(out) + (c,)))
    return {"output": steps, **no_weights("pooling has no weights")}


# --- as PyTorch ----------------------------------------------------------------------------------

def _emit_pool(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    kind = e.kind
    stride = e.pair("stride") if e.layer.args["stride"] is not None or "stride" in e.exprs else e.pair("kernel")
    fill = "-math.inf" if kind == "maxpool" else "0.0"
    cls = f"nn.MaxPool{nd}" if kind == "maxpool" else f"nn.AvgPool{nd}"
    # A sum pool is an average pool that divides by 1.
    extra = ", divisor_override=1" if kind == "sumpool" else ""
    ceil = e.fixed("ceil") and e.fixed("padding") != "same"  # cnncalc ignores `ceil` with `same`
    symmetric = e.symmetric_padding()
    if symmetric is not None or not ceil:
        pre, pad = e.padded(stride, "1", fill)
        pool = (f"{cls}({e.pair('kernel')}, stride={stride}{e.kw('padding', pad, '0')}"
                f"{e.kw('ceil_mode', str(ceil), 'False')}{extra})")
        return e.sequential(pre + [pool]), e.channels[0]
    pads = e.pads("padding")
    assert not isinstance(pads, str)
    begins, ends = pads[::2], pads[1::2]
    if any(b < a for b, a in zip(begins, ends)):
        raise e.fail("ceil pooling with more padding at the end than at the start of an axis has no PyTorch form")
    # The leading padding beyond the trailing one is padded explicitly; PyTorch pads the rest on both sides.
    e.helpers.add("Pad")
    lead = f"Pad({e.literal(e.torch_pads(tuple(v for b, a in zip(begins, ends) for v in (b - a, 0))))}, value={fill})"
    trailing = e.literal(ends[0] if len(set(ends)) == 1 else tuple(ends))
    pool = f"{cls}({e.pair('kernel')}, stride={stride}, padding={trailing}, ceil_mode=True{extra})"
    return e.sequential([lead, pool]), e.channels[0]


def _global(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        return f"{module}{e.feature_map()}(1)", e.channels[0]
    return emit


def _adaptive(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        return f"{module}{e.feature_map()}({e.pair('output')})", e.channels[0]
    return emit


def _pool_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # a max pool pads with −∞ through its own module; an average pool's `same` at stride 1 is PyTorch's own.
    # Both save their input; a max pool also its int64 indices, one per output value.
    allocs = padded_then(call, out, 1, stride_one_same=call.kind != "maxpool")
    if call.kind == "maxpool":
        allocs = allocs[:-1] + (allocs[-1]._replace(extra=(Extra(prod(out.output), 8),)),)
    return allocs


def _global_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # AdaptiveAvgPool(1) is a mean, which saves nothing; AdaptiveMaxPool(1) saves its input and int64 indices
    if call.kind == "globalavgpool":
        return (Alloc(prod(out.output), ("in0",)),)
    return (Alloc(prod(out.output), ("in0",), saves=("in0",), extra=(Extra(prod(out.output), 8),)),)


def _adaptive_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # an output of 1 per axis is a mean (nothing saved); otherwise the input (and a max pool's indices)
    if call.kind == "adaptiveavgpool" and all(d == 1 for d in out.output[:-1]):
        return (Alloc(prod(out.output), ("in0",)),)
    extra = (Extra(prod(out.output), 8),) if call.kind == "adaptivemaxpool" else ()
    return (Alloc(prod(out.output), ("in0",), saves=("in0",), extra=extra),)


_POOL = {"kernel": Arg(pair), "stride": Arg(pair, None, "kernel"), "padding": Arg(padding, (0, 0, 0, 0)),
         "ceil": Arg(boolean, False)}

KINDS = [
    *(Kind(name, _pool, _POOL, "kernel", ranked(name) if name != "sumpool" else (), summary=name[:-4] + " pooling",
           explain=_explain_pool, emit=_emit_pool, category="pooling", storage=_pool_storage)
      for name in ("maxpool", "avgpool", "sumpool")),
    Kind("globalavgpool", _global_pool, {}, None, ranked("globalavgpool"), summary="global average pooling to 1×1×C",
         explain=_explain_global_pool, emit=_global("nn.AdaptiveAvgPool"), category="pooling", storage=_global_storage),
    Kind("globalmaxpool", _global_pool, {}, None, ranked("globalmaxpool"), summary="global max pooling to 1×1×C",
         explain=_explain_global_pool, emit=_global("nn.AdaptiveMaxPool"), category="pooling", storage=_global_storage),
    Kind("adaptiveavgpool", _adaptive_pool, {"output": Arg(pair)}, "output", ranked("adaptiveavgpool"),
         summary="adaptive average pooling", explain=_explain_adaptive_pool, emit=_adaptive("nn.AdaptiveAvgPool"),
         category="pooling", storage=_adaptive_storage),
    Kind("adaptivemaxpool", _adaptive_pool, {"output": Arg(pair)}, "output", ranked("adaptivemaxpool"),
         summary="adaptive max pooling", explain=_explain_adaptive_pool, emit=_adaptive("nn.AdaptiveMaxPool"),
         category="pooling", storage=_adaptive_storage),
]
