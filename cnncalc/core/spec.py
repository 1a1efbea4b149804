"""Parse a composed YAML document into a ``Spec``: the file's structure, positions kept."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from cnncalc.core import yamlsafe
from cnncalc.core.kinds import ALIASES, KINDS
from cnncalc.core.limits import MAX_BLOCK_DEPTH, MAX_DIMENSION, collector_paused, too_large
from cnncalc.core.quantities import Quantity, parse_quantity, parse_shape
from cnncalc.core.problems import Located, SpecError, did_you_mean
from cnncalc.core.yamlsafe import MAP, MERGE, STR, MappingNode, Node, ScalarNode, SequenceNode

Shape = tuple[int, ...]
TOP_KEYS = ("name", "description", "input", "vars", "defaults", "blocks", "layers", "expect", "variants")
EXPECT_COUNTS = ("params", "trainable", "non_trainable", "macs")
EXPECT_BUDGETS = ("max_params", "max_macs", "max_memory", "max_peak_memory", "max_train_memory")
EXPECT_KEYS = EXPECT_COUNTS + EXPECT_BUDGETS + ("output",)
BASE_OPTIONS = ("name", "from", "repeat", "if")
# Options added later: a block's own argument of one of these names (written before they existed) stays its
# argument at that block's uses (see Expander._item).
LATER_OPTIONS = ("parallel", "trainable", "fixed", "shares")
OPTIONS = BASE_OPTIONS + LATER_OPTIONS
VARIANT_KEYS = ("vars", "expect", "description")
MAX_VARIANTS = 64  # `check` analyses every variant: a file cannot multiply its work without bound
BLOCK_KEYS = ("args", "defaults", "layers")


class Lit(NamedTuple):
    """A literal value as written (a number, text, true/false, null)."""

    value: Any
    where: Located


class Var(NamedTuple):
    """`$name` or `${expression}`: substituted from the block arguments when the block is used."""

    text: str
    where: Located


class Seq(NamedTuple):
    """A list of values ([h, w], [top, bottom, left, right], the references of `from`)."""

    items: tuple["Value", ...]
    where: Located


Value = Lit | Var | Seq
# A named tuple's generated __new__ is a Python function; tuple.__new__ makes the same value without
# that call. Parsing makes one per value written, so the hot paths use these (fields in order).
_lit = partial(tuple.__new__, Lit)
_var = partial(tuple.__new__, Var)


class Item:
    """One entry of a `layers` list, parsed: its kind, arguments and options, each value positioned.

    `args` maps argument names to values ("" for the main argument, as in `- conv: 64`); `options`
    holds `name`, `from` (always a Seq) and `repeat`; `key_where` the positions of argument keys.
    A plain slotted class: one is made per layer written, and nothing compares them.
    """

    __slots__ = ("kind", "where", "args", "options", "key_marks", "explicit_name", "literal")

    def __init__(self, kind: str, where: Located) -> None:
        self.kind = kind
        self.where = where
        self.args: dict[str, Value] = {}
        self.options: dict[str, Value] = {}
        # The YAML marks of argument keys: read only to report an unknown argument (see key_where).
        self.key_marks: dict[str, Any] = {}
        self.explicit_name: str | None = None  # the `name:` as written, for forward-reference messages
        self.literal = True  # every argument and option is a Lit (expansion then substitutes nothing)

    @property
    def key_where(self) -> dict[str, Located]:
        """The positions of the argument keys as written."""
        return {name: Located.at_mark(self.where.path, mark) for name, mark in self.key_marks.items()}

    @property
    def main_given(self) -> bool:
        """True when the item was written `- kind: value` (its main argument)."""
        return "" in self.args


Defaults = dict[str, dict[str, tuple[Any, Located]]]


# Block and Variant (like Item) are plain slotted classes: nothing compares them, and a dataclass's
# generated methods would be compiled at every start-up.
class Block:
    """A user-defined kind: declared arguments (None: required), defaults for the layers inside, its layers."""

    __slots__ = ("name", "where", "params", "items", "defaults")

    def __init__(self, name: str, where: Located, params: dict[str, tuple[Any, Located] | None], items: list[Item],
                 defaults: Defaults | None = None) -> None:
        self.name = name
        self.where = where
        self.params = params
        self.items = items
        self.defaults: Defaults = {} if defaults is None else defaults


class Variant:
    """A named member of a family file: the `vars` it sets and the figures it must have."""

    __slots__ = ("name", "where", "vars", "expect", "description")

    def __init__(self, name: str, where: Located, vars: dict[str, Value], expect: dict[str, tuple[Any, Located]],
                 description: str = "") -> None:
        self.name = name
        self.where = where
        self.vars = vars
        self.expect = expect
        self.description = description


class UnknownVariable(ValueError):
    """A variable set from outside the file (`--set`, `vars=`) that the file does not declare."""


@dataclass
class Spec:
    """An architecture file, structurally valid; layers are interpreted by the analysis."""

    path: str
    name: str
    description: str
    input: Shape
    input_where: Located
    items: list[Item]
    defaults: dict[str, dict[str, tuple[Any, Located]]] = field(default_factory=dict)
    defaults_where: dict[str, Located] = field(default_factory=dict)
    defaults_key_where: dict[tuple[str, str], Located] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    expect: dict[str, tuple[Any, Located]] = field(default_factory=dict)
    text: str = ""
    vars: dict[str, Value] = field(default_factory=dict)  # in file order; `${…}` may use earlier ones
    variants: dict[str, Variant] = field(default_factory=dict)
    variant: str | None = None  # the variant applied by `select`, if any
    family: str = ""  # with a variant: the file's own `name:` (the variant's name is `name`)


def at(node: Node, path: str) -> Located:
    """The 1-based position of a node."""
    return Located.at_mark(path, node.start_mark)


def _mapping(node: Node, path: str, what: str, rule: str = "invalid-value", hint: str = ""
             ) -> list[tuple[str, Node, Node]]:
    """Items of a mapping node with string keys, or an error saying `what` must be a mapping."""
    if not isinstance(node, MappingNode):
        raise at(node, path).error(rule, f"{what} must be a mapping (`key: value` lines){hint}")
    yamlsafe.check_tag(node, path)
    result: list[tuple[str, Node, Node]] = []
    seen: set[str] = set()
    for key, value in node.value:
        yamlsafe.refuse_merge_key(key, path)
        if not isinstance(key, ScalarNode) or not isinstance(yamlsafe.scalar_value(key, path), str):
            raise at(key, path).error(rule, f"keys of {what} must be plain names, not lists or numbers{hint}")
        if key.value in seen:
            raise at(key, path).error("duplicate-key", f"`{key.value}` appears twice in {what}; keep one")
        seen.add(key.value)
        result.append((key.value, key, value))
    return result


_INPUT_HINT = ("write it as [224, 224, 3], \"224x224x3\" or {height: 224, width: 224, channels: 3} "
               "([16000, 1] for 1-D, [16, 112, 112, 3] for 3-D, [N] for a vector)")
# The mapping form's keys by rank, channels last as in the list form.
_INPUT_KEYS = (("length", "channels"), ("height", "width", "channels"), ("depth", "height", "width", "channels"))


def _rank_too_high(count: int, where: Located) -> SpecError:
    return where.error("invalid-input", f"input has {count} numbers, so {count - 1} spatial axes, but cnncalc "
                       "handles 1 to 3 (channels last, no batch size); drop the batch size or merge axes: "
                       f"{_INPUT_HINT}")


def parse_input(node: Node, path: str) -> Shape:
    """`input` as [H, W, C], "224x224x3" or {height, width, channels}; [L, C] and [D, H, W, C] for 1-D and
    3-D (the mapping with length or depth); [N] for a vector."""
    where = at(node, path)
    if isinstance(node, ScalarNode):
        value = yamlsafe.scalar_value(node, path)
        if not isinstance(value, str):
            raise where.error("invalid-input", f"input must be height, width and channels; {_INPUT_HINT}")
        try:
            dims = parse_shape(value, 1, 8)
        except ValueError:
            raise where.error("invalid-input", f"cannot read input {value!r}; {_INPUT_HINT}") from None
        if len(dims) > 4:
            raise _rank_too_high(len(dims), where)
        for dim in dims:
            _check_dimension(dim, where)
        return _within_limits(dims, where)
    yamlsafe.check_tag(node, path)
    elements: list[Node]
    if isinstance(node, MappingNode):
        found: dict[str, Node] = {}
        allowed = ("depth", "length", "height", "width", "channels")
        for key, key_node, value_node in _mapping(node, path, "input", "invalid-input", f"; {_INPUT_HINT}"):
            if key not in allowed:
                raise at(key_node, path).error(
                    "invalid-input", f"input has no key `{key}`{did_you_mean(key, allowed)}; {_INPUT_HINT}")
            found[key] = value_node
        keys = _INPUT_KEYS[0] if "length" in found else _INPUT_KEYS[2] if "depth" in found else _INPUT_KEYS[1]
        extra = [k for k in found if k not in keys]
        if extra:
            raise at(found[extra[0]], path).error(
                "invalid-input", f"input has both `{extra[0]}` and `{'length' if 'length' in found else 'depth'}`; "
                f"give {', '.join(keys)}")
        missing = [k for k in keys if k not in found]
        if missing:
            raise where.error("invalid-input", f"input is missing `{missing[0]}`; {_INPUT_HINT}")
        elements = [found[k] for k in keys]
    elif isinstance(node, SequenceNode) and 1 <= len(node.value) <= 4:
        elements = node.value
    elif isinstance(node, SequenceNode) and len(node.value) > 4:
        raise _rank_too_high(len(node.value), where)
    else:
        raise where.error("invalid-input", f"input must be height, width and channels; {_INPUT_HINT}")
    dims_list = []
    for element in elements:
        item = yamlsafe.scalar_value(element, path)
        _check_dimension(item, at(element, path))
        dims_list.append(item)
    return _within_limits(tuple(dims_list), where)


def _check_dimension(item: Any, where: Located) -> None:
    """One size of the input: a whole number from 1 to MAX_DIMENSION, whichever form it was written in."""
    if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= MAX_DIMENSION:
        shown = str(item).lower() if isinstance(item, bool) else repr(item)
        raise where.error("invalid-input", f"input sizes must be whole numbers from 1 to {MAX_DIMENSION:,}, but "
                          f"{shown} is not; {_INPUT_HINT}")


def _within_limits(dims: Shape, where: Located) -> Shape:
    reason = too_large(dims)
    if reason:
        raise where.error("invalid-input", f"the input {reason}; check the units")
    return dims


MAX_LIST = 64  # an argument's list; flat lists also bound what aliases can expand to


def parse_value(node: Node, path: str) -> Value:
    """An argument's node as a positioned value: a literal, a `$name`/`${expr}`, or a flat list."""
    where = Located.at_mark(path, node.start_mark)  # at(), one call fewer: this runs for every value
    if isinstance(node, ScalarNode):
        if node.tag == STR and type(node) is ScalarNode:  # text as written (the common case)
            return _var((node.value, where)) if node.value.startswith("$") else _lit((node.value, where))
        return _lit((yamlsafe.scalar_value(node, path), where))  # type: ignore[no-any-return]
    if isinstance(node, SequenceNode):
        yamlsafe.check_tag(node, path)
        if len(node.value) > MAX_LIST:
            raise where.error("invalid-value", "this list is too long for an argument")
        for element in node.value:
            if not isinstance(element, ScalarNode):
                raise at(element, path).error("invalid-value", "expected a single value in this list, "
                                              "not a nested list or mapping")
        return Seq(tuple(parse_value(element, path) for element in node.value), where)
    if isinstance(node, MappingNode):
        raise where.error("invalid-value", "expected a value or a list here, not a mapping")
    return Lit(yamlsafe.scalar_value(node, path), where)


