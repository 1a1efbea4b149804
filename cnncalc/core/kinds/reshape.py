"""Layers that move values without weights: zero padding, cropping, upsampling, flatten, and the
channel selections (shuffle, slice, split).

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from math import prod

from cnncalc.core.kinds.args import UPSAMPLE_RANK, Arg, axis_order, channel_range, nonneg_int, padding, pair, \
    positive_int, target_shape, upsample_mode
from cnncalc.core.kinds.base import Call, Emitter, Kind, LayerOut, a_view, divides, helper_module, ranked, same_positions, whole
from cnncalc.core.kinds.worked import Ctx, Parts, Step, dots, no_weights, shape_step, spatial_names
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _zeropad(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    pad = call.pads_per_axis("padding", len(sizes))
    if isinstance(pad, str):
        raise call.fail("invalid-value", "zeropad takes pixel counts, not `same`", "padding")
    out = tuple(n + pad[2 * i] + pad[2 * i + 1] for i, n in enumerate(sizes))
    before = call.margins or ((0, 0),) * len(sizes)
    margins = tuple((mb + pad[2 * i], me + pad[2 * i + 1]) for i, (mb, me) in enumerate(before))
    return LayerOut(out + (c,), rf=tuple((1, 1, pad[2 * i]) for i in range(len(sizes))), margins=margins)


def _upsample(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    rank = len(sizes)
    scale, size, mode = call.args["scale"], call.args["size"], call.args["mode"]
    if size is not None and scale is not None:
        raise call.fail("invalid-value", "give either `scale` or `size`, not both", "size")
    if UPSAMPLE_RANK.get(mode, rank) != rank:
        fitting = [m for m, r in UPSAMPLE_RANK.items() if r == rank]
        raise call.fail("invalid-value", f"mode {mode} is for {UPSAMPLE_RANK[mode]}-D inputs, but this input is "
                        f"{fmt_shape(call.inputs[0])} ({rank}-D); use `mode: {fitting[0]}` or `nearest`", "mode")
    if size is not None:
        return LayerOut(call.per_axis("size", rank) + (c,), breaks_rf=True)
    factors = call.per_axis("scale", rank) if scale is not None else (2,) * rank
    return LayerOut(tuple(n * f for n, f in zip(sizes, factors)) + (c,), breaks_rf=True)


def _crop(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    crop = call.pads_per_axis("cropping", len(sizes))
    if isinstance(crop, str):
        raise call.fail("invalid-value", "crop takes pixel counts, not `same`", "cropping")
    out = tuple(n - crop[2 * i] - crop[2 * i + 1] for i, n in enumerate(sizes))
    if min(out) < 1:
        removed = "×".join(str(crop[2 * i] + crop[2 * i + 1]) for i in range(len(sizes)))
        raise call.fail("empty-output", f"cropping {removed} pixels from {fmt_shape(sizes)} leaves "
                        f"{fmt_shape(out)}; crop less", "cropping")
    before = call.margins or ((0, 0),) * len(sizes)
    margins = tuple((max(mb - crop[2 * i], 0), max(me - crop[2 * i + 1], 0)) for i, (mb, me) in enumerate(before))
    return LayerOut(out + (c,), rf=tuple((1, 1, -crop[2 * i]) for i in range(len(sizes))),
                    margins=margins if any(map(any, margins)) else ())


def _flatten(call: Call) -> LayerOut:
    shape = call.inputs[0]
    n = 1
    for d in shape:
        n *= d
    return LayerOut((n,), rf=whole(shape))

def _reshape(call: Call) -> LayerOut:
    # Values keep their order in the channels-last layout of one sample (the batch axis is not written):
    # [H, W, C] -> [-1, C] makes H·W tokens of C channels (a transformer's sequence, YOLOv8's anchors).
    shape, target = call.inputs[0], call.args["shape"]
    total = prod(shape)
    known = prod(d for d in target if d != -1)
    if -1 in target:
        if total % known:
            raise call.fail("invalid-value", f"{fmt_shape(shape)} has {total:,} values, which "
                            f"{'×'.join('?' if d == -1 else str(d) for d in target)} cannot hold: {known:,} does not "
                            "divide it", "shape")
        target = tuple(total // known if d == -1 else d for d in target)
    elif known != total:
        raise call.fail("invalid-value", f"{fmt_shape(shape)} has {total:,} values but {fmt_shape(target)} holds "
                        f"{known:,}; a reshape keeps every value (write -1 for the axis to work out)", "shape")
    return LayerOut(target, breaks_rf=True)


def _permute(call: Call) -> LayerOut:
    # PyTorch's permute over the axes of one sample, channels last: [1, 0] on tokens × channels gives
    # channels × tokens (what a channels-first framework prints as [tokens, channels]).
    shape, order = call.inputs[0], call.args["order"]
    if len(order) != len(shape):
        raise call.fail("invalid-value", f"order has {len(order)} axes but the input {fmt_shape(shape)} has "
                        f"{len(shape)}; give each of its axes once, counted from 0", "order")
    return LayerOut(tuple(shape[a] for a in order), breaks_rf=True)


def _shuffle(call: Call) -> LayerOut:
    divides(call, call.args["groups"], "groups", "groups")
    return same_positions(call)


def _take(call: Call, start: int, stop: int) -> LayerOut:
    shape = call.inputs[0]
    return LayerOut(shape[:-1] + (stop - start,), margins=call.margins)


def _slice(call: Call) -> LayerOut:
    c = call.channels()
    start, stop = call.args["channels"]
    if stop > c:
        raise call.fail("invalid-channels", f"channels [{start}, {stop}] reach past the {c} input channels "
                        f"(0 to {c - 1}); use a stop of at most {c}", "channels")
    return _take(call, start, stop)


def _split(call: Call) -> LayerOut:
    parts, index = call.args["parts"], call.args["index"]
    c = divides(call, parts, "equal parts", "parts", "invalid-channels")
    if index >= parts:
        raise call.fail("invalid-channels", f"index {index} is not one of the {parts} parts (0 to {parts - 1}); "
                        f"use an index below {parts}", "index")
    size = c // parts
    return _take(call, index * size, (index + 1) * size)


# --- explained -----------------------------------------------------------------------------------

def _explain_flatten(ctx: Ctx) -> Parts:
    total = prod(ctx.shape)
    step = Step("output", "output", "product of the dimensions", dots(ctx.shape), str(total), total,
                ("every value becomes one input feature of what follows",))
    return {"output": [step], **no_weights("a reshape has no weights")}


def _explain_border(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    pads = ctx.args["padding" if ctx.layer.kind == "zeropad" else "cropping"]
    sign = "+" if ctx.layer.kind == "zeropad" else "−"
    steps = []
    for i, (name, size) in enumerate(zip(spatial_names(len(spatial)), spatial)):
        b, e = pads[2 * i], pads[2 * i + 1]
        o = size + b + e if sign == "+" else size - b - e
        steps.append(Step("output", name, f"H {sign} Pb {sign} Pe", f"{size} {sign} {b} {sign} {e}", str(o), o))
    out = tuple(s.value or 0 for s in steps) + (c,)
    return {"output": [*steps, shape_step("output", "output", "", out)], **no_weights("a reshape has no weights")}


def _explain_upsample(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    scale, size = ctx.args["scale"], ctx.args["size"]
    steps = []
    for i, (name, h) in enumerate(zip(spatial_names(len(spatial)), spatial)):
        if size is not None:
            steps.append(Step("output", name, "given", "", str(size[i]), size[i]))
        else:
            s = scale[i] if scale is not None else 2
            steps.append(Step("output", name, "H·scale", f"{h}·{s}", str(h * s), h * s))
    out = tuple(s.value or 0 for s in steps) + (c,)
    return {"output": [*steps, shape_step("output", "output", "", out)],
            **no_weights("upsampling repeats or interpolates values; it has no weights")}


# --- as PyTorch ----------------------------------------------------------------------------------

def _emit_zeropad(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    e.fixed("padding")
    pad = e.pads("padding")
    assert not isinstance(pad, str)
    return f"nn.ZeroPad{nd}({e.literal(e.torch_pads(pad))})", e.channels[0]


def _emit_crop(e: Emit) -> tuple[str, str]:
    e.feature_map()
    e.helpers.add("Crop")
    e.fixed("cropping")
    crop = e.pads("cropping")
    assert not isinstance(crop, str)
    return f"Crop({', '.join(str(v) for v in crop)})", e.channels[0]


def _emit_upsample(e: Emit) -> tuple[str, str]:
    e.feature_map()
    mode = e.fixed("mode")
    if e.layer.args["size"] is not None:
        return f"nn.Upsample(size={e.pair('size')}, mode={e.literal(mode)})", e.channels[0]
    if e.layer.args["scale"] is None and "scale" not in e.exprs:
        return f"nn.Upsample(scale_factor=2.0, mode={e.literal(mode)})", e.channels[0]
    if "scale" in e.exprs:
        return f"nn.Upsample(scale_factor={e.exprs['scale']}, mode={e.literal(mode)})", e.channels[0]
    scale = [float(v) for v in e.axes("scale")]
    factor = e.literal(scale[0]) if len(set(scale)) == 1 else e.literal(tuple(scale))
    return f"nn.Upsample(scale_factor={factor}, mode={e.literal(mode)})", e.channels[0]


def _emit_flatten(e: Emit) -> tuple[str, str]:
    sizes = {_count(other.input_shapes[0]) for other in e.instances}
    if len(sizes) != 1:
        raise e.fail("flatten gives a different length in different uses of its block; flatten outside the block")
    return "nn.Flatten()", e.literal(sizes.pop())


def _emit_layout(module: str, arg: str) -> Emitter:
    """Reshape(shape) or Permute(order): the same in every use of a block, channels from the output."""
    def emit(e: Emit) -> tuple[str, str]:
        outputs = {other.output for other in e.instances}
        if len(outputs) != 1:
            raise e.fail(f"{module.lower()} gives different shapes in different uses of its block; write it "
                         "outside the block")
        e.helpers.add(module)
        return f"{module}({e.literal(e.layer.args[arg])})", e.literal(e.layer.output[-1])
    return emit


RESHAPE = '''
class Reshape(nn.Module):
    """A reshape of one sample's channels-last values (cnncalc's layout), the batch axis kept."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        last = x.movedim(1, -1) if x.dim() > 2 else x
        out = last.reshape(x.shape[0], *self.shape)
        return out.movedim(-1, 1) if out.dim() > 2 else out
