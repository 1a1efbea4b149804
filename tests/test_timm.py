"""Bundled specs of timm's (and Ultralytics') models against the models themselves.

Each model is built with pretrained=False (no weights are downloaded) in eval mode and run on a batch of
one zero image at the spec's input size under `FlopCounterMode`. The spec must give the model's parameter
count (`sum(p.numel() for p in model.parameters())`), its frozen part (parameters with requires_grad
False), its buffers (running statistics and fixed weights; BatchNorm's num_batches_tracked is a counter,
not a weight, and is left out as everywhere in cnncalc), FlopCounterMode's FLOPs / 2 as multiply-adds, and
the output shape (NCHW read as HWC).
"""

from __future__ import annotations

import sys
import types

import pytest

from conftest import BUNDLED_NAMES, bundled_analysis
from timm_zoo import TIMM, ULTRALYTICS, missing

pytestmark = pytest.mark.torch


def _figures(model: object, size: int) -> tuple[int, int, int, int, tuple[int, ...]]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    assert isinstance(model, torch.nn.Module)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = model(torch.zeros(1, 3, size, size))
    if isinstance(out, (tuple, list)):  # a detection model in eval mode: (predictions, raw maps)
        out = out[0]
    params = sum(p.numel() for p in model.parameters())
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked"))
    shape = tuple(out.shape[1:])
    return params, frozen, buffers, counter.get_total_flops() // 2, shape[1:] + shape[:1] if len(shape) > 1 else shape


def _compare(name: str, figures: tuple[int, int, int, int, tuple[int, ...]]) -> None:
    analysis = bundled_analysis(name)
    totals = analysis.totals
    ours = (totals.trainable, totals.frozen, totals.non_trainable, totals.macs, tuple(analysis.output))
    labels = ("parameters", "frozen", "buffers", "multiply-adds", "output")
    assert dict(zip(labels, ours)) == dict(zip(labels, figures))


@pytest.mark.skipif(missing("timm") is not None, reason=str(missing("timm")))
@pytest.mark.parametrize("name", sorted(TIMM))
def test_bundled_spec_is_timms_model(name: str) -> None:
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import timm

    model_name, size = TIMM[name]
    # Fused attention (F.scaled_dot_product_attention) runs a CPU kernel FlopCounterMode has no formula for, so
    # it would count no products of attention at all; unfused, the same products are two counted matmuls.
    timm.layers.set_fused_attn(False)
    model = timm.create_model(model_name, pretrained=False).eval()
    _compare(name, _figures(model, size))


@pytest.mark.skipif(missing("ultralytics") is not None, reason=str(missing("ultralytics")))
@pytest.mark.parametrize("name", sorted(ULTRALYTICS))
def test_bundled_spec_is_ultralytics_model(name: str) -> None:
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    from ultralytics.nn.tasks import DetectionModel

    config, size = ULTRALYTICS[name]
    model = DetectionModel(config, verbose=False).eval()
    _compare(name, _figures(model, size))


def test_every_model_named_is_bundled() -> None:
    assert set(TIMM) | set(ULTRALYTICS) <= set(BUNDLED_NAMES)
