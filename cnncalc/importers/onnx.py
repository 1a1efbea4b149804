"""ONNX → cnncalc: read an ONNX graph (never running it) and map its operators onto cnncalc's kinds.

Only the protobuf is parsed: weights stored outside the file (external data) are never read, and an
initializer's values are looked at only when they are a handful of numbers (pads, scales, shapes).
Shapes of intermediate tensors come from ONNX's own shape inference (C++, no user code), run with the
input size made concrete; cnncalc then recomputes every figure from the emitted layers.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from cnncalc.importers import ImportResult, Options, Unmapped, resolve_input
from cnncalc.importers.emit import Layer, Meta, finish, safe_name
from cnncalc.core.problems import ERROR, WARNING, Problem

if TYPE_CHECKING:  # onnx is optional and imported where a file is read
    from onnx import ModelProto

MAX_ONNX_BYTES = 1 << 30  # 1 GiB; large models keep weights as external data, which is never read
_SMALL = 64  # initializers up to this many elements are read as values (pads, scales, shapes, slopes)
EXTRA_HINT = 'install it with: pip install "cnncalc[onnx]"'


class Unmappable(Exception):
    """A node that has no cnncalc equivalent; the message says why when the operator itself is known."""


class Inconsistent(Exception):
    """A node whose attributes, weights and input contradict each other: the file is wrong, not unmapped."""


@dataclass
class Const:
    """A constant tensor: its shape, and its values when small enough to have been read."""

    shape: tuple[int, ...]
    values: Any  # a numpy array when small enough to have been read or computed, else None


@dataclass
class Ctx:
    """State of one import: constants, which layer produced each tensor, inferred shapes, names in use."""

    path: str
    consts: dict[str, Const] = field(default_factory=dict)
    producer: dict[str, str] = field(default_factory=dict)  # data tensor -> layer name ("input")
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # NCHW / NF, batch included
    consumers: dict[str, list[Any]] = field(default_factory=dict)
    used: set[str] = field(default_factory=lambda: {"input"})
    layers: list[Layer] = field(default_factory=list)
    skip: set[int] = field(default_factory=set)  # ids of nodes folded into an earlier one
    poisoned: set[str] = field(default_factory=set)  # tensors computed from an unmapped node
    unexamined: Counter[str] = field(default_factory=Counter)  # known operators after an unmapped one, by type
    params: set[str] = field(default_factory=set)  # initializers, and reshapes of them: learned weights
    graph_outputs: set[str] = field(default_factory=set)


def _problem(path: str, rule: str, message: str, level: str = ERROR) -> Problem:
    return Problem(path, 1, 1, level, rule, message)


def import_onnx(path: str, options: Options) -> ImportResult:
    """Read an ONNX file and return the equivalent cnncalc spec, or the problems that prevent it."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        return ImportResult("", problems=[_problem(path, "missing-dependency",
                                                   f"reading ONNX files needs the optional `onnx` package; {EXTRA_HINT}")])
    try:
        model = _load(path)
        input_shape = _input_shape(model, path, options)
        ctx = _context(model, path, input_shape)
    except _Refused as exc:
        return ImportResult("", problems=[exc.problem])
    unmapped: dict[str, Unmapped] = {}
    try:
        stopped = _walk(model, ctx, unmapped, options.partial)
    except _Refused as exc:
        return ImportResult("", problems=[exc.problem])
    problems = _unmapped_problems(path, unmapped, options.partial, ctx.unexamined)
    if unmapped and not options.partial:
        return ImportResult("", list(unmapped.values()), problems)
    if stopped:
        problems.append(_problem(path, "partial-import", f"the spec stops before {stopped}: its output shape "
                                 "differs from its input's, so nothing after it can be followed", WARNING))
    problems.extend(_outputs(model, ctx))
    if not ctx.layers:
        problems.append(_problem(path, "empty-import", "no operator of the graph maps onto a cnncalc layer"))
        return ImportResult("", list(unmapped.values()), problems)
    _fold_padding(ctx.layers)
    _merge_crops(ctx.layers)
    _fuse_activations(ctx.layers)
    stem = os.path.splitext(os.path.basename(path))[0]
    # PyTorch names every graph main_graph (torch_jit before 2.0): the file's stem says more.
    name = stem if model.graph.name in ("", "main_graph", "torch_jit", "torch-jit-export") else model.graph.name
    header = [f"Imported from {os.path.basename(path)} by `cnncalc import`"
              + (f" ({model.producer_name} {model.producer_version})".rstrip() if model.producer_name else "")]
    if unmapped:
        header.append("Incomplete (--partial): operators without a cnncalc kind are noted where they were")
    header += _folded_note(model, ctx)
    text, more = finish(path, Meta(name, input_shape, header), ctx.layers)
    return ImportResult(text, list(unmapped.values()), problems + more)


def _folded_note(model: Any, ctx: Ctx) -> list[str]:
    """Header lines when BatchNorm was probably folded into the convolutions: PyTorch's eval-mode export folds
    each into the convolution before it, which then has a bias; the graph cannot say which convolutions had one."""
    ops = [node.op_type for node in model.graph.node]
    convs = [layer for layer in ctx.layers if layer.kind == "conv"]
    if "BatchNormalization" in ops or not convs or any(layer.args.get("bias") is False for layer in convs):
        return []
    if not str(model.producer_name).lower().startswith("pytorch"):
        return []
    return ["No BatchNormalization, and every convolution has a bias: an eval-mode export folds BatchNorm into the",
            "convolution before it. Where it did, the training graph has, per folded BatchNorm of C channels,",
            "C more trainable (its scale and shift, 2C, less the bias folded here, C) and 2C running statistics.",
            "Export with training=torch.onnx.TrainingMode.PRESERVE (or do_constant_folding=False) to keep them."]


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _load(path: str) -> ModelProto:
    """Parse the protobuf after checking size; external data is never loaded."""
    import onnx
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise _Refused(_problem(path, "not-a-file", "this is a directory; name an .onnx file"))
        if size > MAX_ONNX_BYTES:
            raise _Refused(_problem(path, "file-too-large", f"the file is {size:,} bytes; ONNX files are limited to "
                                    f"{MAX_ONNX_BYTES:,} bytes (export the weights as external data to shrink it)"))
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise _Refused(_problem(path, "file-not-found", "no such file")) from None
    except OSError as exc:
        raise _Refused(_problem(path, "unreadable-file", f"cannot read the file: {exc.strerror}")) from None
    corrupt = "this is not a readable ONNX model (corrupt or truncated); export it again"
    try:
        model = onnx.ModelProto()
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise _Refused(_problem(path, "corrupt-file", f"{corrupt} ({exc})")) from None
    if not model.HasField("graph") or not model.graph.node:
        raise _Refused(_problem(path, "corrupt-file", f"{corrupt}: it has no graph nodes"))
    if not _all_text(model.graph):
        raise _Refused(_problem(path, "corrupt-file", f"{corrupt}: a name in the graph is not UTF-8 text"))
    return model


def _all_text(graph: Any) -> bool:
    """Whether every name the importer reads is text: protobuf hands over bytes where a string field holds
    invalid UTF-8, and a name then reaches code that joins and splits text."""
    names = [graph.name]
    for node in graph.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output, *(a.name for a in node.attribute)]
    for values in (graph.input, graph.output, graph.initializer, graph.value_info):
        names += [value.name for value in values]
    return all(isinstance(name, str) for name in names)


def _dims(value_info: Any) -> list[int | None]:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return []
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tensor.shape.dim]


def _data_inputs(model: Any) -> list[Any]:
    initialized = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in initialized]


def _input_shape(model: Any, path: str, options: Options) -> tuple[int, int, int]:
    """(H, W, C) from the graph's one data input, or from --input where the graph leaves it symbolic."""
    inputs = _data_inputs(model)
    if len(inputs) != 1:
        names = ", ".join(repr(i.name) for i in inputs) or "none"
        raise _Refused(_problem(path, "unsupported-graph", f"the graph has {len(inputs)} data inputs ({names}); "
                                "cnncalc follows networks with one image input"))
    dims = _dims(inputs[0])
    if len(dims) != 4:
        raise _Refused(_problem(path, "unsupported-graph", f"the input {inputs[0].name!r} has {len(dims)} "
                                "dimensions; cnncalc imports image networks with an N×C×H×W input"))
    _, c, h, w = dims
    given = resolve_input(options.input_shape, c) if options.input_shape is not None else None
    if options.input_shape is not None and given is None:
        raise _Refused(_problem(path, "symbolic-input", f"the channels of the input {inputs[0].name!r} are symbolic; "
                                "give all three sizes, e.g. --input 224x224x3"))
    if given is not None:
        oh, ow, oc = given
        if c is not None and oc != c:
            raise _Refused(_problem(path, "input-mismatch", f"--input gives {oc} channels but the graph's input "
                                    f"{inputs[0].name!r} has {c}; give {c} channels"))
        return oh, ow, oc
    if h is None or w is None or c is None:
        shown = "×".join("?" if d is None else str(d) for d in (h, w, c))
        raise _Refused(_problem(path, "symbolic-input", f"the input {inputs[0].name!r} is {shown} (H×W×C) with "
                                "symbolic sizes; give the size with --input, e.g. --input 224x224x3"))
    return h, w, c


