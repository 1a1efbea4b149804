"""Expand an architecture (blocks, repeats, references) and compute every layer's figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cnncalc import yamlsafe
from cnncalc.expr import ExprError, UnknownName, evaluate
from cnncalc.kinds import ALIASES, KINDS, REQUIRED, Call, Kind, LayerOut, Shape, fmt_shape
from cnncalc.problems import Located, Problem, did_you_mean
from cnncalc.spec import OPTIONS, Block, Item, Spec, at

MAX_LAYERS = 20_000
MAX_BLOCK_DEPTH = 32
MAX_DIMENSION = 10_000_000


@dataclass(frozen=True, slots=True)
class RF:
    """Receptive field of one output position: size, effective stride (jump) and effective padding, (h, w)."""

    size: tuple[int, int]
    jump: tuple[int, int]
    padding: tuple[int, int]


@dataclass(slots=True)
class Row:
    """One leaf layer of the expanded network, with all its figures."""

    index: int
    name: str
    kind: str
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    weights: tuple[Shape, ...]
    rf: RF | None
    line: int
    column: int
    scope: tuple[str, ...]
    inputs: tuple[str, ...]
    args: dict[str, Any] = field(default_factory=dict)  # the kind's arguments, converted, defaults filled

    @property
    def params(self) -> int:
        """Trainable plus non-trainable parameters."""
        return self.trainable + self.non_trainable

    @property
    def elements(self) -> int:
        """Number of values in the output, for one sample."""
        n = 1
        for d in self.output:
            n *= d
        return n


@dataclass(frozen=True)
class Totals:
    """Sums over every leaf layer."""

    trainable: int
    non_trainable: int
    macs: int
    elements: int

    @property
    def params(self) -> int:
        """Trainable plus non-trainable parameters."""
        return self.trainable + self.non_trainable

    @property
    def flops(self) -> int:
        """FLOPs counted as 2 per multiply-add."""
        return 2 * self.macs


@dataclass
class Analysis:
    """The result of analysing a spec: rows in execution order, totals and warnings."""

    spec: Spec
    input: Shape
    output: Shape
    rows: list[Row]
    totals: Totals
    warnings: list[Problem] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # block use or repeat name -> kind label
    uneven: Problem | None = None  # the first layer where the input size does not divide evenly

    @property
    def name(self) -> str:
        """The architecture's name."""
        return self.spec.name


class _Value:
    """An output available to later layers: its shape, display name and receptive field."""

    __slots__ = ("shape", "name", "rf", "where")

    def __init__(self, shape: Shape, name: str, rf: RF | None, where: Located | None = None) -> None:
        self.shape = shape
        self.name = name
        self.rf = rf
        self.where = where


def _compose_rf(rf: RF | None, out: LayerOut) -> RF | None:
    """Receptive field after a layer: r' = r + (k − 1)·j, j' = j·s, p' = p + pad·j (per axis)."""
    if rf is None or out.breaks_rf:
        return None
    if out.rf is None:
        return rf
    (kh, sh, ph), (kw, sw, pw) = out.rf
    return RF((rf.size[0] + (kh - 1) * rf.jump[0], rf.size[1] + (kw - 1) * rf.jump[1]),
              (rf.jump[0] * sh, rf.jump[1] * sw),
              (rf.padding[0] + ph * rf.jump[0], rf.padding[1] + pw * rf.jump[1]))


class _Uneven(Exception):
    """Raised to stop early once a size is known not to divide evenly (for `cnncalc sizes`)."""


_CONVERTED: dict[tuple[Any, Any], Any] = {}


def _convert(convert: Any, value: Any, where: Located) -> Any:
    """Convert an argument, memoized: files repeat the same few values (3, same, true, [2, 2])."""
    # Types are part of the key: True == 1 and 1.0 == 1 must not share a conversion.
    if type(value) is list:
        key: tuple[Any, Any] = (convert, tuple((type(v), v) for v in value))
    else:
        key = (convert, (type(value), value))
    try:
        return _CONVERTED[key]
    except KeyError:
        pass
    except TypeError:  # unhashable (a nested list): convert without the memo
        return convert(value, where)
    result = convert(value, where)  # raises on a bad value, which is then not memoized
    if len(_CONVERTED) < 10_000:
        _CONVERTED[key] = result
    return result


