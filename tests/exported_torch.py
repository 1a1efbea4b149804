"""Build a module exported by `cnncalc export --to pytorch` and measure it layer by layer.

Used by tests/test_export.py after `pytest.importorskip("torch")`. The exported source is executed
in a fresh namespace; the network is built on the meta device (no weights are allocated), run once
counting FLOPs with PyTorch's FlopCounterMode, measuring the module of every
cnncalc layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from cnncalc.core.analysis import Analysis
from cnncalc.export.pytorch import Exported
from torch.utils.flop_counter import FlopCounterMode


@dataclass
class Figures:
    """What PyTorch says about one cnncalc layer's module (channels-last shape, as cnncalc)."""

    shape: tuple[int, ...]
    trainable: int
    non_trainable: int
    macs: int


def load_module(code: str) -> dict[str, Any]:
    """Execute exported source in a fresh namespace (not as __main__) and return the namespace."""
    namespace: dict[str, Any] = {"__name__": "cnncalc_exported"}
    exec(compile(code, "<exported>", "exec"), namespace)  # noqa: S102 - the code under test
    return namespace


def build(exported: Exported, device: str = "meta") -> tuple[nn.Module, tuple[int, ...]]:
    """The exported network (eval mode) on `device`, and its INPUT_SHAPE."""
    namespace = load_module(exported.code)
    with torch.device(device):
        net = namespace[exported.class_name]().eval()
    return net, namespace["INPUT_SHAPE"]


def _channels_last(shape: torch.Size) -> tuple[int, ...]:
    s = tuple(shape[1:])
    return (*s[1:], s[0]) if len(s) > 1 else s


class _Meter:
    """Output shapes and FLOPs of the modules it wraps, by cnncalc layer name."""

    def __init__(self, counter: Any) -> None:
        self.counter = counter
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.flops: dict[str, int] = {}

    def wrap(self, module: nn.Module, names: list[str]) -> None:
        """Measure every call of `module` for the layers `names`: a layer's FLOPs are the growth of the
        counter's total across its module's calls (FlopCounterMode's per-module figure: what runs while the
        module is on the stack)."""
        forward = module.forward

        def measured(*args: Any, **kwargs: Any) -> Any:
            before = self.counter.get_total_flops()
            out = forward(*args, **kwargs)
            grown = self.counter.get_total_flops() - before
            for name in names:
                self.shapes[name] = _channels_last(out.shape)
                self.flops[name] = self.flops.get(name, 0) + grown
            return out

        # An instance attribute rather than forward hooks: a module without hooks takes nn.Module's fast call
        # path, and the hooks' bookkeeping was a third of measuring an exported network.
        module.forward = measured  # type: ignore[method-assign]


def measure(exported: Exported, device: str = "meta") -> tuple[dict[str, Figures], tuple[int, ...], nn.Module]:
    """Per cnncalc layer: figures of its module; and the whole network's output shape (channels-last)."""
    net, input_shape = build(exported, device)
    layers: dict[str, list[str]] = {}
    for name, path in exported.paths.items():
        layers.setdefault(path, []).append(name)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        meter = _Meter(counter)
        for path, names in layers.items():
            meter.wrap(net.get_submodule(path), names)
        out = net(torch.zeros(input_shape, device=device))
    for path in layers:
        del net.get_submodule(path).forward
    figures = {}
    for name, path in exported.paths.items():
        module = net.get_submodule(path)
        trainable = sum(p.numel() for p in module.parameters())
        figures[name] = Figures(meter.shapes[name], trainable, _saved_buffers(module), meter.flops[name] // 2)
    return figures, _channels_last(out.shape), net


def _saved_buffers(module: nn.Module) -> int:
    """Values of the saved buffers, what cnncalc counts as non-trainable: BatchNorm's running statistics,
    Keras Normalization's mean/variance/count (not BatchNorm's batch counter, which Keras has no weight for)."""
    return sum(buffer.numel() for m in module.modules() for name, buffer in m._buffers.items()
               if buffer is not None and name not in m._non_persistent_buffers_set and name != "num_batches_tracked")


def mismatches(analysis: Analysis, exported: Exported, device: str = "meta") -> list[str]:
    """Every layer where the exported module disagrees with cnncalc, plus the totals (empty: they agree)."""
    figures, output, net = measure(exported, device)
    problems = []
    for layer in analysis.network.layers:
        ours = Figures(tuple(layer.output), layer.out.trainable, layer.out.non_trainable, layer.out.macs)
        theirs = figures[layer.name]
        if ours != theirs:
            problems.append(f"{layer.name} -> {exported.paths[layer.name]}: cnncalc {ours}, torch {theirs}")
    t = analysis.totals
    total = (sum(p.numel() for p in net.parameters()), _saved_buffers(net))
    if output != tuple(analysis.output) or total != (t.trainable, t.non_trainable):
        problems.append(f"whole network: cnncalc {analysis.output} {t.trainable} {t.non_trainable}, "
                        f"torch {output} {total}")
    return problems
