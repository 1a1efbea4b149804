"""The resolved network: receptive fields composed layer by layer, per kind, hand-computed."""

from __future__ import annotations


import pytest


from conftest import run



# -- receptive field per kind -------------------------------------------------------------------

@pytest.mark.parametrize(
    "layers, size, stride, padding",
    [
        ("- conv: {filters: 1, kernel: 3}", 3, 1, 0),
        ("- conv: {filters: 1, kernel: 3, dilation: 2}", 5, 1, 0),            # span d(k − 1) + 1
        ("- conv: {filters: 1, kernel: 3, stride: 2, padding: 1}\n  - conv: {filters: 1, kernel: 3}",
         7, 2, 1),                                                            # 3 + (3 − 1)·2
        ("- maxpool: 2\n  - maxpool: 2\n  - conv: {filters: 1, kernel: 3}", 12, 4, 0),
        ("- zeropad: 2\n  - conv: {filters: 1, kernel: 5}", 5, 1, 2),
        ("- crop: 1\n  - conv: {filters: 1, kernel: 3}", 3, 1, -1),
        ("- conv: {filters: 1, kernel: 3, stride: 2, padding: same}", 3, 2, 0),  # 32 at /2: pad 0 top
        ("- relu\n  - batchnorm", 1, 1, 0),                                     # pointwise
    ],
)
def test_receptive_field(layers: str, size: int, stride: int, padding: int) -> None:
    rf = run(f"input: [32, 32, 1]\nlayers:\n  {layers}\n").rows[-1].rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.padding) == ((size, size), (stride, stride), (padding, padding))


def test_receptive_field_is_undefined_after_upsampling() -> None:
    rows = run("input: [8, 8, 1]\nlayers:\n  - upsample: 2\n  - conv: {filters: 1, kernel: 3}\n").rows
    assert rows[0].rf is None and rows[1].rf is None
