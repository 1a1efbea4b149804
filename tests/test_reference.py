"""Every bundled architecture against the published figures in shared/reference-figures.md."""

from __future__ import annotations

import pytest

from cnncalc.analysis import analyze
from cnncalc.checks import expectations
from cnncalc.spec import load

from conftest import SPECS

# name: (trainable params as torchvision's num_params, non-trainable, GMACs to 3 decimals or None)
REFERENCE = {
    "lenet5": (61_706, 0, None),
    "alexnet": (61_100_840, 0, 0.714),
    "vgg11": (132_863_336, 0, 7.609),
    "vgg13": (133_047_848, 0, 11.308),
    "vgg16": (138_357_544, 0, 15.470),
    "vgg16_bn": (138_365_992, 8_448, 15.470),  # 13 BatchNorms over 4,224 channels: 2 × 4,224 statistics
    "vgg19": (143_667_240, 0, 19.632),
    "resnet18": (11_689_512, None, 1.814),
    "resnet34": (21_797_672, None, 3.664),
    "resnet50": (25_557_032, None, 4.089),
    "resnet101": (44_549_160, None, 7.801),
    "resnet152": (60_192_808, None, 11.514),
    "googlenet": (6_624_904, None, 1.498),
    "mobilenet_v1": (4_231_976, 21_888, None),
    "mobilenet_v2": (3_504_872, 34_112, 0.301),
    "squeezenet1_0": (1_248_424, 0, 0.819),
    "squeezenet1_1": (1_235_496, 0, 0.349),
    "densenet121": (7_978_856, 83_648, 2.834),
    "efficientnet_b0": (5_288_548, None, 0.386),
}

BUNDLED = sorted(p.stem for p in SPECS.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(n for n in REFERENCE if n in BUNDLED))
def test_published_figures(name: str) -> None:
    trainable, non_trainable, gmacs = REFERENCE[name]
    analysis = analyze(load(str(SPECS / f"{name}.yaml")))
    assert analysis.totals.trainable == trainable
    if non_trainable is not None:
        assert analysis.totals.non_trainable == non_trainable
    if gmacs is not None:
        assert round(analysis.totals.macs / 1e9, 3) == gmacs


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_expectations_hold(name: str) -> None:
    analysis = analyze(load(str(SPECS / f"{name}.yaml")))
    assert analysis.spec.expect, f"{name}.yaml has no expect: block"
    assert expectations(analysis) == []
    assert analysis.warnings == []


def test_every_required_architecture_is_bundled() -> None:
    missing = sorted((set(REFERENCE) | {"unet"}) - set(BUNDLED))
    assert missing == []