def _context(model: Any, path: str, input_shape: tuple[int, int, int]) -> Ctx:
    """Constants, inferred shapes (with the input made concrete) and consumers of every tensor."""
    from onnx import numpy_helper

    ctx = Ctx(path)
    for tensor in model.graph.initializer:
        ctx.consts[tensor.name] = _const(tensor, numpy_helper)
        ctx.params.add(tensor.name)
    data_input = _data_inputs(model)[0]
    h, w, c = input_shape
    dims = data_input.type.tensor_type.shape.dim
    for dim, value in zip(dims, (1, c, h, w)):
        dim.Clear()
        dim.dim_value = value
    ctx.producer[data_input.name] = "input"
    _normalise_perms(model)
    _infer(model, ctx)
    folded = _fold_constants(model, ctx)
    if folded:  # shapes that depended on computed pads or sizes can now be inferred
        probe = _weightless(model)
        probe.graph.initializer.extend(numpy_helper.from_array(ctx.consts[n].values, n) for n in folded)
        keep = [n for n in probe.graph.node if not all(o in folded for o in n.output)]
        del probe.graph.node[:]
        probe.graph.node.extend(keep)
        _infer(probe, ctx)
    for node in model.graph.node:
        for name in node.input:
            ctx.consumers.setdefault(name, []).append(node)
    ctx.graph_outputs.update(o.name for o in model.graph.output)
    return ctx


def _normalise_perms(model: Any) -> None:
    """PyTorch writes movedim(-1, 1) as Transpose perm [0, -1, 1, 2], which ONNX's shape inference rejects
    (stopping every shape after it); the axes it means are counted from the end, so write them so."""
    for node in model.graph.node:
        if node.op_type != "Transpose":
            continue
        for attr in node.attribute:
            if attr.name == "perm" and any(p < 0 for p in attr.ints):
                rank = len(attr.ints)
                fixed = [p % rank for p in attr.ints]
                del attr.ints[:]
                attr.ints.extend(fixed)


def _infer(model: Any, ctx: Ctx) -> None:
    """ONNX's shape inference (static, C++): the shape of every tensor it can work out."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(_weightless(model), strict_mode=False, data_prop=True)
    except Exception as exc:  # onnx raises several C++-backed error types; all mean the same to the user
        raise _Refused(_problem(ctx.path, "corrupt-file", f"ONNX shape inference rejects the graph: {exc}")) from None
    for info in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        dims = _dims(info)
        if dims and all(d is not None for d in dims):
            ctx.shapes[info.name] = tuple(d for d in dims if d is not None)


def _weightless(model: ModelProto) -> ModelProto:
    """The model with each large initializer turned into a graph input of the same type and shape.

    Shape inference serialises the model it is given into C++: with the weights, that copy of a 100 MB file
    cost more than loading it. Shapes need only the weights' shapes; the small initializers stay, because data
    propagation reads their values (a Reshape's target shape, a Slice's bounds).
    """
    import onnx

    graph = model.graph
    light = onnx.ModelProto(ir_version=model.ir_version, producer_name=model.producer_name)
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    target = light.graph
    target.name = graph.name
    target.node.extend(graph.node)
    target.input.extend(graph.input)
    target.output.extend(graph.output)
    target.value_info.extend(graph.value_info)
    declared = {i.name for i in graph.input}
    for tensor in graph.initializer:
        if math.prod(tensor.dims) <= _SMALL:
            target.initializer.append(tensor)
        elif tensor.name not in declared:
            target.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    return light


_VIEWS = ("Identity", "Unsqueeze", "Reshape", "Squeeze", "Cast", "Transpose")


def _fold_constants(model: Any, ctx: Ctx) -> list[str]:
    """Record Constant nodes and computations on constants; returns the tensors whose values were computed."""
    folded = []
    for index, node in enumerate(model.graph.node, 1):
        if node.domain not in ("", "ai.onnx"):
            continue
        if node.op_type == "Constant":
            value = _constant_node(node)
            if value is not None:
                ctx.consts[node.output[0]] = value
                folded.append(node.output[0])
            continue
        if not node.input or not (all(i in ctx.consts or not i for i in node.input) or node.op_type == "Shape"):
            continue
        if node.op_type == "ConstantOfShape" and node.input[0] in ctx.params:
            # a fill whose shape is an initializer stands for a learned weight (how Caffe2's light exports
            # ship weights); a fill of a computed shape is a fixed tensor
            ctx.params.update(node.output)
        if node.op_type in _VIEWS and node.input[0] in ctx.params:
            # An initializer seen through a reshape (PyTorch unsqueezes norm weights) is still a learned weight;
            # a Constant node is not: that is how an exporter tells `affine` weights from fixed ones.
            ctx.params.update(node.output)
        if node.op_type == "Identity":
            ctx.consts[node.output[0]] = ctx.consts[node.input[0]]
            continue
        # Computations on constants (shapes, pads): small ones are evaluated, the rest stay unknown.
        try:
            result = _fold(ctx, node) if len(node.output) == 1 else None
        except _Large as large:  # its shape is what counts (Caffe2 writes weights as ConstantOfShape)
            _claimed(ctx, index, node, large.shape)
            ctx.consts[node.output[0]] = Const(large.shape, None)
            continue
        except (ValueError, TypeError, IndexError, KeyError):
            result = None
        if result is not None and result.size <= _SMALL:
            ctx.consts[node.output[0]] = Const(tuple(result.shape), result)
            folded.append(node.output[0])
        elif node.op_type != "Shape":
            for out in node.output:
                ctx.consts[out] = Const(ctx.shapes.get(out, ()), None)
    return [n for n in folded if ctx.consts[n].values is not None]


def _const(tensor: Any, numpy_helper: Any) -> Const:
    shape = tuple(int(d) for d in tensor.dims)
    count = 1
    for d in shape:
        count *= d
    values = None
    external = tensor.data_location == 1  # onnx.TensorProto.EXTERNAL
    if count <= _SMALL and not external:
        try:
            values = numpy_helper.to_array(tensor)
        except (ValueError, TypeError, RuntimeError):
            values = None
    return Const(shape, values)


def _constant_node(node: Any) -> Const | None:
    """The value of a Constant node (value tensor or value_int(s)/value_float(s))."""
    import numpy as np
    from onnx import helper, numpy_helper

    for attr in node.attribute:
        if attr.name == "value":
            return _const(attr.t, numpy_helper)
        if attr.name in ("value_int", "value_float", "value_ints", "value_floats"):
            values = np.array(helper.get_attribute_value(attr))
            return Const(tuple(values.shape), values)
    return None


def _fold(ctx: Ctx, node: Any) -> Any:
    """Evaluate a shape computation on small constants (how exporters build pads and shapes), or None.

    Only the operators of _FOLDERS are evaluated, with numpy, on at most a few dozen numbers."""
    import numpy as np

    a = _attrs(node)
    source = node.input[0] if node.input else ""
    shape_of = ctx.consts[source].shape if source in ctx.consts else ctx.shapes.get(source)
    if node.op_type == "Shape" and shape_of is not None:
        return np.array(shape_of[a.get("start", 0):a.get("end", len(shape_of))], dtype=np.int64)
    args: list[Any] = [ctx.consts[i].values if i else None for i in node.input]
    if not args or any(v is None for v, i in zip(args, node.input) if i) or node.input[0] not in ctx.consts:
        return None
    folder = _FOLDERS.get(node.op_type)
    return folder(args[0], args[1:], a) if folder is not None else None


def _fold_cast(x: Any, rest: list[Any], a: dict[str, Any]) -> Any:
    from onnx import helper

    return x.astype(helper.tensor_dtype_to_np_dtype(a["to"]))


def _fold_reshape(x: Any, rest: list[Any], a: dict[str, Any]) -> Any:
    target = [int(d) for d in rest[0]]
    return x.reshape([x.shape[i] if d == 0 else d for i, d in enumerate(target)])


def _fold_unsqueeze(x: Any, rest: list[Any], a: dict[str, Any]) -> Any:
    import numpy as np

    axes = list(rest[0]) if rest and rest[0] is not None else a["axes"]
    for axis in sorted(int(v) % (x.ndim + len(axes)) for v in axes):
        x = np.expand_dims(x, axis)
    return x


def _fold_squeeze(x: Any, rest: list[Any], a: dict[str, Any]) -> Any:
    import numpy as np

    axes = rest[0] if rest and rest[0] is not None else a.get("axes")
    return np.squeeze(x, axis=tuple(int(v) for v in axes) if axes is not None else None)


def _fold_slice(x: Any, rest: list[Any], a: dict[str, Any]) -> Any:
    starts, ends = rest[0], rest[1]
    axes = rest[2] if len(rest) > 2 and rest[2] is not None else range(len(starts))
    steps = rest[3] if len(rest) > 3 and rest[3] is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for axis, start, end, step in zip(axes, starts, ends, steps):
        index[int(axis)] = slice(int(start), int(max(min(end, 2**62), -2**62)), int(step))
    return x[tuple(index)]


def _fold_constant_of_shape(x: Any, rest: list[Any], a: dict[str, Any]) -> Any:
    import numpy as np
    from onnx import numpy_helper

    shape = tuple(int(d) for d in x.reshape(-1))
    if any(d < 0 for d in shape) or math.prod(shape) > _SMALL:  # never materialised: a 9 KB file can claim gigabytes
        raise _Large(shape)
    fill = numpy_helper.to_array(a["value"]).reshape(-1) if "value" in a else np.zeros(1, np.float32)
    return np.full(shape, fill[0], dtype=fill.dtype)


def _fold_binary(function: Callable[[Any, Any], Any]) -> Callable[[Any, list[Any], dict[str, Any]], Any]:
    return lambda x, rest, a: function(x, rest[0]) if len(rest) == 1 else None


def _fold_numpy(name: str) -> Callable[[Any, Any], Any]:
    def apply(x: Any, y: Any) -> Any:
        import numpy as np

        return getattr(np, name)(x, y)
    return apply


# op_type -> (x, the other inputs' values, attributes) -> the result; every one on a few dozen numbers at most.
_FOLDERS: dict[str, Callable[[Any, list[Any], dict[str, Any]], Any]] = {
    "Cast": _fold_cast,
    "Reshape": _fold_reshape,
    "Transpose": lambda x, rest, a: x.transpose(a.get("perm")),
    "Concat": lambda x, rest, a: _fold_numpy("concatenate")([x, *(v for v in rest if v is not None)],
                                                            a.get("axis", 0)),
    "Unsqueeze": _fold_unsqueeze,
    "Squeeze": _fold_squeeze,
    "Gather": lambda x, rest, a: x.take(rest[0].astype("int64"), axis=a.get("axis", 0)),
    "Slice": _fold_slice,
    "ConstantOfShape": _fold_constant_of_shape,
    "Add": _fold_binary(_fold_numpy("add")), "Sub": _fold_binary(_fold_numpy("subtract")), "Mul": _fold_binary(_fold_numpy("multiply")),
    "Div": _fold_binary(_fold_numpy("floor_divide")),
}


class _Large(Exception):
    """A computed constant too large to evaluate; its shape is known."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__(shape)
        self.shape = shape


