"""tests/valid/: small valid files for the less common features, each with hand-computed `expect:` figures
(the arithmetic is in the files' comments). check_file must find nothing: no error, no warning, and every
`expect` entry met."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cnncalc.check.files import check_file

VALID = Path(__file__).resolve().parent / "valid"
FILES = sorted(VALID.glob("*.yaml"))

# Intermediate shapes the final `expect: output` does not pin down (row name -> H, W, C).
SHAPES = {
    "asymmetric-padding": {"conv1": (8, 8, 4), "zeropad1": (10, 8, 4), "maxpool1": (5, 4, 4)},
    "same-padding-stride2": {"conv1": (4, 4, 8)},
    "same-padding-even-kernel": {"conv1": (3, 3, 3)},
    "ceil-mode-pooling": {"maxpool1": (4, 3, 3), "avgpool1": (2, 1, 3)},
    "crop": {"crop1": (8, 10, 3), "crop2": (6, 6, 3), "crop3": (5, 4, 3)},
    "dilation": {"conv1": (12, 12, 4), "conv2": (12, 12, 4)},
    "deconv-separable": {"deconv1": (8, 8, 4), "upsample1": (16, 16, 4), "separable1": (16, 16, 6)},
    "multiply-broadcast": {"multiply1": (6, 6, 8), "multiply2": (6, 6, 8)},
    "negative-from": {"concat1": (8, 8, 8)},
    "keras-zero-padding": {"conv1_pad": (230, 230, 3), "conv1_conv": (112, 112, 64), "pool1_pool": (56, 56, 64),
                           "conv2": (28, 28, 16)},
    "nested-blocks": {"bottleneck1.1.unit1.conv1": (8, 8, 8), "bottleneck1.2.add1": (8, 8, 4)},
    "language": {"u1.add1": (8, 8, 16), "u2.hardswish1": (8, 8, 32), "u2.project": (4, 4, 24), "conv2": (8, 8, 8)},
}


def test_there_are_valid_examples() -> None:
    assert len(FILES) >= 10
    assert set(SHAPES) <= {p.stem for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_valid_file_has_no_problems(path: Path) -> None:
    expect = yaml.safe_load(path.read_text(encoding="utf-8"))["expect"]
    assert "params" in expect and "output" in expect, "every valid example states params and output"
    result = check_file(str(path))
    assert result.problems == []
    assert result.analysis is not None
    rows = {row.name: row.output for row in result.analysis.rows}
    for name, shape in SHAPES.get(path.stem, {}).items():
        assert rows.get(name) == shape, f"{name}: {rows.get(name)} != {shape}; rows: {sorted(rows)}"