def _parse_from(node: Node, path: str) -> Seq:
    """A `from` value: one reference or a list of them, each kept with its own position."""
    if isinstance(node, SequenceNode):
        return Seq(tuple(parse_value(element, path) for element in node.value), at(node, path))
    return Seq((parse_value(node, path),), at(node, path))


# The merges of v1: no file's block can have their names. A merge added since (subtract, shortcut) gives way to a
# file's block of its name, as any later kind does, so that a file written before it existed reads the same.
V1_MERGES = frozenset({"add", "concat", "multiply"})


def _is_merge(kind: str, blocks: frozenset[str] = frozenset()) -> bool:
    canonical = ALIASES.get(kind)
    if canonical is None or not KINDS[canonical].merge:
        return False
    return canonical in V1_MERGES or kind not in blocks


def _parse_body(item: Item, body: Node, path: str, blocks: frozenset[str] = frozenset()) -> None:
    """Fill an item's arguments and options from the node after its kind."""
    if isinstance(body, ScalarNode) and body.tag == yamlsafe.NULL:
        return
    if not isinstance(body, MappingNode):
        if _is_merge(item.kind, blocks):
            item.options["from"] = _parse_from(body, path)
            item.literal = False
        else:
            item.args[""] = value = parse_value(body, path)
            item.literal = type(value) is Lit
        return
    if body.tag != MAP:
        yamlsafe.check_tag(body, path)
    args, options = item.args, item.options
    for key, value in body.value:
        if key.tag == MERGE:
            yamlsafe.refuse_merge_key(key, path)
        if not isinstance(key, ScalarNode):
            raise at(key, path).error("invalid-value", "argument names are plain words")
        name = key.value
        if name in args or name in options:
            raise at(key, path).error("duplicate-key", f"`{name}` is given twice; keep one")
        if name not in OPTIONS:
            args[name] = parsed = parse_value(value, path)
            item.key_marks[name] = key.start_mark
        elif name == "from":
            options[name] = parsed = _parse_from(value, path)
        else:
            if name == "name" and isinstance(value, ScalarNode):
                item.explicit_name = value.value
            options[name] = parsed = parse_value(value, path)
        if type(parsed) is not Lit:
            item.literal = False


