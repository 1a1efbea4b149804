"""Hand-computed cases for every formula."""

from __future__ import annotations

import pytest

from cnncalc.core import formulas as F


@pytest.mark.parametrize(
    "in_size, kernel, stride, pad_begin, pad_end, dilation, ceil, expected",
    [
        (224, 3, 1, 1, 1, 1, False, 224),   # (224 − 3 + 2)/1 + 1
        (6, 3, 1, 0, 0, 1, False, 4),       # the classic 6×6 → 4×4
        (4, 2, 2, 0, 0, 1, False, 2),       # 2×2 max pool on 4×4
        (224, 11, 4, 2, 2, 1, False, 55),   # AlexNet conv1: ⌊(224 − 11 + 4)/4⌋ + 1 = ⌊54.25⌋ + 1
        (227, 11, 4, 0, 0, 1, False, 55),   # the paper's 227: (227 − 11)/4 + 1 = 55 exactly
        (224, 3, 2, 0, 0, 1, False, 111),   # ⌊221/2⌋ + 1 — uneven
        (224, 7, 2, 3, 3, 1, False, 112),   # ResNet conv1: ⌊(224 + 6 − 7)/2⌋ + 1 = ⌊111.5⌋ + 1
        (112, 3, 2, 1, 1, 1, False, 56),    # ResNet max pool
        (32, 3, 1, 2, 2, 2, False, 32),     # dilation 2: span 5, (32 + 4 − 5)/1 + 1
        (32, 3, 1, 0, 0, 2, False, 28),     # (32 − 5)/1 + 1
        (10, 3, 2, 1, 0, 1, False, 5),      # asymmetric: ⌊(10 + 1 − 3)/2⌋ + 1 = 5
        (10, 3, 2, 0, 1, 1, False, 5),
        (112, 3, 2, 0, 0, 1, True, 56),     # GoogLeNet ceil-mode pool: ⌈109/2⌉ + 1 = 56
        (112, 3, 2, 0, 0, 1, False, 55),    # the same without ceil
        (5, 2, 2, 0, 0, 1, True, 3),        # ceil keeps a partial last window that starts inside the input
        (5, 3, 2, 1, 1, 1, True, 3),        # ceil: ⌈4/2⌉ + 1 = 3, last window starts at 4 < 5 + 1
        (6, 3, 3, 1, 1, 1, True, 3),        # ceil: ⌈5/3⌉ + 1 = 3, but (3 − 1)·3 = 6 ≥ 6 + 1? no: 6 < 7, kept
        (4, 3, 3, 1, 1, 1, True, 2),        # ceil: ⌈3/3⌉ + 1 = 2
        (3, 2, 2, 1, 1, 1, True, 2),        # ceil: ⌈3/2⌉ + 1 = 3, last window starts at 4 ≥ 3 + 1, dropped
        (2, 3, 1, 0, 0, 1, False, 0),       # kernel larger than the input
        (2, 3, 2, 0, 0, 1, True, 1),        # ceil: one window may overhang by less than the stride (PyTorch)
        (1, 3, 2, 0, 0, 1, True, 0),        # ceil: 1 − 3 = −2 ≤ −s, no window at all
    ],
)
def test_conv_output_size(in_size, kernel, stride, pad_begin, pad_end, dilation, ceil, expected) -> None:
    assert F.conv_output_size(in_size, F.Window(kernel, stride, pad_begin, pad_end, dilation), ceil) == expected


