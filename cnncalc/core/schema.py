"""A JSON Schema (draft-07) of the architecture file format, generated from the kinds registry.

Editors (VS Code's YAML extension, any yaml-language-server client, JetBrains IDEs) use it for
completion, hover help and structural errors while typing. It is generated, not written by hand:
every kind and alias of ``KINDS``/``ALIASES`` appears with its arguments, whose value schemas come
from their converter functions (``pair``, ``padding``, ``activation``, ...), so a new kind or
argument shows up without touching this module. A new *converter* carries its own value schema
(``@converter(schema)`` in ``cnncalc/core/kinds/args.py``).

The schema checks structure only. What needs more than one value at a time is left to
``cnncalc check``: that a block used in `layers` is defined under `blocks`, that `from` names an
earlier layer, required arguments (they may come from `defaults`), shapes, groups, expectations.
"""

from __future__ import annotations

from typing import Any, Callable

from cnncalc.core import kinds as K
from cnncalc.core.kinds.args import anycase
from cnncalc.core.limits import MAX_DIMENSION
from cnncalc.core.quantities import COUNT_SUFFIXES, MEMORY_SUFFIXES
from cnncalc.core.spec import BASE_OPTIONS, EXPECT_BUDGETS, EXPECT_COUNTS, V1_MERGES

DRAFT = "http://json-schema.org/draft-07/schema#"
# `$name` (a block argument) or `${expression}` (integer arithmetic over block arguments).
VARIABLE_PATTERN = r"^\$(\{[^{}]+\}|[^{\s]\S*)$"
_DIM = r"0*[1-9][0-9]*"
# 1 to MAX_DIMENSION (a power of ten) written out: fewer digits than it, or itself.
_INPUT_DIM = rf"0*([1-9][0-9]{{0,{len(str(MAX_DIMENSION)) - 2}}}|{MAX_DIMENSION})"
_SEP = r"\s*[x×X,]\s*"


def _ref(name: str, **annotations: Any) -> dict[str, Any]:
    # Annotations beside "$ref" are ignored by draft-07 validators but shown by editors, which merge them.
    return {"$ref": f"#/definitions/{name}", **annotations}


# Value schemas of the argument converters, by converter name (the definition names): kinds/args.py
# registers each converter with its schema.
_VALUES = K.CONVERTERS


def _value_name(convert: Callable[..., Any]) -> str | None:
    """The `_VALUES` entry of a converter, or None."""
    for name, (fn, _) in _VALUES.items():
        if fn is convert:
            return name
    return None


def unknown_converters() -> list[str]:
    """`kind.argument` of every argument whose converter has no value schema (accepted as anything)."""
    return [f"{kind.name}.{arg}" for kind in K.KINDS.values() for arg, spec in kind.args.items()
            if _value_name(spec.convert) is None]


def _arg_description(kind: K.Kind, arg: str, value_name: str | None) -> str:
    spec = kind.args[arg]
    words = []
    if arg == kind.main:
        words.append(f"The main argument of {kind.name}: `- {kind.name}: VALUE` sets it.")
    if value_name is not None:
        words.append(_VALUES[value_name][1]()["description"])
    else:
        words.append((spec.convert.__doc__ or "").strip() or "Checked by `cnncalc check`.")
    if spec.default is K.REQUIRED:
        words.append("Required (here or in `defaults`).")
    elif spec.default is None:
        words.append("Optional; unset by default.")
    else:
        words.append(f"Default: {K.show_default(spec)}.")
    return " ".join(words)


def _arg_schema(kind: K.Kind, arg: str, variables: bool) -> dict[str, Any]:
    name = _value_name(kind.args[arg].convert)
    annotations: dict[str, Any] = {"title": arg, "description": _arg_description(kind, arg, name)}
    default = K.json_default(kind.args[arg].default)
    if default is not None:
        annotations["default"] = default
    target = _ref(f"value.{name}") if name else {}
    if variables:
        return {**annotations, "anyOf": [target, _ref("variable")]}
    return {**annotations, **target}