def _is_text(node: ScalarNode, path: str) -> bool:
    """Whether a scalar's value is text (other tags are refused as scalar_value refuses them)."""
    return node.tag == yamlsafe.STR or isinstance(yamlsafe.scalar_value(node, path), str)


def parse_items(node: Node, path: str, what: str, blocks: frozenset[str] = frozenset()) -> list[Item]:
    """A `layers` list into items (each a bare kind or a one-key mapping)."""
    if not isinstance(node, SequenceNode) or not node.value:
        raise at(node, path).error("invalid-layers", f"{what} must be a non-empty list of layers (`- conv: 64`)")
    yamlsafe.check_tag(node, path)
    items = []
    # Tags are compared first, so that the common case (plain text keys, plain mappings) makes no call.
    for entry in node.value:
        if isinstance(entry, ScalarNode) and _is_text(entry, path) and entry.value:
            items.append(Item(entry.value, at(entry, path)))
        elif isinstance(entry, MappingNode) and entry.value:
            if entry.tag != MAP:
                yamlsafe.check_tag(entry, path)
            key, value = entry.value[0]
            if key.tag == MERGE:
                yamlsafe.refuse_merge_key(key, path)
            if not isinstance(key, ScalarNode) or (key.tag != STR and not _is_text(key, path)):
                raise at(key, path).error("invalid-layer", "a layer's key is its kind, a plain name like `conv`")
            if len(entry.value) > 1:
                extra = entry.value[1][0]
                raise at(extra, path).error(
                    "invalid-layer",
                    f"a layer is a mapping with one key, its kind, but this one also has `{extra.value}`; "
                    f"put arguments inside the kind: `- {key.value}: {{..., {extra.value}: ...}}`")
            item = Item(key.value, at(key, path))
            _parse_body(item, value, path, blocks)
            items.append(item)
        else:
            raise at(entry, path).error(
                "invalid-layer", "a layer is a kind (`- relu`) or a mapping with one key, the kind (`- conv: 64`)")
    return items