'''

PERMUTE = '''
class Permute(nn.Module):
    """A permutation of one sample's channels-last axes (cnncalc's layout), the batch axis kept."""

    def __init__(self, order):
        super().__init__()
        self.order = tuple(order)

    def forward(self, x):
        last = x.movedim(1, -1) if x.dim() > 2 else x
        out = last.permute(0, *(a + 1 for a in self.order))
        return out.movedim(-1, 1) if out.dim() > 2 else out
'''


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n

def _emit_slice(e: Emit) -> tuple[str, str]:
    e.helpers.add("Channels")
    if "channels" in e.exprs:
        start, stop = f"{e.exprs['channels']}[0]", f"{e.exprs['channels']}[1]"
        return f"Channels(*{e.exprs['channels']})", f"{stop} - {start}"
    start, stop = e.layer.args["channels"]
    return f"Channels({start}, {stop})", str(stop - start)


def _emit_split(e: Emit) -> tuple[str, str]:
    e.helpers.add("Channels")
    parts = e.code("parts")
    return f"Channels(parts={parts}{e.kw('index', e.code('index'), '0')})", f"{e.group(e.channels[0])} // {e.group(parts)}"


CHANNEL_SHUFFLE = '''
class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: view the channels as groups x (C / groups) and transpose."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c = x.shape[:2]
        rest = x.shape[2:]
        return x.reshape(n, self.groups, c // self.groups, *rest).transpose(1, 2).reshape(n, c, *rest)
'''

CHANNELS = '''
class Channels(nn.Module):
    """Channels start to stop - 1 (stop None: the last), or part `index` of `parts` equal parts."""

    def __init__(self, start=0, stop=None, parts=None, index=0):
        super().__init__()
        self.start, self.stop, self.parts, self.index = start, stop, parts, index

    def forward(self, x):
        if self.parts is not None:
            size = x.shape[1] // self.parts
            return x[:, self.index * size:(self.index + 1) * size]
        return x[:, self.start:self.stop]
'''

def _space_to_depth(call: Call) -> LayerOut:
    # PyTorch's PixelUnshuffle, TensorFlow's space_to_depth, Darknet's [reorg]: each block×block patch of
    # positions becomes block² times the channels at one position.
    (h, w, c), b = call.feature_map(), call.args["block"]
    if h % b or w % b:
        raise call.fail("invalid-value", f"block {b} does not divide the {h}×{w} input; use a block that divides "
                        f"both (or pad the input to a multiple of {b})", "block")
    return LayerOut((h // b, w // b, c * b * b), rf=((b, b, 0), (b, b, 0)))  # a b×b window at stride b


def _depth_to_space(call: Call) -> LayerOut:
    # PyTorch's PixelShuffle, TensorFlow's depth_to_space: channels regrouped into block×block positions.
    (h, w, c), b = call.feature_map(), call.args["block"]
    if c % (b * b):
        raise call.fail("invalid-channels", f"block {b} needs channels divisible by {b * b}, but the input has {c}; "
                        f"give the layer before it a multiple of {b * b} channels", "block")
    return LayerOut((h * b, w * b, c // (b * b)), breaks_rf=True)


def _emit_space_to_depth(e: Emit) -> tuple[str, str]:
    e.feature_map()
    block = e.code("block")
    return f"nn.PixelUnshuffle({block})", f"{e.group(e.channels[0])} * {e.group(block)} ** 2"


def _emit_depth_to_space(e: Emit) -> tuple[str, str]:
    e.feature_map()
    block = e.code("block")
    return f"nn.PixelShuffle({block})", f"{e.group(e.channels[0])} // {e.group(block)} ** 2"


KINDS = [
    Kind("zeropad", _zeropad, {"padding": Arg(padding)}, "padding", ranked("zeropad"), summary="zero padding",
         explain=_explain_border, emit=_emit_zeropad),
    Kind("upsample", _upsample, {"scale": Arg(pair, None, "2"), "size": Arg(pair, None),
                                 "mode": Arg(upsample_mode, "nearest")}, "scale", ranked("upsample"),
         summary="upsampling", explain=_explain_upsample, emit=_emit_upsample),
    Kind("crop", _crop, {"cropping": Arg(padding)}, "cropping", ranked("crop"), summary="cropping",
         explain=_explain_border, emit=_emit_crop, storage=a_view),
    Kind("flatten", _flatten, {}, summary="flatten to a vector", explain=_explain_flatten, emit=_emit_flatten,
         storage=a_view),
    Kind("reshape", _reshape, {"shape": Arg(target_shape)}, "shape", ("view",),
         summary="reshape one sample's values (channels last): [-1, C] makes tokens", emit=_emit_layout("Reshape", "shape"),
         helpers=(("Reshape", RESHAPE),), storage=a_view),
    Kind("permute", _permute, {"order": Arg(axis_order)}, "order", ("transpose",),
         summary="reorder the axes of one sample (channels last): [1, 0] swaps tokens and channels",
         emit=_emit_layout("Permute", "order"), helpers=(("Permute", PERMUTE),)),
    Kind("spacetodepth", _space_to_depth, {"block": Arg(positive_int)}, "block", ("pixelunshuffle", "reorg"),
         summary="space to depth: block×block positions become channels (PixelUnshuffle, Darknet's reorg)",
         emit=_emit_space_to_depth),
    Kind("depthtospace", _depth_to_space, {"block": Arg(positive_int)}, "block", ("pixelshuffle",),
         summary="depth to space: channels become block×block positions (PixelShuffle)", emit=_emit_depth_to_space),
    Kind("shuffle", _shuffle, {"groups": Arg(positive_int)}, "groups", ("channelshuffle",),
         summary="channel shuffle (ShuffleNet)", emit=helper_module("ChannelShuffle", "groups"),
         helpers=(("ChannelShuffle", CHANNEL_SHUFFLE),)),
    Kind("slice", _slice, {"channels": Arg(channel_range)}, "channels", summary="a range of channels",
         emit=_emit_slice, helpers=(("Channels", CHANNELS),), storage=a_view),
    Kind("split", _split, {"parts": Arg(positive_int), "index": Arg(nonneg_int, 0)}, "parts",
         summary="one of equal parts of the channels", emit=_emit_split, helpers=(("Channels", CHANNELS),),
         storage=a_view),
]
