"""Every bundled architecture against the published figures in shared/reference-figures.md."""

from __future__ import annotations

from typing import Any

import pytest

from cnncalc.core.analysis import analyze
from cnncalc.catalog.bundled import read_spec
from cnncalc.check.files import expectations
from cnncalc.core.spec import load

from conftest import BUNDLED_NAMES, bundled_analysis, SPECS

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

# ../shared/reference-figures.md, "More torchvision models": name: (parameters, BN statistics, MACs),
# exactly as PyTorch 2.13 and torchvision 0.28 give them (FlopCounterMode FLOPs ÷ 2, at 224×224; Inception v3
# at 299×299 without its auxiliary head).
MORE_TORCHVISION = {
    "vgg11_bn": (132_868_840, 5_504, 7_609_090_048),
    "vgg13_bn": (133_053_736, 5_888, 11_308_466_176),
    "vgg19_bn": (143_678_248, 11_008, 19_632_062_464),
    "resnext50_32x4d": (25_028_904, 68_224, 4_230_479_872),
    "resnext101_32x8d": (88_791_336, 202_880, 16_414_015_488),
    "resnext101_64x4d": (83_455_272, 202_880, 15_460_270_080),
    "wide_resnet50_2": (68_883_240, 68_224, 11_398_021_120),
    "wide_resnet101_2": (126_886_696, 137_856, 22_753_050_624),
    "densenet161": (28_681_000, 219_936, 7_727_907_072),
    "densenet169": (14_149_480, 158_400, 3_359_843_328),
    "densenet201": (20_013_928, 229_056, 4_291_365_888),
    "inception_v3": (23_834_568, 34_432, 5_713_216_096),
    "mnasnet0_5": (2_218_512, 20_624, 104_455_968),
    "mnasnet0_75": (3_170_208, 29_808, 215_493_104),
    "mnasnet1_0": (4_383_312, 37_920, 314_415_872),
    "mnasnet1_3": (6_282_256, 48_816, 526_362_432),
    "regnet_x_400mf": (5_495_976, 37_856, 413_812_608),
    "regnet_x_800mf": (7_259_656, 37_312, 799_699_712),
    "regnet_x_1_6gf": (9_190_136, 43_504, 1_602_849_792),
    "regnet_y_400mf": (4_344_144, 27_152, 401_842_848),
    "regnet_y_800mf": (6_432_512, 30_432, 833_856_256),
    "regnet_y_1_6gf": (11_202_430, 52_672, 1_612_076_160),
    "mobilenet_v3_small": (2_542_856, 12_112, 56_510_400),
    "mobilenet_v3_large": (5_483_032, 24_400, 216_589_760),
    "efficientnet_b1": (7_794_184, 62_048, 569_651_680),
    "efficientnet_b2": (9_109_994, 67_568, 658_963_440),
    "efficientnet_b3": (12_233_232, 87_296, 962_708_240),
    "efficientnet_b4": (19_341_616, 125_200, 1_503_710_432),
    "efficientnet_b5": (30_389_784, 172_736, 2_356_493_184),
    "efficientnet_b6": (43_040_704, 224_432, 3_360_166_848),
    "efficientnet_b7": (66_347_960, 310_720, 5_169_865_152),
    "efficientnet_v2_s": (21_458_488, 153_872, 2_849_895_872),
}

BUNDLED = BUNDLED_NAMES


@pytest.mark.parametrize("name", sorted(n for n in REFERENCE if n in BUNDLED))
def test_published_figures(name: str) -> None:
    trainable, non_trainable, gmacs = REFERENCE[name]
    analysis = bundled_analysis(name)
    assert analysis.totals.trainable == trainable
    if non_trainable is not None:
        assert analysis.totals.non_trainable == non_trainable
    if gmacs is not None:
        assert round(analysis.totals.macs / 1e9, 3) == gmacs