def _free_name(name: str, node: Node) -> str:
    """`name_block` (or `name_block2`, …): a block name that is neither a kind nor another block of the file."""
    taken = {str(key.value) for key, _ in node.value} if isinstance(node.value, list) else set()
    candidate, n = f"{name}_block", 1
    while candidate in taken or candidate in ALIASES:
        n += 1
        candidate = f"{name}_block{n}"
    return candidate


def _parse_blocks(node: Node, path: str) -> dict[str, Block]:
    blocks: dict[str, Block] = {}
    names = frozenset(str(key.value) for key, _ in node.value) if isinstance(node, MappingNode) else frozenset()
    for name, key, value in _mapping(node, path, "blocks"):
        where = at(key, path)
        # A block may take the name of a built-in kind (a file written before the kind existed keeps working:
        # `block-shadows-kind` warns), but not of a v1 merge, whose `- add: [a, b]` form a block cannot take.
        if name == "input" or _is_merge(name) and ALIASES[name] in V1_MERGES:
            what = "the network's input" if name == "input" else "a built-in merge"
            raise where.error("invalid-block", f"`{name}` is {what}; give the block another name, such as "
                              f"`{_free_name(name, node)}`")
            what = "the network's input" if name == "input" else "a built-in merge"
            raise where.error("invalid-block", f"`{name}` is {what}; give the block another name, such as "
                              f"`{_free_name(name, node)}`")
        params: dict[str, tuple[Any, Located] | None] = {}
        items: list[Item] | None = None
        inner: Defaults = {}
        for field_name, field_key, field_value in _mapping(value, path, f"block `{name}`"):
            if field_name == "args":
                if isinstance(field_value, ScalarNode) and field_value.tag == yamlsafe.NULL:
                    continue
                for arg, arg_key, arg_value in _mapping(field_value, path, f"the args of block `{name}`"):
                    if arg in BASE_OPTIONS:
                        raise at(arg_key, path).error("invalid-block",
                                                      f"`{arg}` is an option of every layer; name the argument "
                                                      "something else")
                    default = yamlsafe.plain(arg_value, path)
                    params[arg] = None if default is None else (default, at(arg_value, path))
            elif field_name == "layers":
                items = parse_items(field_value, path, f"the layers of block `{name}`", names)
            elif field_name == "defaults":
                inner, _, _ = _parse_defaults(field_value, path)
            else:
                raise at(field_key, path).error(
                    "unknown-key", f"a block has `args`, `defaults` and `layers`, not `{field_name}`"
                    f"{did_you_mean(field_name, BLOCK_KEYS)}")
        if items is None:
            raise where.error("invalid-block", f"block `{name}` needs `layers`")
        blocks[name] = Block(name, where, params, items, inner)
    _check_cycles(blocks)
    return blocks


