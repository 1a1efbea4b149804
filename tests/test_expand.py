"""expand: the Network of resolved layer calls, block-use chains in errors, limits, figures at the edges."""

from __future__ import annotations

import pytest

from cnncalc.analysis import RF, analyze
from cnncalc.diagnostics import text
from cnncalc.network import INPUT
from cnncalc.problems import BlockUse, SpecError
from cnncalc.spec import load, loads
from conftest import SPECS, run


def _error(source: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        run(source)
    return caught.value


def test_the_network_holds_resolved_calls() -> None:
    analysis = run("input: [8, 8, 3]\nblocks:\n  res:\n    args: {c: 4}\n    layers:\n"
                   "      - conv: {filters: $c, kernel: 3, padding: 1}\n      - add: [conv1, input]\n"
                   "layers:\n  - conv: {filters: 4, kernel: 1, name: stem}\n  - res: {repeat: 2}\n")
    layers = analysis.network.layers
    assert [layer.name for layer in layers] == ["stem", "res1.1.conv1", "res1.1.add1", "res1.2.conv1", "res1.2.add1"]
    assert layers[0].sources == (INPUT,) and layers[2].sources == (1, 0) and layers[4].sources == (3, 2)
    assert layers[1].args["filters"] == 4 and layers[1].args["padding"] == (1, 1, 1, 1)
    assert layers[3].uses == (BlockUse(10, 5, "res", "res1.2"),)
    assert layers[3].scope == ("res1", "res1.2") and layers[3].where.line == 6
    assert [row.name for row in analysis.rows] == [layer.name for layer in layers]
    assert analysis.output == layers[-1].output == (8, 8, 4)


def test_an_error_inside_blocks_names_the_chain_of_uses() -> None:
    exc = _error("input: [8, 8, 3]\nblocks:\n  inner:\n    args: {n: 1}\n    layers:\n"
                 "      - relu: {repeat: '${n - 2}'}\n  outer:\n    args: {n: 1}\n    layers:\n"
                 "      - inner: {n: $n}\nlayers:\n  - outer: 1\n")
    problem = exc.problem
    assert (problem.line, problem.rule) == (6, "invalid-value")
    assert problem.chain == (BlockUse(12, 5, "outer", "outer1"), BlockUse(10, 9, "inner", "outer1.inner1"))
    shown = text(problem).splitlines()
    assert shown[1:] == ["  test.yaml:12:5: in block `outer` used as outer1",
                         "  test.yaml:10:9: in block `inner` used as outer1.inner1"]
    assert problem.as_dict()["chain"][0] == {"line": 12, "column": 5, "block": "outer", "name": "outer1"}


def test_a_top_level_error_has_no_chain() -> None:
    problem = _error("input: [8, 8, 3]\nlayers:\n  - relu: {repeat: 0}\n").problem
    assert problem.chain == () and "chain" not in problem.as_dict()


def test_a_float_is_called_a_float() -> None:
    problem = _error("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 64.0, kernel: 3}\n").problem
    assert "the float 64.0" in problem.message and "decimal point" in problem.message


@pytest.mark.parametrize("source", [
    "input: [512, 512, 64]\nlayers:\n  - flatten\n",  # 16.8 M values, a segmentation feature map
    "input: [4096, 4096, 3]\nlayers:\n  - conv: {filters: 6, kernel: 3, padding: 1}\n",  # 100.7 M values
])
def test_real_large_tensors_are_accepted(source: str) -> None:
    assert run(source).rows[-1].elements > 16_000_000


def test_an_absurd_tensor_is_refused() -> None:
    problem = _error("input: [8, 8, 3]\nlayers:\n  - upsample: {scale: 100000}\n").problem
    assert problem.rule == "too-large" and "1,000,000" in problem.message


@pytest.mark.parametrize("size, rf", [
    (10, None),  # PyTorch's windows are 3 or 4 wide and overlap: no single receptive field
    (8, RF((2, 2), (2, 2), (0, 0))),  # 8 → 4: windows of 2, stride 2, exact
])
def test_receptive_field_through_adaptive_pooling(size: int, rf: RF | None) -> None:
    assert run(f"input: [{size}, {size}, 3]\nlayers:\n  - adaptiveavgpool: 4\n").rows[0].rf == rf


def test_alexnet_upsampling_avgpool_has_no_receptive_field() -> None:
    rows = analyze(load(str(SPECS / "alexnet.yaml")), (100, 100, 3)).rows
    pool = next(i for i, row in enumerate(rows) if row.kind == "adaptiveavgpool")
    assert rows[pool - 1].rf is not None
    assert all(row.rf is None for row in rows[pool:])


def test_unevenness_comes_back_in_layer_out() -> None:
    analysis = run("input: [9, 9, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3, stride: 2, padding: 1}\n")
    assert analysis.network.layers[0].out.uneven is not None
    assert analysis.uneven is not None and analysis.uneven.rule == "uneven-size"
    assert run("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3, stride: 2, padding: 1}\n").uneven is None


def test_loads_and_expansion_restore_the_collector() -> None:
    import gc

    assert gc.isenabled()
    loads("input: [8, 8, 3]\nlayers: [relu]\n")
    run("input: [8, 8, 3]\nlayers: [relu]\n")
    assert gc.isenabled()
