"""The one-layer calculators behind `params` and `size`: hand-computed tables, then PyTorch's own figures."""

from __future__ import annotations

import pytest

from cnncalc.calc import requests as calc
from cnncalc.calc.requests import ConvRequest, DenseRequest, SolveRequest, WindowRequest
from cnncalc.core.problems import CommandLineError


def window(size: tuple[int, ...], kernel: int, stride: int = 1, padding: object = 0, dilation: int = 1,
           **flags: object) -> WindowRequest:
    rank = len(size)
    return WindowRequest(size, (kernel,) * rank, (stride,) * rank, (dilation,) * rank, padding, **flags)  # type: ignore[arg-type]


# (request, output per axis, (begin, end) per axis): worked by hand from ⌊(H + pt + pb − d(k − 1) − 1)/s⌋ + 1.
SIZES = [
    (window((224, 224), 3, 2, "same"), [112, 112], [(0, 1), (0, 1)]),  # TF: total (112 − 1)·2 + 3 − 224 = 1
    (window((224, 224), 7, 2, 3), [112, 112], [(3, 3), (3, 3)]),  # (224 + 6 − 7)/2 + 1 = 112.5 → 112
    (window((224, 160), 3, 1, [1, 2, 0, 3]), [225, 161], [(1, 2), (0, 3)]),  # 224 + 3 − 3 + 1; 160 + 3 − 3 + 1
    (window((224, 160), 3, 1, [1, 2]), [224, 162], [(1, 1), (2, 2)]),  # per axis: [h, w]
    (window((16,), 3, 1, [1, 2]), [17], [(1, 2)]),  # 1-D: [begin, end], 16 + 3 − 3 + 1
    (window((16,), 3, 1, 1), [16], [(1, 1)]),
    (window((16, 112, 112), 3, 1, [1, 2, 3]), [16, 114, 116], [(1, 1), (2, 2), (3, 3)]),
    (window((16, 112, 112), 3, 1, [0, 1, 0, 1, 0, 1]), [15, 15 + 96, 15 + 96], [(0, 1)] * 3),
    (window((7, 7), 3, 2, 0, ceil=True), [3, 3], [(0, 0), (0, 0)]),  # ⌈(7 − 3)/2⌉ + 1 = 3
    (window((8, 8), 3, 2, 0, ceil=True), [4, 4], [(0, 0), (0, 0)]),  # ⌈5/2⌉ + 1 = 4, starts at 6 < 8
    (window((2, 2), 3, 2, 0, ceil=True), [1, 1], [(0, 0), (0, 0)]),  # the window may overhang in ceil mode
    (window((9, 9), 3, 1, 2, dilation=2), [9, 9], [(2, 2), (2, 2)]),  # 9 + 4 − 2·2 − 1 + 1
    (window((7, 7), 3, 2, 1, transposed=True, output_padding=1), [14, 14], [(1, 1), (1, 1)]),  # 6·2 − 2 + 2 + 1 + 1
    (window((28, 28), 2, 2, 0, transposed=True), [56, 56], [(0, 0), (0, 0)]),
    (window((7, 7), 3, 2, "same", transposed=True), [14, 14], [(0, 0), (0, 0)]),  # H·s
    (window((224, 224), 3, 1, "valid"), [222, 222], [(0, 0), (0, 0)]),
]


@pytest.mark.parametrize("request_, outputs, pads", SIZES)
def test_window_sizes(request_: WindowRequest, outputs: list[int], pads: list[tuple[int, int]]) -> None:
    axes = calc.window_sizes(request_)
    assert [a.out_size for a in axes] == outputs
    assert [(a.pad_begin, a.pad_end) for a in axes] == pads


@pytest.mark.parametrize("rank, padding, pads", [
    (2, 1, [(1, 1), (1, 1)]), (2, [1, 2], [(1, 1), (2, 2)]), (2, [1, 2, 3, 4], [(1, 2), (3, 4)]),
    (2, "valid", [(0, 0), (0, 0)]), (2, "same", ["same", "same"]), (1, [1, 2], [(1, 2)]), (1, 3, [(3, 3)]),
    (3, [1, 2, 3], [(1, 1), (2, 2), (3, 3)]), (3, "same", ["same"] * 3), (3, 0, [(0, 0)] * 3),
])
def test_padding_is_read_as_a_layers_padding(rank: int, padding: object, pads: list[object]) -> None:
    assert calc.pads_per_axis(padding, rank) == pads


@pytest.mark.parametrize("rank, padding, message", [
    (2, [1, 2, 3], "write N, HxW, top,bottom,left,right, same or valid"),
    (2, -1, "write N, HxW, top,bottom,left,right, same or valid"),
    (1, [1, 2, 3, 4], "write N, begin,end, same or valid"),
    (3, [1, 2], "write N, DxHxW, front,back,top,bottom,left,right, same or valid"),
])
def test_padding_that_does_not_fit_the_rank_is_refused(rank: int, padding: object, message: str) -> None:
    with pytest.raises(CommandLineError) as info:
        calc.pads_per_axis(padding, rank)
    assert (str(info.value), info.value.option) == (message, "--padding")