def _kind_description(kind: K.Kind, alias_of: str | None = None) -> str:
    summary = kind.summary or kind.name
    lines = [f"`{alias_of}` is an alias of `{kind.name}`: {summary}." if alias_of else f"`{kind.name}`: {summary}."]
    if kind.merge:
        lines.append(f"Merges the layers listed: `- {kind.name}: [a, b]` or `{{from: [a, b]}}`.")
    elif kind.main:
        lines.append(f"Main argument: `{kind.main}` (`- {kind.name}: VALUE`).")
    if kind.args:
        parts = []
        for arg, spec in kind.args.items():
            if spec.default is K.REQUIRED:
                parts.append(f"{arg} (required)")
            elif spec.default is None:
                parts.append(f"{arg} (optional)")
            else:
                parts.append(f"{arg} = {K.show_default(spec)}")
        lines.append("Arguments: " + ", ".join(parts) + ".")
    if kind.aliases:
        lines.append("Aliases: " + ", ".join(kind.aliases) + ".")
    return " ".join(lines)


def _options(merge: bool) -> dict[str, Any]:
    if merge:  # a merge layer cannot be repeated
        return {"name": _ref("option.name"), "from": _ref("option.mergeFrom"), "if": _ref("option.if")}
    return {"name": _ref("option.name"), "from": _ref("option.from"), "repeat": _ref("option.repeat"),
            "if": _ref("option.if"), "parallel": _ref("option.parallel"), "trainable": _ref("option.trainable"),
            "fixed": _ref("option.fixed"), "shares": _ref("option.shares")}


def _kind_body(kind: K.Kind) -> dict[str, Any]:
    """What may follow `- kind:` in a layer list."""
    arguments = {"type": "object", "title": f"{kind.name} arguments",
                 "properties": {**{a: _arg_schema(kind, a, True) for a in kind.args}, **_options(kind.merge)},
                 "additionalProperties": False}
    if kind.merge:
        arguments["required"] = ["from"]
        forms: list[dict[str, Any]] = [_ref("option.mergeFrom"), arguments]
    elif kind.main is not None:
        forms = [_arg_schema(kind, kind.main, True), {"type": "null"}, arguments]
    else:
        forms = [{"type": "null", "description": f"`- {kind.name}:` is the same as `- {kind.name}`"}, arguments]
    return {"title": kind.name, "description": _kind_description(kind), "anyOf": forms}


def _defaults_body(kind: K.Kind) -> dict[str, Any]:
    """Default arguments of a kind under `defaults` (no `$` variables, no name/from/repeat)."""
    return {"type": "object", "title": f"defaults of {kind.name}",
            "description": f"Default arguments of every {kind.name} layer (a layer's own arguments win).",
            "properties": {a: _arg_schema(kind, a, False) for a in kind.args},
            "additionalProperties": False}


def _by_name(prefix: str) -> dict[str, Any]:
    """Every kind and alias, each referring to its kind's definition."""
    properties = {}
    for name, canonical in K.ALIASES.items():
        kind = K.KINDS[canonical]
        alias_of = name if name != canonical else None
        properties[name] = _ref(f"{prefix}.{canonical}", title=name, description=_kind_description(kind, alias_of))
    return properties