def _check_cycles(blocks: dict[str, Block]) -> None:
    """Refuse a block that uses itself, directly or through others, and chains nested too deep.

    Iterative, so that a file of a thousand chained blocks cannot exhaust the interpreter's stack.
    """
    uses = {name: [item for item in block.items if item.kind in blocks] for name, block in blocks.items()}
    depth: dict[str, int] = {}  # finished blocks: how deep their nesting goes
    for root in blocks:
        if root in depth:
            continue
        trail = [root]
        stack = [(root, iter(uses[root]))]
        while stack:
            name, pending = stack[-1]
            item = next(pending, None)
            if item is None:
                stack.pop()
                trail.pop()
                depth[name] = 1 + max((depth[i.kind] for i in uses[name]), default=0)
                if depth[name] > MAX_BLOCK_DEPTH:
                    raise blocks[name].where.error(
                        "too-many-layers", f"blocks nest more than {MAX_BLOCK_DEPTH} deep here; flatten the "
                        "chain by using `repeat` or by inlining some blocks")
                continue
            if item.kind in trail:
                cycle = " → ".join(trail[trail.index(item.kind):] + [item.kind])
                raise item.where.error("recursive-block",
                                       f"block `{name}` uses `{item.kind}`, which leads back to itself ({cycle}); "
                                       "a block cannot contain itself: use `repeat` for repetition")
            if item.kind not in depth:
                trail.append(item.kind)
                stack.append((item.kind, iter(uses[item.kind])))


def _parse_defaults(node: Node, path: str, blocks: frozenset[str] = frozenset()) -> tuple[dict[str, dict[str, tuple[Any, Located]]], dict[str, Located],
                                                   dict[tuple[str, str], Located]]:
    defaults: dict[str, dict[str, tuple[Any, Located]]] = {}
    where: dict[str, Located] = {}
    key_where: dict[tuple[str, str], Located] = {}
    for kind, key, value in _mapping(node, path, "defaults"):
        canonical = kind if kind in blocks else ALIASES.get(kind, kind)
        args = {}
        for arg, arg_key, arg_value in _mapping(value, path, f"the defaults of `{kind}`"):
            if arg in BASE_OPTIONS or arg in LATER_OPTIONS and canonical not in blocks:
                raise at(arg_key, path).error("invalid-value", f"`{arg}` cannot have a default")
            args[arg] = (yamlsafe.plain(arg_value, path), at(arg_value, path))
            key_where[(canonical, arg)] = at(arg_key, path)
        if canonical in defaults:
            raise at(key, path).error("duplicate-key", f"defaults for `{canonical}` are given twice (`{kind}`); "
                                      "merge them")
        defaults[canonical] = args
        where[canonical] = at(key, path)
    return defaults, where, key_where