@pytest.mark.parametrize("name", sorted(MORE_TORCHVISION))
def test_more_torchvision_figures_exactly(name: str) -> None:
    parameters, bn_statistics, macs = MORE_TORCHVISION[name]
    totals = bundled_analysis(name).totals
    assert (totals.trainable, totals.non_trainable, totals.macs) == (parameters, bn_statistics, macs)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_expectations_hold(name: str) -> None:
    analysis = bundled_analysis(name)
    assert analysis.spec.expect, f"{name}.yaml has no expect: block"
    assert expectations(analysis) == []
    assert analysis.warnings == []


def test_every_required_architecture_is_bundled() -> None:
    missing = sorted((set(REFERENCE) | set(MORE_TORCHVISION) | {"unet"}) - set(BUNDLED))
    assert missing == []


def test_papers() -> None:
    """MobileNet v1: 569M multiply-adds, 4.2M parameters; v2: 300M, 3.4M; U-Net: 572×572×1 → 388×388×2."""
    v1 = analyze(load(str(SPECS / "mobilenet_v1.yaml")))
    assert round(v1.totals.macs / 1e6) == 569
    assert round(v1.totals.trainable / 1e5) / 10 == 4.2
    v2 = analyze(load(str(SPECS / "mobilenet_v2.yaml")))
    assert round(v2.totals.macs / 1e8) == 3  # 300.8M: the paper's "300 million"
    assert round(v2.totals.trainable / 1e5) / 10 == 3.5  # the paper rounds 3.47M to "3.4 million"
    unet = analyze(load(str(SPECS / "unet.yaml")))
    assert unet.input == (572, 572, 1) and unet.output == (388, 388, 2)


def test_resnet_stage_outputs_match_table_1() -> None:
    """He et al. 2015, Table 1: conv1 112, pool 56, conv2_x 56, conv3_x 28, conv4_x 14, conv5_x 7."""
    for name in ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152"):
        rows = {r.name: r for r in bundled_analysis(name).rows}
        assert rows["conv1"].output[:2] == (112, 112)
        assert rows["maxpool"].output[:2] == (56, 56)
        last = {stage: [r for n, r in rows.items() if n.startswith(stage + ".")][-1] for stage in
                ("layer1", "layer2", "layer3", "layer4")}
        assert [last[s].output[:2] for s in ("layer1", "layer2", "layer3", "layer4")] == [
            (56, 56), (28, 28), (14, 14), (7, 7)]
        assert rows["fc"].output == (1000,)


def test_mobilenet_paper_layer_from_files(tmp_path) -> None:
    """The paper's 14×14×512 layer as two one-layer files: 462M vs 52.3M multiply-adds."""
    standard = tmp_path / "standard.yaml"
    standard.write_text("input: [14, 14, 512]\nlayers:\n  - conv: {filters: 512, kernel: 3, padding: same}\n")
    separable = tmp_path / "separable.yaml"
    separable.write_text("input: [14, 14, 512]\nlayers:\n  - depthwise: {kernel: 3, padding: same}\n"
                         "  - conv: {filters: 512, kernel: 1}\n")
    assert round(analyze(load(str(standard))).totals.macs / 1e6) == 462
    assert round(analyze(load(str(separable))).totals.macs / 1e5) / 10 == 52.3


def test_the_vgg_family_without_batch_norm_is_the_teaching_file() -> None:
    """specs/vgg.yaml's configuration D without BatchNorm is specs/vgg16.yaml row for row (which is why vgg16 is
    not also a variant): the same names, kinds, shapes, counts and arguments (the ReLU fused into each conv)."""
    family = read_spec("vgg16_bn", {"batch_norm": False, "conv_activation": "relu"})

    def rows(analysis: Any) -> list[tuple[Any, ...]]:
        return [(r.name, r.kind, r.output, r.trainable, r.non_trainable, r.macs, r.args) for r in analysis.rows]

    assert rows(analyze(family)) == rows(analyze(load(str(SPECS / "vgg16.yaml"))))
    assert len(family.variants) == 7 and "vgg16" not in family.variants
