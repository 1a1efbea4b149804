"""Darknet .cfg → cnncalc, with Darknet's own shape rules (no dependency; the file is only parsed).

Darknet numbers its layers from 0, one per section after [net]; [route] and [shortcut] refer to them
by that number (negative: counting back). Each section becomes one or more cnncalc layers named after
its number (`conv12`, `bn12`, `leaky12`), so the spec reads against Darknet's own listing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from cnncalc.importers import ImportResult, Options, Unmapped, resolve_input
from cnncalc.importers.emit import Layer, Meta, finish
from cnncalc.core.limits import MAX_DIMENSION
from cnncalc.core.problems import ERROR, WARNING, Problem, did_you_mean

MAX_CFG_BYTES = 1024 * 1024
Shape = tuple[int, ...]


@dataclass
class Value:
    """An option's text and where it was written (1-based)."""

    text: str
    line: int
    column: int


@dataclass
class Section:
    """One [section] of the file with its options, first occurrence winning as in Darknet's option_find."""

    kind: str
    line: int
    column: int
    options: dict[str, Value] = field(default_factory=dict)


class CfgError(Exception):
    """A problem in the file at a position."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Unsupported(Exception):
    """A section Darknet knows but cnncalc has no kind for."""


def parse_cfg(text: str, path: str) -> list[Section]:
    """Sections and options of a .cfg file, with positions; malformed lines are errors."""
    sections: list[Section] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip()) + 1
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]") or len(stripped) < 3:
                raise _error(path, number, indent, "malformed-section",
                             f"`{stripped}` is not a section header; write it as [name], e.g. [convolutional]")
            sections.append(Section(stripped[1:-1].strip().lower(), number, indent))
            continue
        if "=" not in stripped:
            raise _error(path, number, indent, "malformed-option",
                         f"`{stripped}` is not an option; write key=value, e.g. filters=32")
        if not sections:
            raise _error(path, number, indent, "malformed-option",
                         "an option before the first section; start the file with [net]")
        key, _, value = stripped.partition("=")
        value_column = indent + len(key) + 1 + (len(value) - len(value.lstrip()))
        # Darknet strips every blank from a line and reads numbers with atoi/atof, so `filters=40<TAB>#32` is 40:
        # what follows a `#` or `;` in a value is a comment.
        value = value.split("#", 1)[0].split(";", 1)[0]
        if not key.strip():
            raise _error(path, number, indent, "malformed-option", f"`{stripped}` has no key before `=`")
        sections[-1].options.setdefault(key.strip().lower(), Value(value.strip(), number, value_column))
    return sections


def _error(path: str, line: int, column: int, rule: str, message: str) -> CfgError:
    return CfgError(Problem(path, line, column, ERROR, rule, message))


@dataclass
class Ctx:
    """State of one import: the sections read so far, their output shapes and the cnncalc layer each ends in."""

    path: str
    shapes: list[Shape] = field(default_factory=list)  # Darknet layer i's output (H, W, C) or (N,)
    names: list[str] = field(default_factory=list)  # the cnncalc layer holding layer i's output
    layers: list[Layer] = field(default_factory=list)
    conv_macs: int = 0  # Darknet's BFLOPs are 2 × this / 1e9 (its convolutional layers only)
    input_shape: Shape = (0, 0, 0)
    notes: list[str] = field(default_factory=list)  # comments for the next layer written
    partial: bool = False
    unmapped: dict[str, Unmapped] = field(default_factory=dict)
    stopped: bool = False
    section: Section | None = None  # the section being mapped: where its layers came from

    def last(self) -> tuple[str, Shape]:
        """The input of the next section: the previous layer's output, or the network's input."""
        return (self.names[-1], self.shapes[-1]) if self.names else ("input", self.input_shape)

    def add(self, kind: str, args: dict[str, object], name: str, inputs: list[str]) -> None:
        """Append a cnncalc layer (with any notes waiting for it)."""
        where = (self.section.line, self.section.column) if self.section else None
        origin = f"[{self.section.kind}] at line {self.section.line}" if self.section else ""
        self.layers.append(Layer(kind, args, name, inputs, self.notes, where, origin))
        self.notes = []

    def integer(self, section: Section, key: str, default: int | None, minimum: int = 1,
                maximum: int = MAX_DIMENSION) -> int:
        """An integer option (the default when absent), as Darknet's option_find_int."""
        value = section.options.get(key)
        if value is None:
            if default is None:
                raise _error(self.path, section.line, section.column, "missing-option",
                             f"[{section.kind}] needs `{key}=`; add it")
            return default
        try:
            number = int(value.text)
        except ValueError:
            raise _error(self.path, value.line, value.column, "malformed-option",
                         f"`{key}` takes a whole number, got `{value.text}`") from None
        if number < minimum:
            raise _error(self.path, value.line, value.column, "invalid-value",
                         f"`{key}` must be at least {minimum}, got {number}")
        if number > maximum:
            raise _error(self.path, value.line, value.column, "invalid-value",
                         f"`{key}={value.text}` is implausibly large (cnncalc's limit is {maximum:,}); check the value")
        return number