def _parse_expect(node: Node, path: str) -> dict[str, tuple[Any, Located]]:
    expect: dict[str, tuple[Any, Located]] = {}
    for key, key_node, value in _mapping(node, path, "expect"):
        where = at(value, path)
        if key not in EXPECT_KEYS:
            raise at(key_node, path).error("unknown-key", f"expect has no `{key}`{did_you_mean(key, EXPECT_KEYS)}; "
                                           f"it takes {', '.join(EXPECT_KEYS)}")
        raw = yamlsafe.plain(value, path)
        if key == "output":
            if not (isinstance(raw, list) and raw and all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                                                         for d in raw)):
                if isinstance(raw, str):
                    try:
                        raw = list(parse_shape(raw))
                    except ValueError as exc:
                        raise where.error("invalid-value", f"expect.output: {exc}") from None
                else:
                    raise where.error("invalid-value", "expect.output is a shape such as [7, 7, 512] or [1000]")
            expect[key] = (tuple(raw), where)
            continue
        try:
            quantity: Quantity = parse_quantity(raw, memory=key.endswith("memory"))
        except ValueError as exc:
            raise where.error("invalid-value", f"expect.{key}: {exc}") from None
        expect[key] = (quantity, where)
    return expect


def parse(root: Node | None, path: str, text: str = "") -> Spec:
    """Turn the document's root node into a Spec, raising SpecError at the first structural problem."""
    if root is None or (isinstance(root, ScalarNode) and root.tag == yamlsafe.NULL and not root.value):
        raise Located(path, 1, 1).error("empty-file",
                                        "the file is empty; an architecture file needs at least `input` and `layers`")
    if not isinstance(root, MappingNode):
        raise at(root, path).error("invalid-document",
                                   "the top level must be a mapping with `input` and `layers` "
                                   "(see docs/spec-format.md)")
    fields: dict[str, tuple[Node, Node]] = {}
    for key, key_node, value in _mapping(root, path, "the top level"):
        if key not in TOP_KEYS:
            raise at(key_node, path).error("unknown-key", f"unknown top-level key `{key}`"
                                           f"{did_you_mean(key, TOP_KEYS)}; the keys are {', '.join(TOP_KEYS)}")
        fields[key] = (key_node, value)
    root_where = at(root, path)
    if "input" not in fields:
        raise root_where.error("missing-input", "the file has no `input`; add e.g. `input: [224, 224, 3]`")
    if "layers" not in fields:
        raise root_where.error("missing-layers", "the file has no `layers`; add a list such as `layers: [conv: 64]`")
    input_node = fields["input"][1]
    input_where = at(input_node, path)
    shape = parse_input(input_node, path)

    def text_field(key: str, default: str) -> str:
        if key not in fields:
            return default
        node = fields[key][1]
        value = yamlsafe.scalar_value(node, path) if isinstance(node, ScalarNode) else None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise at(fields[key][1], path).error("invalid-value", f"`{key}` must be text")
        return str(value)

    stem = os.path.splitext(os.path.basename(path))[0]
    spec = Spec(
        path=path,
        name=text_field("name", stem),
        description=text_field("description", ""),
        input=shape,
        input_where=input_where,
        items=[],
        text=text,
    )
    if "blocks" in fields:
        spec.blocks = _parse_blocks(fields["blocks"][1], path)
    if "defaults" in fields:
        spec.defaults, spec.defaults_where, spec.defaults_key_where = _parse_defaults(
            fields["defaults"][1], path, frozenset(spec.blocks))
    spec.items = parse_items(fields["layers"][1], path, "`layers`", frozenset(spec.blocks))
    if "expect" in fields:
        spec.expect = _parse_expect(fields["expect"][1], path)
    if "vars" in fields:
        spec.vars = _parse_vars(fields["vars"][1], path, "vars")
    if "variants" in fields:
        spec.variants = _parse_variants(fields["variants"][1], path, spec.vars)
    return spec


