"""Expand a parsed Spec into the Network: blocks, repeats, references, names, `$variables`.

Each leaf layer is resolved (kind, converted arguments, sources) and computed by its kind in
order, since a later layer's arguments are checked against its input's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from cnncalc.core.expr import ExprError, UnknownName, evaluate_first
from cnncalc.core.kinds import ALIAS_RANKS, ALIASES, KINDS, REQUIRED, Call, Kind, LayerOut, Shape, check_alias_rank
from cnncalc.core.kinds.args import Convert
from cnncalc.core.limits import MAX_BLOCK_DEPTH, MAX_LAYERS, collector_paused
from cnncalc.core.network import INPUT, RF, Layer, Network, compose_rf, compute, computed, margins_of, memo_key, pixel
from cnncalc.core.problems import INFO, WARNING, BlockUse, Located, Problem, SpecError, did_you_mean
from cnncalc.core.spec import LATER_OPTIONS, Block, Defaults, Item, Lit, Seq, Spec, Value, Var

Env = dict[str, tuple[Any, Located]]
Given = dict[str, tuple[Any, Located]]
_EXAMPLES = {"kernel": "kernel: 3", "filters": "filters: 64", "units": "units: 1000", "output": "output: 7",
             "padding": "padding: 1", "cropping": "cropping: 4"}


class _Value:
    """An output available to later layers: its shape, display name, receptive field and source index."""

    __slots__ = ("shape", "name", "rf", "index", "where")

    def __init__(self, shape: Shape, name: str, rf: RF | None, index: int, where: Located | None = None) -> None:
        self.shape = shape
        self.name = name
        self.rf = rf
        self.index = index
        self.where = where


@dataclass
class Context:
    """Where expansion is: one layer list, its block arguments, the names it can see, its scope."""

    items: list[Item]
    env: Env  # the file's `vars`, and inside a block its arguments
    prefix: str  # of the layer names made here: "layer1.2."
    scope: tuple[str, ...]  # enclosing block uses and repeats, outermost first
    depth: int
    uses: tuple[BlockUse, ...] = ()  # the block uses that led here, outermost first
    defaults: Defaults = field(default_factory=dict)  # the file's `defaults`, then enclosing blocks' own
    names: dict[str, _Value] = field(default_factory=dict)
    outputs: list[_Value] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    skipped: set[str] | None = None  # names held by skipped uses, free for an alternative (made when needed)
    absent: set[str] | None = None  # names of items not built (`if:` false, `repeat: 0`): `skipped: drop` drops them
    repeats: dict[str, list[_Value]] | None = None  # a repeated item's name -> every repetition's output (`name.*`)
    inside: dict[str, "Inside"] | None = None  # block uses made here, by relative row name (made when needed)
    inputs: list[_Value] | None = None  # a block use's inputs when it has several (`input.1`, `input.*`)
    weights: "Weights | None" = None  # what a block use's `trainable: false`, `fixed` or `shares` makes of its layers


# What `trainable: false`, `fixed: true` or `shares: NAME` make of a layer's weights: ("frozen", "", ""),
# ("fixed", "", ""), or ("shares", the shared layer's or use's row name, this layer's or use's row name): a layer
# inside a sharing use takes the weights of the layer at the same place inside the shared use.
Weights = tuple[str, str, str]

# What a block use leaves for `from: use.layer`: its names and the uses made inside it (not its whole Context,
# which would keep every expanded block's lists alive until the end).
Inside = tuple[dict[str, _Value], "dict[str, Any] | None"]


# A plain slotted class, not a dataclass: internal, never compared or printed, and a dataclass's generated
# methods would be compiled at every start-up.
class _Step:
    """One item being expanded: its resolved arguments and options."""

    __slots__ = ("item", "kind", "given", "options", "scope", "converted", "weights")

    def __init__(self, item: Item, kind: str, given: Given, options: Given, scope: tuple[str, ...]) -> None:
        self.item = item
        self.kind = kind  # canonical kind or block name
        self.given = given
        self.options = options
        self.scope = scope
        self.converted: tuple[dict[str, Any], dict[str, Located]] | None = None  # a repeat's arguments, once
        self.weights: Weights | None = None  # frozen, fixed or shared (each repetition's)


_CONVERTED: dict[tuple[Any, Any], Any] = {}
# Layer(...) without its generated Python __new__ (see spec._lit): one per layer expanded, fields in order.
_layer = partial(tuple.__new__, Layer)


def _converted_value(convert: Convert, value: Any, where: Located) -> Any:
    """_convert, with a hint where a decimal from `${…}` reached an argument that takes a whole number."""
    try:
        return _convert(convert, value, where)
    except SpecError as exc:
        if not isinstance(value, float):
            raise
        problem = exc.problem
        raise SpecError(problem._replace(message=f"{problem.message}; make it whole with round(…), int(…), "
                                                 "ceil(…), floor(…) or make_divisible(…, 8)")) from None


def _convert(convert: Convert, value: Any, where: Located) -> Any:
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


def _arg_list(kind: Kind) -> str:
    return f"; its arguments: {', '.join(kind.args)}" if kind.args else "; it takes no arguments"


class Expander:
    """Walks the layer lists, expanding blocks and repeats, resolving and computing each leaf in order."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.layers: list[Layer] = []
        self.warnings: list[Problem] = []
        self.errors: list[Problem] = []  # errors found so far, the first fatal one first (see _recover)
        self.failed: set[str] = set()  # names of the top-level items that failed, standing for their input
        self._seen_warnings: set[tuple[int, int, str, str]] = set()
        self.groups: dict[str, str] = {}
        self.by_row: dict[str, int] = {}  # row name -> layer index (what `shares:` looks up)
        self.first_uneven: Problem | None = None
        self.top_item: Item = spec.items[0]
        self.network = Network(spec.input, self.layers)
        self.globals: Env = {}
        # Keeping each block use's names for `from: use.layer` costs memory; only files that write one pay it.
        self.dotted = _has_dotted_references(spec)
        # Per kind and defaults mapping: the arguments before a use's own (see _base).
        self._bases: dict[tuple[str, int], tuple[Defaults, dict[str, Any] | None, frozenset[str]]] = {}
        # Per item of literals, kind and defaults mapping: its converted arguments (see _converted).
        self._literal_args: dict[tuple[int, str, int], tuple[Defaults, tuple[dict[str, Any], dict[str, Located]]]] = {}

    # -- values and substitution ---------------------------------------------------------

    def resolve(self, value: Value, env: Env) -> tuple[Any, Located]:
        """The Python value of an argument, with `$name` and `${expr}` substituted from env."""
        if isinstance(value, Lit):
            return value.value, value.where
        if isinstance(value, Seq):
            return [self.resolve(v, env)[0] for v in value.items], value.where
        return self._substitute(value, env)

    def _substitute(self, var: Var, env: Env) -> tuple[Any, Located]:
        text, where = var.text, var.where
        names = env
        if text.startswith("${"):
            if not text.endswith("}"):
                raise where.error("invalid-expression", f"`{text}` is not closed; write `${{expression}}`")
            try:
                return evaluate_first(text[2:-1], names), where
            except UnknownName as exc:
                raise where.error("unknown-variable", f"in `{text}`: {exc}") from None
            except ExprError as exc:
                raise where.error("invalid-expression", f"in `{text}`: {exc}; check the values it is "
                                  "given") from None
        name = text[1:]
        if name in names:
            return names[name][0], where
        known = ", ".join(f"${k}" for k in names) or "none"
        what = "an argument of this block or a variable" if names is not self.globals else "a variable of the file"
        raise where.error("unknown-variable", f"`{text}` is not {what}{did_you_mean(name, names)}; "
                          f"known: {known}" + ("" if names else "; declare it in `vars:`"))

    def _variables(self) -> Env:
        """The file's `vars`, in order: each a value or an expression of the earlier ones."""
        env: Env = {}
        for name, value in self.spec.vars.items():
            env[name] = self.resolve(value, env)
        return env

    # -- layer lists ---------------------------------------------------------------------

    def run(self, shape: Shape) -> Network:
        """Expand the whole network on an input of `shape`."""
        network = self.network = Network(shape, self.layers)
        rf = pixel(shape)
        top = _Value(shape, "input", rf, INPUT, self.spec.input_where)
        self.globals = self._variables()
        last = self.scope(Context(self.spec.items, self.globals, "", (), 0, defaults=self.spec.defaults), top)
        if self.errors:
            raise SpecError(self.errors[0], self.errors[1:])
        if not self.layers or last.index != len(self.layers) - 1:
            # The output is the last layer computed; a skipped use at the end must not reach further back.
            what = ("its input: every layer is skipped (`repeat: 0` or a false `if:`)" if not self.layers
                    else f"`{last.name}`, not the last layer computed")
            raise self.top_item.where.error("invalid-layers", f"the network's output would be {what}; add a layer "
                                            "that is built at the end of the list")
        return network

    def scope(self, ctx: Context, scope_input: _Value) -> _Value:
        """Evaluate a list of layers whose `input` is scope_input; return the last output."""
        if ctx.depth > MAX_BLOCK_DEPTH:
            raise self.top_item.where.error("too-many-layers", f"blocks nest more than {MAX_BLOCK_DEPTH} deep; "
                                            "flatten the chain with `repeat` or by inlining blocks")
        if len(ctx.items) > MAX_LAYERS:
            raise ctx.items[MAX_LAYERS].where.error("too-many-layers", f"more than {MAX_LAYERS:,} layers, the "
                                                    "limit; use `repeat` and blocks for repeated structure")
        ctx.names["input"] = scope_input
        ctx.outputs.append(scope_input)
        for position, item in enumerate(ctx.items):
            if ctx.depth == 0:
                self.top_item = item  # expansion limits are reported at the top-level layer that expands
                counters, outputs = dict(ctx.counters), len(ctx.outputs)
                try:
                    self._item(ctx, position, item)
                except SpecError as exc:
                    self._recover(ctx, item, exc, counters, outputs)
            else:
                self._item(ctx, position, item)
        return ctx.outputs[-1]

    def _recover(self, ctx: Context, item: Item, error: SpecError, counters: dict[str, int], outputs: int) -> None:
        """Keep reading the file after an error in a top-level item, so that every independent error is reported:
        the item stands for its input (its name too), errors that may follow from a wrong shape are left out,
        and the first error is raised with the others once the list is read (`Expander.run`)."""
        problem = error.problem
        if problem.rule in _FATAL or len(self.errors) >= MAX_ERRORS:
            raise error
        if not self.errors or problem.rule not in SHAPE_RULES:
            self.errors.append(problem)
        ctx.counters.clear()
        ctx.counters.update(counters)  # the names after it are the ones they would have had
        del ctx.outputs[outputs:]
        kind = item.kind if item.kind in self.spec.blocks else ALIASES.get(item.kind, item.kind)
        ctx.counters[kind] = ctx.counters.get(kind, 0) + 1
        name = item.explicit_name or auto_name(kind, ctx.counters[kind])
        self.failed.add(name)
        self._pass_through(ctx, name, ctx.outputs[-1], item)

    def _kind(self, ctx: Context, item: Item) -> tuple[str, Block | None]:
        """The item's canonical kind or block; `$name` takes the kind from a block argument or variable."""
        written = item.kind
        if written.startswith("$"):
            written, _ = self._substitute(Var(written, item.where), ctx.env)
            if not isinstance(written, str):
                raise item.where.error("unknown-kind", f"`{item.kind}` is {written!r}, not the name of a layer "
                                       "kind or block (e.g. `act: relu`)")
        block = self.spec.blocks.get(written)  # a file's own block comes first, even named like a kind
        if block is not None:
            return written, block
        canonical = ALIASES.get(written)
        if canonical is not None:
            return canonical, None
        if block is None:
            choices = list(ALIASES) + list(self.spec.blocks)
            shown = f"`{written}` (from `{item.kind}`)" if written != item.kind else f"`{written}`"
            raise item.where.error("unknown-kind", f"unknown layer kind {shown}"
                                   f"{did_you_mean(written, choices)}; `cnncalc kinds` lists the kinds")
        return written, block

    def _condition(self, ctx: Context, item: Item) -> bool:
        """The item's `if:`, true when absent; anything but true or false is an error."""
        value, where = self.resolve(item.options["if"], ctx.env)
        if not isinstance(value, bool):
            raise where.error("invalid-condition", f"`if:` needs true or false, got {value!r}; write a comparison "
                              "such as `if: ${stride == 1}` or a true/false variable")
        return value

    def _item(self, ctx: Context, position: int, item: Item) -> None:
        """Expand one entry of a layer list (a leaf, a block use, either repeated, possibly conditional)."""
        canonical = ALIASES.get(item.kind) if item.kind not in self.spec.blocks else None
        block = None
        if canonical is None:  # a block, or a kind named by `$variable`
            canonical, block = self._kind(ctx, item)
        if "if" in item.options and not self._condition(ctx, item):
            self._skip(ctx, item, canonical, position)
            return
        given, options, env = self._resolved(ctx, item, block)
        step = _Step(item, canonical, given, options, ctx.scope)
        name = self._name(ctx, step)
        merge = block is not None or KINDS[canonical].merge  # a block use may read several inputs
        sources = self._sources(ctx, step, position, merge) if "from" in options or block is None and merge \
            else [ctx.outputs[-1]]
        repeat = self._repeat(options, len(sources)) if "repeat" in options else 1
        parallel = "parallel" in options
        if parallel:
            repeat = self._parallel(options, len(sources))
        weights = self._weights(ctx, options, name) if not options.keys().isdisjoint(_WEIGHT_OPTIONS) \
            else ctx.weights
        if repeat == 0:  # nothing is built: the input passes through under this name
            self._pass_through(ctx, name, sources[0], item)
            ctx.absent = (ctx.absent or set()) | {name}
            return
        indexed = "repeat" in options or parallel  # written repeat: rows are N.1, N.2, … even when it comes to 1
        if indexed:
            # A repeated item is a group of its own, so that tables can fold it into one row.
            step.scope = ctx.scope + (ctx.prefix + name,)
            self.groups[ctx.prefix + name] = f"{canonical} ×{repeat}{' in parallel' if parallel else ''}"
        indexing = env is not ctx.env
        every: list[_Value] = []
        for r in range(repeat):
            row_name = f"{ctx.prefix}{name}.{r + 1}" if indexed else f"{ctx.prefix}{name}"
            if indexing and r:  # `${16 + repeat_index * 8}`: each repetition's arguments (0 for the first)
                env = {**ctx.env, "repeat_index": (r, item.where)}
                step = _Step(item, canonical, {k: v if type(v) is Lit else self.resolve(v, env)  # type: ignore[misc]
                                               for k, v in item.args.items()}, options, step.scope)
            step.weights = weights
            if weights is not None and weights[0] == "shares" and weights[2] == "":  # this item's own `shares:`
                step.weights = (weights[0], weights[1], row_name)
            if block is not None:
                self.groups[row_name] = canonical
                out = self._block(ctx, block, step, sources, row_name)
            else:
                out = self._leaf(ctx, step, sources, row_name, r == 0)
            if not parallel:  # a repeat chains its repetitions; parallel copies all read the item's input
                sources = [out]
            every.append(out)
        if indexed:
            ctx.repeats = ctx.repeats or {}
            ctx.repeats[name] = every
        out.where = item.where
        ctx.names[name] = out
        ctx.outputs.append(out)

    def _resolved(self, ctx: Context, item: Item, block: Block | None) -> tuple[Given, Given, Env]:
        """An item's arguments and options with `$name` and `${…}` substituted, and the environment of its first
        repetition (with `repeat_index` 0 where its arguments read it)."""
        # A literal is already its (value, where) pair (a Lit is that named tuple): an item of literals only
        # is used as written, and neither mapping is changed afterwards.
        given: Given
        options: Given
        env = ctx.env
        if item.literal:
            given, options = item.args, item.options  # type: ignore[assignment]
        else:
            if "repeat" in item.options and "repeat_index" not in env and reads_index(item):
                env = {**env, "repeat_index": (0, item.where)}  # each repetition's own in _item
            given = {k: v if type(v) is Lit else self.resolve(v, env)  # type: ignore[misc]
                     for k, v in item.args.items()}
            options = {k: v if type(v) is Lit else self._option(k, v, ctx.env)  # type: ignore[misc]
                       for k, v in item.options.items()}
        if block is not None and not options.keys().isdisjoint(block.params):
            # a block's own argument named like a later option (written before the option existed) stays its own
            own = [k for k in LATER_OPTIONS if k in options and k in block.params]
            given = {**given, **{k: options[k] for k in own}}
            options = {k: v for k, v in options.items() if k not in own}
        return given, options, env

    def _skip(self, ctx: Context, item: Item, canonical: str, position: int) -> None:
        """A use whose `if:` is false: its name (counted as usual) stands for its input."""
        options = {k: self._option(k, v, ctx.env) for k, v in item.options.items() if k in ("name", "from")}
        step = _Step(item, canonical, {}, options, ctx.scope)
        name = self._name(ctx, step, skipping=True)
        merge = canonical in KINDS and KINDS[canonical].merge
        block = canonical not in KINDS or item.kind in self.spec.blocks
        # a skipped merge stands for the previous layer; a skipped block use for its (first) input. An item not
        # built may read an input its block use does not have (`from: input.3, if: ${branches >= 3}`): it then
        # stands for the previous layer, as a merge does.
        missing = "from" in options and any(_beyond_inputs(ctx, ref) for ref, _ in options["from"][0])
        source = ctx.outputs[-1] if merge or missing else \
            self._sources(ctx, step, position, block and "from" in options)[0]
        if name in ctx.names:  # an alternative built above holds the name
            ctx.outputs.append(_Value(source.shape, source.name, source.rf, source.index, item.where))
            return
        self._pass_through(ctx, name, source, item)
        if ctx.skipped is None:
            ctx.skipped = set()
        ctx.skipped.add(name)
        ctx.absent = (ctx.absent or set()) | {name}

    @staticmethod
    def _pass_through(ctx: Context, name: str, source: _Value, item: Item) -> None:
        out = _Value(source.shape, source.name, source.rf, source.index, item.where)
        ctx.names[name] = out
        ctx.outputs.append(out)

    def _option(self, key: str, value: Value, env: Env) -> tuple[Any, Located]:
        """An option's value; `from` keeps each reference with its own position."""
        if key == "from" and isinstance(value, Seq):
            return [self.resolve(v, env) for v in value.items], value.where
        return self.resolve(value, env)

    @staticmethod
    def _repeat(options: Given, n_sources: int) -> int:
        if "repeat" not in options:
            return 1
        repeat, where = options["repeat"]
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 0:
            raise where.error("invalid-value", f"repeat takes a whole number ≥ 0, got {repeat!r}")
        if repeat > MAX_LAYERS:
            raise where.error("too-many-layers", f"repeat {repeat} would expand to more than {MAX_LAYERS:,} "
                              "layers, the limit")
        if n_sources > 1 and repeat != 0:
            raise where.error("invalid-value", "a layer or block use with several inputs cannot be repeated; "
                              "write the uses one by one, or repeat a block that reads them")
        return repeat

    @staticmethod
    def _parallel(options: Given, n_sources: int) -> int:
        """`parallel: K`: K copies side by side, each reading the item's input (MobileOne's branches)."""
        count, where = options["parallel"]
        if "repeat" in options:
            raise where.error("invalid-value", "an item takes `repeat` (copies one after another) or `parallel` "
                              "(copies side by side), not both; nest a block to have both")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise where.error("invalid-value", f"parallel takes a whole number ≥ 1, got {count!r}")
        if count > MAX_LAYERS:
            raise where.error("too-many-layers", f"parallel {count} would expand to more than {MAX_LAYERS:,} "
                              "layers, the limit")
        if n_sources > 1:
            raise where.error("invalid-value", "a layer or block use with several inputs cannot be copied in "
                              "parallel; copy a block that reads them")
        return count

    def _weights(self, ctx: Context, options: Given, name: str) -> Weights | None:
        """What the item's `trainable`, `fixed` and `shares` options make of its weights (inside a block use,
        an item's own option wins over the use's)."""
        chosen: list[tuple[Weights, Located]] = []
        for option, meaning in (("trainable", False), ("fixed", True)):
            if option in options:
                value, where = options[option]
                if not isinstance(value, bool):
                    raise where.error("invalid-value", f"`{option}:` takes true or false, got {value!r}")
                if value is meaning:
                    chosen.append((("frozen" if option == "trainable" else "fixed", "", ""), where))
        if "shares" in options:
            target, where = options["shares"]
            if not isinstance(target, str) or not target or target == "input":
                raise where.error("invalid-value", "`shares:` takes the name of a layer or block use above whose "
                                  "weights this one uses")
            if target == name:
                raise where.error("invalid-reference", f"`shares: {target}` names this layer itself; name the layer "
                                  "whose weights it uses")
            row = ctx.prefix + target
            if row not in self.by_row and row not in self.groups:
                self._reference(ctx, target, where, len(ctx.items))  # unknown or later: says so, with suggestions
                raise where.error("invalid-reference", f"`shares: {target}` names no layer or block use in this list "
                                  "with weights to share; name a layer above (`conv1`) or a block use (`stage1`)")
            chosen.append((("shares", row, ""), where))  # this layer's own row is filled in per repetition
        if len(chosen) > 1:
            raise chosen[1][1].error("invalid-value", "a layer's weights are frozen (`trainable: false`), fixed "
                                     "(`fixed: true`) or shared (`shares:`): give one of them")
        if not chosen:
            return ctx.weights if "trainable" not in options else None  # `trainable: true` undoes a use's
        return chosen[0][0]

    def _name(self, ctx: Context, step: _Step, skipping: bool = False) -> str:
        ctx.counters[step.kind] = ctx.counters.get(step.kind, 0) + 1
        if "name" not in step.options:
            name = auto_name(step.kind, ctx.counters[step.kind])
            while name in ctx.names:
                name += "_"
            return name
        name, where = step.options["name"]
        if type(name) is not str or not name:  # a name is almost always written as a word
            if isinstance(name, bool) or not isinstance(name, (str, int)) or not str(name):
                raise where.error("invalid-name", "a name is a word such as `conv1_2`")
            name = str(name)
        if "." in name or name == "input":
            raise where.error("invalid-name", f"`{name}` cannot be a layer name"
                              f"{' (dots separate block levels)' if '.' in name else ' (it means the input)'}")
        if name in ctx.names and not skipping and not (ctx.skipped and name in ctx.skipped):
            first = ctx.names[name].where
            raise where.error("duplicate-name", f"the name `{name}` is already used"
                              f"{f' at line {first.line}' if first else ''}; names must be unique")
        if ctx.skipped and not skipping:
            ctx.skipped.discard(name)  # a built use takes over a name a skipped alternative held
        return name

    # -- references ----------------------------------------------------------------------

    def _sources(self, ctx: Context, step: _Step, position: int, merge: bool) -> list[_Value]:
        item = step.item
        if "from" not in step.options:
            if merge:
                raise item.where.error("missing-argument", f"{item.kind} needs its inputs: `- {item.kind}: [a, b]` "
                                       "with two or more layer names")
            return [ctx.outputs[-1]]
        refs, where = step.options["from"]
        every = len(refs) == 1 and isinstance(refs[0][0], str) and refs[0][0].endswith(".*")
        if merge and item.kind not in self.spec.blocks and step.kind in KINDS and len(refs) < 2 and not every:
            raise where.error("invalid-value", f"{item.kind} needs two or more inputs, like `[conv3, input]`")
        if not merge and len(refs) != 1:
            merges = [name for name, kind in KINDS.items() if kind.merge]
            raise where.error("invalid-value", f"{item.kind} takes one input; give `from` one layer, or merge the "
                              f"layers first ({', '.join(merges[:-1])} or {merges[-1]})")
        if not merge or len(refs) == 1 and not every:
            ref, ref_where = refs[0]
            if isinstance(ref, str) and ref.endswith(".*"):
                raise ref_where.error("invalid-reference", f"`{ref}` is every repetition of `{ref[:-2]}`, which only a "
                                      f"merge can read (`- concat: [{ref}]`); name one, such as `{ref[:-2]}.1`")
            return [self._reference(ctx, ref, ref_where, position)]
        return self._merge_sources(ctx, step, refs, where, position)

    def _merge_sources(self, ctx: Context, step: _Step, refs: list[tuple[Any, Located]], where: Located,
                       position: int) -> list[_Value]:
        """A merge's inputs. An input that is not built (`if:` false, `repeat: 0`) stands for its input, as any
        skipped layer does, or with `skipped: drop` drops out of the merge; a merge that reads one tensor twice
        because of a skipped input is warned about (`add: [a, b, input]` with `b` skipped is a + a + input)."""
        absent = ctx.absent or set()
        merging = step.kind in KINDS and KINDS[step.kind].merge and step.item.kind not in self.spec.blocks
        mode = step.given.get("skipped") if merging else None
        drop = mode is not None and mode[0] == "drop"
        values: list[_Value] = []
        standing: list[str] = []  # inputs not built that stand for their input
        for ref, ref_where in refs:
            if isinstance(ref, str) and ref.endswith(".*"):
                values.extend(self._every_repetition(ctx, ref, ref_where, position, drop))
                continue
            if isinstance(ref, str) and ref in absent:
                if drop:
                    continue
                standing.append(ref)
            values.append(self._reference(ctx, ref, ref_where, position))
        if not values:
            raise where.error("invalid-reference", f"no input of this {step.item.kind} is built, and `skipped: drop` "
                              "drops them all; skip the merge too (`if:`), or build one of its inputs")
        indices = [v.index for v in values]
        if standing and merging and len(set(indices)) < len(indices):  # a merge (a block use may mean it)
            twice = next(v.name for v in values if indices.count(v.index) > 1)
            self._warn(where.problem("skipped-input", f"`{standing[0]}` is not built here, so it stands for its "
                                     f"input and the merge reads `{twice}` twice; add `skipped: drop` to the merge "
                                     "to leave out inputs that are not built", WARNING), step.item.kind)
        return values

    def _every_repetition(self, ctx: Context, ref: str, where: Located, position: int, drop: bool) -> list[_Value]:
        """`name.*` in a merge: the output of every repetition of the item `name` (VoVNet's OSA, YOLOv8's C2f)."""
        head = ref[:-2]
        if head == "input":  # a block use's every input, in order
            return list(ctx.inputs) if ctx.inputs else [ctx.names["input"]]
        if ctx.repeats and head in ctx.repeats:
            return list(ctx.repeats[head])
        if ctx.absent and head in ctx.absent:  # `repeat: 0`: none, or its input standing for them
            return [] if drop else [self._reference(ctx, head, where, position)]
        self._reference(ctx, head, where, position)  # an unknown name says so, with suggestions
        raise where.error("invalid-reference", f"`{ref}`: `{head}` is not repeated; `.*` reads every repetition of "
                          f"an item with `repeat:`, so write `{head}`")

    def _reference(self, ctx: Context, ref: Any, where: Located, position: int) -> _Value:
        if isinstance(ref, int) and not isinstance(ref, bool):
            if ref >= 0:
                raise where.error("invalid-reference", "a numeric `from` counts back and is negative "
                                  "(-1 is the previous layer)")
            if -ref > len(ctx.outputs):
                above = len(ctx.outputs) - 1
                raise where.error("unknown-reference", f"from: {ref} reaches before the start of this list "
                                  f"({above} layer{'s' if above != 1 else ''} above; -{above + 1} is the input)")
            return ctx.outputs[ref]
        if isinstance(ref, str) and ref:
            if ref in ctx.names:
                return ctx.names[ref]
            legacy = _legacy_name(ref, ctx.counters)
            if legacy in ctx.names:  # `relu61`, as the automatic name of relu6's first use read before 0.3
                return ctx.names[legacy]
            head, _, tail = ref.partition(".")
            if head in self.failed and head in ctx.names:  # inside a use that failed: its error is reported
                return ctx.names[head]
            if ctx.repeats and head in ctx.repeats and tail.isdigit() and 1 <= int(tail) <= len(ctx.repeats[head]):
                return ctx.repeats[head][int(tail) - 1]  # `name.2`: the second repetition's output
            if head == "input" and tail.isdigit():  # `input.2`: a block use's second input
                inputs = ctx.inputs or [ctx.names["input"]]
                if 1 <= int(tail) <= len(inputs):
                    return inputs[int(tail) - 1]
                given = f"{len(inputs)} input{'s' if len(inputs) != 1 else ''}"
                raise where.error("unknown-reference", f"`{ref}`: this block use has {given} (`from:` at the use); "
                                  f"name one of `input.1` … `input.{len(inputs)}`, or give the use more inputs")
            found, known = _inside(ctx, ref)
            if found is not None:
                return found
            if known is not None:
                raise where.error("unknown-reference", f"no layer named `{ref}` in that block use"
                                  f"{did_you_mean(ref, known)}")
            later = _defined_later(ref, ctx.items, position)
            if later is not None:
                raise where.error("forward-reference", f"`{ref}` is defined later (line {later}); a layer "
                                  "takes input only from layers above it")
            raise where.error("unknown-reference", f"no layer named `{ref}` above this one"
                              f"{did_you_mean(ref, ctx.names)}")
        raise where.error("invalid-reference", "`from` takes a layer name, `input`, or a negative number")

    # -- leaves and blocks ---------------------------------------------------------------

    def _leaf(self, ctx: Context, step: _Step, sources: list[_Value], row_name: str, first: bool) -> _Value:
        if len(self.layers) >= MAX_LAYERS:
            raise self.top_item.where.error("too-many-layers", f"the network expands to more than {MAX_LAYERS:,} "
                                            "layers, the limit; check `repeat` counts and nested blocks")
        kind = KINDS[step.kind]
        if step.converted is None:  # a top-level item is expanded once: only a block's items are worth keeping
            step.converted = (self._converted(kind, step, ctx.defaults) if ctx.depth
                              else self._leaf_args(kind, step, ctx.defaults))
        args, arg_where = step.converted
        if first and "from" in step.options:
            arg_where = {**arg_where, "from": step.options["from"][1]}
        item = step.item
        indices: tuple[int, ...]
        names: tuple[str, ...]
        shapes: tuple[Shape, ...]
        if len(sources) == 1:  # the common case, without three generator expressions
            only = sources[0]
            indices, names, shapes = (only.index,), (only.name,), (only.shape,)
            margins = self.layers[only.index].out.margins if only.index != INPUT else ()  # margins_of, inlined
        else:
            indices = tuple(s.index for s in sources)
            names, shapes = tuple(s.name for s in sources), tuple(s.shape for s in sources)
            margins = margins_of(self.layers, indices)
        if item.kind in ALIAS_RANKS:
            check_alias_rank(item.kind, shapes[0], item.where)
        # A memoized result needs no Call built (most layers of most files: the same few calls recur).
        out = computed(memo_key(kind.name, args, shapes, margins)) or compute(
            Call(kind.name, args, item.where, arg_where, list(shapes), list(names), row_name, margins))
        mode = ""
        if step.weights is not None:
            out, mode = self._weighted(out, step.weights, row_name, step)
        for problem in out.warnings:
            self._warn(problem, row_name)
        if out.uneven is not None and self.first_uneven is None:
            self.first_uneven = item.where.problem("uneven-size", f"{row_name}: {out.uneven}", INFO)
        rf = compose_rf(sources[0].rf, out) if len(sources) == 1 else self._merge_rf(sources, item)
        index = len(self.layers)
        self.layers.append(_layer((index, row_name, kind.name, args, item.where, arg_where, indices, names,
                                   step.scope, ctx.uses, shapes, out, rf, mode)))
        self.by_row[row_name] = index
        return _Value(out.output, row_name, rf, index)

    def _weighted(self, out: LayerOut, weights: Weights, row_name: str, step: _Step) -> tuple[LayerOut, str]:
        """A layer's figures with frozen, fixed or shared weights, and the mode the layer records."""
        what, target, own = weights
        if what == "frozen":
            return out._replace(frozen=out.trainable), "frozen"
        if what == "fixed":  # constants held as buffers: counted where running statistics are
            return out._replace(trainable=0, non_trainable=out.trainable + out.non_trainable, frozen=0), "fixed"
        where = step.options["shares"][1] if "shares" in step.options else step.item.where
        shared = target + row_name[len(own):]
        index = self.by_row.get(shared)
        if index is None:
            raise where.error("invalid-reference", f"{row_name} shares the weights of `{shared}`, which is not a "
                              "layer; a shared use must have the same layers as this one (name one repetition of a "
                              "repeat: `m.1`)")
        other = self.layers[index]
        params = out.trainable + out.non_trainable
        if other.kind != step.kind or other.out.weights != out.weights or \
                other.out.trainable + other.out.non_trainable != params:
            def what_of(kind: str, o: LayerOut) -> str:
                shapes = ", ".join("×".join(map(str, w)) for w in o.weights)
                return f"{kind} with {o.trainable + o.non_trainable:,} parameters" + (f" ({shapes})" if shapes else "")
            raise where.error("shape-mismatch", f"{row_name} cannot share the weights of `{shared}`: it is a "
                              f"{what_of(step.kind, out)}, `{shared}` a {what_of(other.kind, other.out)}; give it the "
                              "same kind and arguments, or share another layer's weights")
        return out._replace(trainable=0, non_trainable=0, frozen=0), f"shares:{shared}"

    def _converted(self, kind: Kind, step: _Step, all_defaults: Defaults) -> tuple[dict[str, Any], dict[str, Located]]:
        """_leaf_args, made once per item of literals (and kind and defaults mapping): a block's layers written
        with literals only convert the same arguments at every use. Layers share the dicts, as a repeat's do."""
        item = step.item
        if not item.literal:
            return self._leaf_args(kind, step, all_defaults)
        key = (id(item), kind.name, id(all_defaults))  # the spec holds the item, and the entry its mapping
        cached = self._literal_args.get(key)
        if cached is not None and cached[0] is all_defaults:
            return cached[1]
        converted = self._leaf_args(kind, step, all_defaults)
        self._literal_args[key] = (all_defaults, converted)
        return converted

    def _base(self, kind: Kind, all_defaults: Defaults) -> tuple[dict[str, Any] | None, frozenset[str]]:
        """A kind's arguments before a use's own: `defaults` converted, else the kind's (REQUIRED: none), and
        the names still REQUIRED; made once per kind and defaults mapping (None: a default does not convert)."""
        key = (kind.name, id(all_defaults))
        cached = self._bases.get(key)
        if cached is not None and cached[0] is all_defaults:  # the mapping is held, so its id is not reused
            return cached[1], cached[2]
        defaults = all_defaults.get(kind.name) or {}
        base: dict[str, Any] | None = {}
        for arg_name, arg in kind.args.items():
            if arg_name in defaults:
                value, where = defaults[arg_name]
                try:
                    base[arg_name] = _convert(arg.convert, value, where)  # type: ignore[index]
                except SpecError:
                    base = None
                    break
            else:
                base[arg_name] = arg.default  # type: ignore[index]
        required = frozenset(name for name, value in (base or {}).items() if value is REQUIRED)
        self._bases[key] = (all_defaults, base, required)
        return base, required

    def _leaf_args(self, kind: Kind, step: _Step, all_defaults: Defaults) -> tuple[dict[str, Any], dict[str, Located]]:
        """The kind's arguments, converted, from this use, then `defaults`, then the kind's defaults; the first
        problem in the kind's argument order is raised. `defaults` are converted once per kind and mapping."""
        given, item = step.given, step.item
        if "" in given:
            if kind.main is None:
                raise given[""][1].error("invalid-value", f"`{item.kind}` takes no main argument; write "
                                         f"`- {item.kind}` alone{_arg_list(kind)}")
            given = {kind.main: given[""]}
        for arg_name, (_, where) in given.items():
            if arg_name not in kind.args:
                raise item.key_where.get(arg_name, where).error(
                    "unknown-argument", f"{kind.name} has no argument `{arg_name}`"
                    f"{did_you_mean(arg_name, kind.args)}{_arg_list(kind)}")
        base, required = self._base(kind, all_defaults)
        if base is None:  # a `defaults:` value does not convert: raised if this use takes it, in the kind's order
            base, required = self._base_for_use(kind, all_defaults, given)
        args = base.copy()  # the kind's defaults under the file's `defaults:`, converted once per mapping
        arg_where: dict[str, Located] = {}
        for arg_name, (value, where) in given.items():  # problems in the order the file writes them
            args[arg_name] = _converted_value(kind.args[arg_name].convert, value, where)
            arg_where[arg_name] = where  # a default's problems belong to the layer that uses it
        if required and not given.keys() >= required:
            arg_name = next(name for name in kind.args if name in required and name not in given)
            example = _EXAMPLES.get(arg_name, f"{arg_name}: ...")
            raise item.where.error("missing-argument", f"{kind.name} needs `{arg_name}` ({example}); give it "
                                   f"here or in `defaults: {{{kind.name}: {{{example}}}}}`")
        return args, arg_where

    @staticmethod
    def _base_for_use(kind: Kind, all_defaults: Defaults, given: dict[str, Any]
                      ) -> tuple[dict[str, Any], frozenset[str]]:
        """_base for one use, where some `defaults:` value does not convert: those the use writes itself are
        not read; the first other one that does not convert raises its problem."""
        defaults = all_defaults.get(kind.name) or {}
        base: dict[str, Any] = {}
        for arg_name, arg in kind.args.items():
            if arg_name in defaults and arg_name not in given:
                value, where = defaults[arg_name]
                base[arg_name] = _convert(arg.convert, value, where)
            else:
                base[arg_name] = arg.default
        return base, frozenset(name for name, value in base.items() if value is REQUIRED)

    def _warn(self, problem: Problem, layer: str) -> None:
        """Keep a warning once per place in the file (a block used 36 times warns once), naming the layer."""
        key = (problem.line, problem.column, problem.rule, problem.message)
        if key in self._seen_warnings:
            return
        self._seen_warnings.add(key)
        self.warnings.append(Problem(problem.path, problem.line, problem.column, problem.level, problem.rule,
                                     f"{layer}: {problem.message}"))

    def _merge_rf(self, sources: list[_Value], item: Item) -> RF | None:
        """The largest receptive field over the merged paths (per axis), warning when the paths are misaligned.

        As Araujo et al. (Distill, 2019): paths that differ in effective stride, or in the centre of
        the first output's window, (r − 1)/2 − p, do not line up, and one receptive field misdescribes them.
        """
        if any(s.rf is None for s in sources):
            return None
        # A 1×1×C gate broadcast over a map (squeeze-and-excitation) has no position to align.
        spatial = [s for s in sources if len(s.shape) < 2 or s.shape[:-1].count(1) != len(s.shape) - 1] or sources
        fields: list[RF] = [s.rf for s in spatial]  # type: ignore[misc]
        axes = range(len(fields[0].size))
        widest = [fields[0]] * len(axes)  # per axis, the first field of the largest size (as max() picks)
        for rf in fields[1:]:
            for a in axes:
                if rf.size[a] > widest[a].size[a]:
                    widest[a] = rf
        merged = RF(tuple(widest[a].size[a] for a in axes), tuple(widest[a].jump[a] for a in axes),
                    tuple(widest[a].padding[a] for a in axes))
        # A path whose field already spans the whole input (attention, a global pooling, a deep stack) sees every
        # position from every output: there is nothing to misalign (a transformer's `add: [attn, input]`).
        extent = self.network.input[:-1]
        local = [(s, rf) for s, rf in zip(spatial, fields)
                 if len(extent) != len(rf.size) or any(rf.size[a] < extent[a] for a in axes)]
        strides = {rf.jump for _, rf in local}
        centres = {tuple((rf.size[a] - 1) / 2 - rf.padding[a] for a in axes) for _, rf in local}
        if len(strides) > 1 or len(centres) > 1:
            what = "effective strides" if len(strides) > 1 else "centres"
            values = ", ".join(
                f"{s.name}: {'×'.join(map(str, rf.jump))}" if len(strides) > 1 else
                f"{s.name}: {','.join(f'{(rf.size[a] - 1) / 2 - rf.padding[a]:g}' for a in axes)}"
                for s, rf in local)
            self._warn(item.where.problem(
                "rf-misaligned", f"the merged paths have different {what} ({values}), so no single receptive "
                "field describes the output; the largest is shown. Align the paths' padding and strides",
                WARNING), item.kind)
        return merged

    def _block(self, ctx: Context, block: Block, step: _Step, sources: list[_Value], row_name: str) -> _Value:
        """A use of a block: its layers with `input` the first of `sources` (`input.1`, `input.2`, … each)."""
        item, source = step.item, sources[0]
        use = BlockUse(item.where.line, item.where.column, block.name, row_name)
        defaults = ctx.defaults
        if block.defaults:  # the block's own defaults reach every layer inside it, over the enclosing ones
            defaults = {**defaults, **{kind: {**defaults.get(kind, {}), **args}
                                       for kind, args in block.defaults.items()}}
        try:
            env = self._block_env(block, step, source, ctx.defaults)
            if block.params:
                self.network.use_args[row_name] = {p: env[p][0] for p in block.params}
            inner = Context(block.items, env, row_name + ".",
                            step.scope + (row_name,), ctx.depth + 1, ctx.uses + (use,), defaults=defaults,
                            inputs=sources if len(sources) > 1 else None, weights=step.weights)
            out = self.scope(inner, source)
        except SpecError as exc:
            raise SpecError(exc.problem.used_from(use)) from None
        # `from: use.layer` reaches a named layer inside this use (split-and-merge units); looked up on demand
        if self.dotted:
            if ctx.inside is None:
                ctx.inside = {}
            ctx.inside[row_name[len(ctx.prefix):]] = (inner.names, inner.inside)
        return out

    def _block_env(self, block: Block, step: _Step, source: _Value, all_defaults: Defaults) -> Env:
        """A block's arguments: given at the use, else in `defaults`, else the block's own defaults."""
        item, given = step.item, step.given
        params = list(block.params)
        if item.main_given:
            if not params:
                raise given[""][1].error("invalid-value", f"block `{block.name}` takes no arguments")
            given = {params[0]: given[""]}
        for arg_name, (_, where) in given.items():
            if arg_name not in block.params:
                where = item.key_where.get(arg_name, where)
                raise where.error("unknown-argument", f"block `{block.name}` has no argument `{arg_name}`"
                                  f"{did_you_mean(arg_name, params)}; its arguments: {', '.join(params) or 'none'}")
        defaults = all_defaults.get(block.name, {})
        # Built-in: the channels of the block's input (DenseNet's transition halves them).
        env: Env = {**self.globals, "in_channels": (source.shape[-1], item.where)}
        for param, default in block.params.items():
            if param in given:
                env[param] = given[param]
            elif param in defaults:
                env[param] = defaults[param]
            elif default is None:
                raise item.where.error("missing-argument", f"block `{block.name}` needs `{param}`; write "
                                       f"`- {block.name}: {{{param}: ...}}`")
            elif isinstance(default[0], str) and default[0].startswith("$"):
                # a default written as an expression of the arguments before it (and the variables)
                env[param] = (self._substitute(Var(default[0], default[1]), env)[0], item.where)
            else:
                env[param] = default
        return env

    def check_defaults(self) -> None:
        """Defaults (the file's and each block's) must name existing kinds and their arguments."""
        self._check_defaults(self.spec.defaults, self.spec.defaults_where)
        for block in self.spec.blocks.values():
            self._check_defaults(block.defaults, {k: next(iter(v.values()))[1] if v else block.where
                                                  for k, v in block.defaults.items()})

    def _check_defaults(self, defaults: Defaults, defaults_where: dict[str, Located]) -> None:
        for kind_name, args in defaults.items():
            where = defaults_where[kind_name]
            if kind_name in self.spec.blocks:
                known: Any = self.spec.blocks[kind_name].params
            elif kind_name in KINDS:
                known = KINDS[kind_name].args
            else:
                choices = list(ALIASES) + list(self.spec.blocks)
                raise where.error("unknown-kind", f"defaults for unknown kind `{kind_name}`"
                                  f"{did_you_mean(kind_name, choices)}")
            for arg_name, (value, arg_where) in args.items():
                if arg_name not in known:
                    key_where = self.spec.defaults_key_where.get((kind_name, arg_name), arg_where)
                    raise key_where.error("unknown-argument", f"{kind_name} has no argument `{arg_name}`"
                                          f"{did_you_mean(arg_name, known)}")
                if kind_name in KINDS and kind_name not in self.spec.blocks:
                    KINDS[kind_name].args[arg_name].convert(value, arg_where)


