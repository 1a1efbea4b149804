"""Command-line text → values: what each parser accepts, and the option and message of what it refuses."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from cnncalc.cli import options
from cnncalc.calc.requests import ConvRequest, DenseRequest, SolveRequest, WindowRequest
from cnncalc.core.problems import CommandLineError
from cnncalc.core.quantities import Quantity


def window_text(input: str = "224", kernel: str = "3", stride: str = "1", dilation: str = "1", padding: str = "0",
                output_padding: str = "0", rank: str | None = None, transposed: bool = False,
                ceil: bool = False) -> options.WindowText:
    return options.WindowText(input, kernel, stride, dilation, padding, output_padding, rank, transposed, ceil)


def params_text(filters: str | None = None, kernel: str | None = None, channels: str | None = None,
                groups: str = "1", units: str | None = None, inputs: str | None = None) -> options.ParamsText:
    return options.ParamsText(filters, kernel, channels, groups, units, inputs, True)


ACCEPTED: list[tuple[Callable[[], Any], Any]] = [
    (lambda: options.whole("7", "--batch"), 7),
    (lambda: options.whole(None, "--batch"), None),
    (lambda: options.whole("0", "--jobs", 0), 0),
    (lambda: options.shape("224x160", "--input"), (224, 160)),
    (lambda: options.shape("16×112×112", "--input"), (16, 112, 112)),
    (lambda: options.pair("5", "--kernel"), (5, 5)),
    (lambda: options.columns(None), ("output", "params", "macs")),
    (lambda: options.columns("rf, memory"), ("rf", "memory")),
    (lambda: options.depth("all"), None),
    (lambda: options.depth("0"), 0),
    (lambda: options.input_override("320x320", (224, 224, 3)), (320, 320, 3)),
    (lambda: options.input_override("32x64x64", (16, 112, 112, 3)), (32, 64, 64, 3)),
    (lambda: options.input_override("8000", (16000, 1)), (8000, 1)),
    (lambda: options.input_override(None, (224, 224, 3)), None),
    (lambda: options.set_vars(["width=1.4", "depth = 2", "act=relu", "bn=true"]),
     {"width": 1.4, "depth": 2, "act": "relu", "bn": True}),
    (lambda: options.set_vars(None), None),
    (lambda: options.budget("5M", "--max-params"), Quantity("5M", 5, 10**6, 0)),
    (lambda: options.budgets(None, "1G", None), {"max_macs": Quantity("1G", 1, 10**9, 0)}),
    (lambda: options.scan_range("32:1024", (224, 224, 3)), (32, 1024)),
    (lambda: options.scan_range(None, (224, 224, 3)), (32, 1024)),
    (lambda: options.scan_range(None, (16000, 1)), (8000, 28000)),
    (lambda: options.scan_range(None, (16, 16, 3)), (8, 32)),
    (lambda: options.size_at("224", (32, 32, 3)), (224, 224, 3)),
    (lambda: options.size_at("8x16x16", (4, 4, 4, 1)), (8, 16, 16, 1)),
    (lambda: options.padding("1x2"), [1, 2]),
    (lambda: options.padding("same"), "same"),
    (lambda: options.padding("3"), 3),
    (lambda: options.window(window_text("16x112x112", "3x7x7", padding="1x3x3")),
     WindowRequest((16, 112, 112), (3, 7, 7), (1, 1, 1), (1, 1, 1), [1, 3, 3])),
    (lambda: options.window(window_text("16000", "80", "4", rank="1")), WindowRequest((16000,), (80,), (4,), (1,), 0)),
    (lambda: options.window(window_text("7", stride="2", transposed=True, output_padding="1")),
     WindowRequest((7, 7), (3, 3), (2, 2), (1, 1), 0, True, 1)),
    (lambda: options.solve_request(window_text("224x160", "3", "2"), None, True),
     SolveRequest((224, 160), (3, 3), (2, 2), (1, 1), None)),
    (lambda: options.layer_params(params_text("64", "3", "256")), ConvRequest(64, (3, 3), 256, 1, True)),
    (lambda: options.layer_params(params_text("64", "3x7x7", "3")), ConvRequest(64, (3, 7, 7), 3, 1, True)),
    (lambda: options.layer_params(params_text(units="4096", inputs="25088")),
     DenseRequest((25088,), (4096,), True, False)),
    (lambda: options.layer_params(params_text(units="128,10", inputs="7x7x512", channels="3")),
     DenseRequest((7, 7, 512), (128, 10), True, True)),
]


@pytest.mark.parametrize("parse, expected", ACCEPTED)
def test_accepted(parse: Callable[[], Any], expected: Any) -> None:
    assert parse() == expected


REFUSED: list[tuple[Callable[[], Any], str | None, str]] = [
    (lambda: options.whole("x", "--batch"), "--batch", "expected a whole number ≥ 1, got 'x'"),
    (lambda: options.whole("0", "--batch"), "--batch", "expected a whole number ≥ 1, got 0"),
    (lambda: options.choice("yaml", {"table": 1, "json": 2}, "--format"), "--format", "'yaml' is not one of table, json"),
    (lambda: options.columns("colour"), "--columns", "unknown column 'colour'; choose from output, params, macs, "
     "memory, rf, weights, args or all"),
    (lambda: options.depth("-1"), "--depth", "give a number ≥ 0 or `all`"),
    (lambda: options.input_override("320", (224, 224, 3)), "--input", "the file describes a 2-D network (input "
     "224x224x3); give HxW (keeping its 3 channels) or HxWxC"),
    (lambda: options.input_override("32", (16, 112, 112, 3)), "--input", "the file describes a 3-D network (input "
     "16x112x112x3); give DxHxW (keeping its 3 channels) or DxHxWxC"),
    (lambda: options.input_override("8x8", (100,)), "--input", "the file's input is a vector of 100; give one number"),
    (lambda: options.input_override("224x224x3x1", (224, 224, 3)), "--input", "the file describes a 2-D network "
     "(input 224x224x3); give HxW (keeping its 3 channels) or HxWxC"),
    (lambda: options.input_override("1x3x224x224", (224, 224, 3)), "--input", "the file describes a 2-D network "
     "(input 224x224x3); give HxW (keeping its 3 channels) or HxWxC; 1x3x224x224 reads as PyTorch's batch x "
     "channels x spatial: write 224x224x3 (channels last, no batch)"),
    (lambda: options.input_override("32x32x3", (16000, 1)), "--input", "the file describes a 1-D network (input "
     "16000x1); give L (keeping its 1 channel) or LxC"),
    (lambda: options.set_vars(["width"]), "--set", "'width' is not NAME=VALUE; write e.g. --set width=1.4"),
    (lambda: options.set_vars(["act=re lu"]), "--set", "'act=re lu': the value is a number, true/false or a word "
     "such as relu"),
    (lambda: options.scan_range("x", (224, 224, 3)), "--range", "--range takes LOW:HIGH, like 32:1024"),
    (lambda: options.scan_range("5:1", (224, 224, 3)), "--range", "--range needs 1 ≤ LOW ≤ HIGH and at most 20,000 sizes"),
    (lambda: options.size_at("8x8", (4, 4, 4, 1)), "--size", "this network's input has 3 spatial axes; give one "
     "size or 3"),
    (lambda: options.check_format("x", {"text": 1}), "--format", "'x' is not one of text"),
    (lambda: options.window(window_text(rank="4")), "--rank", "a window has 1, 2 or 3 spatial axes, not 4"),
    (lambda: options.window(window_text("16x16", rank="1")), "--input", "'16x16' has 2 axes but the window has 1; "
     "give one number"),
    (lambda: options.window(window_text("16x112", "3x7x7")), "--input", "'16x112' has 2 axes but the window has 3; "
     "give one number or 3"),
    (lambda: options.window(window_text(output_padding="1")), None, "--output-padding applies only with --transposed"),
    (lambda: options.window(window_text(transposed=True, ceil=True)), None, "--ceil applies to pooling, not to "
     "--transposed"),
    (lambda: options.solve_request(window_text(padding="1"), None, True), None, "--output and --keep solve for the "
     "padding of a convolution: leave out --padding, --transposed and --ceil"),
    (lambda: options.solve_request(window_text(), "112", True), None, "give either --output or --keep, not both"),
    (lambda: options.layer_params(params_text("64")), None, "a convolution needs --kernel, --channels (or give "
     "--units and --inputs for a dense layer)"),
    (lambda: options.layer_params(params_text(units="10")), None, "a dense layer needs both --units and --inputs"),
    (lambda: options.layer_params(params_text("64", units="10", inputs="5")), None, options._BOTH),
    (lambda: options.layer_params(params_text(channels="3", units="10", inputs="5")), None, options._BOTH),
    (lambda: options.layer_params(params_text(kernel="3", units="10,2", inputs="5")), None, options._BOTH),
    (lambda: options.layer_params(params_text(units="10,a", inputs="5")), "--units", "expected a whole number ≥ 1, "
     "got 'a'"),
]


@pytest.mark.parametrize("parse, option, message", REFUSED)
def test_refused(parse: Callable[[], Any], option: str | None, message: str) -> None:
    with pytest.raises(CommandLineError) as info:
        parse()
    assert (info.value.option, str(info.value)) == (option, message)
