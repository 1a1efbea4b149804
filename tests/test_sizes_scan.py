"""Clean input sizes of bundled networks (`cnncalc sizes`): published sizes, hand-checked."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.sizes.scan import runs, scan, try_size
from cnncalc.core.spec import load

from conftest import SPECS

runner = CliRunner()


# -- sizes --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, low, high, clean",
    [
        ("resnet50", 200, 300, [224, 256, 288]),      # multiples of 32
        ("vgg16", 200, 300, [224, 256, 288]),
        ("lenet5", 26, 40, [28, 32, 36, 40]),         # 28 → 24 → 12 → 8 → 4: H − 4 and H/2 − 6 even
    ],
)
def test_clean_sizes(name: str, low: int, high: int, clean: list[int]) -> None:
    spec = load(str(SPECS / f"{name}.yaml"))
    assert [v.input[0] for v in scan(spec, low, high) if v.clean] == clean


def test_unet_572_is_clean_and_573_is_not() -> None:
    spec = load(str(SPECS / "unet.yaml"))
    assert try_size(spec, (572, 572, 1)).clean
    assert not try_size(spec, (573, 573, 1)).clean


def test_unclean_size_names_the_layer() -> None:
    verdict = try_size(load(str(SPECS / "resnet50.yaml")), (225, 225, 3))
    assert verdict.problem is not None
    assert verdict.problem.rule == "uneven-size"
    assert verdict.problem.message == ("conv1: height: 225 is not a multiple of the stride 2: the windows give 113 "
                                       "outputs, and 113 × 2 = 226 ≠ 225")


def test_alexnet_paper_size_tiles_exactly() -> None:
    text = "input: [227, 227, 3]\nlayers:\n  - conv: {filters: 96, kernel: 11, stride: 4}\n"
    spec = load_text(text)
    assert try_size(spec, (227, 227, 3)).clean          # (227 − 11)/4 = 54
    assert not try_size(spec, (224, 224, 3)).clean      # (224 − 11)/4 = 53.25


def load_text(text: str):
    from cnncalc.core.spec import loads

    return loads(text)


def test_runs() -> None:
    assert runs([32, 64, 96, 128, 200]) == [(32, 128, 32), (200, 200, 0)]
    assert runs([1, 2]) == [(1, 1, 0), (2, 2, 0)]


def test_sizes_command() -> None:
    result = runner.invoke(app, ["sizes", "resnet50", "--range", "32:1024"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "32 clean input sizes from 32 to 1024: 32, 64, …, 1024 (every 32)"
    result = runner.invoke(app, ["sizes", "resnet50", "--size", "225", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problem"]["rule"] == "uneven-size"
    assert runner.invoke(app, ["sizes", "resnet50", "--range", "9:3"]).exit_code == 2
