"""Batch norm on the meta device without PyTorch's Python decomposition (tests only).

On meta tensors `aten.native_batch_norm` has no kernel of its own: PyTorch runs its Python decomposition
(~0.8 ms a call, against ~0.03 ms for a convolution), which makes batch norm most of the cost of
measuring a network on the meta device. In eval mode its output is a tensor of the input's shape and its
saved statistics have one value per channel, so this mode answers with exactly that, after the same argument checks
(`test_meta_batch_norm_is_pytorchs` in tests/test_torch.py compares the two). Anything else, and any
batch norm whose arguments PyTorch would refuse, goes to PyTorch unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

_BATCH_NORM = torch.ops.aten.native_batch_norm.default


class MetaBatchNorm(TorchDispatchMode):
    """Answer eval-mode batch norm on meta tensors with its output's shape (enter it inside FlopCounterMode)."""

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func is _BATCH_NORM and not kwargs and _shortcut(*args):
            x = args[0]
            return torch.empty_like(x), x.new_empty((x.shape[1],)), x.new_empty((x.shape[1],))
        return func(*args, **kwargs)


def _shortcut(x: torch.Tensor, weight: Any, bias: Any, mean: Any, var: Any, training: bool, *_: Any) -> bool:
    """True for eval-mode batch norm on a meta tensor whose per-channel arguments all have C values."""
    if not x.is_meta or training or x.dim() < 2:
        return False
    return all(t is None or tuple(t.shape) == (x.shape[1],) for t in (weight, bias, mean, var))
