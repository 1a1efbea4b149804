"""Counts and sizes with suffixes (138.4M, 15.5G, 100MB, 1.5GiB) and shapes ("224x224x3")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

COUNT_SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
MEMORY_SUFFIXES = {
    "": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40,
}
_QUANTITY = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")


class Quantity(NamedTuple):
    """A count or size as written: its value, unit and precision, for comparisons."""

    text: str
    number: Decimal
    scale: int
    decimals: int

    @property
    def value(self) -> int:
        """The quantity as a whole number (rounded)."""
        return int((self.number * self.scale).to_integral_value())

    def matches(self, actual: int) -> bool:
        """True if `actual` equals this quantity to the precision it was written with."""
        if self.scale == 1 and self.decimals == 0:
            return actual == self.value
        return round(Decimal(actual) / self.scale, self.decimals) == self.number

    def allows(self, actual: int) -> bool:
        """True if `actual` is within this quantity as a budget."""
        return Decimal(actual) <= self.number * self.scale


def parse_quantity(value: object, memory: bool = False) -> Quantity:
    """Parse an integer or a string with a suffix; raise ValueError with a helpful message."""
    suffixes = MEMORY_SUFFIXES if memory else COUNT_SUFFIXES
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("expected a number ≥ 0")
        return Quantity(str(value), Decimal(value), 1, 0)
    if isinstance(value, float):
        raise ValueError(f"{value:g} is not a whole number; write it with a suffix, like "
                         f"{'1.5GiB' if memory else '138.4M'}")
    match = _QUANTITY.match(str(value)) if isinstance(value, str) else None
    if not match or match.group(2).upper() not in suffixes or (memory and match.group(2).upper() == ""):
        examples = "100MB, 1.5GiB or a byte count" if memory else "138357544, 138_357_544, 138.4M, 15.5G or 2K"
        raise ValueError(f"cannot read {value!r} as a {'size' if memory else 'count'}; write it like {examples}")
    digits = match.group(1).replace("_", "")
    try:
        number = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"cannot read {value!r}") from None
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    scale = suffixes[match.group(2).upper()]
    if scale == 1 and decimals:
        raise ValueError(f"{value!r} is not a whole number")
    return Quantity(str(value), number, scale, decimals)


def parse_shape(text: str, min_dims: int = 1, max_dims: int = 3) -> tuple[int, ...]:
    """Parse "224x224x3" (or 224×224×3, or "224") into a tuple of positive integers."""
    parts = re.split(r"\s*[x×X,]\s*", text.strip())
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"cannot read {text!r}; write it like 224x224x3") from None
    if not min_dims <= len(dims) <= max_dims or any(d < 1 for d in dims):
        raise ValueError(f"{text!r} needs {min_dims}–{max_dims} positive whole numbers, like 224x224x3")
    return dims


def human(count: float) -> str:
    """Short form of a count with SI prefixes (15.47G)."""
    for scale, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(count) >= scale:
            return f"{count / scale:.2f}{prefix}"
    return f"{count:g}"


def human_bytes(count: float) -> str:
    """Bytes in binary units (MiB), saying so."""
    for scale, prefix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(count) >= scale:
            return f"{count / scale:.2f} {prefix}"
    return f"{count:g} B"


def fmt_shape(shape: "tuple[int, ...] | list[int]") -> str:
    """A shape as text: H×W×C (L×C, D×H×W×C, or N); parse_shape reads it back (as HxWxC)."""
    return "×".join(str(d) for d in shape)
