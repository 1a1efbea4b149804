"""Write an analysed spec as a readable PyTorch module: one nn.Module class per block, one for the network.

A block's class takes the block's arguments (and `in_channels`, as in the file) as constructor
parameters; its layers are read from the block's items in the Spec, and resolved through the
network's layers (`Analysis.network.layers`: each layer's `uses` chain says which block use made
it, its `where` which item). Arguments written `$name`/`${…}` become Python expressions of the
constructor parameters; the rest are literals of the converted values. Every name from the file
becomes a safe identifier and every value a literal built from typed data (cnncalc.export.names).

A block that one class cannot express for all its uses (`if:` layers, a `$kind`, `repeat: 0`, an
expression default, a fixed value differing between uses, ...) is written out instead: each of
its uses becomes the analysed layers, with their values as literals, in the network's class
(`_Inline` restarts the export with that block written out; a block using it is written out too).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from cnncalc.core.analysis import Analysis
from cnncalc.export.emit import Emit
from cnncalc.export.helpers import HELPERS
from cnncalc.export.names import ExpressionError, class_name, comment, expression, identifier, literal
from cnncalc.core.kinds import ALIASES, KINDS
from cnncalc.core.quantities import fmt_shape
from cnncalc.core.network import INPUT, Layer
from cnncalc.core.problems import BlockUse, Located, SpecError
from cnncalc.core.expand import reads_index as _reads_index
from cnncalc.core.spec import LATER_OPTIONS, Block, Item, Lit, Seq, Value, Var

Position = tuple[int, int]


@dataclass
class Exported:
    """The exported module's source, its network class, and each cnncalc layer's module path in it."""

    code: str
    class_name: str
    paths: dict[str, str]  # cnncalc layer name (layer1.1.conv1) -> module path (layer1.blocks.0.conv1)


@dataclass
class _Member:
    """What one item of a layer list became in one use of the list: its name and layers."""

    name: str  # the row name (prefix included; `.1` of a repeat included)
    layers: list[Layer] = field(default_factory=list)
    use: BlockUse | None = None  # for a block use


@dataclass
class _Scope:
    """The layers of one use of a layer list (the network's, or a block's), grouped by item."""

    depth: int  # index of this use in the layers' `uses` chains (-1: the top level)
    use: BlockUse | None
    members: dict[Position, list[_Member]] = field(default_factory=dict)


@dataclass
class _ClassCode:
    """A generated class: its Python name and source."""

    name: str
    source: str = ""


@dataclass
class _Gen:
    """The whole export's state: the analysis, classes made so far, helpers needed, attribute paths."""

    analysis: Analysis
    classes: dict[str, _ClassCode] = field(default_factory=dict)  # block name -> class
    order: list[str] = field(default_factory=list)  # block names, dependencies first
    used_names: set[str] = field(default_factory=lambda: set(HELPERS))
    helpers: set[str] = field(default_factory=set)
    attrs: dict[Position, str] = field(default_factory=dict)  # item position -> attribute name
    repeated: set[Position] = field(default_factory=set)
    instances: dict[Position, list[Layer]] = field(default_factory=dict)  # leaf item -> every layer it made
    params_of: dict[str, dict[str, str]] = field(default_factory=dict)  # block -> argument -> parameter
    inline: dict[str, str] = field(default_factory=dict)  # block -> why it is written out, not a class
    layer_paths: dict[str, str] = field(default_factory=dict)  # written-out layer -> its attribute
    var_of: dict[int, str] = field(default_factory=dict)  # top-level layer index -> its forward variable
    dotted_refs: set[str] = field(default_factory=set)  # uses in the network whose inner layers are read

    def class_for(self, block: Block, member: _Member) -> _ClassCode:
        """The class of a block, written from its first use (`member`) the first time it is asked for."""
        if block.name in self.classes:
            return self.classes[block.name]
        code = self.classes[block.name] = _ClassCode(class_name(block.name, self.used_names))
        assert member.use is not None
        depth = member.layers[0].uses.index(member.use)
        writer = _ClassWriter(self, block, _scope(member.layers, depth, member.use), member.name + ".")
        self.params_of[block.name] = writer.params
        try:
            code.source = writer.write(block.items, code.name, writer.params["in_channels"])
        except SpecError as exc:
            if exc.problem.rule != "unsupported-export":
                raise
            raise _Inline(block.name, exc.problem.message) from None
        self.order.append(block.name)
        return code