def _claimed(ctx: Ctx, index: int, node: Any, shape: tuple[int, ...]) -> None:
    """Refuse a constant whose claimed shape is impossible or beyond cnncalc's limits (a hostile file's)."""
    from cnncalc.core.limits import MAX_ELEMENTS

    where = f"node {index} {node.name or node.output[0]!r} ({node.op_type})"
    if any(d < 0 for d in shape):
        raise _Refused(_problem(ctx.path, "corrupt-file", f"{where} makes a tensor of shape {list(shape)}: a "
                                "negative size; export the model again"))
    if math.prod(shape) > MAX_ELEMENTS:
        raise _Refused(_problem(ctx.path, "too-large", f"{where} claims a {'×'.join(f'{d:,}' for d in shape)} "
                                f"tensor, over {MAX_ELEMENTS:,} values; no real network has one"))


# --- the walk -----------------------------------------------------------------------------------


def _walk(model: Any, ctx: Ctx, unmapped: dict[str, Unmapped], partial: bool) -> str:
    """Map every node in graph order; returns a description of the node the partial spec stops at, if any."""
    for index, node in enumerate(model.graph.node, 1):
        if id(node) in ctx.skip or (node.output and all(o in ctx.consts for o in node.output if o)):
            continue
        mapper = MAPPERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if mapper is not None and any(i in ctx.poisoned for i in node.input):
            # a known operator after an unmapped one: not a problem of its own, and its input's shape is unknown,
            # so whether it maps cannot be told; the refusal says how many there are
            ctx.poisoned.update(node.output)
            ctx.unexamined[node.op_type] += 1
            continue
        where = f"node {index} {node.name or (node.output[0] if node.output else node.op_type)!r}"
        try:
            if not node.output:
                raise Unmappable("malformed node: no outputs")
            if mapper is None:
                raise Unmappable("")
            try:
                mapper(ctx, node)
            except Inconsistent as exc:
                raise _Refused(_problem(ctx.path, "inconsistent-graph", f"{where} ({node.op_type}): {exc}; the "
                                        "file contradicts itself, so no figure from it would be right")) from None
            except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
                # A node missing an attribute or input the operator requires: the file is malformed here.
                raise Unmappable(f"malformed node: {type(exc).__name__} {exc}") from None
        except Unmappable as exc:
            label = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            key = f"{label} ({exc})" if str(exc) else label
            entry = unmapped.setdefault(key, Unmapped(key, 0, where))
            entry.count += 1
            entry.positions.append(index)
            if not (partial and _placeholder(ctx, node, where)):
                ctx.poisoned.update(node.output)
            if partial and node.output and node.output[0] in ctx.poisoned:
                return where
    return ""


def _placeholder(ctx: Ctx, node: Any, where: str) -> bool:
    """Under --partial, stand an `identity` in for an unmapped node that keeps its input's shape."""
    data = [i for i in node.input if i and i not in ctx.consts and i in ctx.producer]
    out = node.output[0] if node.output else ""
    if not data or ctx.shapes.get(data[0]) is None or ctx.shapes.get(data[0]) != ctx.shapes.get(out):
        return False
    layer = _add(ctx, node, "identity", {}, [data[0]])
    layer.comments.append(f"unmapped: {node.op_type} ({where}) has no cnncalc kind; written as identity")
    return True


def _unmapped_problems(path: str, unmapped: dict[str, Unmapped], partial: bool,
                       unexamined: Counter[str] | None = None) -> list[Problem]:
    problems = []
    after = ""
    if unexamined:
        shown = ", ".join(f"{op} ×{n}" for op, n in unexamined.most_common(6)) + (", …" if len(unexamined) > 6 else "")
        count = sum(unexamined.values())
        after = (f"; {count} later node{'s' if count > 1 else ''} read{'' if count > 1 else 's'} what it computes "
                 f"and {'were' if count > 1 else 'was'} not examined ({shown}): {'their' if count > 1 else 'its'} "
                 "shapes depend on it, so some may not map either")
    for n, entry in enumerate(unmapped.values()):
        nodes = ", ".join(str(p) for p in entry.positions[:10]) + (", …" if len(entry.positions) > 10 else "")
        fix = ("written as identity where the shape allows (see the comments in the spec)" if partial else
               "rerun with --partial to write the rest, or replace the operator before exporting")
        problems.append(_problem(path, "unmapped-operator",
                                 f"{entry.op} ×{entry.count} has no cnncalc kind; first at {entry.first}"
                                 f" (node{'s' if entry.count > 1 else ''} {nodes}); {fix}" + (after if n == 0 else ""),
                                 WARNING if partial else ERROR))
    return problems


def _outputs(model: Any, ctx: Ctx) -> list[Problem]:
    """cnncalc's output is its last layer: end with the graph's (first) output."""
    outputs = [o.name for o in model.graph.output if o.name in ctx.producer]
    problems = []
    if len(outputs) > 1:
        problems.append(_problem(ctx.path, "multiple-outputs", f"the graph has {len(outputs)} outputs; the totals "
                                 f"count every layer, the output shape shown is {outputs[0]!r}'s", WARNING))
    if outputs and ctx.layers and ctx.producer[outputs[0]] != ctx.layers[-1].name:
        name = safe_name("output", ctx.used, "output")
        ctx.layers.append(Layer("identity", {}, name, [ctx.producer[outputs[0]]]))
    return problems


# --- naming and small helpers -------------------------------------------------------------------


def _layer_name(ctx: Ctx, node: Any, kind: str) -> str:
    """Readable name from a node: PyTorch's '/layer1/layer1.0/conv1/Conv' becomes layer1_0_conv1."""
    raw = node.name or (node.output[0] if node.output else "")
    parts = [p for p in raw.strip("/").split("/") if p]
    if len(parts) > 1 and re.fullmatch(re.escape(node.op_type) + r"(_\d+)?", parts[-1]):
        parts = parts[:-1]
    kept: list[str] = []
    for part in parts:  # drop a scope that the next one repeats ('layer1', 'layer1.0')
        if kept and part.startswith(kept[-1] + "."):
            kept[-1] = part
        else:
            kept.append(part)
    return safe_name("_".join(kept), ctx.used, kind)


