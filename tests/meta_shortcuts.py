"""Batch norm and elementwise activations on the meta device without PyTorch's Python decompositions (tests only).

On meta tensors `aten.native_batch_norm` and the activations (`aten.relu`, `aten.sigmoid`, `aten.hardswish`, ...)
have no kernel of their own: PyTorch runs their Python decompositions (~0.8 ms a batch norm, ~0.4 ms an
out-of-place ReLU, against ~0.03 ms for a convolution), which made them most of the cost of measuring a network
on the meta device. In eval mode a batch norm's output is a tensor of the input's shape and its saved
statistics have one value per channel; an activation of a floating-point tensor gives a tensor of the same shape,
dtype and strides (in place: the tensor itself). This mode answers with exactly that, after
the same argument checks (`test_meta_batch_norm_is_pytorchs` and `test_meta_activation_is_pytorchs` in
tests/test_torch.py compare the two). Anything else, and any call whose arguments PyTorch would refuse,
goes to PyTorch unchanged. FlopCounterMode counts none of these ops.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
_BATCH_NORM = aten.native_batch_norm.default
# Activations whose only argument is the tensor: out of place, then in place.
_UNARY = {getattr(aten, name).default for name in ("relu", "sigmoid", "silu", "hardswish", "hardsigmoid", "tanh")}
_UNARY_IN_PLACE = {getattr(aten, f"{name}_").default for name in ("relu", "sigmoid", "silu", "hardswish",
                                                                   "hardsigmoid", "tanh")}
_HARDTANH = {aten.hardtanh.default: False, aten.hardtanh_.default: True}  # ReLU6: (x, 0.0, 6.0)
_GELU = aten.gelu.default


NOT_SHORTCUT = object()  # what `shortcut` returns for a call that PyTorch must answer


def shortcut(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The result of an eval-mode batch norm or an activation on a meta tensor, or NOT_SHORTCUT."""
    if func is _BATCH_NORM:
        if not kwargs and _batch_norm_shortcut(*args):
            x = args[0]
            return _like(x), x.new_empty((x.shape[1],)), x.new_empty((x.shape[1],))
    elif _activation_shortcut(func, args, kwargs):
        return args[0] if func in _UNARY_IN_PLACE or _HARDTANH.get(func) else _like(args[0])
    return NOT_SHORTCUT


def _like(x: torch.Tensor) -> torch.Tensor:
    """torch.empty_like(x), made directly when x has a contiguous tensor's strides (PyTorch's meta empty_like
    works the strides out in Python, ~0.1 ms a call)."""
    if x.stride() == _contiguous_strides(x.shape):
        return torch.empty(x.shape, dtype=x.dtype, device=x.device)
    return torch.empty_like(x)


def _contiguous_strides(shape: torch.Size) -> tuple[int, ...]:
    """The strides torch.empty gives a tensor of this shape."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


class MetaShortcuts(TorchDispatchMode):
    """Answer eval-mode batch norm and activations on meta tensors with their results' shapes
    (enter it inside FlopCounterMode; tests/meta_flops.py's MetaFlops does both in one mode)."""

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        result = shortcut(func, args, kwargs)
        return func(*args, **kwargs) if result is NOT_SHORTCUT else result


def _batch_norm_shortcut(x: torch.Tensor, weight: Any, bias: Any, mean: Any, var: Any, training: bool,
                         *_: Any) -> bool:
    """True for eval-mode batch norm on a meta tensor whose per-channel arguments all have C values."""
    if not x.is_meta or training or x.dim() < 2:
        return False
    return all(t is None or tuple(t.shape) == (x.shape[1],) for t in (weight, bias, mean, var))


def _activation_shortcut(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True for a known activation of a floating-point meta tensor with arguments PyTorch accepts."""
    if func in _UNARY or func in _UNARY_IN_PLACE:
        ok = len(args) == 1 and not kwargs
    elif func in _HARDTANH:
        ok = len(args) == 3 and not kwargs
    elif func is _GELU:
        ok = len(args) == 1 and set(kwargs) <= {"approximate"} and kwargs.get("approximate", "none") in ("none", "tanh")
    else:
        return False
    x = args[0]
    return ok and isinstance(x, torch.Tensor) and x.is_meta and x.dtype.is_floating_point