class _Inline(Exception):
    """A block whose class cannot express it faithfully: the export starts again writing its uses out."""

    def __init__(self, block: str, why: str) -> None:
        super().__init__(block, why)
        self.block, self.why = block, why


def _static_inline(block: Block) -> str | None:
    """Why a block's class would be wrong for some of its uses (so it is written out), or None."""
    for item in block.items:
        if "if" in item.options:
            return "its layers with `if:` exist in some uses only"
        if item.kind.startswith("$"):
            return f"its kind `{item.kind}` is an argument"
        if "repeat" in item.options and _reads_index(item):
            return "a repetition's arguments read `repeat_index`"
    for item in block.items:
        given = [option for option in LATER_OPTIONS if option in item.options]
        if given:
            return f"a layer in it is written with `{given[0]}:`"
        refs = item.options.get("from")
        if isinstance(refs, Seq) and len(refs.items) > 1 and item.kind not in ALIASES:
            return "a block use in it reads several inputs"
    if _dotted_refs(block.items):
        return "a layer in it reads into another of its layers (`m.*`, `m.2`, `use.layer`)"
    for param, default in block.params.items():
        if default is not None and "$" in str(default[0]):
            return f"the default of `{param}` is an expression"
    return None


def _scope(layers: list[Layer], depth: int, use: BlockUse | None) -> _Scope:
    """The members of one use of a layer list, keyed by their item's position."""
    scope = _Scope(depth, use)
    for layer in layers:
        if depth >= 0 and (len(layer.uses) <= depth or layer.uses[depth] != use):
            continue
        if len(layer.uses) == depth + 1:
            key, name, inner = (layer.where.line, layer.where.column), layer.name, None
        else:
            inner = layer.uses[depth + 1]
            key, name = (inner.line, inner.column), inner.name
        members = scope.members.setdefault(key, [])
        if not members or members[-1].name != name:
            members.append(_Member(name, [], inner))
        members[-1].layers.append(layer)
    return scope


def _pos(where: Located) -> Position:
    return where.line, where.column


