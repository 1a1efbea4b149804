"""What an emitter reads and writes with: `Emit`, one layer to write as PyTorch.

Each kind's emitter lives with the kind (`cnncalc.core.kinds.<family>`, `Kind.emit`); it reads one layer
through `Emit`: arguments as Python text (an expression of the block's arguments where the file wrote
`$name`/`${…}`, else a literal of the converted value), the input channels as Python text, and fixed
values (the same in every use of the block). It returns (constructor source, output channels source).
The text helpers here (literals, keyword arguments, padding forms, fused activations) are methods, so
a kind's module needs nothing from `export` at run time. A kind without an emitter cannot be exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnncalc.core.kinds import axes_of, pads_of
from cnncalc.core.kinds.activation import ACTIVATION_MODULES
from cnncalc.core.network import Layer
from cnncalc.core.problems import Located, SpecError
from cnncalc.export import names


@dataclass
class Emit:
    """One layer to emit: its first resolved instance, every instance, and how its arguments read as code."""

    kind: str
    layer: Layer  # the first instance (structural decisions)
    instances: list[Layer]  # every use of this layer in the network (all must agree on fixed values)
    exprs: dict[str, str]  # argument -> Python expression where the file wrote `$name` or `${…}`
    channels: list[str]  # input channels, as Python source, one per input
    where: Located
    helpers: set[str] = field(default_factory=set)

    def fail(self, message: str) -> SpecError:
        """An export error at this layer."""
        return self.where.error("unsupported-export", f"{self.layer.name}: {message}")

    def fixed(self, arg: str) -> Any:
        """The value of `arg`, which the generated code fixes: the same in every use, else an error."""
        value = self.layer.args[arg]
        if any(other.args[arg] != value for other in self.instances):
            raise self.fail(f"`{arg}` differs between the uses of its block ({self._values(arg)}) in a way the "
                            "exported code cannot take as a constructor argument; write it as a literal")
        return value

    def _values(self, arg: str) -> str:
        seen: list[Any] = []
        for other in self.instances:
            if other.args[arg] not in seen:
                seen.append(other.args[arg])
        return ", ".join(str(v) for v in seen[:4])

    def axes(self, arg: str) -> tuple[int, ...]:
        """A kernel-like argument of the first use, one value per spatial axis (as cnncalc resolves it)."""
        return axes_of(self.layer.args[arg], self.spatial())

    def pads(self, arg: str, layer: Layer | None = None) -> tuple[int, ...] | str:
        """A padding-like argument as (begin, end) per spatial axis, flattened; or 'same'."""
        return pads_of((layer or self.layer).args[arg], self.spatial())

    def pair(self, arg: str) -> str:
        """A per-axis argument: the expression, or the literal (one number when every axis agrees)."""
        if arg in self.exprs:
            return self.exprs[arg]
        value = self.axes(arg)
        return names.literal(value[0] if len(set(value)) == 1 else tuple(value))

    def code(self, arg: str) -> str:
        """Any other argument: the expression, or the literal value."""
        return self.exprs[arg] if arg in self.exprs else names.literal(self.layer.args[arg])

    def symmetric_padding(self) -> str | None:
        """PyTorch's padding for a padding equal on both sides of every axis in every use, else None."""
        pads = [self.pads("padding", other) for other in self.instances]
        if any(isinstance(p, str) or any(p[i] != p[i + 1] for i in range(0, len(p), 2)) for p in pads):
            return None
        if "padding" in self.exprs:
            return self.exprs["padding"]
        begins = pads[0][::2]
        return names.literal(begins[0] if len(set(begins)) == 1 else tuple(begins))

    def rank(self) -> int:
        """The input's rank, the same in every use (3: a feature map H×W×C; 1: a vector)."""
        ranks = {len(other.input_shapes[0]) for other in self.instances}
        if len(ranks) != 1:
            raise self.fail("its input has a different rank in different uses of its block")
        return ranks.pop()

    def spatial(self) -> int:
        """The number of spatial axes (1, 2 or 3; 0 for a vector)."""
        return self.rank() - 1

    def feature_map(self) -> str:
        """The PyTorch module suffix of the input's rank (`1d`, `2d`, `3d`); refuses vectors."""
        if self.spatial() not in (1, 2, 3):
            raise self.fail(f"{self.kind} on an input of rank {self.rank()} has no PyTorch module")
        return f"{self.spatial()}d"

    # --- text helpers ---------------------------------------------------------------------------------

    @staticmethod
    def literal(value: Any) -> str:
        """Python source for a converted value (names.literal: never anything a file could make code of)."""
        return names.literal(value)

    @staticmethod
    def group(code: str) -> str:
        """`code` in parentheses unless it is one name or number (to multiply or add it safely)."""
        return code if code.isidentifier() or code.isdigit() or code.startswith("self.") else f"({code})"

    @staticmethod
    def kw(name: str, code: str, default: str) -> str:
        """`, name=code`, or nothing when the code is PyTorch's default."""
        return "" if code == default else f", {name}={code}"

    @staticmethod
    def sequential(parts: list[str]) -> str:
        """One module, or nn.Sequential of several."""
        return parts[0] if len(parts) == 1 else f"nn.Sequential({', '.join(parts)})"

    @staticmethod
    def torch_pads(pads: tuple[int, ...]) -> tuple[int, ...]:
        """(begin, end) per axis in spatial order -> F.pad's order (last axis first)."""
        pairs = [pads[i:i + 2] for i in range(0, len(pads), 2)]
        return tuple(v for pair in reversed(pairs) for v in pair)

    @staticmethod
    def activation_module(name: str) -> str:
        """The PyTorch module of an activation kind or a fused `activation:` value."""
        return ACTIVATION_MODULES[name]

    def with_activation(self, parts: list[str]) -> str:
        """The layer's modules followed by its fused `activation:` (fixed across uses)."""
        act = self.fixed("activation") if "activation" in self.layer.args else "none"
        if act not in ("none", "linear"):
            parts = parts + [ACTIVATION_MODULES[act]]
        return self.sequential(parts)

    def padded(self, stride_code: str, dilation: str = "1", fill: str = "0.0") -> tuple[list[str], str]:
        """(modules before the layer, the layer's own padding) for cnncalc's padding forms."""
        symmetric = self.symmetric_padding()
        if symmetric is not None:
            return [], symmetric
        value = "" if fill == "0.0" else f", value={fill}"
        if "padding" in self.exprs and any(other.args["padding"] != self.layer.args["padding"]
                                           for other in self.instances):
            # The block is used with different padding forms (`same` here, [0, 1, 0, 1] there): decided at run time.
            self.helpers |= {"SamePad", "Padding"}
            return [f"Padding({self.exprs['padding']}, {self.pair('kernel')}, {stride_code}, {dilation}{value})"], "0"
        self.fixed("padding")
        pad = self.pads("padding")
        if isinstance(pad, str):
            if stride_code == "1" and fill == "0.0":
                return [], "'same'"  # PyTorch's own `same` (stride 1) pads as TensorFlow does
            self.helpers.add("SamePad")
            return [f"SamePad({self.pair('kernel')}, {stride_code}, {dilation}{value})"], "0"
        if fill == "0.0":
            return [f"nn.ZeroPad{self.feature_map()}({names.literal(self.torch_pads(pad))})"], "0"
        self.helpers.add("Pad")
        return [f"Pad({names.literal(self.torch_pads(pad))}{value})"], "0"