def _add(ctx: Ctx, node: Any, kind: str, args: dict[str, Any], inputs: list[str]) -> Layer:
    """Append a layer named after `node`, whose first output it produces (callers folding several nodes
    into one layer record the last node's output too)."""
    layer = Layer(kind, args, _layer_name(ctx, node, kind), [ctx.producer.get(i, i) for i in inputs])
    ctx.layers.append(layer)
    ctx.producer[node.output[0]] = layer.name
    return layer


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _data(ctx: Ctx, node: Any, count: int | None = 1) -> list[str]:
    """The node's data (non-constant) inputs, checking how many there are."""
    data = [i for i in node.input if i and i not in ctx.consts]
    for name in data:
        if name not in ctx.producer:
            raise Unmappable(f"input {name!r} comes from an operator that was not mapped")
    if count is not None and len(data) != count:
        raise Unmappable(f"{len(data)} computed inputs where {count} expected")
    return data


def _param(ctx: Ctx, node: Any, i: int, what: str) -> Const | None:
    if len(node.input) <= i or not node.input[i]:
        return None
    const = ctx.consts.get(node.input[i])
    if const is None:
        raise Unmappable(f"the {what} is computed, not a constant")
    return const


def _values(ctx: Ctx, node: Any, i: int, what: str) -> list[float] | None:
    const = _param(ctx, node, i, what)
    if const is None:
        return None
    if const.values is None:
        raise Unmappable(f"the {what} is not a small constant")
    return [float(v) for v in const.values.reshape(-1)]


def _one(pair: tuple[int, int] | list[int]) -> int | list[int]:
    return pair[0] if pair[0] == pair[1] else [pair[0], pair[1]]


def _padding(pads: list[int]) -> int | list[int]:
    """ONNX pads [top, left, bottom, right] → cnncalc's shortest padding form."""
    t, l, b, r = pads
    if t == b and l == r:
        return t if t == l else [t, l]
    return [t, b, l, r]


def _shape(ctx: Ctx, name: str) -> tuple[int, ...]:
    shape = ctx.shapes.get(name)
    if shape is None:
        raise Unmappable(f"the shape of {name!r} is unknown")
    return shape