class _ClassWriter:
    """Writes one class: the network's (block None) or a block's, from its items and one use's layers."""

    def __init__(self, gen: _Gen, block: Block | None, scope: _Scope, prefix: str) -> None:
        self.gen, self.block, self.scope, self.prefix = gen, block, scope, prefix
        self.used: set[str] = set()  # constructor parameters and locals of __init__
        self.attrs: set[str] = set()  # attributes, which are also the locals of forward
        self.params: dict[str, str] = {}  # block argument -> constructor parameter
        if block is not None:
            if "in_channels" in block.params:
                raise block.where.error("unsupported-export", f"block `{block.name}` declares `in_channels`, which "
                                        "the export reserves for the channels of the block's input; rename it")
            self.params["in_channels"] = identifier("in_channels", self.used)
            for param in block.params:
                self.params[param] = identifier(param, self.used, "arg")
        self.init: list[str] = []
        self.steps: list[tuple[str, str, list[str]]] = []  # (output variable, attribute, input variables)
        self.values: dict[str, tuple[str, str]] = {}  # name in the list -> (forward variable, channels source)
        self.outputs: list[tuple[str, str]] = []

    # -- values written in the file --------------------------------------------------------

    def value_code(self, value: Value) -> str:
        """A block argument as written at a use: a literal, or an expression of this class's parameters."""
        if isinstance(value, Lit):
            try:
                return literal(value.value)
            except TypeError:
                raise value.where.error("unsupported-export", "this value cannot be written as Python") from None
        if isinstance(value, Seq):
            return "[" + ", ".join(self.value_code(v) for v in value.items) + "]"
        return self.var_code(value)

    def var_code(self, var: Var) -> str:
        """`$name` or `${expr}` as Python over the constructor parameters."""
        text = var.text
        try:
            if text.startswith("${") and text.endswith("}"):
                return expression(text[2:-1], self.params)
            if text[1:] in self.params:
                return self.params[text[1:]]
        except ExpressionError as exc:
            raise var.where.error("unsupported-export", f"in `{text}`: {exc}") from None
        raise var.where.error("unsupported-export", f"`{text}` is not an argument of this block")

    def arg_exprs(self, item: Item, kind: str) -> dict[str, str]:
        """The kind's arguments the item wrote with `$name`/`${…}`, as Python expressions."""
        exprs: dict[str, str] = {}
        if self.block is None:  # the network's own layers: the analysed values are the values
            return exprs
        for arg, value in item.args.items():
            name = KINDS[kind].main if arg == "" else arg
            if name is None or not _has_var(value):
                continue
            if isinstance(value, Seq) and len(value.items) == 2 and name != "padding" or isinstance(value, Var):
                exprs[name] = ("(" + ", ".join(self.value_code(v) for v in value.items) + ")"
                               if isinstance(value, Seq) else self.var_code(value))
            else:
                raise value.where.error("unsupported-export", f"`{name}` mixes literals and `$` arguments in a "
                                        "form the export cannot write; give it as one `${…}` or a literal")
        return exprs

    # -- the class -------------------------------------------------------------------------

    def write(self, items: list[Item], name: str, in_channels: str) -> str:
        """The class source."""
        self.values["input"] = ("x_in", in_channels)
        self.outputs.append(("x_in", in_channels))
        for item in items:
            self.item(item)
        last_var, last_channels = self.outputs[-1]
        if self.block is not None:  # what a use of the block, or the next repeat, reads as its channels
            self.init.append(f"self.out_channels = {last_channels}")
        head = comment(f"block `{self.block.name}` (line {self.block.where.line})") if self.block else "the network"
        lines = [f"class {name}(nn.Module):", f"    # {head}", "", f"    def __init__({self.signature()}):",
                 "        super().__init__()"]
        lines += [f"        {line}" for line in self.init]
        lines += ["", "    def forward(self, x):"] + [f"        {line}" for line in _chain(self.steps, last_var)]
        return "\n".join(lines) + "\n"

    def signature(self) -> str:
        """`self, in_channels: int, filters, stride=2`: the block's arguments, defaults as in the file."""
        if self.block is None:
            return "self"
        params = ["self", f"{self.params['in_channels']}: int"] + (["*"] if len(self.params) > 1 else [])
        for raw, ident in self.params.items():
            default = self.block.params.get(raw) if raw != "in_channels" else None
            if raw == "in_channels":
                continue
            if default is None:
                params.append(ident)
                continue
            try:
                params.append(f"{ident}={literal(default[0])}")
            except TypeError:
                raise default[1].error("unsupported-export", "this default cannot be written as Python") from None
        return ", ".join(params)

    def item(self, item: Item) -> None:
        """One item: its attribute, constructor and forward line."""
        members = self.scope.members.get(_pos(item.where))
        if not members and self.block is None and ("if" in item.options or "repeat" in item.options):
            return  # `if:` false or `repeat: 0` in the network itself: no module at all
        repeated_read = "repeat" in item.options and members and members[0].name.rsplit(".", 1)[0] in self.gen.dotted_refs
        if members and self.block is None and "repeat" in item.options and (_reads_index(item) or repeated_read):
            # each repetition has its own arguments (`${16 + repeat_index * 8}`), or a layer reads one or every
            # repetition (`m.2`, `m.*`): one module per repetition
            self.gen.inline.setdefault(item.kind, "a repetition's arguments read `repeat_index`" if _reads_index(item)
                                       else "a layer reads its repetitions one by one")
            self.write_out(item, members)
            return
        later = next((option for option in LATER_OPTIONS if option in item.options), None)
        refs = item.options.get("from")
        if members and self.block is None and (later or isinstance(refs, Seq) and len(refs.items) > 1
                                               and item.kind in self.gen.analysis.spec.blocks):
            # copies side by side, weights frozen, fixed or shared, a block use with several inputs: layer by layer
            self.gen.inline.setdefault(item.kind, f"it is written with `{later}:`" if later
                                       else "a use reads several inputs")
            self.write_out(item, members)
            return
        if members and self.block is None and item.kind.startswith("$"):  # the kind is a variable's value
            self.gen.inline.setdefault(item.kind, f"its kind `{item.kind}` is a variable")
            self.write_out(item, members)
            return
        leaf = item.kind in ALIASES and item.kind not in self.gen.analysis.spec.blocks  # a file's block comes first
        if members and self.block is None and not leaf and self.inlined(item, members):
            self.write_out(item, members)
            return
        if not members:
            raise item.where.error("unsupported-export", "this layer is never used in the analysed network, so "
                                   "its export cannot be checked")
        repeated = "repeat" in item.options
        name = members[0].name[len(self.prefix):]
        if repeated:
            name = name.rsplit(".", 1)[0]
        attr = identifier(name, self.attrs)
        self.gen.attrs[_pos(item.where)] = attr
        if repeated:
            self.gen.repeated.add(_pos(item.where))
        sources = self.sources(item)
        channels = [c for _, c in sources]
        if leaf:
            make, out = self.leaf(item, channels)
        else:
            make, out = self.block_use(item, members, channels[0])
            out = None if repeated else f"self.{attr}.out_channels"
        if repeated:
            out = self.repeat(item, attr, make, channels[0], out)
        else:
            self.init.append(f"self.{attr} = {make(channels[0])}")
            out = out(channels[0]) if callable(out) else out
        self.steps.append((attr, attr, [v for v, _ in sources]))
        self.values[name] = (attr, out)
        self.outputs.append((attr, out))
        if self.block is None:
            self.gen.var_of[members[-1].layers[-1].index] = attr
            if leaf and not repeated:
                self.gen.var_of.update({layer.index: attr for m in members for layer in m.layers})

    def inlined(self, item: Item, members: list[_Member]) -> bool:
        """Whether a use of a block in the network is written out layer by layer rather than as its class."""
        if item.kind in self.gen.inline:
            return True
        if members[0].name in self.gen.dotted_refs:
            self.gen.inline.setdefault(item.kind, "a layer outside it reads a layer inside it")
            return True
        if any(_has_var(v) for v in item.args.values()) or _has_var(item.options.get("repeat", Lit(1, item.where))):
            return True
        return False

    def write_out(self, item: Item, members: list[_Member]) -> None:
        """A block use written out in the network's class: one module per analysed layer, literal values."""
        why = self.gen.inline.get(item.kind, "its arguments are the file's variables")
        what = "block" if item.kind in self.gen.analysis.spec.blocks else "layer"
        self.init.append(f"# {comment(members[0].name)}: {what} `{comment(item.kind)}` written out layer by layer "
                         f"(a class could not express it faithfully: {comment(why)})")
        for member in members:
            for layer in member.layers:
                attr = identifier(layer.name, self.attrs)
                channels = [literal(shape[-1]) for shape in layer.input_shapes]
                e = Emit(layer.kind, layer, [layer], {}, channels, layer.where)
                emitter = KINDS[layer.kind].emit
                if emitter is None:
                    raise layer.where.error("unsupported-export", f"the kind `{layer.kind}` has no PyTorch export yet")
                made, _ = emitter(e)
                self.gen.helpers |= e.helpers
                self.init += self._weights(layer, attr, made)
                self.steps.append((attr, attr, [self.var_of(i, layer) for i in layer.sources]))
                self.gen.var_of[layer.index] = attr
                self.gen.layer_paths[layer.name] = attr
                self.values[layer.name] = (attr, literal(layer.output[-1]))
            self.values[member.name] = self.values[member.layers[-1].name]  # each repetition's output (`m.2`)
        last = members[-1].layers[-1]
        name = members[0].name[len(self.prefix):]
        self.values[name.rsplit(".", 1)[0] if "repeat" in item.options else name] = self.values[last.name]
        self.outputs.append(self.values[last.name])

    def _weights(self, layer: Layer, attr: str, made: str) -> list[str]:
        """The lines that make a written-out layer's module, with its frozen, fixed or shared weights."""
        if layer.weights == "frozen":
            return [f"self.{attr} = {made}", f"self.{attr}.requires_grad_(False)"]
        if layer.weights == "fixed":
            self.gen.helpers.add("fixed")
            return [f"self.{attr} = fixed({made})"]
        if layer.weights.startswith("shares:"):
            shared = next(other for other in self.gen.analysis.network.layers if other.name == layer.weights[7:])
            path = _path_of(self.gen, shared)
            module = f"self.{path}" if all(part.isidentifier() for part in path.split(".")) \
                else f"self.get_submodule({literal(path)})"
            return [f"self.{attr} = {module}  # the same weights"]
        return [f"self.{attr} = {made}"]

    def var_of(self, index: int, layer: Layer) -> str:
        """The forward variable holding the output of the network's layer `index`."""
        if index == INPUT:
            return "x_in"
        if index not in self.gen.var_of:
            raise layer.where.error("unsupported-export", f"{layer.name} reads "
                                    f"{self.gen.analysis.network.layers[index].name}, inside a block written as a "
                                    "class; the export cannot reach it")
        return self.gen.var_of[index]

    def leaf(self, item: Item, channels: list[str]) -> tuple[Any, Any]:
        """(make(in_channels) -> constructor source, out(in_channels) -> channels source) for a leaf."""
        kind = ALIASES[item.kind]
        emitter = KINDS[kind].emit
        if emitter is None:
            raise item.where.error("unsupported-export", f"the kind `{kind}` has no PyTorch export yet")
        layers = [layer for member in self.scope.members[_pos(item.where)] for layer in member.layers]
        instances = self.gen.instances[_pos(item.where)]
        exprs = self.arg_exprs(item, kind)

        def run(c: str) -> tuple[str, str]:
            e = Emit(kind, layers[0], instances, exprs, [c] if len(channels) == 1 else channels, item.where)
            made = emitter(e)
            self.gen.helpers |= e.helpers
            return made
        return (lambda c: run(c)[0]), (lambda c: run(c)[1])

    def block_use(self, item: Item, members: list[_Member], c: str) -> tuple[Any, Any]:
        """(make, out) for a use of a block: its class, called with the arguments written at the use."""
        block = self.gen.analysis.spec.blocks[item.kind]
        if block.name in self.gen.inline and self.block is not None:
            raise _Inline(self.block.name, f"it uses block `{block.name}`, which is written out")
        cls = self.gen.class_for(block, members[0])
        args = dict(item.args)
        if "" in args and block.params:
            args[next(iter(block.params))] = args.pop("")
        given = {k: self.value_code(v) for k, v in args.items()}
        for k, (value, where) in self.gen.analysis.spec.defaults.get(block.name, {}).items():
            if k not in given:
                try:
                    given[k] = literal(value)
                except TypeError:
                    raise where.error("unsupported-export", "this value cannot be written as Python") from None
        ctor = cls.name
        params = self.gen.params_of[block.name]
        keywords = ", ".join(f"{params[k]}={v}" for k, v in given.items() if k in params and k != "in_channels")
        return (lambda c: f"{ctor}({c}{', ' + keywords if keywords else ''})"), None

    def repeat(self, item: Item, attr: str, make: Any, c: str, out: Any) -> str:
        """A repeated item: a loop building an nn.Sequential, each module reading the previous one's channels."""
        count_value = item.options["repeat"]
        if self.block is None or isinstance(count_value, Lit):  # the network's own repeats: as analysed
            count = literal(len(self.scope.members[_pos(item.where)]))
        else:
            count = self.value_code(count_value)
        chan = identifier(f"{attr}_channels", self.used)
        self.init += [f"{chan} = {c}", "layers = []", f"for _ in range({count}):",
                      f"    layers.append({make(chan)})",
                      f"    {chan} = {out(chan) if out is not None else 'layers[-1].out_channels'}",
                      f"self.{attr} = nn.Sequential(*layers)"]
        return chan

    def sources(self, item: Item) -> list[tuple[str, str]]:
        """(forward variable, channels source) of each input of the item."""
        if "from" not in item.options:
            return [self.outputs[-1]]
        refs = item.options["from"]
        values = refs.items if isinstance(refs, Seq) else (refs,)
        found = []
        for ref in values:
            if not isinstance(ref, Lit):
                raise ref.where.error("unsupported-export", "a `from` reference given by a `$` argument is not "
                                      "exported; name the layer")
            if type(ref.value) is int:
                found.append(self.outputs[ref.value])
            elif isinstance(ref.value, str) and ref.value.endswith(".*"):  # every repetition, written out
                head, k = ref.value[:-2], 1
                while f"{head}.{k}" in self.values:
                    found.append(self.values[f"{head}.{k}"])
                    k += 1
                if k == 1:
                    raise ref.where.error("unsupported-export", f"cannot resolve `from: {ref.value}` for the export")
            elif str(ref.value) in self.values:
                found.append(self.values[str(ref.value)])
            else:
                raise ref.where.error("unsupported-export", f"cannot resolve `from: {ref.value}` for the export")
        return found