ACTIVATIONS: dict[str, tuple[str, dict[str, object]] | None] = {
    "linear": None, "leaky": ("leakyrelu", {"slope": 0.1}), "relu": ("relu", {}), "logistic": ("sigmoid", {}),
    "swish": ("silu", {}), "tanh": ("tanh", {}), "relu6": ("relu6", {}), "elu": ("elu", {}),
    "hardswish": ("hardswish", {}), "mish": ("mish", {}), "gelu": ("gelu", {}),
}
SHORT = {"leakyrelu": "leaky", "sigmoid": "logistic", "silu": "swish"}


def _activation(ctx: Ctx, section: Section, index: int, default: str) -> None:
    value = section.options.get("activation")
    name = value.text.lower() if value else default
    if name not in ACTIVATIONS:
        where = value or Value("", section.line, section.column)
        if name in ("hard_mish", "selu", "loggy", "ramp", "plse", "stair", "lhtan", "normalize_channels"):
            if not ctx.partial:
                raise _Unsupported(f"activation={name}")
            # Shape-preserving and free of parameters: --partial keeps going with a stand-in.
            _note_unmapped(ctx, f"[{section.kind}] activation={name}", section, index)
            ctx.notes.append(f"activation={name} (line {where.line}) has no cnncalc kind; written as identity")
            source, _ = ctx.last()
            ctx.add("identity", {}, f"{name}{index}", [source])
            ctx.names[-1] = f"{name}{index}"
            return
        raise _error(ctx.path, where.line, where.column, "invalid-value",
                     f"unknown activation `{name}`{did_you_mean(name, list(ACTIVATIONS))}")
    mapped = ACTIVATIONS[name]
    if mapped is None:
        return
    kind, args = mapped
    source, _ = ctx.last()
    ctx.add(kind, args, f"{SHORT.get(kind, kind)}{index}", [source])
    ctx.names[-1] = f"{SHORT.get(kind, kind)}{index}"


def _begin(ctx: Ctx, name: str, shape: Shape) -> None:
    ctx.names.append(name)
    ctx.shapes.append(shape)


def _feature_map(ctx: Ctx, section: Section) -> tuple[str, int, int, int]:
    source, shape = ctx.last()
    if len(shape) != 3:
        raise _error(ctx.path, section.line, section.column, "shape-mismatch",
                     f"[{section.kind}] needs a feature map, but its input is a vector of {shape[0]}")
    return source, shape[0], shape[1], shape[2]