def _window_args(ctx: Ctx, node: Any, kernel: list[int], a: dict[str, Any]) -> dict[str, Any]:
    """stride, padding and dilation of a Conv or pool, from explicit pads or auto_pad."""
    strides = list(a.get("strides", [1, 1]))
    dilations = list(a.get("dilations", [1, 1]))
    if len(kernel) != 2:
        raise Unmappable(f"{len(kernel)}-D windows (cnncalc is 2-D)")
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode(errors="replace") if isinstance(auto, bytes) else auto
    if auto not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"):
        raise Inconsistent(f"auto_pad={auto!r} is not one of ONNX's NOTSET, SAME_UPPER, SAME_LOWER, VALID")
    if any(int(v) < 1 for v in [*strides, *dilations]):
        raise Inconsistent(f"strides {strides} and dilations {dilations} must be at least 1")
    padding: Any
    if auto == "SAME_UPPER":
        padding = "same"
    elif auto == "SAME_LOWER":
        _, _, h, w = _shape(ctx, node.input[0])
        pads = []
        for size, k, s, d in ((h, kernel[0], strides[0], dilations[0]), (w, kernel[1], strides[1], dilations[1])):
            total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
            pads.append((total - total // 2, total // 2))  # SAME_LOWER: the odd pixel at the start
        padding = _padding([pads[0][0], pads[1][0], pads[0][1], pads[1][1]])
    elif auto == "VALID":
        padding = 0
    else:
        padding = _padding(list(a.get("pads", [0, 0, 0, 0])))
    return {"stride": strides, "padding": padding, "dilation": dilations}


def _tidy(args: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Pairs written as one number where equal; arguments equal to their default left out."""
    out = {}
    for key, value in args.items():
        if isinstance(value, list) and len(value) == 2 and key != "padding":
            value = _one(value)
        if key in defaults and value == defaults[key]:
            continue
        out[key] = value
    return out


# --- operator mappings --------------------------------------------------------------------------


def _conv(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    weight = _param(ctx, node, 1, "weight")
    if weight is None or len(weight.shape) != 4:
        raise Unmappable("the weight is not a 4-D constant")
    a = _attrs(node)
    group = int(a.get("group", 1))
    filters, per_group, kh, kw = weight.shape
    bias_const = _param(ctx, node, 2, "bias")
    bias = bias_const is not None
    _consistent_conv(_shape(ctx, node.input[0])[1], weight.shape, group, a,
                     bias_const.shape if bias_const is not None else None)
    window = _window_args(ctx, node, list(a.get("kernel_shape", [kh, kw])), a)
    if group > 1 and per_group == 1:
        args = {"kernel": [kh, kw], **window, "multiplier": filters // group, "bias": bias}
        _add(ctx, node, "depthwise", _tidy(args, {"stride": 1, "padding": 0, "dilation": 1, "multiplier": 1,
                                                  "bias": True}), [x])
        return
    args = {"filters": filters, "kernel": [kh, kw], **window, "groups": group, "bias": bias}
    _add(ctx, node, "conv", _tidy(args, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True}), [x])


def _consistent_conv(channels: int, weight: tuple[int, ...], group: int, a: dict[str, Any],
                     bias: tuple[int, ...] | None) -> None:
    """A Conv's weight [F, C/groups, kH, kW] against its input's C channels, `group`, `kernel_shape` and bias [F]:
    ONNX Runtime refuses a file where they disagree, and counting from either side would give a wrong figure."""
    filters, per_group, kh, kw = weight
    if group < 1 or filters % group:
        raise Inconsistent(f"group={group} does not divide the weight's {filters} filters")
    if per_group * group != channels:
        raise Inconsistent(f"the weight {'×'.join(map(str, weight))} reads {per_group} channels per group × "
                           f"{group} group{'s' if group > 1 else ''} = {per_group * group}, but the input has {channels}")
    kernel = [int(k) for k in a.get("kernel_shape", [kh, kw])]
    if kernel != [kh, kw]:
        raise Inconsistent(f"kernel_shape {kernel} differs from the weight's {kh}×{kw}")
    if bias is not None and bias != (filters,):
        raise Inconsistent(f"the bias has shape {list(bias)}, not [{filters}] (one value per filter)")


def _conv_transpose(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    weight = _param(ctx, node, 1, "weight")
    if weight is None or len(weight.shape) != 4:
        raise Unmappable("the weight is not a 4-D constant")
    a = _attrs(node)
    if "output_shape" in a:
        raise Unmappable("output_shape is given (give pads instead)")
    group = int(a.get("group", 1))
    _, per_group, kh, kw = weight.shape
    window = _window_args(ctx, node, list(a.get("kernel_shape", [kh, kw])), a)
    args = {"filters": per_group * group, "kernel": [kh, kw], **window,
            "output_padding": list(a.get("output_padding", [0, 0])), "groups": group,
            "bias": _param(ctx, node, 2, "bias") is not None}
    _add(ctx, node, "deconv", _tidy(args, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True,
                                           "output_padding": 0}), [x])


def _pool(kind: str) -> Callable[[Ctx, Any], None]:
    def mapper(ctx: Ctx, node: Any) -> None:
        (x,) = _data(ctx, node)
        if len(node.output) > 1 and node.output[1]:
            raise Unmappable("the indices output is used")
        a = _attrs(node)
        kernel = list(a["kernel_shape"])
        window = _window_args(ctx, node, kernel, a)
        if window.pop("dilation") != [1, 1]:
            raise Unmappable("dilated pooling")
        if window["stride"] == kernel:
            del window["stride"]
        # count_include_pad changes the averages, not shapes or counts: nothing to write.
        args = {"kernel": kernel, **window, "ceil": bool(a.get("ceil_mode", 0))}
        _add(ctx, node, kind, _tidy(args, {"padding": 0, "ceil": False}), [x])
    return mapper


def _simple(kind: str, **fixed: Any) -> Callable[[Ctx, Any], None]:
    def mapper(ctx: Ctx, node: Any) -> None:
        (x,) = _data(ctx, node)
        _add(ctx, node, kind, dict(fixed), [x])
    return mapper


def _merge(kind: str) -> Callable[[Ctx, Any], None]:
    def mapper(ctx: Ctx, node: Any) -> None:
        data = _data(ctx, node, None)
        if len(data) < 2 or len(data) != len([i for i in node.input if i]):
            raise Unmappable(f"{kind} with a constant operand")
        _add(ctx, node, kind, {}, data)
    return mapper


def _sigmoid(ctx: Ctx, node: Any) -> None:
    """Sigmoid, or x·sigmoid(x) (how SiLU/Swish is exported) as one silu layer."""
    (x,) = _data(ctx, node)
    users = ctx.consumers.get(node.output[0], [])
    if len(users) == 1 and users[0].op_type == "Mul" and sorted(users[0].input) == sorted([x, node.output[0]]):
        ctx.skip.add(id(users[0]))
        _add(ctx, users[0], "silu", {}, [x])
        return
    _add(ctx, node, "sigmoid", {}, [x])


def _only_user(ctx: Ctx, tensor: str, op: str) -> Any:
    users = ctx.consumers.get(tensor, [])
    return users[0] if len(users) == 1 and users[0].op_type == op else None


def _scalar_input(ctx: Ctx, node: Any, other_than: str) -> float | None:
    rest = [i for i in node.input if i != other_than]
    if len(rest) != 1 or rest[0] not in ctx.consts or ctx.consts[rest[0]].values is None:
        return None
    values = ctx.consts[rest[0]].values.reshape(-1)
    return float(values[0]) if values.size == 1 else None


def _div(ctx: Ctx, node: Any) -> None:
    """Only as the start of GELU written out with Erf (before opset 20): x·½·(1 + erf(x/√2))."""
    (x,) = _data(ctx, node)
    chain = _gelu_chain(ctx, node, x)
    ctx.skip.update(id(n) for n in chain[1:])
    ctx.producer[chain[-1].output[0]] = _add(ctx, node, "gelu", {}, [x]).name


def _gelu_chain(ctx: Ctx, node: Any, x: str) -> list[Any]:
    """The Div, Erf, Add, Mul, Mul nodes of GELU written out, starting at `node` (x/√2), or Unmappable."""
    chain = [node]
    for op in ("Erf", "Add", "Mul", "Mul"):
        user = _only_user(ctx, chain[-1].output[0], op)
        if user is None:
            raise Unmappable("division by a computed value or outside GELU")
        chain.append(user)
    _, erf, add, mul, half = chain
    if (abs((_scalar_input(ctx, node, x) or 0) - 2 ** 0.5) > 1e-3 or _scalar_input(ctx, add, erf.output[0]) != 1.0
            or x not in mul.input or _scalar_input(ctx, half, mul.output[0]) != 0.5):
        raise Unmappable("division outside GELU")
    return chain


def _clip(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    a = _attrs(node)
    low = _values(ctx, node, 1, "minimum") if len(node.input) > 1 and node.input[1] else [a.get("min", None)]
    high = _values(ctx, node, 2, "maximum") if len(node.input) > 2 and node.input[2] else [a.get("max", None)]
    bounds = (low[0] if low else None, high[0] if high else None)
    kinds = {(0.0, 6.0): "relu6", (0.0, None): "relu"}
    if bounds not in kinds:
        raise Unmappable(f"Clip to {bounds} (only [0, 6] is relu6)")
    _add(ctx, node, kinds[bounds], {}, [x])  # type: ignore[index]


def _leaky(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    slope = round(float(_attrs(node).get("alpha", 0.01)), 6)
    _add(ctx, node, "leakyrelu", {} if slope == 0.01 else {"slope": slope}, [x])


def _elu(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    alpha = round(float(_attrs(node).get("alpha", 1.0)), 6)
    _add(ctx, node, "elu", {} if alpha == 1.0 else {"alpha": alpha}, [x])


def _hardsigmoid(ctx: Ctx, node: Any) -> None:
    a = _attrs(node)
    if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
        raise Unmappable("alpha/beta other than PyTorch's 1/6, 0.5")
    _simple("hardsigmoid")(ctx, node)


def _batchnorm(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    for i, what in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")):
        _param(ctx, node, i, what)
    _add(ctx, node, "batchnorm", {}, [x])


def _prelu(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    slope = _param(ctx, node, 1, "slope")
    count = 1
    for d in slope.shape if slope else ():
        count *= d
    _add(ctx, node, "prelu", {"shared": True} if count == 1 else {}, [x])


def _dropout(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    ratio = _values(ctx, node, 1, "ratio") if len(node.input) > 1 and node.input[1] else None
    rate = round(float(ratio[0] if ratio else _attrs(node).get("ratio", 0.5)), 6)
    _add(ctx, node, "dropout", {} if rate == 0.5 else {"rate": rate}, [x])


def _identity(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    ctx.producer[node.output[0]] = ctx.producer[x]  # no layer: an alias


def _flatten(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    shape = _shape(ctx, x)
    axis = int(_attrs(node).get("axis", 1))
    if axis not in (1, 1 - len(shape)):
        raise Unmappable(f"axis {axis} (only the batch axis is kept)")
    if len(shape) == 2:
        _identity(ctx, node)
        return
    _add(ctx, node, "flatten", {}, [x])


def _reshape(ctx: Ctx, node: Any) -> None:
    """Reshape (or Squeeze) of N×C×H×W to N×(C·H·W) is a flatten; the start of a channel shuffle or of
    PyTorch's group norm is that layer; anything else has no kind."""
    (x,) = _data(ctx, node)
    before, after = _shape(ctx, x), _shape(ctx, node.output[0])
    if node.op_type == "Reshape" and (_channel_shuffle(ctx, node, x) or _group_norm(ctx, node)
                                      or _pixel_shuffle(ctx, node, x)):
        return
    if after == before:  # a reshape to the same shape (dynamo exports one after pooling)
        _identity(ctx, node)
        return
    if after[:1] != before[:1] or not 2 <= len(after) <= 5:
        raise Unmappable(f"reshape {before} → {after} (the batch axis must stay, and cnncalc has 1 to 3 spatial axes)")
    if len(after) == 2:
        if len(before) == 2:
            _identity(ctx, node)
            return
        _add(ctx, node, "flatten", {}, [x])
        return
    # N×C×… as cnncalc reads it: channels last. The values keep their count; their order is not counted.
    _add(ctx, node, "reshape", {"shape": [*after[2:], after[1]]}, [x])


def _pixel_shuffle(ctx: Ctx, node: Any, x: str) -> bool:
    """PyTorch's PixelUnshuffle (N×C×H×W → N×C×H/b×b×W/b×b, a transpose, → N×C·b²×H/b×W/b) and PixelShuffle
    (the reverse) export as Reshape, Transpose, Reshape: space-to-depth and depth-to-space by b."""
    before, after = _shape(ctx, x), _shape(ctx, node.output[0])
    swap = _only_user(ctx, node.output[0], "Transpose")
    back = _only_user(ctx, swap.output[0], "Reshape") if swap is not None else None
    if len(before) != 4 or len(after) != 6 or back is None:
        return False
    final = ctx.shapes.get(back.output[0])
    if final is None or len(final) != 4 or final[0] != before[0]:
        return False
    n, c, h, w = before
    if final[2] * final[3] < h * w and h % final[2] == 0 and h // final[2] == w // final[3] \
            and final[1] == c * (h // final[2]) ** 2:
        kind, block = "spacetodepth", h // final[2]
    elif final[2] * final[3] > h * w and final[2] % h == 0 and final[2] // h == final[3] // w \
            and c == final[1] * (final[2] // h) ** 2:
        kind, block = "depthtospace", final[2] // h
    else:
        return False
    ctx.skip.update((id(swap), id(back)))
    ctx.producer[back.output[0]] = _add(ctx, node, kind, {"block": block}, [x]).name
    return True


def _channel_shuffle(ctx: Ctx, node: Any, x: str) -> bool:
    """Reshape N×C×… to N×g×(C/g)×…, swap those two axes, reshape back: a shuffle of g groups (ShuffleNet)."""
    before, after = _shape(ctx, x), _shape(ctx, node.output[0])
    if len(after) != len(before) + 1 or after[0] != before[0] or after[1] * after[2] != before[1] \
            or after[3:] != before[2:]:
        return False
    swap = _only_user(ctx, node.output[0], "Transpose")
    perm = [int(p) % len(after) for p in _attrs(swap).get("perm", [])] if swap is not None else []
    back = _only_user(ctx, swap.output[0], "Reshape") if swap is not None else None
    if perm != [0, 2, 1, *range(3, len(after))] or back is None or ctx.shapes.get(back.output[0]) != before:
        return False
    ctx.skip.update((id(swap), id(back)))
    ctx.producer[back.output[0]] = _add(ctx, node, "shuffle", {"groups": after[1]}, [x]).name
    return True


def _group_norm(ctx: Ctx, node: Any) -> bool:
    """PyTorch's GroupNorm export: reshape to N×g×…, InstanceNormalization with fixed weights, reshape back,
    then (affine) Mul and Add of per-channel weights."""
    x = node.input[0]
    before, after = _shape(ctx, x), _shape(ctx, node.output[0])
    norm = _only_user(ctx, node.output[0], "InstanceNormalization")
    if len(before) < 3 or len(after) != 3 or after[0] != before[0] or before[1] % after[1] or norm is None:
        return False
    back = _only_user(ctx, norm.output[0], "Reshape")
    if back is None or ctx.shapes.get(back.output[0]) != before or any(i in ctx.params for i in norm.input[1:]):
        return False
    ctx.skip.update((id(norm), id(back)))
    last, affine = back, False
    mul = _only_user(ctx, back.output[0], "Mul")
    add = _only_user(ctx, mul.output[0], "Add") if mul is not None else None
    if mul is not None and add is not None and _channel_weight(ctx, mul, back.output[0], before) \
            and _channel_weight(ctx, add, mul.output[0], before):
        ctx.skip.update((id(mul), id(add)))
        last, affine = add, True
    elif mul is not None and add is not None and _fixed(ctx, mul, back.output[0]) and _fixed(ctx, add, mul.output[0]):
        ctx.skip.update((id(mul), id(add)))  # affine=False: PyTorch still multiplies by ones and adds zeros
        last = add
    layer = _add(ctx, node, "groupnorm", {"groups": after[1], **({} if affine else {"affine": False})}, [x])
    ctx.producer[last.output[0]] = layer.name
    return True


def _fixed(ctx: Ctx, node: Any, x: str) -> bool:
    """The other operand of `node` is a constant that is not a learned weight (a Constant node's value)."""
    other = [i for i in node.input if i != x]
    return len(other) == 1 and other[0] in ctx.consts and other[0] not in ctx.params


def _channel_weight(ctx: Ctx, node: Any, x: str, shape: tuple[int, ...]) -> str | None:
    """The other operand of `node` when it is a learned weight of one value per channel, broadcast over
    the positions of a tensor of `shape` (C, C×1×1 or 1×C×1×1; a plain C only for vectors)."""
    other = [i for i in node.input if i != x]
    if len(other) != 1 or other[0] not in ctx.params or other[0] not in ctx.consts:
        return None
    dims = list(ctx.consts[other[0]].shape)
    c = shape[1]
    while len(dims) > len(shape) - 1 and dims[0] == 1:
        dims = dims[1:]
    return other[0] if dims == [c] + [1] * (len(shape) - 2) else None


def _transpose(ctx: Ctx, node: Any) -> None:
    """A transpose to channels last (N×…×C), layers that work on the last axis, and a transpose back: how
    PyTorch exports LayerNorm2d and ConvNeXt's channels-last MLP. Each step is the layer it equals at every
    position: a layer norm, a Linear as a 1×1 convolution, an activation, a layer scale."""
    (x,) = _data(ctx, node)
    rank = len(_shape(ctx, x))
    perm = [int(p) % rank for p in _attrs(node).get("perm", [])]
    steps, back = _channels_last_steps(ctx, node.output[0], _shape(ctx, node.output[0])) \
        if rank >= 3 and perm == [0, *range(2, rank), 1] else ([], None)
    if not steps or back is None:
        if sorted(perm) != list(range(rank)) or perm[0] != 0 or not 2 <= rank <= 5:
            raise Unmappable("a transpose that moves the batch axis, or of more than 3 spatial axes")
        if rank == 2:
            _identity(ctx, node)
            return
        # the same permutation of one sample's axes, written channels last (ONNX axis 1 is cnncalc's last)
        last = [*range(2, rank), 1]
        order = [last.index(perm[a]) for a in last]
        _add(ctx, node, "permute", {"order": order}, [x])
        return
    source = x
    for i, (first, kind, args, nodes) in enumerate(steps):
        ctx.skip.update(id(n) for n in nodes)
        layer = _add(ctx, node if len(steps) == 1 else first, kind, args, [source])
        source = nodes[-1].output[0]
        ctx.producer[source] = layer.name
    ctx.skip.add(id(back))
    ctx.producer[back.output[0]] = ctx.producer[source]


_LAST_AXIS_ACTIVATIONS = {"Relu": "relu", "Gelu": "gelu", "Sigmoid": "sigmoid", "Tanh": "tanh",
                          "HardSwish": "hardswish"}


def _channels_last_steps(ctx: Ctx, t: str, shape: tuple[int, ...]) -> tuple[list[Any], Any]:
    """From tensor `t` (channels last), the steps (first node, kind, args, nodes) up to the transpose back to
    channels first, and that transpose; ([], None) where a node has no channels-last equivalent."""
    steps: list[Any] = []
    rank, channels = len(shape), shape[-1]
    while True:
        found = _decomposed_norm(ctx, t, (*shape[:-1], channels))
        users = ctx.consumers.get(t, [])
        user = users[0] if len(users) == 1 else _users(ctx, t).get("Div")  # GELU reads t twice
        if found:
            steps.append((found[2][0], "layernorm", found[1], found[2]))
        elif user is None:
            return [], None
        elif user.op_type == "Transpose":
            ok = [int(p) % rank for p in _attrs(user).get("perm", [])] == [0, rank - 1, *range(1, rank - 1)]
            return (steps, user) if ok else ([], None)
        elif user.op_type == "LayerNormalization" and int(_attrs(user).get("axis", -1)) % rank == rank - 1:
            steps.append((user, "layernorm", _norm_affine(ctx, user, True), [user]))
        elif user.op_type in _LAST_AXIS_ACTIVATIONS:
            steps.append((user, _LAST_AXIS_ACTIVATIONS[user.op_type], {}, [user]))
        elif user.op_type == "Div":
            try:
                steps.append((user, "gelu", {}, _gelu_chain(ctx, user, t)))
            except Unmappable:
                return [], None
        elif user.op_type == "Mul" and _last_weight(ctx, user, t, channels):
            steps.append((user, "layerscale", {}, [user]))
        elif user.op_type == "MatMul" and user.input[0] == t and user.input[1] in ctx.params \
                and len(ctx.consts[user.input[1]].shape) == 2 and ctx.consts[user.input[1]].shape[0] == channels:
            channels = ctx.consts[user.input[1]].shape[1]
            bias = _only_user(ctx, user.output[0], "Add")
            nodes = [user, bias] if bias is not None and _last_weight(ctx, bias, user.output[0], channels) else [user]
            steps.append((user, "conv", {"filters": channels, "kernel": 1, **({} if len(nodes) == 2 else
                                                                             {"bias": False})}, nodes))
        else:
            return [], None
        t = steps[-1][3][-1].output[0]


def _users(ctx: Ctx, tensor: str) -> dict[str, Any]:
    """The nodes reading `tensor`, by operator (only where each operator reads it once)."""
    users = ctx.consumers.get(tensor, [])
    by_op = {u.op_type: u for u in users}
    return by_op if len(by_op) == len(users) else {}


def _last_axis(ctx: Ctx, node: Any, rank: int) -> bool:
    """A ReduceMean over the last axis alone, keeping it (the axes an attribute, or an input from opset 18)."""
    axes = _values(ctx, node, 1, "axes") if len(node.input) > 1 and node.input[1] else _attrs(node).get("axes")
    return axes is not None and [int(a) % rank for a in axes] == [rank - 1] and _attrs(node).get("keepdims", 1)


def _decomposed_norm(ctx: Ctx, t: str, shape: tuple[int, ...]) -> tuple[Any, dict[str, Any], list[Any]] | None:
    """LayerNorm over the last axis as exporters write it before opset 17: (t − mean)/√(mean((t − mean)²) + ε),
    then optionally · weight and + bias (one learned value per element of the last axis). Returns the last
    node, the layernorm's arguments and the nodes folded into it."""
    first = _users(ctx, t)
    mean, sub = first.get("ReduceMean"), first.get("Sub")
    if len(first) != 2 or mean is None or sub is None or list(sub.input) != [t, mean.output[0]] \
            or not _last_axis(ctx, mean, len(shape)):
        return None
    centred = _users(ctx, sub.output[0])
    power, div = centred.get("Pow"), centred.get("Div")
    if len(centred) != 2 or power is None or div is None or _scalar_input(ctx, power, sub.output[0]) != 2.0:
        return None
    var = _only_user(ctx, power.output[0], "ReduceMean")
    eps = _only_user(ctx, var.output[0], "Add") if var is not None and _last_axis(ctx, var, len(shape)) else None
    root = _only_user(ctx, eps.output[0], "Sqrt") if eps is not None else None
    if root is None or list(div.input) != [sub.output[0], root.output[0]] \
            or _scalar_input(ctx, eps, var.output[0]) is None:
        return None
    nodes = [mean, sub, power, var, eps, root, div]
    args: dict[str, Any] = {"affine": False, "bias": False}
    scale = _only_user(ctx, div.output[0], "Mul")
    if scale is not None and _last_weight(ctx, scale, div.output[0], shape[-1]):
        nodes.append(scale)
        shift = _only_user(ctx, scale.output[0], "Add")
        args = {"bias": False}
        if shift is not None and _last_weight(ctx, shift, scale.output[0], shape[-1]):
            nodes.append(shift)
            args = {}
    return nodes[-1], args, nodes


def _last_weight(ctx: Ctx, node: Any, x: str, size: int) -> bool:
    """The other operand of `node` is a learned weight of one value per element of the last axis."""
    other = [i for i in node.input if i != x]
    if len(other) != 1 or other[0] not in ctx.params or other[0] not in ctx.consts:
        return False
    return [d for d in ctx.consts[other[0]].shape if d != 1] == [size] and ctx.consts[other[0]].shape[-1] == size


def _reduce_mean(ctx: Ctx, node: Any) -> None:
    """The mean over rows and columns is a global average pool (then a flatten where the axes are dropped);
    over a vector's values, the start of a decomposed layer norm."""
    (x,) = _data(ctx, node)
    shape = _shape(ctx, x)
    axes = _values(ctx, node, 1, "axes") if len(node.input) > 1 and node.input[1] else _attrs(node).get("axes")
    if len(shape) == 4 and axes is not None and sorted(int(a) % 4 for a in axes) == [2, 3]:
        layer = _add(ctx, node, "globalavgpool", {}, [x])
        if not _attrs(node).get("keepdims", 1):
            flat = Layer("flatten", {}, safe_name(f"{layer.name}_flatten", ctx.used, "flatten"), [layer.name])
            ctx.layers.append(flat)
            ctx.producer[node.output[0]] = flat.name
        return
    found = _decomposed_norm(ctx, x, shape) if len(shape) == 2 else None
    if found is None:
        raise Unmappable("a mean over other axes than the rows and columns, outside a layer norm")
    ctx.skip.update(id(n) for n in found[2][1:])
    ctx.producer[found[0].output[0]] = _add(ctx, node, "layernorm", found[1], [x]).name


def _norm_affine(ctx: Ctx, node: Any, with_bias: bool) -> dict[str, Any]:
    """`affine`/`bias` of a normalisation from its scale (input 1) and bias (input 2): learned weights are
    initializers; fixed ones (PyTorch's affine=False) are Constant nodes."""
    scale = len(node.input) > 1 and node.input[1] in ctx.params
    bias = len(node.input) > 2 and node.input[2] in ctx.params
    if not scale:
        return {"affine": False, "bias": False} if with_bias else {"affine": False}
    if with_bias:
        return {} if bias else {"bias": False}
    return {} if bias else {"affine": True}


def _layer_norm(ctx: Ctx, node: Any) -> None:
    """LayerNormalization over the channels alone: of a vector, or of N×C×1×1 (positions of one)."""
    (x,) = _data(ctx, node)
    shape = _shape(ctx, x)
    axis = int(_attrs(node).get("axis", -1)) % len(shape)
    if axis != 1 or any(d != 1 for d in shape[2:]):
        raise Unmappable("normalisation over other axes than the channels (transpose channels last first)")
    _add(ctx, node, "layernorm", _norm_affine(ctx, node, True), [x])


def _instance_norm(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    affine = _norm_affine(ctx, node, False)
    _add(ctx, node, "instancenorm", {} if affine.get("affine") is False else {"affine": True}, [x])


def _group_normalization(ctx: Ctx, node: Any) -> None:
    """GroupNormalization: opset 21's per-channel scale is PyTorch's GroupNorm; opset 18's per-group scale
    (unless groups = channels) has fewer weights than any cnncalc kind."""
    (x,) = _data(ctx, node)
    groups = int(_attrs(node)["num_groups"])
    scale = _param(ctx, node, 1, "scale")
    count = 1
    for d in scale.shape if scale else ():
        count *= d
    affine = _norm_affine(ctx, node, False).get("affine", True)
    if affine and count != _shape(ctx, x)[1]:
        raise Unmappable("one scale per group (opset 18); cnncalc's groupnorm has one per channel")
    _add(ctx, node, "groupnorm", {"groups": groups, **({} if affine else {"affine": False})}, [x])


def _mul(ctx: Ctx, node: Any) -> None:
    """Mul of two computed tensors is `multiply`; by a learned per-channel weight, `layerscale` (with `bias` when
    an Add of a learned per-channel weight follows); by one constant number (plus an Add of one), `rescaling`."""
    data = _data(ctx, node, None)
    if len(data) != 1:
        _merge("multiply")(ctx, node)
        return
    (x,) = data
    if _channel_weight(ctx, node, x, _shape(ctx, x)):
        # followed by an Add of a learned weight per channel: Caffe's Scale layer with its bias (after BatchNorm)
        add = _only_user(ctx, node.output[0], "Add")
        shifted = add is not None and _channel_weight(ctx, add, node.output[0], _shape(ctx, x))
        layer = _add(ctx, node, "layerscale", {"bias": True} if shifted else {}, [x])
        if shifted:
            ctx.skip.add(id(add))
            ctx.producer[add.output[0]] = layer.name
        return
    scale = _scalar_input(ctx, node, x)
    if scale is None:
        raise Unmappable("multiplication by a constant that is neither one number nor one learned value per channel")
    args: dict[str, Any] = {"scale": float(f"{scale:.7g}")}  # float32 constants, read back as written
    add = _only_user(ctx, node.output[0], "Add")
    offset = _scalar_input(ctx, add, node.output[0]) if add is not None else None
    if add is not None and offset is not None:
        ctx.skip.add(id(add))
        if offset:
            args["offset"] = float(f"{offset:.7g}")
    layer = _add(ctx, node, "rescaling", args, [x])
    if add is not None and offset is not None:
        ctx.producer[add.output[0]] = layer.name


def _gemm(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    a = _attrs(node)
    weight = _param(ctx, node, 1, "weight")
    if weight is None or len(weight.shape) != 2 or a.get("transA", 0):
        raise Unmappable("not x·Wᵀ + b with a constant W")
    units = weight.shape[0] if a.get("transB", 0) else weight.shape[1]
    bias = _param(ctx, node, 2, "bias") is not None
    _add(ctx, node, "dense", {"units": units} if bias else {"units": units, "bias": False}, [x])


def _matmul(ctx: Ctx, node: Any) -> None:
    """x·W, with a following Add of a constant vector folded in as the bias."""
    (x,) = _data(ctx, node)
    weight = _param(ctx, node, 1, "weight")
    if weight is None or len(weight.shape) != 2 or len(_shape(ctx, x)) != 2:
        raise Unmappable("not a vector times a constant matrix")
    units = weight.shape[1]
    users = ctx.consumers.get(node.output[0], [])
    if len(users) == 1 and users[0].op_type == "Add":
        other = [i for i in users[0].input if i != node.output[0]]
        if len(other) == 1 and other[0] in ctx.consts and ctx.consts[other[0]].shape in ((units,), (1, units)):
            ctx.skip.add(id(users[0]))
            ctx.producer[users[0].output[0]] = _add(ctx, node, "dense", {"units": units}, [x]).name
            return
    _add(ctx, node, "dense", {"units": units, "bias": False}, [x])


def _concat(ctx: Ctx, node: Any) -> None:
    data = _data(ctx, node, None)
    axis = int(_attrs(node).get("axis", 1))
    rank = len(_shape(ctx, data[0]))
    if axis % rank == 0:
        raise Unmappable(f"concatenation on axis {axis}, the batch")
    if len(data) != len(node.input):
        raise Unmappable("concatenation with a constant")
    if len(data) == 1:  # torch.cat of one tensor: the tensor itself
        ctx.producer[node.output[0]] = ctx.producer[data[0]]
        return
    at = axis % rank
    _add(ctx, node, "concat", {} if at == 1 else {"axis": at - 2}, data)  # channels last: ONNX axis 2 is cnncalc's 0


def _block_size(kind: str) -> Callable[[Ctx, Any], None]:
    """SpaceToDepth / DepthToSpace (either mode: the shapes and counts are the same) with their blocksize."""
    def mapper(ctx: Ctx, node: Any) -> None:
        (x,) = _data(ctx, node)
        block = int(_attrs(node).get("blocksize", 0))
        if block < 1:
            raise Inconsistent(f"blocksize={block}; ONNX's {node.op_type} needs a blocksize of at least 1")
        _add(ctx, node, kind, {"block": block}, [x])
    return mapper


def _pad(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    a = _attrs(node)
    mode = a.get("mode", b"constant")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant":
        raise Unmappable(f"mode {mode!r} (only constant padding)")
    pads = _values(ctx, node, 1, "pads") if len(node.input) > 1 and node.input[1] else list(a.get("pads", []))
    if pads is None or len(pads) != 8 or len(node.input) > 3 and node.input[3]:
        raise Unmappable("padding other than the 4 dimensions of a feature map")
    p = [int(v) for v in pads]
    if p[0] or p[1] or p[4] or p[5]:
        raise Unmappable("padding of the batch or channel dimension")
    t, l, b, r = p[2], p[3], p[6], p[7]
    if min(t, l, b, r) < 0:
        if max(t, l, b, r) > 0:
            raise Unmappable("padding and cropping at once")
        _add(ctx, node, "crop", {"cropping": _padding([-t, -l, -b, -r])}, [x])
        return
    _add(ctx, node, "zeropad", {"padding": _padding([t, l, b, r])}, [x])


def _resize(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    a = _attrs(node)
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    modes = {"nearest": "nearest", "linear": "bilinear", "bilinear": "bilinear", "cubic": "bicubic"}
    if mode not in modes:
        raise Unmappable(f"mode {mode!r}")
    args: dict[str, Any] = {}
    n, c, h, w = _shape(ctx, x)
    _, oc, oh, ow = _shape(ctx, node.output[0])
    if (oh, ow) == (h * (oh // h), w * (ow // w)) and oh % h == 0 and ow % w == 0:
        args["scale"] = _one([oh // h, ow // w])
    else:
        args["size"] = _one([oh, ow])
    if modes[mode] != "nearest":
        args["mode"] = modes[mode]
    _add(ctx, node, "upsample", args, [x])


def _slice(ctx: Ctx, node: Any) -> None:
    """A Slice (step 1) of rows and columns is a crop; of the channels alone, a `slice` of channels."""
    (x,) = _data(ctx, node)
    shape = _shape(ctx, x)
    out = _shape(ctx, node.output[0])
    a = _attrs(node)
    starts = _values(ctx, node, 1, "starts") if len(node.input) > 1 else a.get("starts")
    axes = _values(ctx, node, 3, "axes") if len(node.input) > 3 and node.input[3] else a.get("axes")
    steps = _values(ctx, node, 4, "steps") if len(node.input) > 4 and node.input[4] else None
    if starts is None or steps and any(s != 1 for s in steps):
        raise Unmappable("strided slicing")
    axis_list = [int(v) % len(shape) for v in axes] if axes is not None else list(range(len(starts)))
    begins = {axis: _begin(int(start), shape[axis]) for axis, start in zip(axis_list, starts)}
    if len(shape) >= 2 and shape[0] == out[0] and shape[2:] == out[2:] and shape[1] != out[1]:
        begin = begins[1]
        _add(ctx, node, "slice", {"channels": [begin, begin + out[1]]}, [x])
        return
    if len(shape) != 4 or shape[:2] != out[:2]:
        raise Unmappable("slicing of the batch, or of channels and positions at once")
    crop = {2: [0, 0], 3: [0, 0]}
    for axis, begin in begins.items():
        if axis in crop:
            crop[axis] = [begin, shape[axis] - begin - out[axis]]
    _add(ctx, node, "crop", {"cropping": _padding([crop[2][0], crop[3][0], crop[2][1], crop[3][1]])}, [x])


def _begin(start: int, size: int) -> int:
    """Where a Slice starts along an axis of `size` (negative starts count from the end, as in ONNX)."""
    return max(start + size, 0) if start < 0 else min(start, size)


def _split(ctx: Ctx, node: Any) -> None:
    """Split on the channels: each output read later is `split` (equal parts) or a `slice` of channels."""
    (x,) = _data(ctx, node)
    shape = _shape(ctx, x)
    if int(_attrs(node).get("axis", 0)) % len(shape) != 1:
        raise Unmappable("a split of another axis than the channels")
    sizes = [_shape(ctx, out)[1] for out in node.output]
    start = 0
    for index, (out, size) in enumerate(zip(node.output, sizes)):
        if ctx.consumers.get(out) or out in ctx.graph_outputs:
            equal = len(set(sizes)) == 1
            args = {"parts": len(sizes), "index": index} if equal else {"channels": [start, start + size]}
            layer = Layer("split" if equal else "slice", args, _layer_name(ctx, node, "split"), [ctx.producer[x]])
            ctx.layers.append(layer)
            ctx.producer[out] = layer.name
        start += size


def _lrn(ctx: Ctx, node: Any) -> None:
    (x,) = _data(ctx, node)
    size = int(_attrs(node)["size"])
    _add(ctx, node, "lrn", {} if size == 5 else {"size": size}, [x])


MAPPERS: dict[str, Callable[[Ctx, Any], None]] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "BatchNormalization": _batchnorm,
    "Relu": _simple("relu"),
    "Clip": _clip,
    "LeakyRelu": _leaky,
    "Elu": _elu,
    "Sigmoid": _sigmoid,
    "HardSigmoid": _hardsigmoid,
    "HardSwish": _simple("hardswish"),
    "Tanh": _simple("tanh"),
    "Gelu": _simple("gelu"),
    "Div": _div,
    "Softmax": _simple("softmax"),
    "PRelu": _prelu,
    "MaxPool": _pool("maxpool"),
    "AveragePool": _pool("avgpool"),
    "GlobalAveragePool": _simple("globalavgpool"),
    "GlobalMaxPool": _simple("globalmaxpool"),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Squeeze": _reshape,
    "Add": _merge("add"),
    "Sum": _merge("add"),
    "Sub": _merge("subtract"),
    "Mish": _simple("mish"),
    "SpaceToDepth": _block_size("spacetodepth"),
    "DepthToSpace": _block_size("depthtospace"),
    "Mul": _mul,
    "Concat": _concat,
    "Dropout": _dropout,
    "Identity": _identity,
    "Pad": _pad,
    "Resize": _resize,
    "Upsample": _resize,
    "Slice": _slice,
    "Split": _split,
    "Transpose": _transpose,
    "LayerNormalization": _layer_norm,
    "ReduceMean": _reduce_mean,
    "InstanceNormalization": _instance_norm,
    "GroupNormalization": _group_normalization,
    "LRN": _lrn,
}

_FUSABLE = ("conv", "depthwise", "deconv", "dense")
_FUSED = ("relu", "relu6", "sigmoid", "tanh", "hardswish", "hardsigmoid", "gelu", "silu", "softmax", "mish")


def _fuse_activations(layers: list[Layer]) -> None:
    """conv → relu with nothing else reading the conv becomes `conv: {..., activation: relu}`; it keeps the
    conv's name, and layers that read the activation read it instead."""
    readers = Counter(name for layer in layers for name in layer.inputs)
    i = 0
    while i < len(layers) - 1:
        first, act = layers[i], layers[i + 1]
        if (first.kind in _FUSABLE and act.kind in _FUSED and not act.args and act.inputs == [first.name]
                and readers[first.name] == 1 and "activation" not in first.args and not act.comments):
            first.args["activation"] = act.kind
            for layer in layers[i + 2:]:
                layer.inputs = [first.name if n == act.name else n for n in layer.inputs]
            del layers[i + 1]
        i += 1


def _fold_padding(layers: list[Layer]) -> None:
    """A Pad read only by the next conv or pool becomes that layer's padding (how PyTorch exports
    asymmetric padding); same shapes and counts, one readable line."""
    readers = Counter(name for layer in layers for name in layer.inputs)
    i = 0
    while i < len(layers) - 1:
        pad, layer = layers[i], layers[i + 1]
        if (pad.kind == "zeropad" and layer.kind in ("conv", "depthwise", "maxpool", "avgpool")
                and layer.inputs == [pad.name] and readers[pad.name] == 1 and "padding" not in layer.args
                and not pad.comments and _fits(pad.args["padding"], layer)):
            layer.args["padding"] = pad.args["padding"]
            layer.inputs = pad.inputs
            del layers[i]
            continue
        i += 1


def _fits(padding: Any, layer: Layer) -> bool:
    """Pools refuse padding over half the window (as PyTorch does); convolutions take any."""
    if layer.kind in ("conv", "depthwise"):
        return True
    pads = [padding] * 4 if isinstance(padding, int) else padding
    kernel = layer.args["kernel"]
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    t, b, l, r = (pads[0], pads[0], pads[1], pads[1]) if len(pads) == 2 else pads
    return 2 * max(t, b) <= kh and 2 * max(l, r) <= kw


def _sides(value: Any) -> list[int]:
    """A padding or cropping value as [top, bottom, left, right]."""
    if isinstance(value, int):
        return [value] * 4
    return [value[0], value[0], value[1], value[1]] if len(value) == 2 else list(value)


def _merge_crops(layers: list[Layer]) -> None:
    """Consecutive crops (PyTorch exports one Slice per axis) become one."""
    readers = Counter(name for layer in layers for name in layer.inputs)
    i = 0
    while i < len(layers) - 1:
        first, second = layers[i], layers[i + 1]
        if (first.kind == second.kind == "crop" and second.inputs == [first.name] and readers[first.name] == 1
                and not second.comments):
            total = [a + b for a, b in zip(_sides(first.args["cropping"]), _sides(second.args["cropping"]))]
            t, b, l, r = total
            second.args["cropping"] = _padding([t, l, b, r])
            second.inputs = first.inputs
            second.comments = first.comments
            for layer in layers[i + 2:]:  # the merged crop keeps the first one's name
                layer.inputs = [first.name if n == second.name else n for n in layer.inputs]
            second.name = first.name
            del layers[i]
            continue
        i += 1