def _has_var(value: Value) -> bool:
    if isinstance(value, Var):
        return True
    return isinstance(value, Seq) and any(_has_var(v) for v in value.items)




def _chain(steps: list[tuple[str, str, list[str]]], result: str) -> list[str]:
    """The forward lines: a value read only by the next step flows through `x`, the others keep their names."""
    reads: dict[str, list[int]] = {}
    for i, (_, _, inputs) in enumerate(steps):
        for var in inputs:
            reads.setdefault(var, []).append(i)
    reads.setdefault(result, []).append(len(steps))
    rename = {var: "x" for i, var in enumerate(["x_in"] + [s[0] for s in steps]) if reads.get(var) == [i]}
    lines = [] if rename.get("x_in") == "x" else ["x_in = x"]
    for i, (out, attr, inputs) in enumerate(steps):
        lines.append(f"{rename.get(out, out)} = self.{attr}({', '.join(rename.get(v, v) for v in inputs)})")
        # a named value is deleted after its last reader (one nobody reads, at once), so eager PyTorch frees it
        # there as cnncalc's memory model does, instead of keeping it until forward returns
        done = [v for v in dict.fromkeys([*inputs, out]) if rename.get(v, v) != "x" and v != result
                and max(reads.get(v, [i])) == i]
        if done:
            lines.append(f"del {', '.join(done)}")
    lines.append(f"return {rename.get(result, result)}")
    return lines