def _parse_vars(node: Node, path: str, what: str) -> dict[str, Value]:
    """`vars:` (or a variant's): name -> a single value or `${expression}` of earlier variables."""
    result: dict[str, Value] = {}
    for name, key, value in _mapping(node, path, what):
        if not name.isidentifier() or name in ("true", "false", "and", "or", "not", "input", "in_channels"):
            raise at(key, path).error("invalid-name", f"`{name}` cannot be a variable name; use a word of "
                                      "letters, digits and _ that is not true, false, and, or, not, input or "
                                      "in_channels")
        if not isinstance(value, ScalarNode):
            raise at(value, path).error("invalid-value", f"variable `{name}` takes one value (a number, true/false, "
                                        "a word, or `${expression}`), not a list or mapping")
        result[name] = parse_value(value, path)
    return result


def _parse_variants(node: Node, path: str, declared: dict[str, Value]) -> dict[str, Variant]:
    """`variants:` name -> {vars, expect, description}; a variant may only set declared variables."""
    variants: dict[str, Variant] = {}
    entries = _mapping(node, path, "variants")
    if len(entries) > MAX_VARIANTS:
        raise at(entries[MAX_VARIANTS][1], path).error(
            "too-many-layers", f"more than {MAX_VARIANTS} variants, the limit; split the family into several files")
    for name, key, value in entries:
        variant = Variant(name, at(key, path), {}, {})
        for field_name, field_key, field_value in _mapping(value, path, f"variant `{name}`"):
            if field_name == "vars":
                variant.vars = _parse_vars(field_value, path, f"the vars of variant `{name}`")
                for var_name, var_value in variant.vars.items():
                    if var_name not in declared:
                        raise var_value.where.error(
                            "unknown-variable", f"variant `{name}` sets `{var_name}`, which `vars:` does not "
                            f"declare{did_you_mean(var_name, declared)}; declare it in the top-level `vars:`")
            elif field_name == "expect":
                variant.expect = _parse_expect(field_value, path)
            elif field_name == "description":
                variant.description = str(yamlsafe.plain(field_value, path))
            else:
                raise at(field_key, path).error("unknown-key", f"a variant has {', '.join(VARIANT_KEYS)}, not "
                                                f"`{field_name}`{did_you_mean(field_name, VARIANT_KEYS)}")
        variants[name] = variant
    return variants


def select(spec: Spec, variant: str | None = None, overrides: dict[str, Any] | None = None) -> Spec:
    """The spec with a variant's vars and expect applied, then `overrides` (which drop the exact `expect`).

    Raises UnknownVariable for an override the file does not declare, KeyError for an unknown variant.
    """
    import dataclasses

    values = dict(spec.vars)
    expect, name, description = spec.expect, spec.name, spec.description
    if variant is not None:
        chosen = spec.variants[variant]
        values.update(chosen.vars)
        expect, name = chosen.expect, variant
        description = chosen.description or description
    for key, value in (overrides or {}).items():
        if key not in values:
            known = ", ".join(values) or "none: the file has no `vars:`"
            raise UnknownVariable(f"`{key}` is not a variable of {spec.path}{did_you_mean(key, values)}; "
                                  f"its variables: {known}")
        values[key] = Lit(value, values[key].where)
    if overrides:  # other widths give other figures; budgets still hold
        expect = {k: v for k, v in expect.items() if k.startswith("max_")}
    return dataclasses.replace(spec, vars=values, expect=expect, name=name, description=description,
                               variant=variant, family=spec.name if variant is not None else spec.family)


def load(path: str) -> Spec:
    """Read, compose and parse an architecture file."""
    return loads(yamlsafe.read_text(path), path)


def loads(text: str, path: str = "<string>") -> Spec:
    """Parse an architecture from a string (for tests and the library API)."""
    with collector_paused():  # the node tree is acyclic; collections would only re-scan it (see limits)
        return parse(yamlsafe.compose(text, path), path, text)
