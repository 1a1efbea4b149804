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

Networks repeat their layers (ResNet-152 has 50 bottlenecks of four kinds), and the same networks are measured
by several tests in one process, so the same op meets the same meta tensors again and again. A meta kernel's
result depends only on the op and on its arguments' metadata (there are no values), so the first answer
PyTorch gives for an op and an exact signature (every tensor's shape, strides, dtype and storage offset; every
other argument with its type) is remembered with its FLOPs, and a later call with that signature gets a new meta
tensor of the same shape, strides and dtype. Only ops that return new tensors and change none of their
arguments (by their schema) are remembered, and only calls on meta tensors. `test_remembered_results_are_
pytorchs` (tests/test_torch.py) has PyTorch answer every remembered call again and compares.
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


# (op, signature of its arguments) -> ((shape, strides, dtype) of each result, FLOPs)
_RESULTS: dict[Any, tuple[tuple[tuple[torch.Size, tuple[int, ...], torch.dtype], ...], int]] = {}
_FRESH: dict[Any, bool] = {}
_PLAIN = (int, float, bool, str, type(None), torch.dtype, torch.device, torch.layout, torch.memory_format)
RECHECK = False  # True: PyTorch answers remembered calls too, and the two answers must agree
RECHECKED = [0]  # how many remembered calls PyTorch answered again


class _Unremembered(Exception):
    """An argument the signature cannot describe: the call goes to PyTorch every time."""


def _returns_new_tensors(func: Any) -> bool:
    """Whether the op's schema says it returns only new tensors and changes none of its arguments."""
    known = _FRESH.get(func)
    if known is None:
        schema = func._schema
        known = not schema.is_mutable and bool(schema.returns) and all(
            r.alias_info is None and isinstance(r.type, torch.TensorType) for r in schema.returns)
        _FRESH[func] = known
    return known


def _describe(value: Any) -> Any:
    """An argument as a hashable value: a meta tensor by its metadata, anything else with its type."""
    if isinstance(value, torch.Tensor):
        if not value.is_meta:
            raise _Unremembered
        return value.shape, value.stride(), value.dtype, value.storage_offset()
    if isinstance(value, (list, tuple)):
        return type(value), tuple(_describe(v) for v in value)
    if isinstance(value, _PLAIN):
        return type(value), value  # 1, 1.0 and True are equal as keys, not as arguments
    raise _Unremembered


def _signature(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The key under which the call's results are remembered, or None for a call that is not."""
    if not _returns_new_tensors(func):
        return None
    try:
        return func, _describe(args), tuple((name, _describe(v)) for name, v in kwargs.items())
    except _Unremembered:
        return None


def _remember(key: Any, out: Any, flops: int) -> None:
    """Keep the results' metadata and FLOPs under `key`, if they are fresh meta tensors."""
    outs = out if isinstance(out, tuple) else (out,)
    if all(isinstance(t, torch.Tensor) and t.is_meta and t.storage_offset() == 0 for t in outs):
        _RESULTS[key] = _metadata(out), flops


def _recall(known: tuple[tuple[tuple[torch.Size, tuple[int, ...], torch.dtype], ...], int]) -> Any:
    """New meta tensors like the remembered results (one tensor, or a tuple as the op returns)."""
    metas = [torch.empty_strided(shape, stride, dtype=dtype, device="meta") for shape, stride, dtype in known[0]]
    return metas[0] if len(metas) == 1 else tuple(metas)


def _metadata(out: Any) -> tuple[tuple[torch.Size, tuple[int, ...], torch.dtype], ...]:
    """(shape, strides, dtype) of each result."""
    outs = out if isinstance(out, tuple) else (out,)
    return tuple((t.shape, t.stride(), t.dtype) for t in outs)


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
        key = _signature(func, args, kwargs)
        known = _RESULTS.get(key) if key is not None else None
        if known is not None and not RECHECK:
            self.total += known[1]
            return _recall(known)
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        flops = formula(*args, **kwargs, out_val=out) if formula is not None else 0
        self.total += flops
        if known is not None:
            RECHECKED[0] += 1
            assert (_metadata(out), flops) == known, f"{func}: PyTorch gives {_metadata(out)}, {flops} FLOPs; " \
                                                     f"remembered {known}"
        elif key is not None:
            _remember(key, out, flops)
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