def _paths(gen: _Gen, layers: list[Layer]) -> dict[str, str]:
    """Each layer's module path in the exported network: attributes, and a repeat's 0-based index."""
    return {layer.name: _path_of(gen, layer) for layer in layers}


def _path_of(gen: _Gen, layer: Layer) -> str:
    """A layer's module path in the exported network: attributes, and a repeat's 0-based index."""
    if layer.name in gen.layer_paths:
        return gen.layer_paths[layer.name]
    parts: list[str] = []
    frames = [((use.line, use.column), use.name) for use in layer.uses] + [(_pos(layer.where), layer.name)]
    for pos, name in frames:
        parts.append(gen.attrs[pos])
        if pos in gen.repeated:
            parts.append(str(int(name.rsplit(".", 1)[1]) - 1))
    return ".".join(parts)


def _header(analysis: Analysis, cls: str) -> list[str]:
    """The module's opening comment: where it comes from and cnncalc's totals."""
    from cnncalc import __version__

    t = analysis.totals
    spec = analysis.spec
    chw = _channels_first(analysis.input)
    # The first two lines are fixed text: Python reads an encoding declaration there (PEP 263), so nothing
    # from the file (its name, its path) may stand on them.
    lines = [
        f"# A PyTorch module written by cnncalc {__version__}; its figures equal cnncalc's, layer by layer.",
        "# The network, and the file it was written from:",
        f"#   {comment(spec.name or cls)} ({comment(os.path.basename(spec.path))})",
        "# Channels-first, as PyTorch expects: the input is " + " x ".join(["N", *map(str, chw)]) +
        f" (cnncalc: {fmt_shape(analysis.input)}).",
        f"# cnncalc's totals: {t.params:,} parameters ({t.trainable:,} trainable, {t.non_trainable:,} non-trainable "
        "values: BatchNorm statistics, saved buffers),",
        f"# {t.macs:,} multiply-adds ({t.flops:,} FLOPs), output {fmt_shape(analysis.output)} (channels-last), "
        f"{len(analysis.rows)} layers.",
        "# Run it: python this_file.py (builds the network and prints its output shape and parameter count).",
    ]
    return lines