def _beyond_inputs(ctx: Context, ref: Any) -> bool:
    """Whether `ref` is `input.N` past the inputs of the block use being expanded."""
    if not isinstance(ref, str) or not ref.startswith("input.") or not ref[6:].isdigit():
        return False
    return int(ref[6:]) > (len(ctx.inputs) if ctx.inputs else 1)


def _has_dotted_references(spec: Spec) -> bool:
    """Whether any `from:` of the file may name a layer inside a block use (a dotted name, or a `$variable`)."""
    lists = [spec.items] + [block.items for block in spec.blocks.values()]
    for items in lists:
        for item in items:
            refs = item.options.get("from")
            if isinstance(refs, Seq) and any(isinstance(ref, Var) or (isinstance(ref, Lit) and isinstance(ref.value, str)
                                                                      and "." in ref.value) for ref in refs.items):
                return True
    return False


def _inside(ctx: Context, ref: str) -> tuple[_Value | None, list[str] | None]:
    """A dotted reference into a block use made in ctx (`unit1.branch2`, `stage.2.conv1`, nested ones).

    Returns the value, or None and the names that use does have (None when no use matches the prefix).
    """
    return _look_inside(ctx.inside, ref)


def _look_inside(inside: dict[str, Inside] | None, ref: str) -> tuple[_Value | None, list[str] | None]:
    parts = ref.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        use = (inside or {}).get(".".join(parts[:cut]))
        if use is None:
            continue
        names, deeper = use
        rest = ".".join(parts[cut:])
        if rest in names and rest != "input":
            return names[rest], None
        found, known = _look_inside(deeper, rest)
        if found is not None:
            return found, None
        prefix = ".".join(parts[:cut]) + "."
        return None, [prefix + n for n in (known or [n for n in names if n != "input"])]
    return None, None


