"""Convolutions: conv (1-D, 2-D, 3-D, grouped, dilated), depthwise, separable and transposed.

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING

from cnncalc.core import formulas as F
from cnncalc.core.kinds.args import Arg, activation, boolean, nonneg_pair, padding, pair, positive_int
from cnncalc.core.kinds.base import Alloc, Call, Kind, LayerOut, activation_alloc, fused, geometry, padded_then, ranked, \
    weight_and_bias, window
from cnncalc.core.kinds.worked import Ctx, Parts, Step, dots, n, output_steps, window_axes
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ------------------------------------------------------------------

def _conv(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    a = call.args
    filters, groups = a["filters"], a["groups"]
    if c % groups:
        raise call.fail("invalid-groups", f"groups={groups} does not divide the {c} input channels; "
                        f"choose a divisor of {c}", "groups")
    if filters % groups:
        raise call.fail("invalid-groups", f"groups={groups} does not divide the {filters} filters; "
                        f"choose a divisor of {filters}", "groups")
    geo = geometry(call, len(sizes))
    win = window(call, sizes, geo)
    return LayerOut(
        win.out + (filters,),
        trainable=F.conv_params(c, filters, geo.kernel, groups, a["bias"]) + (filters if a["gain"] else 0),
        macs=F.conv_macs(win.out, c, filters, geo.kernel, groups),
        weights=(geo.kernel + (c // groups, filters),),
        rf=win.rf(geo),
        warnings=win.warnings,
        uneven=win.uneven,
    )


def _depthwise(call: Call, bias: bool | None = None) -> LayerOut:
    sizes, c = call.spatial()
    a = call.args
    m = a["multiplier"]
    geo = geometry(call, len(sizes))
    win = window(call, sizes, geo)
    return LayerOut(
        win.out + (c * m,),
        trainable=F.conv_params(c, c * m, geo.kernel, c, a["bias"] if bias is None else bias),
        macs=F.conv_macs(win.out, c, c * m, geo.kernel, c),
        weights=(geo.kernel + (1, c * m),),
        rf=win.rf(geo),
        warnings=win.warnings,
        uneven=win.uneven,
    )


def _separable(call: Call) -> LayerOut:
    # Keras SeparableConv2D: an unbiased depthwise part, then a pointwise 1×1 part with the bias.
    out = _depthwise(call, bias=False)
    cm = out.output[-1]
    ones = (1,) * (len(out.output) - 1)
    filters = call.args["filters"]
    return out._replace(output=out.output[:-1] + (filters,),
                        trainable=out.trainable + F.conv_params(cm, filters, ones, 1, call.args["bias"]),
                        macs=out.macs + F.conv_macs(out.output[:-1], cm, filters, ones, 1),
                        weights=out.weights + (ones + (cm, filters),))


def _deconv(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    a = call.args
    filters, groups = a["filters"], a["groups"]
    if c % groups or filters % groups:
        bad = c if c % groups else filters
        raise call.fail("invalid-groups", f"groups={groups} does not divide {bad} ("
                        f"{'input channels' if c % groups else 'filters'}); choose a divisor", "groups")
    rank = len(sizes)
    kernel, stride, dilation = (call.per_axis(arg, rank) for arg in ("kernel", "stride", "dilation"))
    extra = call.per_axis("output_padding", rank)
    for op, s, d in zip(extra, stride, dilation):
        if op >= s and op >= d:
            raise call.fail("invalid-value", f"output_padding {op} must be smaller than the stride ({s}) or the "
                            f"dilation ({d}), as in PyTorch", "output_padding")
    pad = call.pads_per_axis("padding", rank)
    if isinstance(pad, str):  # same
        if any(extra):
            raise call.fail("invalid-value", "output_padding cannot be combined with `padding: same`",
                            "output_padding")
        out = tuple(n * s for n, s in zip(sizes, stride))
    else:
        windows = [F.Window(kernel[i], stride[i], pad[2 * i], pad[2 * i + 1], dilation[i]) for i in range(rank)]
        out = tuple(F.deconv_output_size(sizes[i], windows[i], extra[i]) for i in range(rank))
        if min(out) < 1:
            raise call.fail("empty-output", f"the output would be {fmt_shape(out)}; use less padding", "padding")
    return LayerOut(
        out + (filters,),
        trainable=F.conv_params(c, filters, kernel, groups, a["bias"]),
        macs=F.deconv_macs(sizes, c, filters, kernel, groups),
        weights=(kernel + (filters // groups, c),),
        breaks_rf=True,
    )


# --- explained -------------------------------------------------------------------------------

def _explain_conv(ctx: Ctx) -> Parts:
    a, c = ctx.args, ctx.shape[-1]
    f, g = a["filters"], a.get("groups", 1)
    transposed = ctx.layer.kind == "deconv"
    axes = window_axes(ctx, a["stride"], False, transposed)
    kernel, out_sp = a["kernel"], [x.out_size for x in axes]
    per = f"{dots(kernel)}·{n(c)}" + (f"/{g}" if g > 1 else "")
    sym = f"{'·'.join('k' * len(kernel))}·C" + ("/groups" if g > 1 else "")
    total = F.conv_params(c, f, tuple(kernel), g, a["bias"])
    params = (Step("params", "parameters", f"F × ({sym} + 1)", f"{n(f)} × ({per} + 1)", n(total), total)
              if a["bias"] else Step("params", "parameters", f"F × {sym}", f"{n(f)} × {per}", n(total), total))
    if transposed:
        in_sp = ctx.shape[:-1]
        macs = F.deconv_macs(tuple(in_sp), c, f, tuple(kernel), g)
        mac = Step("macs", "multiply-adds", "in_positions·C × F/groups·k (each input scatters a kernel)",
                   f"{dots(in_sp)}·{n(c)} × {n(f)}{f'/{g}' if g > 1 else ''}·{dots(kernel)}", n(macs), macs)
    else:
        macs = F.conv_macs(tuple(out_sp), c, f, tuple(kernel), g)
        mac = Step("macs", "multiply-adds", f"out_positions·F × {sym}", f"{dots(out_sp)}·{n(f)} × {per}",
                   n(macs), macs)
    channels = Step("output", "channels", "F (one map per filter)", "", n(f), f)
    steps = [params]
    if a.get("gain"):  # a weight-standardised convolution's learnable scale per filter (NF-Nets)
        steps += [Step("params", "gain", "F (one scale per filter of the standardised weights)", "", n(f), f),
                  Step("params", "parameters", "weights and bias + gain", f"{n(total)} + {n(f)}", n(total + f),
                       total + f)]
    return {"output": output_steps(ctx, axes, channels), "params": steps, "macs": [mac]}


def _explain_depthwise(ctx: Ctx) -> Parts:
    a, c = ctx.args, ctx.shape[-1]
    m = a.get("multiplier", 1)
    axes = window_axes(ctx, a["stride"], False)
    kernel, out_sp = a["kernel"], [x.out_size for x in axes]
    cm = c * m
    depth_bias = a["bias"] and ctx.layer.kind == "depthwise"
    dw = F.conv_params(c, cm, tuple(kernel), c, depth_bias)  # one filter group per input channel
    steps = [Step("params", "depthwise parameters", "C·m × (k·k + 1)" if depth_bias else "C·m × k·k",
                  f"{n(c)}·{m} × ({dots(kernel)} + 1)" if depth_bias else f"{n(c)}·{m} × {dots(kernel)}", n(dw), dw)]
    dw_macs = F.conv_macs(tuple(out_sp), c, cm, tuple(kernel), c)
    macs = [Step("macs", "depthwise multiply-adds", "out_positions·C·m × k·k",
                 f"{dots(out_sp)}·{n(cm)} × {dots(kernel)}", n(dw_macs), dw_macs)]
    out_c = cm
    if ctx.layer.kind == "separable":
        f = a["filters"]
        ones = (1,) * len(kernel)
        pw = F.conv_params(cm, f, ones, 1, a["bias"])
        steps += [Step("params", "pointwise parameters", "F × (C·m + 1)" if a["bias"] else "F × C·m",
                       f"{n(f)} × ({n(cm)} + 1)" if a["bias"] else f"{n(f)} × {n(cm)}", n(pw), pw),
                  Step("params", "parameters", "depthwise + pointwise", f"{n(dw)} + {n(pw)}", n(dw + pw), dw + pw)]
        pw_macs = F.conv_macs(tuple(out_sp), cm, f, ones, 1)
        macs += [Step("macs", "pointwise multiply-adds", "out_positions·F × C·m", f"{dots(out_sp)}·{n(f)} × {n(cm)}",
                      n(pw_macs), pw_macs),
                 Step("macs", "multiply-adds", "depthwise + pointwise", f"{n(dw_macs)} + {n(pw_macs)}",
                      n(dw_macs + pw_macs), dw_macs + pw_macs)]
        out_c = f
    channels = Step("output", "channels", "F" if ctx.layer.kind == "separable" else "C·m (m maps per channel)",
                    "" if ctx.layer.kind == "separable" else f"{n(c)}·{m}", n(out_c), out_c)
    return {"output": output_steps(ctx, axes, channels), "params": steps, "macs": macs}


# --- as PyTorch -------------------------------------------------------------------------------

def _emit_conv(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    stride = e.pair("stride")
    pre, pad = e.padded(stride, e.pair("dilation"))
    module = f"nn.Conv{nd}"
    standardize, gain = e.fixed("standardize"), e.fixed("gain")
    if standardize or gain:
        e.helpers.add("StdConv")
        module = f"StdConv{nd}"
        e.helpers.add(module)
    conv = (f"{module}({e.channels[0]}, {e.code('filters')}, {e.pair('kernel')}{e.kw('stride', stride, '1')}"
            f"{e.kw('padding', pad, '0')}{e.kw('dilation', e.pair('dilation'), '1')}"
            f"{e.kw('groups', e.code('groups'), '1')}{e.kw('bias', e.code('bias'), 'True')}"
            f"{', gain=True' if e.layer.args['gain'] else ''})")
    return e.with_activation(pre + [conv]), e.code("filters")


def _emit_depthwise(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    c, stride = e.channels[0], e.pair("stride")
    multiplier = e.code("multiplier")
    out = c if multiplier == "1" else f"{e.group(c)} * {e.group(multiplier)}"
    pre, pad = e.padded(stride, e.pair("dilation"))
    conv = (f"nn.Conv{nd}({c}, {out}, {e.pair('kernel')}{e.kw('stride', stride, '1')}{e.kw('padding', pad, '0')}"
            f"{e.kw('dilation', e.pair('dilation'), '1')}, groups={c}{e.kw('bias', e.code('bias'), 'True')})")
    return e.with_activation(pre + [conv]), out


def _emit_separable(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    e.helpers.add("SeparableConv")
    stride = e.pair("stride")
    pre, pad = e.padded(stride, e.pair("dilation"))
    conv = (f"SeparableConv({e.channels[0]}, {e.code('filters')}, {e.pair('kernel')}{e.kw('stride', stride, '1')}"
            f"{e.kw('padding', pad, '0')}{e.kw('dilation', e.pair('dilation'), '1')}"
            f"{e.kw('multiplier', e.code('multiplier'), '1')}{e.kw('bias', e.code('bias'), 'True')}"
            f"{e.kw('rank', nd[0], '2')})")
    return e.with_activation(pre + [conv]), e.code("filters")


def _emit_deconv(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    c, filters = e.channels[0], e.code("filters")
    head = f"nn.ConvTranspose{nd}({c}, {filters}, {e.pair('kernel')}{e.kw('stride', e.pair('stride'), '1')}"
    tail = (f"{e.kw('groups', e.code('groups'), '1')}{e.kw('bias', e.code('bias'), 'True')}"
            f"{e.kw('dilation', e.pair('dilation'), '1')})")
    symmetric = e.symmetric_padding()
    if symmetric is not None:
        return e.with_activation([f"{head}{e.kw('padding', symmetric, '0')}"
                                    f"{e.kw('output_padding', e.pair('output_padding'), '0')}{tail}"]), filters
    e.fixed("padding")
    pad = e.pads("padding")
    if isinstance(pad, str):
        # Keras Conv2DTranspose `same` (output H·s): the full output (H−1)·s + d·(k−1) + 1 is cropped by
        # max(d·(k−1) + 1 − s, 0), the odd pixel at the end, or grown by output_padding s − (d·(k−1) + 1).
        crops, grow = [], []
        for k, s, d in zip(e.axes("kernel"), e.axes("stride"), e.axes("dilation")):
            span = d * (k - 1) + 1
            total = max(span - s, 0)
            crops += [total // 2, total - total // 2]
            grow.append(max(s - span, 0))
        grown = e.literal(grow[0] if len(set(grow)) == 1 else tuple(grow))
        parts = [f"{head}{e.kw('output_padding', grown, '0')}{tail}"]
    else:
        crops = list(pad)
        parts = [f"{head}{e.kw('output_padding', e.pair('output_padding'), '0')}{tail}"]
    if any(crops):
        e.helpers.add("Crop")
        parts.append(f"Crop({', '.join(str(v) for v in crops)})")
    return e.with_activation(parts), filters


STD_CONV = '''
class StdConv(nn.Module):
    """A mixin for a convolution whose weights are standardised per filter before use (zero mean, unit variance, as
    timm's StdConv and NF-Nets' ScaledStdConv), optionally scaled by a learnable gain per filter."""

    def _setup(self, gain, eps):
        self.eps = eps
        self.gain = nn.Parameter(torch.ones(self.out_channels, *[1] * (self.weight.dim() - 1))) if gain else None

    def standardised(self):
        w = self.weight
        flat = w.reshape(w.shape[0], -1)
        w = ((flat - flat.mean(1, keepdim=True)) / torch.sqrt(flat.var(1, unbiased=False, keepdim=True) + self.eps))
        w = w.reshape(self.weight.shape)
        if self.gain is not None:
            w = w * self.gain * flat.shape[1] ** -0.5  # NF-Nets scale by 1/sqrt(fan-in)
        return w

    def forward(self, x):
        return self._conv_forward(x, self.standardised(), self.bias)
'''


def _std_conv(rank: int) -> str:
    return f'''
class StdConv{rank}d(nn.Conv{rank}d, StdConv):
    """A weight-standardised nn.Conv{rank}d (see StdConv)."""

    def __init__(self, *args, gain=False, eps=1e-6, **kwargs):
        nn.Conv{rank}d.__init__(self, *args, **kwargs)
        self._setup(gain, eps)

    forward = StdConv.forward
'''


SEPARABLE_CONV = '''
class SeparableConv(nn.Module):
    """Keras SeparableConv: an unbiased depthwise convolution, then a pointwise one carrying the bias."""

    def __init__(self, in_channels, filters, kernel, stride=1, padding=0, dilation=1, multiplier=1, bias=True,
                 rank=2):
        super().__init__()
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[rank]
        self.depthwise = conv(in_channels, in_channels * multiplier, kernel, stride, padding, dilation,
                              groups=in_channels, bias=False)
        self.pointwise = conv(in_channels * multiplier, filters, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
'''

def _conv_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # an explicit padding module where PyTorch's own cannot pad so, the convolution, a fused activation's module
    return padded_then(call, out, 1 + fused(call), stride_one_same=True)


def _separable_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    # SeparableConv: the depthwise part's map (C·m channels), then the pointwise output (and the activation)
    allocs = list(padded_then(call, out, 1, stride_one_same=True))
    depthwise = prod(out.output[:-1]) * call.inputs[0][-1] * call.args["multiplier"]
    allocs[-1] = allocs[-1]._replace(elements=depthwise)
    pointwise = f"a{len(allocs) - 1}"
    allocs.append(Alloc(prod(out.output), (pointwise,), saves=(pointwise,)))
    if fused(call):
        allocs.append(activation_alloc(call.args["activation"], f"a{len(allocs) - 1}", prod(out.output)))
    return tuple(allocs)


def _deconv_storage(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    allocs = [Alloc(prod(out.output), ("in0",), saves=("in0",))]
    if fused(call):
        allocs.append(activation_alloc(call.args["activation"], "a0", prod(out.output)))
    return tuple(allocs)


_SPATIAL = {
    "kernel": Arg(pair), "stride": Arg(pair, (1, 1)), "padding": Arg(padding, (0, 0, 0, 0)),
    "dilation": Arg(pair, (1, 1)), "bias": Arg(boolean, True), "activation": Arg(activation, "none"),
}

KINDS = [
    Kind("conv", _conv, {"filters": Arg(positive_int), **_SPATIAL, "groups": Arg(positive_int, 1),
                         "standardize": Arg(boolean, False), "gain": Arg(boolean, False)},
         "filters", ("conv1d", "conv2d", "conv3d"), summary="convolution (1-D, 2-D or 3-D: the input's rank)",
         explain=_explain_conv, emit=_emit_conv, category="convolution", storage=_conv_storage,
         helpers=(("StdConv", STD_CONV), *((f"StdConv{r}d", _std_conv(r)) for r in (1, 2, 3))),
         tensors=lambda call: weight_and_bias(call) + int(call.args["gain"])),
    Kind("depthwise", _depthwise, {**_SPATIAL, "multiplier": Arg(positive_int, 1)}, "kernel", ("dwconv",),
         summary="depthwise convolution", explain=_explain_depthwise, emit=_emit_depthwise, category="convolution",
         storage=_conv_storage, tensors=weight_and_bias),
    Kind("separable", _separable, {"filters": Arg(positive_int), **_SPATIAL, "multiplier": Arg(positive_int, 1)},
         "filters", ("sepconv",), summary="depthwise separable convolution (Keras SeparableConv2D)",
         explain=_explain_depthwise, emit=_emit_separable, helpers=(("SeparableConv", SEPARABLE_CONV),),
         category="convolution", storage=_separable_storage,
         tensors=lambda call: 1 + weight_and_bias(call)),  # the depthwise weight, the pointwise weight and bias
    Kind("deconv", _deconv, {"filters": Arg(positive_int), **_SPATIAL, "groups": Arg(positive_int, 1),
                             "output_padding": Arg(nonneg_pair, (0, 0))},
         "filters", ("convtranspose", *ranked("convtranspose"), *ranked("deconv")),
         summary="transposed convolution", explain=_explain_conv, emit=_emit_deconv, category="convolution",
         storage=_deconv_storage, tensors=weight_and_bias),
]