def _dotted_refs(items: list[Item]) -> set[str]:
    """The uses in the network that a `from: use.inner` reference reads into."""
    refs: set[str] = set()
    for item in items:
        value = item.options.get("from")
        values = value.items if isinstance(value, Seq) else (value,) if value is not None else ()
        refs |= {str(v.value).split(".", 1)[0] for v in values
                 if isinstance(v, Lit) and isinstance(v.value, str) and "." in v.value}
    return refs


_AXES_OF = {2: "N, features", 3: "N, C, L", 4: "N, C, H, W", 5: "N, C, D, H, W"}


def _channels_first(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[-1], *shape[:-1]) if len(shape) > 1 else shape


def export_pytorch(analysis: Analysis) -> Exported:
    """The PyTorch module source for an analysed spec; raises SpecError (rule unsupported-export) where it cannot."""
    inline = {name: why for name, block in analysis.spec.blocks.items() if (why := _static_inline(block))}
    while True:
        try:
            return _export(analysis, inline)
        except _Inline as exc:  # finite: each round writes out one more block
            inline[exc.block] = exc.why


def _export(analysis: Analysis, inline: dict[str, str]) -> Exported:
    """One attempt at the export, writing out the blocks in `inline`."""
    gen = _Gen(analysis, inline=dict(inline))
    for layer in analysis.network.layers:
        gen.instances.setdefault(_pos(layer.where), []).append(layer)
    gen.dotted_refs = _dotted_refs(analysis.spec.items)
    net_class = class_name(analysis.spec.name or "Network", gen.used_names, "Network")
    top = _ClassWriter(gen, None, _scope(analysis.network.layers, -1, None), "")
    net_source = top.write(analysis.spec.items, net_class, literal(analysis.input[-1]))
    shape = (1, *_channels_first(analysis.input))
    parts = ["\n".join(_header(analysis, net_class)), '"""' + "A network exported by cnncalc." + '"""',
             "import math\n\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn"]
    parts += [HELPERS[name].strip("\n") for name in HELPERS if name in gen.helpers]
    parts += [gen.classes[name].source.rstrip("\n") for name in gen.order]
    parts += [net_source.rstrip("\n"), f"INPUT_SHAPE = {literal(shape)}  # {_AXES_OF[len(shape)]}"]
    parts.append(
        'if __name__ == "__main__":\n'
        f"    model = {net_class}().eval()\n"
        "    with torch.no_grad():\n"
        "        out = model(torch.zeros(INPUT_SHAPE))\n"
        '    print("output", tuple(out.shape), "parameters", sum(p.numel() for p in model.parameters()))')
    code = "\n\n\n".join(parts) + "\n"
    return Exported(code, net_class, _paths(gen, analysis.network.layers))