def _convolutional(ctx: Ctx, section: Section, index: int) -> None:
    """conv (no bias with batch_normalize) + batchnorm + activation; out = (w + 2·pad − size)/stride + 1."""
    source, h, w, c = _feature_map(ctx, section)
    filters = ctx.integer(section, "filters", 1)
    size = ctx.integer(section, "size", 1)
    stride = ctx.integer(section, "stride", 1)
    groups = ctx.integer(section, "groups", 1)
    if ctx.integer(section, "dilation", 1) != 1:
        raise _Unsupported("dilation")
    pad = size // 2 if ctx.integer(section, "pad", 0, 0) else ctx.integer(section, "padding", 0, 0)
    bn = ctx.integer(section, "batch_normalize", 0, 0) != 0
    if c % groups or filters % groups:
        raise _error(ctx.path, section.options["groups"].line, section.options["groups"].column, "invalid-groups",
                     f"groups={groups} does not divide the {c} input channels and {filters} filters")
    oh, ow = (h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1
    if oh < 1 or ow < 1:
        raise _error(ctx.path, section.line, section.column, "empty-output",
                     f"layer {index}: a {size}×{size} window on {h}×{w} leaves {oh}×{ow}")
    ctx.conv_macs += filters * size * size * (c // groups) * oh * ow
    args: dict[str, object] = {"filters": filters, "kernel": size}
    if stride != 1:
        args["stride"] = stride
    if pad:
        args["padding"] = pad
    if groups != 1:
        args["groups"] = groups
    if bn:
        args["bias"] = False
    ctx.add("conv", args, f"conv{index}", [source])
    _begin(ctx, f"conv{index}", (oh, ow, filters))
    if bn:
        ctx.add("batchnorm", {}, f"bn{index}", [f"conv{index}"])
        ctx.names[-1] = f"bn{index}"
    _activation(ctx, section, index, "logistic")


def _maxpool(ctx: Ctx, section: Section, index: int) -> None:
    """Darknet's rule: padding defaults to size − 1, split ⌊p/2⌋ before; out = (w + padding − size)/stride + 1."""
    source, h, w, c = _feature_map(ctx, section)
    stride = ctx.integer(section, "stride", 1)
    size = ctx.integer(section, "size", stride)
    padding = ctx.integer(section, "padding", size - 1, 0)
    oh, ow = (h + padding - size) // stride + 1, (w + padding - size) // stride + 1
    if oh < 1 or ow < 1:
        raise _error(ctx.path, section.line, section.column, "empty-output",
                     f"layer {index}: a {size}×{size} window on {h}×{w} leaves {oh}×{ow}")
    before = padding // 2
    pads = [_trim(h, size, stride, before, padding - before), _trim(w, size, stride, before, padding - before)]
    args: dict[str, object] = {"kernel": size}
    if stride != size:
        args["stride"] = stride
    if any(pads[0] + pads[1]):
        (t, b), (l, r) = pads
        args["padding"] = [t, b, l, r] if (t, l) != (b, r) else ([t, l] if t != l else t)
    ctx.add("maxpool", args, f"maxpool{index}", [source])
    _begin(ctx, f"maxpool{index}", (oh, ow, c))


def _trim(size: int, kernel: int, stride: int, before: int, after: int) -> tuple[int, int]:
    """Drop trailing padding no window reads (Darknet pads size − 1 even where the last window ends earlier)."""
    out = (size + before + after - kernel) // stride + 1
    while after > 0 and (size + before + after - 1 - kernel) // stride + 1 == out:
        after -= 1
    return before, after


def _reference(ctx: Ctx, section: Section, key: str, index: int) -> list[int]:
    """Layer numbers in `key` (relative when negative), each checked to exist before this layer."""
    value = section.options.get(key)
    if value is None:
        raise _error(ctx.path, section.line, section.column, "missing-option", f"[{section.kind}] needs `{key}=`")
    found = []
    offset = 0
    for part in value.text.split(","):
        column = value.column + offset + (len(part) - len(part.lstrip()))
        offset += len(part) + 1
        try:
            number = int(part.strip())
        except ValueError:
            raise _error(ctx.path, value.line, column, "malformed-option",
                         f"`{key}` takes layer numbers separated by commas, got `{part.strip()}`") from None
        target = index + number if number < 0 else number
        if not 0 <= target < index:
            raise _error(ctx.path, value.line, column, "unknown-layer",
                         f"layer {index} refers to layer {number}{f' (= {target})' if number < 0 else ''}, "
                         f"but only layers 0 to {index - 1} come before it")
        found.append(target)
    return found


def _route(ctx: Ctx, section: Section, index: int) -> None:
    """One layer: its output as is; several: concatenated along channels (H and W must agree)."""
    targets = _reference(ctx, section, "layers", index)
    groups = ctx.integer(section, "groups", 1)
    shapes = [ctx.shapes[t] for t in targets]
    names = [ctx.names[t] for t in targets]
    if groups != 1:  # part `group_id` of `groups` equal parts of each routed layer's channels (CSP's halves)
        group = ctx.integer(section, "group_id", 0, 0, groups - 1)
        for n, (target, shape) in enumerate(zip(targets, shapes)):
            if len(shape) != 3 or shape[2] % groups:
                value = section.options["groups"]
                raise _error(ctx.path, value.line, value.column, "invalid-channels",
                             f"groups={groups} does not divide the channels of layer {target} "
                             f"({'×'.join(map(str, shape))}); Darknet would read past them")
            part = f"route{index}_{n}" if len(targets) > 1 else f"route{index}"
            ctx.add("split", {"parts": groups, "index": group} if group else {"parts": groups}, part, [names[n]])
            names[n], shapes[n] = part, shape[:2] + (shape[2] // groups,)
        if len(targets) == 1:
            _begin(ctx, names[0], shapes[0])
            return
    if len(targets) == 1:
        _begin(ctx, names[0], shapes[0])
        return
    if any(len(s) != 3 or s[:2] != shapes[0][:2] for s in shapes):
        value = section.options["layers"]
        raise _error(ctx.path, value.line, value.column, "shape-mismatch",
                     "the routed layers differ in height and width: "
                     + ", ".join(f"{t}: {'×'.join(map(str, s))}" for t, s in zip(targets, shapes)))
    ctx.add("concat", {}, f"route{index}", names)
    _begin(ctx, f"route{index}", shapes[0][:2] + (sum(s[2] for s in shapes),))


def _shortcut(ctx: Ctx, section: Section, index: int) -> None:
    """The previous layer plus layer `from` (same shape), then the activation (linear by default)."""
    targets = _reference(ctx, section, "from", index)
    source, shape = ctx.last()
    if len(targets) != 1:
        value = section.options["from"]
        raise _Unsupported(f"shortcut from {len(targets)} layers (line {value.line})")
    (target,) = targets
    other = ctx.shapes[target]
    if len(other) != len(shape):
        value = section.options["from"]
        raise _error(ctx.path, value.line, value.column, "shape-mismatch",
                     f"the shortcut adds layer {target} ({'×'.join(map(str, other))}) to a "
                     f"{'×'.join(map(str, shape))} input of another rank")
    # Darknet adds over the channels and (sampled) positions both have, keeping the previous layer's shape.
    kind = "add" if other == shape else "shortcut"
    ctx.add(kind, {}, f"shortcut{index}", [source, ctx.names[target]])
    _begin(ctx, f"shortcut{index}", shape)
    _activation(ctx, section, index, "linear")


def _upsample(ctx: Ctx, section: Section, index: int) -> None:
    source, h, w, c = _feature_map(ctx, section)
    stride = ctx.integer(section, "stride", 2)
    ctx.add("upsample", {} if stride == 2 else {"scale": stride}, f"upsample{index}", [source])
    _begin(ctx, f"upsample{index}", (h * stride, w * stride, c))


def _head(ctx: Ctx, section: Section, index: int) -> None:
    """[yolo], [region], [detection], [cost]: no parameters and no arithmetic; the output is the input."""
    source, shape = ctx.last()
    if ctx.layers and section.kind != "cost":
        ctx.layers[-1].comments.append(f"{ctx.layers[-1].name} feeds [{section.kind}] (layer {index}, line "
                                       f"{section.line}): a detection head, no parameters, an output of Darknet's")
    _begin(ctx, source, shape)


def _avgpool(ctx: Ctx, section: Section, index: int) -> None:
    source, h, w, c = _feature_map(ctx, section)
    ctx.add("globalavgpool", {}, f"avgpool{index}", [source])
    _begin(ctx, f"avgpool{index}", (1, 1, c))


def _dropout(ctx: Ctx, section: Section, index: int) -> None:
    source, shape = ctx.last()
    value = section.options.get("probability")
    try:
        rate = float(value.text) if value else 0.5
    except ValueError:
        assert value is not None
        raise _error(ctx.path, value.line, value.column, "malformed-option",
                     f"`probability` takes a number, got `{value.text}`") from None
    if value is not None and not 0 <= rate < 1:  # nan fails both comparisons
        raise _error(ctx.path, value.line, value.column, "invalid-value",
                     f"`probability={value.text}` is not a dropout rate; give a number from 0 up to (not including) 1")
    ctx.add("dropout", {} if rate == 0.5 else {"rate": rate}, f"dropout{index}", [source])
    _begin(ctx, f"dropout{index}", shape)


def _connected(ctx: Ctx, section: Section, index: int) -> None:
    """Flatten when needed, dense (no bias with batch_normalize), batchnorm, activation (logistic)."""
    source, shape = ctx.last()
    if len(shape) == 3:
        ctx.add("flatten", {}, f"flatten{index}", [source])
        source = f"flatten{index}"
    units = ctx.integer(section, "output", 1)
    bn = ctx.integer(section, "batch_normalize", 0, 0) != 0
    ctx.add("dense", {"units": units, "bias": False} if bn else {"units": units}, f"fc{index}", [source])
    _begin(ctx, f"fc{index}", (units,))
    if bn:
        ctx.add("batchnorm", {}, f"bn{index}", [f"fc{index}"])
        ctx.names[-1] = f"bn{index}"
    _activation(ctx, section, index, "logistic")


def _reorg(ctx: Ctx, section: Section, index: int) -> None:
    """YOLOv2's [reorg] stride=s: each s×s patch of positions becomes s² times the channels (space to depth)."""
    source, h, w, c = _feature_map(ctx, section)
    stride = ctx.integer(section, "stride", 1)
    if ctx.integer(section, "reverse", 0, 0) or ctx.integer(section, "flatten", 0, 0):
        raise _Unsupported("reorg with reverse= or flatten=")
    if h % stride or w % stride:
        value = section.options.get("stride") or Value("", section.line, section.column)
        raise _error(ctx.path, value.line, value.column, "invalid-value",
                     f"stride={stride} does not divide the {h}×{w} input of [reorg]")
    ctx.add("spacetodepth", {"block": stride}, f"reorg{index}", [source])
    _begin(ctx, f"reorg{index}", (h // stride, w // stride, c * stride * stride))


def _scale_channels(ctx: Ctx, section: Section, index: int) -> None:
    """[scale_channels] from=n: layer n's map scaled per channel by the previous layer (a 1×1×C gate: SE)."""
    (target,) = _reference(ctx, section, "from", index)
    source, gate = ctx.last()
    if ctx.integer(section, "scale_wh", 0, 0):
        raise _Unsupported("scale_channels with scale_wh= (a spatial gate)")
    shape = ctx.shapes[target]
    if len(shape) != 3 or gate != (1, 1, shape[2]):
        value = section.options["from"]
        raise _error(ctx.path, value.line, value.column, "shape-mismatch",
                     f"[scale_channels] scales layer {target} ({'×'.join(map(str, shape))}) by one value per "
                     f"channel, but its input is {'×'.join(map(str, gate))}, not 1×1×{shape[2] if shape else '?'}")
    ctx.add("multiply", {}, f"scale{index}", [ctx.names[target], source])
    _begin(ctx, f"scale{index}", shape)
    _activation(ctx, section, index, "linear")


def _softmax(ctx: Ctx, section: Section, index: int) -> None:
    source, shape = ctx.last()
    ctx.add("softmax", {}, f"softmax{index}", [source])
    _begin(ctx, f"softmax{index}", shape)


SECTIONS: dict[str, Callable[[Ctx, Section, int], None]] = {
    "convolutional": _convolutional, "conv": _convolutional,
    "maxpool": _maxpool, "max": _maxpool,
    "route": _route, "shortcut": _shortcut, "upsample": _upsample,
    "yolo": _head, "region": _head, "detection": _head, "cost": _head,
    "avgpool": _avgpool, "avg": _avgpool, "dropout": _dropout,
    "connected": _connected, "conn": _connected, "softmax": _softmax, "soft": _softmax,
    "reorg": _reorg, "scale_channels": _scale_channels,
}
# Darknet sections with no cnncalc kind: reported as unmapped rather than unknown.
UNSUPPORTED = ("reorg3d", "local", "crnn", "rnn", "gru", "lstm", "conv_lstm", "crop", "deconvolutional",
               "deconv", "batchnorm", "normalization", "sam", "implicit_add", "implicit_mul",
               "sparse", "l2norm", "logistic", "activation", "empty", "silence", "contrastive", "gaussian_yolo")


def import_darknet(path: str, options: Options) -> ImportResult:
    """Read a Darknet .cfg and return the equivalent cnncalc spec, or the problems that prevent it."""
    try:
        sections = parse_cfg(read_cfg(path), path)
        ctx = Ctx(path, input_shape=_net(path, sections, options), partial=options.partial)
        unmapped = _walk(ctx, sections[1:])
    except CfgError as exc:
        return ImportResult("", problems=[exc.problem])
    partial = ("; written as identity (no parameters, no multiply-adds)" if options.partial else
               "; rerun with --partial to write the rest")
    problems = [Problem(path, u.positions[0], 1, WARNING if options.partial else ERROR, "unmapped-operator",
                        f"{u.op} ×{u.count} has no cnncalc kind; first at {u.first}"
                        + (partial if "activation=" in u.op else
                           "; the spec stops before it" if options.partial else partial))
                for u in unmapped]
    if (unmapped and not options.partial) or not ctx.layers:
        if not ctx.layers:
            problems.append(Problem(path, 1, 1, ERROR, "empty-import", "no section maps onto a cnncalc layer"))
        return ImportResult("", unmapped, problems)
    base = os.path.basename(path)
    bflops = 2 * ctx.conv_macs / 1e9
    header = [f"Imported from {base} by `cnncalc import` (Darknet layer i is conv<i>, bn<i>, maxpool<i>, ...)",
              f"Darknet counts {bflops:.3f} BFLOPs here: 2 × the multiply-adds of the [convolutional] layers"]
    if ctx.stopped:
        header.append("Incomplete (--partial): it stops before the first section without a cnncalc kind")
    elif unmapped:
        header.append("Incomplete (--partial): activations without a cnncalc kind are written as identity")
    text_out, more = finish(path, Meta(os.path.splitext(base)[0], ctx.input_shape, header), ctx.layers)
    return ImportResult(text_out, unmapped, problems + more)


def _net(path: str, sections: list[Section], options: Options) -> Shape:
    """(height, width, channels) from [net], or --input."""
    if not sections or sections[0].kind not in ("net", "network"):
        line, column = (sections[0].line, sections[0].column) if sections else (1, 1)
        raise _error(path, line, column, "missing-net", "a Darknet cfg starts with a [net] section giving "
                     "width, height and channels")
    ctx = Ctx(path)
    net = sections[0]
    channels = ctx.integer(net, "channels", 3)
    if options.input_shape is not None:
        return resolve_input(options.input_shape, channels) or options.input_shape
    return (ctx.integer(net, "height", None), ctx.integer(net, "width", None), channels)


def _walk(ctx: Ctx, sections: list[Section]) -> list[Unmapped]:
    """Map every section in order; returns the sections (and activations) with no cnncalc kind."""
    lost = False  # after a section with no kind, layer numbers no longer line up: only list the rest
    for index, section in enumerate(sections):
        handler = SECTIONS.get(section.kind)
        try:
            if lost and handler is not None:
                continue
            if handler is None:
                if section.kind not in UNSUPPORTED:
                    raise _error(ctx.path, section.line, section.column + 1, "unknown-section",
                                 f"unknown section [{section.kind}]"
                                 f"{did_you_mean(section.kind, list(SECTIONS) + ['net'])}; Darknet would stop here")
                raise _Unsupported(f"[{section.kind}]")
            ctx.section = section
            handler(ctx, section, index)
        except _Unsupported as exc:
            key = str(exc) if str(exc).startswith("[") else f"[{section.kind}] {exc}"
            _note_unmapped(ctx, key, section, index)
            if ctx.partial:
                ctx.stopped = True
                break
            lost = lost or len(ctx.names) <= index
    return list(ctx.unmapped.values())


def _note_unmapped(ctx: Ctx, key: str, section: Section, index: int) -> None:
    entry = ctx.unmapped.setdefault(key, Unmapped(key, 0, f"layer {index}, line {section.line}"))
    entry.count += 1
    entry.positions.append(section.line)


def read_cfg(path: str) -> str:
    """The file as text: refuses directories, missing, oversized, binary and non-UTF-8 files."""
    try:
        if os.path.isdir(path):
            raise _error(path, 1, 1, "not-a-file", "this is a directory; name a Darknet .cfg file")
        if os.path.getsize(path) > MAX_CFG_BYTES:
            raise _error(path, 1, 1, "file-too-large", f"the file is over {MAX_CFG_BYTES:,} bytes; "
                         "Darknet cfgs are a few kilobytes")
        with open(path, "rb") as handle:
            data = handle.read(MAX_CFG_BYTES + 1)
    except FileNotFoundError:
        raise _error(path, 1, 1, "file-not-found", "no such file") from None
    except OSError as exc:
        raise _error(path, 1, 1, "unreadable-file", f"cannot read the file: {exc.strerror}") from None
    if b"\x00" in data:
        raise _error(path, 1, 1, "binary-file", "this is a binary file, not a Darknet .cfg (a text file)")
    from cnncalc.core.problems import SpecError
    from cnncalc.core.yamlsafe import decode_utf8

    try:
        return decode_utf8(data, path)
    except SpecError as exc:
        raise CfgError(exc.problem) from None
