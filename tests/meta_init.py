"""Module construction on the meta device without weight initialisation (tests only).

A module's constructor initialises its parameters through `torch.nn.init` (kaiming_uniform_, normal_,
trunc_normal_, ...). On meta tensors there are no values to fill, yet each call still runs PyTorch's Python
decomposition of the random op (`aten.uniform_`, `aten.normal_`: ~0.5 ms a call), which was about a third of
building torchvision's zoo on the meta device. Inside `no_init()` those functions return their tensor unchanged
when it is a meta tensor; any other tensor (a CPU build) is initialised as usual.
`test_meta_build_without_init_is_the_same_model` (tests/test_torch.py) holds the built models equal.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Any, Callable, Iterator

import torch
from torch.nn import init

# Every public in-place initialiser of torch.nn.init (uniform_, normal_, kaiming_uniform_, ...).
INITIALISERS = sorted(name for name, f in vars(init).items()
                      if name.endswith("_") and not name.startswith("_") and inspect.isfunction(f))


def _skipping_meta(initialise: Callable[..., Any]) -> Callable[..., Any]:
    """`initialise`, except that a meta tensor is returned as it is."""
    @functools.wraps(initialise)
    def wrapper(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if isinstance(tensor, torch.Tensor) and tensor.is_meta:
            return tensor
        return initialise(tensor, *args, **kwargs)
    return wrapper


_ORIGINALS = {name: getattr(init, name) for name in INITIALISERS}
_SKIPPING = {name: _skipping_meta(f) for name, f in _ORIGINALS.items()}


@contextlib.contextmanager
def no_init() -> Iterator[None]:
    """Skip torch.nn.init's initialisers on meta tensors while modules are constructed."""
    # Plain attribute swaps: unittest.mock.patch of 14 names costs more than the initialisation it saves.
    for name, skipping in _SKIPPING.items():
        setattr(init, name, skipping)
    try:
        yield
    finally:
        for name, original in _ORIGINALS.items():
            setattr(init, name, original)