class _Expander:
    """Walks the layer lists, expanding blocks and repeats, computing each leaf in order."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.path = spec.path
        self.rows: list[Row] = []
        self.warnings: list[Problem] = []
        self._seen_warnings: set[tuple[int, int, str, str]] = set()
        self.groups: dict[str, str] = {}
        self.first_uneven: Problem | None = None
        self.top_item: Item = spec.items[0]
        self.stop_on_uneven = False

    # -- values and substitution ---------------------------------------------------------

    def value(self, node: Node, env: dict[str, tuple[Any, Located]] | None) -> tuple[Any, Located]:
        """The Python value of an argument node, with `$name` and `${expr}` substituted from env."""
        where = at(node, self.path)
        if isinstance(node, ScalarNode):
            if node.tag == yamlsafe.STR and node.value.startswith("$"):
                return self._substitute(node.value, where, env)
            return yamlsafe.scalar_value(node, self.path), where
        if isinstance(node, SequenceNode):
            yamlsafe.check_tag(node, self.path)
            if len(node.value) > 64:
                raise where.error("invalid-value", "this list is too long for an argument")
            # Arguments are flat lists ([h, w], [top, bottom, left, right], [a, b]); refusing nesting
            # also bounds what aliases can expand to.
            for item in node.value:
                if not isinstance(item, ScalarNode):
                    raise at(item, self.path).error("invalid-value", "expected a single value in this list, "
                                                    "not a nested list or mapping")
            return [self.value(item, env)[0] for item in node.value], where
        if isinstance(node, MappingNode):
            raise where.error("invalid-value", "expected a value or a list here, not a mapping")
        return yamlsafe.scalar_value(node, self.path), where

    def _substitute(self, text: str, where: Located, env: dict[str, tuple[Any, Located]] | None) -> tuple[Any, Located]:
        names = env or {}
        if text.startswith("${"):
            if not text.endswith("}"):
                raise where.error("invalid-expression", f"`{text}` is not closed; write `${{expression}}`")
            try:
                return evaluate(text[2:-1], {k: v[0] for k, v in names.items()}), where
            except UnknownName as exc:
                raise where.error("unknown-variable", f"in `{text}`: {exc}") from None
            except ExprError as exc:
                raise where.error("invalid-expression", f"in `{text}`: {exc}; check the arguments this block "
                                  "is given") from None
        name = text[1:]
        if name in names:
            return names[name]
        if env is None:
            raise where.error("unknown-variable", f"`{text}` is only meaningful inside a block, which defines its "
                              "arguments; outside one, write the value")
        known = ", ".join(f"${k}" for k in names) or "none"
        raise where.error("unknown-variable", f"`{text}` is not an argument of this block"
                          f"{did_you_mean(name, names)}; its arguments: {known}")

    def run(self, shape: Shape) -> _Value:
        """Expand the whole network on an input of `shape`; return its output."""
        rf = RF((1, 1), (1, 1), (0, 0)) if len(shape) == 3 else None  # a pixel sees itself
        return self.scope(self.spec.items, _Value(shape, "input", rf, self.spec.input_where), None, "", (), 0)

    # -- one layer list ------------------------------------------------------------------

    def scope(self, items: list[Item], scope_input: _Value, env: dict[str, tuple[Any, Located]] | None,
              prefix: str, scope_path: tuple[str, ...], depth: int) -> _Value:
        """Evaluate a list of layers whose `input` is scope_input; return the last output."""
        if depth > MAX_BLOCK_DEPTH:
            raise self.top_item.where.error("too-many-layers", f"blocks nest more than {MAX_BLOCK_DEPTH} deep; "
                                            "flatten the chain with `repeat` or by inlining blocks")
        if len(items) > MAX_LAYERS:
            raise items[MAX_LAYERS].where.error("too-many-layers", f"more than {MAX_LAYERS:,} layers, the limit; "
                                                "use `repeat` and blocks for repeated structure")
        names: dict[str, _Value] = {"input": scope_input}
        outputs: list[_Value] = [scope_input]
        counters: dict[str, int] = {}
        for position, item in enumerate(items):
            if depth == 0:
                self.top_item = item  # expansion limits are reported at the top-level layer that expands
            kind_name = item.kind
            canonical = ALIASES.get(kind_name)
            block = None
            if canonical is None:
                block = self.spec.blocks.get(kind_name)
                if block is None:
                    choices = list(ALIASES) + list(self.spec.blocks)
                    raise item.where.error("unknown-kind", f"unknown layer kind `{kind_name}`"
                                           f"{did_you_mean(kind_name, choices)}; `cnncalc kinds` lists the kinds")
                canonical = kind_name
            given, options, main_given, key_where = self._arguments(item, env)
            name = self._name(options, canonical, counters, names, item)
            sources = self._sources(options, names, outputs, items, position, item, env,
                                    merge=block is None and KINDS[canonical].merge)
            repeat = 1
            if "repeat" in options:
                repeat, rwhere = options["repeat"]
                if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
                    raise rwhere.error("invalid-value", f"repeat takes a whole number ≥ 1, got {repeat!r}")
                if repeat > MAX_LAYERS:
                    raise rwhere.error("too-many-layers", f"repeat {repeat} would expand to more than {MAX_LAYERS:,} "
                                       "layers, the limit")
                if len(sources) > 1:
                    raise rwhere.error("invalid-value", "a merge layer cannot be repeated")
            row_scope = scope_path
            indexed = "repeat" in options  # written repeat: rows are N.1, N.2, … even when it comes to 1
            if indexed:
                # A repeated item is a group of its own, so that tables can fold it into one row.
                row_scope = scope_path + (prefix + name,)
                self.groups[prefix + name] = f"{canonical} ×{repeat}"
            for r in range(repeat):
                row_name = f"{prefix}{name}.{r + 1}" if indexed else f"{prefix}{name}"
                if block is not None:
                    self.groups[row_name] = canonical
                    out = self._block(block, item, given, main_given, key_where, sources[0], row_name,
                                      row_scope + (row_name,), depth)
                else:
                    out = self._leaf(KINDS[canonical], item, given, key_where, sources, row_name, row_scope,
                                     options["from"][1] if "from" in options and r == 0 else None)
                sources = [out]
            out.where = item.where
            names[name] = out
            outputs.append(out)
        return outputs[-1]

    def _arguments(self, item: Item, env: dict[str, tuple[Any, Located]] | None
                   ) -> tuple[dict[str, tuple[Any, Located]], dict[str, tuple[Any, Located]], bool,
                              dict[str, Located]]:
        """Split an item's body into arguments and options (name, from, repeat), with key positions."""
        body = item.body
        given: dict[str, tuple[Any, Located]] = {}
        options: dict[str, tuple[Any, Located]] = {}
        key_where: dict[str, Located] = {}
        if body is None or (isinstance(body, ScalarNode) and body.tag == yamlsafe.NULL):
            return given, options, False, key_where
        if isinstance(body, MappingNode):
            yamlsafe.check_tag(body, self.path)
            for key, value in body.value:
                if not isinstance(key, ScalarNode):
                    raise at(key, self.path).error("invalid-value", "argument names are plain words")
                k = key.value
                if k in given or k in options:
                    raise at(key, self.path).error("duplicate-key", f"`{k}` is given twice; keep one")
                if k in OPTIONS:
                    options[k] = self.value(value, env) if k != "from" else self._from_value(value, env)
                else:
                    given[k] = self.value(value, env)
                    key_where[k] = at(key, self.path)
            return given, options, False, key_where
        if self._is_merge(item):
            return given, {"from": self._from_value(body, env)}, False, key_where
        return {"": self.value(body, env)}, options, True, key_where

    def _is_merge(self, item: Item) -> bool:
        canonical = ALIASES.get(item.kind)
        return canonical is not None and KINDS[canonical].merge

    def _from_value(self, node: Node, env: dict[str, tuple[Any, Located]] | None) -> tuple[Any, Located]:
        """A `from` value: a reference or a list of them, each kept with its own position."""
        if isinstance(node, SequenceNode):
            return [self.value(n, env) for n in node.value], at(node, self.path)
        return [self.value(node, env)], at(node, self.path)

    def _name(self, options: dict[str, tuple[Any, Located]], canonical: str, counters: dict[str, int],
              names: dict[str, _Value], item: Item) -> str:
        counters[canonical] = counters.get(canonical, 0) + 1
        if "name" not in options:
            name = f"{canonical}{counters[canonical]}"
            while name in names:
                name += "_"
            return name
        name, where = options["name"]
        if isinstance(name, bool) or not isinstance(name, (str, int)) or not str(name):
            raise where.error("invalid-name", "a name is a word such as `conv1_2`")
        name = str(name)
        if "." in name or name == "input":
            raise where.error("invalid-name", f"`{name}` cannot be a layer name"
                              f"{' (dots separate block levels)' if '.' in name else ' (it means the input)'}")
        if name in names:
            first = names[name].where
            raise where.error("duplicate-name", f"the name `{name}` is already used"
                              f"{f' at line {first.line}' if first else ''}; names must be unique")
        return name

    def _sources(self, options: dict[str, tuple[Any, Located]], names: dict[str, _Value], outputs: list[_Value],
                 items: list[Item], position: int, item: Item, env: dict[str, tuple[Any, Located]] | None,
                 merge: bool) -> list[_Value]:
        if "from" not in options:
            if merge:
                raise item.where.error("missing-argument", f"{item.kind} needs its inputs: `- {item.kind}: [a, b]` "
                                       "with two or more layer names")
            return [outputs[-1]]
        refs, where = options["from"]
        if merge and len(refs) < 2:
            raise where.error("invalid-value", f"{item.kind} needs two or more inputs, like `[conv3, input]`")
        if not merge and len(refs) != 1:
            raise where.error("invalid-value", f"{item.kind} takes one input; only add, multiply and concat merge")
        sources = []
        for ref, ref_where in refs:
            if isinstance(ref, int) and not isinstance(ref, bool):
                if ref >= 0:
                    raise ref_where.error("invalid-reference", "a numeric `from` counts back and is negative "
                                          "(-1 is the previous layer)")
                if -ref > len(outputs):
                    above = len(outputs) - 1
                    raise ref_where.error("unknown-reference", f"from: {ref} reaches before the start of this "
                                          f"list ({above} layer{'s' if above != 1 else ''} above; -{above + 1} is "
                                          "the input)")
                sources.append(outputs[ref])
            elif isinstance(ref, str) and ref:
                if ref in names:
                    sources.append(names[ref])
                    continue
                later = self._defined_later(ref, items, position)
                if later is not None:
                    raise ref_where.error("forward-reference", f"`{ref}` is defined later (line {later}); a layer "
                                          "takes input only from layers above it")
                raise ref_where.error("unknown-reference", f"no layer named `{ref}` above this one"
                                      f"{did_you_mean(ref, names)}")
            else:
                raise ref_where.error("invalid-reference", "`from` takes a layer name, `input`, or a negative number")
        return sources

    def _defined_later(self, ref: str, items: list[Item], position: int) -> int | None:
        counters: dict[str, int] = {}
        for index, other in enumerate(items):
            canonical = ALIASES.get(other.kind, other.kind)
            counters[canonical] = counters.get(canonical, 0) + 1
            explicit = None
            if isinstance(other.body, MappingNode):
                for key, value in other.body.value:
                    if isinstance(key, ScalarNode) and key.value == "name" and isinstance(value, ScalarNode):
                        explicit = value.value
            if index > position and (explicit == ref or (explicit is None and ref == f"{canonical}{counters[canonical]}")):
                return other.where.line
        return None

    # -- leaves and blocks ---------------------------------------------------------------

    def _leaf(self, kind: Kind, item: Item, given: dict[str, tuple[Any, Located]], key_where: dict[str, Located],
              sources: list[_Value], row_name: str, scope: tuple[str, ...],
              from_where: Located | None = None) -> _Value:
        if len(self.rows) >= MAX_LAYERS:
            raise self.top_item.where.error("too-many-layers", f"the network expands to more than {MAX_LAYERS:,} layers, "
                                   "the limit; check `repeat` counts and nested blocks")
        args: dict[str, Any] = {}
        arg_where: dict[str, Located] = {}
        if "" in given:
            if kind.main is None:
                raise given[""][1].error("invalid-value", f"`{item.kind}` takes no main argument; write "
                                         f"`- {item.kind}` alone{self._arg_list(kind)}")
            given = {kind.main: given[""]}
        for arg_name, (_, where) in given.items():
            if arg_name not in kind.args:
                raise key_where.get(arg_name, where).error(
                    "unknown-argument", f"{kind.name} has no argument `{arg_name}`"
                    f"{did_you_mean(arg_name, kind.args)}{self._arg_list(kind)}")
        defaults = self.spec.defaults.get(kind.name)
        for arg_name, arg in kind.args.items():
            if arg_name in given:
                value, where = given[arg_name]
            elif defaults and arg_name in defaults:
                value, where = defaults[arg_name]
            elif arg.default is REQUIRED:
                example = {"kernel": "kernel: 3", "filters": "filters: 64", "units": "units: 1000",
                           "output": "output: 7", "padding": "padding: 1", "cropping": "cropping: 4"}.get(
                               arg_name, f"{arg_name}: ...")
                raise item.where.error("missing-argument", f"{kind.name} needs `{arg_name}` ({example}); give it "
                                       f"here or in `defaults: {{{kind.name}: {{{example}}}}}`")
            else:
                args[arg_name] = arg.default
                continue
            args[arg_name] = _convert(arg.convert, value, where)
            if arg_name in given:  # a default's problems belong to the layer that uses it
                arg_where[arg_name] = where
        if from_where is not None:
            arg_where["from"] = from_where
        call = Call(kind.name, args, item.where, arg_where, [s.shape for s in sources], [s.name for s in sources],
                    row_name)
        out = kind.infer(call)
        if any(d > MAX_DIMENSION for d in out.output):
            raise item.where.error("too-large", f"{row_name}: the output {fmt_shape(out.output)} is implausibly "
                                   f"large (over {MAX_DIMENSION:,} in one dimension); check the scale or units")
        for problem in out.warnings:
            self._warn(problem, row_name)
        if call.uneven and self.first_uneven is None:
            self.first_uneven = item.where.problem("uneven-size", f"{row_name}: {call.uneven}", "info")
            if self.stop_on_uneven:
                raise _Uneven()
        rf = _compose_rf(sources[0].rf, out) if len(sources) == 1 else self._merge_rf(sources, item)
        self.rows.append(Row(len(self.rows) + 1, row_name, kind.name, out.output, out.trainable, out.non_trainable,
                             out.macs, out.weights, rf, item.where.line, item.where.column, scope,
                             tuple(s.name for s in sources), args))
        return _Value(out.output, row_name, rf)

    def _warn(self, problem: Problem, layer: str) -> None:
        """Keep a warning once per place in the file (a block used 36 times warns once), naming the layer."""
        key = (problem.line, problem.column, problem.rule, problem.message)
        if key in self._seen_warnings:
            return
        self._seen_warnings.add(key)
        self.warnings.append(Problem(problem.path, problem.line, problem.column, problem.level, problem.rule,
                                     f"{layer}: {problem.message}"))

    @staticmethod
    def _arg_list(kind: Kind) -> str:
        return f"; its arguments: {', '.join(kind.args)}" if kind.args else "; it takes no arguments"

    def _merge_rf(self, sources: list[_Value], item: Item) -> RF | None:
        """The largest receptive field over the merged paths (per axis), warning when the paths are misaligned.

        As Araujo et al. (Distill, 2019): paths that differ in effective stride, or in the centre of
        the first output's window, (r − 1)/2 − p, do not line up, and one receptive field misdescribes them.
        """
        if any(s.rf is None for s in sources):
            return None
        # A 1×1×C gate broadcast over a map (squeeze-and-excitation) has no position to align.
        spatial = [s for s in sources if len(s.shape) != 3 or s.shape[:2] != (1, 1)] or sources
        fields = [s.rf for s in spatial]
        size = tuple(max(rf.size[a] for rf in fields) for a in (0, 1))  # type: ignore[union-attr]
        widest = [max(fields, key=lambda rf: rf.size[a]) for a in (0, 1)]  # type: ignore[union-attr]
        merged = RF(size, (widest[0].jump[0], widest[1].jump[1]),  # type: ignore[union-attr,arg-type]
                    (widest[0].padding[0], widest[1].padding[1]))  # type: ignore[union-attr]
        aligned = [s.rf for s in spatial]
        strides = {rf.jump for rf in aligned}  # type: ignore[union-attr]
        centres = {tuple((rf.size[a] - 1) / 2 - rf.padding[a] for a in (0, 1)) for rf in aligned}  # type: ignore[union-attr]
        if len(strides) > 1 or len(centres) > 1:
            what = "effective strides" if len(strides) > 1 else "centres"
            values = ", ".join(
                f"{s.name}: {rf.jump[0]}×{rf.jump[1]}" if len(strides) > 1 else  # type: ignore[union-attr]
                f"{s.name}: {(rf.size[0] - 1) / 2 - rf.padding[0]:g},{(rf.size[1] - 1) / 2 - rf.padding[1]:g}"  # type: ignore[union-attr]
                for s, rf in zip(spatial, aligned))
            self._warn(item.where.problem(
                "rf-misaligned", f"the merged paths have different {what} ({values}), so no single receptive "
                "field describes the output; the largest is shown. Align the paths' padding and strides",
                "warning"), item.kind)
        return merged

    def _block(self, block: Block, item: Item, given: dict[str, tuple[Any, Located]], main_given: bool,
               key_where: dict[str, Located], source: _Value, row_name: str, scope: tuple[str, ...], depth: int) -> _Value:
        params = list(block.params)
        if main_given:
            if not params:
                raise given[""][1].error("invalid-value", f"block `{block.name}` takes no arguments")
            given = {params[0]: given[""]}
        for arg_name, (_, where) in given.items():
            if arg_name not in block.params:
                where = key_where.get(arg_name, where)
                raise where.error("unknown-argument", f"block `{block.name}` has no argument `{arg_name}`"
                                  f"{did_you_mean(arg_name, params)}; its arguments: {', '.join(params) or 'none'}")
        defaults = self.spec.defaults.get(block.name, {})
        # Built-in: the channels of the block's input (DenseNet's transition halves them).
        env: dict[str, tuple[Any, Located]] = {"in_channels": (source.shape[-1], item.where)}
        for param, default in block.params.items():
            if param in given:
                env[param] = given[param]
            elif param in defaults:
                env[param] = defaults[param]
            elif default is None:
                raise item.where.error("missing-argument", f"block `{block.name}` needs `{param}`; write "
                                       f"`- {block.name}: {{{param}: ...}}`")
            else:
                env[param] = default
        return self.scope(block.items, source, env, row_name + ".", scope, depth + 1)

    def check_defaults(self) -> None:
        """Defaults must name existing kinds and their arguments."""
        for kind_name, args in self.spec.defaults.items():
            where = self.spec.defaults_where[kind_name]
            if kind_name in KINDS:
                known: Any = KINDS[kind_name].args
            elif kind_name in self.spec.blocks:
                known = self.spec.blocks[kind_name].params
            else:
                choices = list(ALIASES) + list(self.spec.blocks)
                raise where.error("unknown-kind", f"defaults for unknown kind `{kind_name}`"
                                  f"{did_you_mean(kind_name, choices)}")
            for arg_name, (value, arg_where) in args.items():
                if arg_name not in known:
                    key_where = self.spec.defaults_key_where.get((kind_name, arg_name), arg_where)
                    raise key_where.error("unknown-argument", f"{kind_name} has no argument `{arg_name}`"
                                          f"{did_you_mean(arg_name, known)}")
                if kind_name in KINDS:
                    KINDS[kind_name].args[arg_name].convert(value, arg_where)


