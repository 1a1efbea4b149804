"""Safe Python text from a spec's typed data: identifiers, literals, comments and `${…}` expressions.

Everything the PyTorch exporter writes into code passes through here, so a name or value from the
file can never become code: identifiers keep only ASCII word characters, literals are rebuilt from
validated types, comments drop every character that could end a line, and expressions are rebuilt
token by token from a whitelist.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from typing import Any, Mapping

# Public attributes of torch.nn.Module (a layer named `forward` or `to` must not shadow them) and
# the names the exported code itself uses.
MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile",
    "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters", "register_backward_hook",
    "register_buffer", "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook",
    "requires_grad_", "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
    "training", "type", "xpu", "zero_grad", "out_channels",
})
CODE_NAMES = frozenset({"self", "x", "x_in", "torch", "nn", "F", "math", "annotations", "layers"})
RESERVED = MODULE_ATTRIBUTES | CODE_NAMES | frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(
    keyword.softkwlist)
MAX_IDENTIFIER = 60


def identifier(raw: str, used: set[str], fallback: str = "layer") -> str:
    """A valid, unreserved Python identifier for `raw`, unique in `used` (which it joins).

    A name that is not an ASCII identifier keeps its letters and digits, each other run becoming `_`;
    leading underscores go (no private or dunder names); a leading digit gets a `_` (a layer `0` is
    `_0`); a reserved name (keyword, builtin, nn.Module attribute) gets a trailing `_`; clashes get
    `_2`, `_3`.
    """
    text = raw if raw.isascii() and raw.isidentifier() else re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_")
    text = text.lstrip("_")[:MAX_IDENTIFIER] or fallback
    if text[0].isdigit():
        text = "_" + text
    if text in RESERVED:
        text += "_"
    name, n = text, 2
    while name in used:
        name, n = f"{text}_{n}", n + 1
    used.add(name)
    return name


def class_name(raw: str, used: set[str], fallback: str = "Block") -> str:
    """A CamelCase class name for `raw` (bottleneck_down → BottleneckDown), unique in `used`."""
    words = re.findall(r"[A-Za-z0-9]+", raw)
    text = "".join(w[:1].upper() + w[1:] for w in words)[:MAX_IDENTIFIER] or fallback
    if text[0].isdigit():
        text = fallback + text
    return identifier(text, used, fallback)


def literal(value: Any) -> str:
    """Python source for a value of a validated type (None, bool, int, float, str, and tuples/lists of them)."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return repr(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if kind is tuple or kind is list:
        parts = [literal(v) for v in value]
        if kind is list:
            return "[" + ", ".join(parts) + "]"
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    raise TypeError(f"no literal for a value of type {kind.__name__}")


# What Python or an editor reads in a comment: PEP 263 encoding cookies (`coding: utf-7` on line 1 or 2 makes
# Python decode the file differently), Vim/Emacs modelines and file variables. A space breaks each marker.
_INTERPRETED = re.compile(r"(?i)(coding|vim?|ex|local variables)(\s*[:=])")


def comment(text: str) -> str:
    """`text` made inert inside a `#` comment.

    Every character that could end the line or reorder it on screen (controls, line and paragraph
    separators, bidirectional overrides: whatever `str.isprintable` refuses) becomes a space, a
    backslash becomes `/` (so no codec that decodes escapes can make a newline of one), and every
    marker Python or an editor interprets in a comment (`coding:`, `vim:`, `-*-`) is broken by a space.
    """
    text = "".join(ch if ch.isprintable() else " " for ch in text).replace("\\", "/").replace("-*-", "-* -")
    return _INTERPRETED.sub(r"\1 \2", text)


_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*/(),]))")
_FUNCTIONS = ("max", "min")


class ExpressionError(ValueError):
    """An expression the exporter cannot rewrite (the message says why)."""


def expression(text: str, names: Mapping[str, str]) -> str:
    """Python source for a cnncalc `${…}` expression, argument names mapped through `names`.

    Rebuilt token by token: whole numbers, the mapped names, `max`/`min`, `+ - * // ( ) ,`; `/`,
    which cnncalc allows only where it divides exactly, becomes `//` (integers stay integers).
    """
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"unexpected {text[pos:].strip()[:1]!r}")
        number, name, op = match.groups()
        if number is not None:
            out.append(str(int(number)))
        elif name is not None:
            if name in _FUNCTIONS:
                out.append(name)
            elif name in names:
                out.append(names[name])
            else:
                raise ExpressionError(f"`{name}` is not an argument of the block")
        else:
            out.append("//" if op == "/" else op)
        pos = match.end()
    source = " ".join(out).replace("( ", "(").replace(" )", ")").replace(" ,", ",")
    for name in _FUNCTIONS:
        source = source.replace(f"{name} (", f"{name}(")
    return source