# After a first error, the file is read on for independent errors (names, kinds, arguments, references, variables);
# these may only follow from the shape a failed layer would have given, so they are not reported after it.
SHAPE_RULES = frozenset({"shape-mismatch", "kernel-too-large", "empty-output", "invalid-groups", "needs-flatten",
                          "invalid-channels", "invalid-layers"})
_WEIGHT_OPTIONS = frozenset({"trainable", "fixed", "shares"})
_FATAL = frozenset({"too-many-layers", "too-deep", "too-large"})  # limits: stop at once
MAX_ERRORS = 50


def reads_index(item: Item) -> bool:
    """Whether an item's arguments read `repeat_index` (its repetitions then differ)."""
    def reads(value: Value) -> bool:
        if isinstance(value, Seq):
            return any(reads(v) for v in value.items)
        return isinstance(value, Var) and "repeat_index" in value.text

    return any(reads(v) for v in item.args.values())


def auto_name(kind: str, count: int) -> str:
    """The automatic name of a kind's or block's `count`th use: `conv3`; `relu6_1` where the kind ends in a digit
    (`relu61` would read as the 61st use of `relu`)."""
    return f"{kind}_{count}" if kind[-1:].isdigit() else f"{kind}{count}"


def _legacy_name(ref: str, counters: dict[str, int]) -> str | None:
    """The automatic name `ref` meant when digit-ending kinds were numbered without `_` (`relu61` → `relu6_1`)."""
    for kind in counters:
        if kind[-1:].isdigit() and ref.startswith(kind) and ref[len(kind):].isdigit():
            return auto_name(kind, int(ref[len(kind):]))
    return None


def _defined_later(ref: str, items: list[Item], position: int) -> int | None:
    """The line of a later item that `ref` names (by `name:` or by its automatic name), or None."""
    counters: dict[str, int] = {}
    for index, other in enumerate(items):
        canonical = ALIASES.get(other.kind, other.kind)
        counters[canonical] = counters.get(canonical, 0) + 1
        explicit = other.explicit_name
        if index > position and (explicit == ref or (explicit is None and ref == auto_name(canonical, counters[canonical]))):
            return other.where.line
    return None


def expand(spec: Spec, input_shape: Shape | None = None) -> Expander:
    """Expand and compute the network (on `input_shape`, else the file's); the expander keeps what it found."""
    expander = Expander(spec)
    expander.check_defaults()
    with collector_paused():
        expander.run(input_shape or spec.input)
    return expander