@pytest.mark.parametrize("request_, message", [
    (window((2, 2), 3), "the height of the window (3) is larger than the padded input (2)"),
    (window((2, 2), 3, dilation=2, padding=1), "the height of the window (5) is larger than the padded input (4)"),
    (window((16, 2, 16), 3), "the height of the window (3) is larger than the padded input (2)"),
    (window((7, 7), 3, 2, transposed=True, output_padding=2), "--output-padding must be smaller than the stride or "
     "the dilation"),
    (window((7, 7), 3, 2, "same", transposed=True, output_padding=1), "--output-padding cannot be combined with "
     "--padding same"),
    (window((1, 1), 3, 1, 0, ceil=True), "the output would be empty; use a larger input, more padding or a smaller "
     "stride"),
])
def test_windows_a_layer_would_refuse_are_refused(request_: WindowRequest, message: str) -> None:
    with pytest.raises(CommandLineError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        calc.window_sizes(request_)


@pytest.mark.parametrize("request_, total, weights", [
    (ConvRequest(64, (3, 3), 256, 1, True), 147_520, 147_456),  # 64·(3·3·256 + 1)
    (ConvRequest(64, (3, 7, 7), 3, 1, False), 28_224, 28_224),  # 64·3·7·7·3
    (ConvRequest(64, (3, 5), 32, 4, True), 64 * 3 * 5 * 8 + 64, 64 * 3 * 5 * 8),
    (ConvRequest(32, (80,), 1, 1, True), 32 * 81, 32 * 80),
])
def test_conv_params(request_: ConvRequest, total: int, weights: int) -> None:
    result = calc.layer_params(request_)
    assert (result.total, result.weights) == (total, weights)  # type: ignore[union-attr]


def test_groups_must_divide_channels_and_filters() -> None:
    with pytest.raises(CommandLineError, match="--groups 4 must divide both --channels 6 and --filters 64"):
        calc.conv_params(ConvRequest(64, (3, 3), 6, 4, True))


@pytest.mark.parametrize("request_, layers, total", [
    (DenseRequest((25088,), (4096,), True, False), [(25088, 4096, 102_764_544)], 102_764_544),
    (DenseRequest((7, 7, 512), (4096, 10), True, True), [(25088, 4096, 102_764_544), (4096, 10, 40_970)],
     102_805_514),
    (DenseRequest((4, 4), (3,), False, True), [(16, 3, 48)], 48),
])
def test_dense_stack(request_: DenseRequest, layers: list[tuple[int, int, int]], total: int) -> None:
    stack = calc.dense_stack(request_)
    assert [(x.inputs, x.units, x.params) for x in stack.layers] == layers
    assert (stack.features, stack.params) == (layers[0][0], total)


@pytest.mark.parametrize("request_, paddings", [
    (SolveRequest((224, 224), (7, 7), (2, 2), (1, 1), (112, 112)), [(3, 3), (3, 3)]),
    # keep: ⌈224/2⌉ = 112 needs 1 ≤ P ≤ 2 (111·2 + 3 − 224 = 1); the even total pads both sides alike
    (SolveRequest((224, 224), (3, 3), (2, 2), (1, 1), None), [(1, 1), (1, 1)]),
    (SolveRequest((224, 160), (3, 3), (1, 1), (1, 1), (224, 100)), [(1, 1), None]),  # padding cannot shrink 158
])
def test_solve_window(request_: SolveRequest, paddings: list[object]) -> None:
    assert [s.padding for s in calc.solve_window(request_)] == paddings


# --- PyTorch computes the same sizes and counts -------------------------------------------------------

def _torch_output(torch: object, request_: WindowRequest) -> list[int]:
    """The spatial output of the matching torch layer on a zero input (padding applied with F.pad)."""
    nn, F = torch.nn, torch.nn.functional  # type: ignore[attr-defined]
    rank = len(request_.input)
    pads = calc.pads_per_axis(request_.padding, rank)
    x = torch.zeros(1, 1, *request_.input)  # type: ignore[attr-defined]
    if request_.transposed:
        layer = [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][rank - 1](
            1, 1, request_.kernel, request_.stride, padding=[p[0] for p in pads], output_padding=request_.output_padding,
            dilation=request_.dilation)
        return list(layer(x).shape[2:])
    flat = [side for p in reversed(pads) for side in p]  # F.pad wants the last axis first
    if request_.ceil:
        pool = [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][rank - 1](request_.kernel, request_.stride, ceil_mode=True)
        return list(pool(F.pad(x, flat)).shape[2:])
    conv = [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1](1, 1, request_.kernel, request_.stride,
                                                       dilation=request_.dilation)
    return list(conv(F.pad(x, flat)).shape[2:])


TORCH_CASES = [r for r, _, _ in SIZES if r.padding != "same"]


@pytest.mark.torch
@pytest.mark.parametrize("request_", TORCH_CASES)
def test_window_sizes_equal_pytorchs(request_: WindowRequest) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; install torch to compare against it")
    with torch.no_grad():
        assert [a.out_size for a in calc.window_sizes(request_)] == _torch_output(torch, request_)


@pytest.mark.torch
@pytest.mark.parametrize("request_", [ConvRequest(64, (3, 3), 256, 1, True), ConvRequest(64, (3, 7, 7), 3, 1, False),
                                      ConvRequest(64, (3, 5), 32, 4, True), ConvRequest(32, (80,), 1, 1, True)])
def test_conv_params_equal_pytorchs(request_: ConvRequest) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; install torch to compare against it")
    layer = [torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d][len(request_.kernel) - 1](
        request_.channels, request_.filters, request_.kernel, groups=request_.groups, bias=request_.bias, device="meta")
    assert calc.conv_params(request_).total == sum(p.numel() for p in layer.parameters())
