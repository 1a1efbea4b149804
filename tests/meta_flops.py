"""FLOPs counted as `FlopCounterMode` counts them, with the meta shortcuts, in one dispatch mode (tests only).

The comparisons with PyTorch ran every aten op through two Python dispatch modes: FlopCounterMode, which
also tracks the module hierarchy with global forward hooks to attribute FLOPs per module, and MetaShortcuts
(tests/meta_shortcuts.py). The tests only need the running total (a module's FLOPs are the total's growth
across its call), so `MetaFlops` does in one mode what the two did:

- the meta shortcuts answer eval-mode batch norm and activations first, as MetaShortcuts entered inside
  FlopCounterMode did (FlopCounterMode never saw those ops, and counts none of them);
- any other op is handled as `FlopCounterMode.__torch_dispatch__` handles it (torch/utils/flop_counter.py):
  the shape queries it passes on are passed on, an op with a CompositeImplicitAutograd decomposition is
  decomposed under the mode, and an op is run and counted with PyTorch's own `flop_registry` formula
  for its overload packet.

The one shortcut of its own: FlopCounterMode re-enters itself to call `decompose()` on every op, which
returns NotImplemented unless the op has a CompositeImplicitAutograd kernel; here that is asked once per
op. `test_meta_flops_is_flop_counter_mode` (tests/test_torch.py) runs the comparisons both ways (`counting()`
with PYTORCHS_COUNTER set) and holds every figure equal.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch
from torch._C import DispatchKey
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from meta_shortcuts import NOT_SHORTCUT, MetaShortcuts, shortcut

aten = torch.ops.aten
# The ops FlopCounterMode returns NotImplemented for, so that the tensor's own handling answers them.
_PASSED_ON = {
    aten.sym_is_contiguous.default, aten.is_contiguous.default, aten.is_contiguous.memory_format,
    aten.is_strides_like_format.default, aten.is_non_overlapping_and_dense.default, aten.size.default,
    aten.sym_size.default, aten.stride.default, aten.sym_stride.default, aten.storage_offset.default,
    aten.sym_storage_offset.default, aten.numel.default, aten.sym_numel.default, aten.dim.default,
    torch.ops.prim.layout.default,
}
PYTORCHS_COUNTER = False  # True: `counting()` gives FlopCounterMode with MetaShortcuts, as the tests used to
_IMPLICIT = DispatchKey.CompositeImplicitAutograd
_decomposes: dict[Any, bool] = {}


def _has_decomposition(func: Any) -> bool:
    """Whether `func.decompose()` would run a decomposition rather than return NotImplemented."""
    known = _decomposes.get(func)
    if known is None:
        known = _IMPLICIT in func.py_kernels or torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), _IMPLICIT)
        _decomposes[func] = known
    return known


class MetaFlops(TorchDispatchMode):
    """The running total of FLOPs FlopCounterMode would count, with batch norm and activations on meta
    tensors answered by shape."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        result = shortcut(func, args, kwargs)
        if result is not NOT_SHORTCUT:
            return result
        if func in _PASSED_ON:
            return NotImplemented
        if isinstance(func, torch._ops.HigherOrderOperator):
            raise NotImplementedError(f"MetaFlops does not count higher-order operators ({func}); use FlopCounterMode")
        if func is not torch.ops.prim.device.default and _has_decomposition(func):
            with self:
                decomposed = func.decompose(*args, **kwargs)
            if decomposed is not NotImplemented:
                return decomposed
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out

    def get_total_flops(self) -> int:
        """The FLOPs counted so far (FlopCounterMode's name for it)."""
        return self.total


@contextlib.contextmanager
def counting() -> Iterator[MetaFlops | FlopCounterMode]:
    """A FLOP counter for a forward pass (read it with get_total_flops()): MetaFlops, or with PYTORCHS_COUNTER
    PyTorch's FlopCounterMode with MetaShortcuts inside it."""
    if PYTORCHS_COUNTER:
        with FlopCounterMode(display=False) as pytorchs, MetaShortcuts():
            yield pytorchs
    else:
        with MetaFlops() as ours:
            yield ours