def _count(memory: bool) -> dict[str, Any]:
    suffixes = sorted((s for s in (MEMORY_SUFFIXES if memory else COUNT_SUFFIXES) if s), key=len, reverse=True)
    suffix = "(" + "|".join(anycase(s) for s in suffixes) + ")"
    number = r"[0-9][0-9_]*"
    if memory:
        # A string needs a unit; bytes (B) are whole.
        bytes_ = anycase("B")
        pattern = rf"^\s*({number}\s*{suffix}|{number}\.[0-9]+\s*(?!{bytes_}\s*$){suffix})\s*$"
        text = "Bytes: a whole number, or a string with a unit: 100MB, 1.5GiB (KB, MB, GB, TB are powers of " \
               "1000; KiB, MiB, GiB, TiB powers of 1024)."
    else:
        pattern = rf"^\s*({number}\s*{suffix}?|{number}\.[0-9]+\s*{suffix})\s*$"
        text = "A whole number (138_357_544) or a string with a suffix: 138.4M, 15.5G, 2K (powers of 1000); " \
               "compared to the precision written."
    return {"description": text,
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": pattern}]}


def _option_definitions() -> dict[str, Any]:
    return {
        "variable": {"type": "string", "pattern": VARIABLE_PATTERN,
                     "description": "`$name` is the value of a block argument or a variable (`vars:`); "
                                    "`${filters * 4}` is arithmetic, comparisons and functions (make_divisible, "
                                    "round, ceil, floor, int, min, max) over them."},
        "reference": {
            "description": "A layer: its name, `input` (the network's input, or the block's inside a block), or a "
                           "negative number counting back (-1 is the previous layer).",
            "anyOf": [{"type": "string", "minLength": 1}, {"type": "integer", "maximum": -1}],
        },
        "option.name": {
            "title": "name",
            "description": "A unique name for the layer; default: the kind and a running number (conv1, conv2, ...).",
            "anyOf": [{"type": "string", "minLength": 1, "pattern": r"^[^.]+$", "not": {"const": "input"}},
                      {"type": "integer"}],
        },
        "option.from": {
            "title": "from",
            "description": "The layer's input (default -1, the previous layer): a name, `input`, or a negative "
                           "number counting back.",
            "anyOf": [_ref("reference"),
                      {"type": "array", "items": _ref("reference"), "minItems": 1, "maxItems": 1}],
        },
        "option.useFrom": {
            "title": "from",
            "description": "The block use's input (default -1, the previous layer), or several: inside the block "
                           "`input` (or `input.1`) is the first, `input.2` the second, `input.*` every one.",
            "anyOf": [_ref("reference"), {"type": "array", "items": _ref("reference"), "minItems": 1}],
        },
        "option.mergeFrom": {
            "title": "from",
            "description": "The layers to merge, two or more: names, `input`, or negative numbers counting back.",
            "type": "array", "items": _ref("reference"), "minItems": 2,
        },
        "option.repeat": {
            "title": "repeat",
            "description": "Apply the layer (or block) N times in sequence; 0: it is not built and its input "
                           "passes through.",
            "anyOf": [{"type": "integer", "minimum": 0}, _ref("variable")],
        },
        "option.parallel": {
            "title": "parallel",
            "description": "Apply the layer (or block) K times side by side, every copy reading the same input; "
                           "`name.*` is every copy's output (to merge), `name` the last one's.",
            "anyOf": [{"type": "integer", "minimum": 1}, _ref("variable")],
        },
        "option.trainable": {
            "title": "trainable",
            "description": "false: the layer's (or every layer's of a block use) parameters are frozen "
                           "(requires_grad=False): still parameters, counted in `frozen`, given no gradient.",
            "anyOf": [{"type": "boolean"}, _ref("variable")],
        },
        "option.fixed": {
            "title": "fixed",
            "description": "true: the weights are constants held as buffers (a fixed blur filter): not "
                           "parameters, counted as non-trainable; the multiply-adds are counted.",
            "anyOf": [{"type": "boolean"}, _ref("variable")],
        },
        "option.shares": {
            "title": "shares",
            "description": "The name of a layer (or block use) above whose weights this one uses: counted once, "
                           "there; the weight shapes must agree.",
            "anyOf": [{"type": "string", "minLength": 1}, _ref("variable")],
        },
        "option.if": {
            "title": "if",
            "description": "Build the layer (or block) only when true (`if: ${stride == 1}`); when false its input "
                           "passes through under its name.",
            "anyOf": [{"type": "boolean"}, _ref("variable")],
        },
    }


def _shape_definitions() -> dict[str, Any]:
    dim = {"type": "integer", "minimum": 1, "maximum": MAX_DIMENSION}
    return {
        "shape": {
            "description": "A shape: [H, W, C] ([L, C], [D, H, W, C], or [N] for a vector), or a string such as "
                           "\"224x224x3\".",
            "anyOf": [
                {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4},
                {"type": "string", "pattern": rf"^\s*{_DIM}({_SEP}{_DIM}){{0,3}}\s*$"},
            ],
        },
        "input": {
            "title": "input",
            "description": "The shape of one sample, channels last: [H, W, C], \"HxWxC\" or {height, width, "
                           "channels}; [L, C] or {length, channels} for 1-D, [D, H, W, C] or {depth, height, width, "
                           "channels} for 3-D; [N] for a vector input. `--input` overrides it.",
            "anyOf": [
                {"type": "array", "items": dim, "minItems": 2, "maxItems": 4,
                 "description": "[length, channels], [height, width, channels] or [depth, height, width, channels]"},
                {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 1,
                 "description": "[features] of a vector input"},
                {"type": "string", "pattern": rf"^\s*{_INPUT_DIM}({_SEP}{_INPUT_DIM}){{0,3}}\s*$",
                 "description": "\"224x224x3\", \"16000x1\", \"16x112x112x3\""},
                *({"type": "object", "required": list(keys), "additionalProperties": False,
                   "properties": {d: dim for d in keys}}
                  for keys in (("length", "channels"), ("height", "width", "channels"),
                               ("depth", "height", "width", "channels"))),
            ],
        },
        "count": _count(memory=False),
        "memory": _count(memory=True),
    }


def _layer_definitions() -> dict[str, Any]:
    merges = [name for name, kind in K.ALIASES.items() if K.KINDS[kind].merge]
    bare = [name for name in K.ALIASES if name not in merges]  # a merge needs its inputs
    return {
        "blockBody": {
            "title": "block",
            "description": "A block defined under `blocks`: its first argument (`- block: VALUE`), or a mapping of "
                           "its arguments with name, from and repeat.",
            "anyOf": [
                {"type": "object", "properties": {**_options(False), "from": _ref("option.useFrom")}},
                {"type": ["null", "string", "number", "boolean", "array"]},
            ],
        },
        "layer": {
            "description": "A layer: a bare kind (`- relu`) or a mapping with one key, the kind, whose value is the "
                           "main argument or a mapping of arguments (`- conv: {filters: 64, kernel: 3}`). A key "
                           "that is not a built-in kind is a block's name.",
            "anyOf": [
                {"anyOf": [{"enum": bare}, {"type": "string", "minLength": 1, "not": {"enum": [*merges, "input"]},
                                            "description": "a block defined under `blocks`"}]},
                {"type": "object", "minProperties": 1, "maxProperties": 1,
                 "propertyNames": {"not": {"const": "input"}},
                 "properties": _by_name("kind"),
                 "additionalProperties": _ref("blockBody")},
            ],
        },
        "layers": {"type": "array", "minItems": 1, "items": _ref("layer"),
                   "description": "The layers in order, a non-empty list; each takes the previous one's output "
                                  "unless `from` says otherwise."},
    }


def _definitions() -> dict[str, Any]:
    defs: dict[str, Any] = {**_option_definitions(), **_shape_definitions(), **_layer_definitions()}
    for name, (_, make) in _VALUES.items():
        defs[f"value.{name}"] = make()
    for kind in K.KINDS.values():
        defs[f"kind.{kind.name}"] = _kind_body(kind)
        defs[f"defaults.{kind.name}"] = _defaults_body(kind)
    return defs


def _top_parts() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The schemas of `expect`, `vars` and `defaults`, each used at the top level and again inside."""
    expect = {key: _ref("count", title=key) for key in EXPECT_COUNTS}
    expect.update({key: _ref("memory" if key.endswith("memory") else "count", title=key,
                             description=f"A budget: the network's {key[4:]} must not exceed it.")
                   for key in EXPECT_BUDGETS})
    expect["output"] = _ref("shape", title="output", description="The final output shape, e.g. [1000].")
    expect_object = {"type": "object", "title": "expect",
                     "description": "Figures `cnncalc check` asserts: exact counts, budgets and the output shape.",
                     "properties": expect, "additionalProperties": False}
    variables = {"type": "object", "title": "vars",
                 "description": "Variables usable as `$name` and in `${…}` everywhere: a number, true/false, a word "
                                "(e.g. a layer kind) or `${…}` of earlier ones; `--set name=value` overrides them.",
                 "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                 "additionalProperties": {"type": ["number", "boolean", "string"]}}
    defaults = {
        "type": "object", "title": "defaults",
        "description": "Default arguments per layer kind (or block), e.g. `conv: {kernel: 3, padding: same}`.",
        "properties": _by_name("defaults"),
        "additionalProperties": {
            "type": "object", "description": "Default arguments of a block.",
            "propertyNames": {"not": {"enum": list(BASE_OPTIONS)}},
        },
    }
    return expect_object, variables, defaults


def schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of an architecture file, built from the current kinds registry."""
    expect_object, variables, defaults = _top_parts()
    properties: dict[str, Any] = {
        "name": {"type": ["string", "number"], "title": "name",
                 "description": "The architecture's name; defaults to the file's stem."},
        "description": {"type": ["string", "number"], "title": "description", "description": "Free text."},
        "input": _ref("input"),
        "vars": variables,
        "defaults": defaults,
        "blocks": {
            "type": "object", "title": "blocks",
            "description": "User-defined layer kinds with arguments, used like built-in kinds in `layers`.",
            # A block may take a kind's name (it replaces the kind in its file), not a merge's or `input`.
            "propertyNames": {"not": {"enum": [*(n for n, k in K.ALIASES.items() if k in V1_MERGES), "input"]}},
            "additionalProperties": {
                "type": "object", "required": ["layers"], "additionalProperties": False,
                "properties": {
                    "args": {
                        "description": "The block's arguments and their defaults; ~ (null) makes one required. "
                                       "Inside the block, `$name` is an argument's value.",
                        "anyOf": [{"type": "null"},
                                  {"type": "object", "propertyNames": {"not": {"enum": list(BASE_OPTIONS)}}}],
                    },
                    "defaults": {**defaults, "description": "Default arguments for the layers inside this block "
                                                            "(and the blocks it uses), over the file's defaults."},
                    "layers": _ref("layers"),
                },
            },
        },
        "layers": _ref("layers"),
        "expect": expect_object,
        "variants": {
            "type": "object", "title": "variants",
            "description": "Named members of a family: each sets some `vars` and has its own `expect`; "
                           "`cnncalc shape NAME` selects a bundled variant, `file.yaml@NAME` any file's.",
            "additionalProperties": {
                "type": "object", "additionalProperties": False,
                "properties": {"vars": variables, "expect": expect_object,
                               "description": {"type": "string", "description": "Free text."}},
            },
        },
    }
    return {
        "$schema": DRAFT,
        "title": "cnncalc architecture",
        "description": "A CNN architecture for cnncalc (format v1): input, layers, optional defaults, blocks and "
                       "expectations. Structure only; `cnncalc check` checks shapes and references.",
        "type": "object",
        "required": ["input", "layers"],
        "additionalProperties": False,
        "properties": properties,
        "definitions": _definitions(),
    }


# --- check's settings: .cnncalc.yaml and [tool.cnncalc] ---------------------------------------------

_SETTING_HELP = {
    "select": "Report only these rules (fatal errors are always reported).",
    "ignore": "Do not report these rules (warnings and expect/budget errors; fatal errors cannot be ignored).",
    "extend-error": "Warnings that count as errors.",
    "exclude": "Globs of paths to skip, relative to this file's directory (like ruff's).",
    "max-params": "Parameter budget for every checked file, e.g. 5M.",
    "max-macs": "Multiply-add budget for every checked file, e.g. 1.5G.",
    "max-memory": "Budget of float32 inference memory (parameters + activations) for every file, e.g. 500MB.",
    "max-peak-memory": "Budget of float32 parameters plus the peak live activations of one sample (as `cnncalc "
                       "memory` computes them) for every file, e.g. 100MB.",
    "max-train-memory": "Budget of one float32 training step with Adam at batch 1 (weights, gradients, optimizer "
                        "state, saved for backward, as `cnncalc memory --train`) for every file, e.g. 1GB.",
    "devices": "More devices for `cnncalc memory --device` and `--fit`: name -> {memory, bandwidth, flops: {value "
               "type: FLOP/s}, flash, note}.",
    "strict": "Fail on warnings too, as --strict does.",
}


def _rule_ids(keep: Callable[[Any], bool]) -> dict[str, Any]:
    """One rule id or a list of them, from rules.RULES (those `keep` accepts), each with its summary."""
    from cnncalc.core.rules import RULES

    chosen = [rule for rule in RULES.values() if keep(rule)]
    one = {"type": "string", "enum": [rule.id for rule in chosen],
           "enumDescriptions": [f"{rule.summary} ({rule.level})" for rule in chosen]}
    return {"anyOf": [one, {"type": "array", "items": one}]}


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of `check`'s settings, whose rule lists are enums made from rules.RULES."""
    from cnncalc.check.config import KEYS
    from cnncalc.core.problems import ERROR

    glob = {"type": "string", "minLength": 1}
    values: dict[str, Any] = {
        "select": _rule_ids(lambda rule: True),
        "ignore": _rule_ids(lambda rule: not rule.fatal),
        "extend-error": _rule_ids(lambda rule: rule.level != ERROR),
        "exclude": {"anyOf": [glob, {"type": "array", "items": glob}]},
        "max-params": _count(False), "max-macs": _count(False), "max-memory": _count(True),
        "max-peak-memory": _count(True), "max-train-memory": _count(True),
        "strict": {"type": "boolean"},
        "devices": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["memory"], "additionalProperties": False,
            "properties": {"memory": _count(True), "flash": _count(True), "bandwidth": _count(True),
                           "flops": {"type": "object", "additionalProperties": _count(False)},
                           "note": {"type": "string"}}}},
    }
    properties = {key: {**values[key], "title": key, "description": _SETTING_HELP[key]} for key in KEYS}
    return {
        "$schema": DRAFT,
        "title": "cnncalc check settings",
        "description": "Settings of `cnncalc check`: a .cnncalc.yaml file, or the [tool.cnncalc] table of "
                       "pyproject.toml. Command-line options override them.",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