def analyze(spec: Spec, input_shape: Shape | None = None) -> Analysis:
    """Expand and compute the whole network; raises SpecError at the first fatal problem."""
    expander = _Expander(spec)
    expander.check_defaults()
    shape = input_shape or spec.input
    out = expander.run(shape)
    rows = expander.rows
    totals = Totals(sum(r.trainable for r in rows), sum(r.non_trainable for r in rows),
                    sum(r.macs for r in rows), sum(r.elements for r in rows))
    warnings = suppress(expander.warnings, spec.text) if expander.warnings else []
    return Analysis(spec, shape, out.shape, rows, totals, warnings, expander.groups, expander.first_uneven)


_DISABLE = re.compile(r"#\s*cnncalc:\s*disable=([\w,\s-]+)")


def suppress(warnings: list[Problem], text: str) -> list[Problem]:
    """Drop warnings acknowledged in the file.

    `# cnncalc: disable=RULE[,RULE]` at the end of the warned line, or alone on the line
    above it, silences those warnings there (as yamllint's disable-line); errors cannot be.
    """
    if "cnncalc:" not in text:
        return warnings
    lines = text.splitlines()

    def disabled(line: int) -> set[str]:
        rules: set[str] = set()
        for index, own_line_only in ((line - 1, False), (line - 2, True)):
            if 0 <= index < len(lines):
                found = _DISABLE.search(lines[index])
                if found and (not own_line_only or lines[index].lstrip().startswith("#")):
                    rules.update(r.strip() for r in found.group(1).split(",") if r.strip())
        return rules

    return [w for w in warnings if w.rule not in disabled(w.line)]


def first_uneven(spec: Spec, input_shape: Shape) -> Problem | None:
    """The first layer where `input_shape` does not divide evenly, stopping there; None if none does.

    Raises SpecError if the network is invalid at that size.
    """
    expander = _Expander(spec)
    expander.stop_on_uneven = True
    try:
        expander.run(input_shape)
    except _Uneven:
        pass
    return expander.first_uneven