@pytest.mark.parametrize(
    "in_size, kernel, stride, dilation, expected",
    [
        (224, 3, 1, 1, (1, 1)),    # stride 1: k − 1 split evenly
        (224, 3, 2, 1, (0, 1)),    # out 112: (111·2 + 3 − 224) = 1 → odd pixel at the end
        (225, 3, 2, 1, (1, 1)),    # out 113: 112·2 + 3 − 225 = 2
        (224, 7, 2, 1, (2, 3)),    # out 112: 222 + 7 − 224 = 5
        (224, 1, 2, 1, (0, 0)),    # 1×1 stride 2 needs no padding
        (224, 4, 1, 1, (1, 2)),    # even kernel at stride 1: 3 → 1 + 2
        (10, 3, 1, 2, (2, 2)),     # dilated: span 5 → total 4
        (7, 3, 3, 1, (1, 1)),      # out ⌈7/3⌉ = 3: 6 + 3 − 7 = 2
        (5, 2, 3, 1, (0, 0)),      # out 2: 3 + 2 − 5 = 0
    ],
)
def test_same_padding(in_size, kernel, stride, dilation, expected) -> None:
    assert F.same_padding(in_size, kernel, stride, dilation) == expected
    begin, end = expected
    assert F.conv_output_size(in_size, F.Window(kernel, stride, begin, end, dilation)) == -(-in_size // stride)


@pytest.mark.parametrize(
    "in_size, kernel, stride, pad_begin, pad_end, output_padding, dilation, expected",
    [
        (28, 2, 2, 0, 0, 0, 1, 56),     # U-Net up-convolution: 27·2 + 1 + 1
        (7, 3, 2, 1, 1, 1, 1, 14),      # (7 − 1)·2 − 2 + 2 + 1 + 1
        (7, 3, 2, 1, 1, 0, 1, 13),
        (5, 3, 1, 0, 0, 0, 2, 9),       # 4 − 0 + 2·2 + 1
        (4, 4, 2, 1, 1, 0, 1, 8),       # DCGAN: (4 − 1)·2 − 2 + 3 + 1
    ],
)
def test_deconv_output_size(in_size, kernel, stride, pad_begin, pad_end, output_padding, dilation, expected) -> None:
    assert F.deconv_output_size(in_size, F.Window(kernel, stride, pad_begin, pad_end, dilation), output_padding) == expected


@pytest.mark.parametrize(
    "filters, kernel, channels, groups, bias, expected",
    [
        (64, 3, 1, 1, True, 640),          # 64 × (9 + 1)
        (64, 3, 3, 1, True, 1_792),        # 64 × (27 + 1)
        (64, 1, 1, 1, True, 128),
        (64, 1, 3, 1, True, 256),
        (64, 1, 256, 1, True, 16_448),     # 64 × (256 + 1)
        (64, 3, 256, 1, True, 147_520),    # 64 × (2,304 + 1)
        (1, 3, 3, 1, True, 28),            # one 3×3×3 filter
        (2, 3, 3, 1, True, 56),
        (64, 3, 256, 1, False, 147_456),
        (64, 3, 256, 4, True, 36_928),     # 64 × (3·3·64 + 1)
        (512, 3, 512, 1, True, 2_359_808),  # VGG block5 conv
    ],
)
def test_conv_params(filters, kernel, channels, groups, bias, expected) -> None:
    assert F.conv_params(channels, filters, (kernel, kernel), groups, bias) == expected


@pytest.mark.parametrize(
    "in_features, units, bias, expected",
    [
        (25_088, 4_096, True, 102_764_544),   # VGG fc1
        (4_096, 4_096, True, 16_781_312),
        (4_096, 1_000, True, 4_097_000),
        (150_528, 128, True, 19_267_712),
        (400, 120, True, 48_120),             # LeNet-5 C5 as dense
        (10, 10, False, 100),
    ],
)
def test_dense_params(in_features, units, bias, expected) -> None:
    assert F.dense_params(in_features, units, bias) == expected


def test_mobilenet_paper_layer() -> None:
    """MobileNet v1 §3: a 14×14×512 layer, 3×3×512×512: 462M vs 52.3M multiply-adds, 2.36M vs 0.27M params."""
    standard = F.conv_macs((14, 14), 512, 512, (3, 3))
    separable = F.conv_macs((14, 14), 512, 512, (3, 3), groups=512) + F.conv_macs((14, 14), 512, 512, (1, 1))
    assert round(standard / 1e6) == 462
    assert round(separable / 1e5) / 10 == 52.3
    assert round(F.conv_params(512, 512, (3, 3), bias=False) / 1e4) / 100 == 2.36
    sep_params = F.conv_params(512, 512, (3, 3), 512, False) + F.conv_params(512, 512, (1, 1), 1, False)
    assert round(sep_params / 1e4) / 100 == 0.27


@pytest.mark.parametrize(
    "in_size, kernel, stride, pad_begin, pad_end, dilation, expected",
    [
        (224, 3, 2, 0, 0, 1, (224, 224)),   # last window ends at 222 (0-based)
        (225, 2, 3, 0, 0, 1, None),         # windows at 0, 3, …, 222: row 225 is a gap like rows 3, 6, …
        (10, 3, 4, 0, 0, 1, (9, 10)),       # windows at 0, 4; a third would start at 8: rows 9–10 lost
        (56, 1, 2, 0, 0, 1, None),          # ResNet's 1×1/2 projection: row 56 is one the stride skips anyway
        (56, 3, 2, 1, 1, 1, None),          # 3×3/2 with padding 1: only padding falls outside
        (224, 7, 2, 3, 3, 1, None),         # only padding is dropped
        (11, 3, 2, 0, 0, 1, None),          # even: nothing dropped
    ],
)
def test_uncovered(in_size, kernel, stride, pad_begin, pad_end, dilation, expected) -> None:
    window = F.Window(kernel, stride, pad_begin, pad_end, dilation)
    lost = F.uncovered(in_size, window, F.conv_output_size(in_size, window))
    assert lost == expected


def test_uncovered_range() -> None:
    # 10 rows, kernel 3, stride 4: windows cover rows 1–3 and 5–7 (1-based); row 8 is a gap the stride
    # leaves anyway, rows 9–10 are what a third window would have covered.
    assert F.uncovered(10, F.Window(3, 4), F.conv_output_size(10, F.Window(3, 4))) == (9, 10)
    # 3×3/2 without padding on 224: windows end at row 223; row 224 is floored away.
    assert F.uncovered(224, F.Window(3, 2), 111) == (224, 224)
