"""expand: the Network of resolved layer calls, block-use chains in errors, limits, figures at the edges."""

from __future__ import annotations

import pytest

from cnncalc.core.analysis import RF, analyze
from cnncalc.check.diagnostics import text
from cnncalc.core.network import INPUT
from cnncalc.core.problems import BlockUse, SpecError
from cnncalc.core.spec import UnknownVariable, load, loads, select
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


# -- the language: repeat 0, if, vars, kinds as arguments, expression defaults, block defaults,
# -- references into block uses -------------------------------------------------------------------

def _names(source: str) -> list[str]:
    return [layer.name for layer in run(source).network.layers]


def test_repeat_zero_passes_the_input_through() -> None:
    analysis = run("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n"
                   "  - conv: {filters: 6, kernel: 3, repeat: 0, name: skipped}\n"
                   "  - conv: {filters: 2, kernel: 1, from: skipped}\n")
    layers = analysis.network.layers
    assert [layer.name for layer in layers] == ["conv1", "conv3"]
    assert layers[1].sources == (0,) and layers[1].input_shapes == ((8, 8, 4),)
    assert analysis.totals.trainable == 3 * 4 + 4 + 4 * 2 + 2


def test_a_one_block_stage_through_repeat_n_minus_1() -> None:
    source = ("input: [8, 8, 4]\nblocks:\n  stage:\n    args: {n: ~}\n    layers:\n"
              "      - conv: {filters: 4, kernel: 1, name: first}\n"
              "      - conv: {filters: 4, kernel: 1, repeat: '${n - 1}', name: rest}\n"
              "layers:\n  - stage: {n: 1, name: s1}\n  - stage: {n: 3, name: s3}\n")
    assert _names(source) == ["s1.first", "s3.first", "s3.rest.1", "s3.rest.2"]


def test_if_on_layers_and_block_uses() -> None:
    source = ("input: [8, 8, 4]\nblocks:\n  unit:\n    args: {filters: ~, stride: 1}\n    layers:\n"
              "      - conv: {filters: $filters, kernel: 1, stride: $stride, name: conv}\n"
              "      - add: {from: [input, conv], if: '${stride == 1 and in_channels == filters}'}\n"
              "layers:\n  - unit: {filters: 4}\n  - unit: {filters: 8}\n  - unit: {filters: 8, stride: 2}\n"
              "  - unit: {filters: 8, if: false, name: skipped}\n")
    assert _names(source) == ["unit1.conv", "unit1.add1", "unit2.conv", "unit3.conv"]


def test_alternatives_may_share_a_name_when_one_is_skipped() -> None:
    source = ("input: [8, 8, 3]\nvars: {big: false}\nlayers:\n"
              "  - conv: {filters: 16, kernel: 1, name: body, if: $big}\n"
              "  - conv: {filters: 4, kernel: 1, name: body, if: '${not big}'}\n  - relu: {from: body}\n")
    analysis = run(source)
    assert [layer.name for layer in analysis.network.layers] == ["body", "relu1"]
    assert analysis.output == (8, 8, 4)


def test_vars_reach_every_expression_and_blocks() -> None:
    source = ("input: [8, 8, 3]\nvars:\n  width: 0.5\n  c: ${make_divisible(32 * width, 8)}\n  act: relu6\n"
              "blocks:\n  unit:\n    args: {f: $c}\n    layers:\n      - conv: {filters: $f, kernel: 1}\n      - $act\n"
              "layers:\n  - conv: {filters: $c, kernel: 1}\n  - unit\n")
    layers = run(source).network.layers
    assert [(layer.kind, layer.args.get("filters")) for layer in layers] == [
        ("conv", 16), ("conv", 16), ("relu6", None)]


def test_variants_and_overrides() -> None:
    spec = loads("input: [8, 8, 3]\nvars: {width: 1.0}\nlayers:\n"
                 "  - conv: {filters: '${make_divisible(16 * width, 8)}', kernel: 1}\n"
                 "expect: {params: 64, max_params: 1000}\n"
                 "variants:\n  half: {vars: {width: 0.5}, expect: {params: 32}}\n")
    assert analyze(spec).totals.params == 64
    half = select(spec, "half")
    assert analyze(half).totals.params == 32 and set(half.expect) == {"params"} and half.name == "half"
    wide = select(spec, None, {"width": 2})
    assert analyze(wide).totals.params == 3 * 32 + 32 and set(wide.expect) == {"max_params"}
    with pytest.raises(UnknownVariable, match='did you mean "width"'):
        select(spec, None, {"widht": 2})


def test_argument_defaults_are_expressions_of_earlier_arguments() -> None:
    source = ("input: [8, 8, 4]\nblocks:\n  unit:\n    args: {out: ~, t: 6, hidden: '${in_channels * t}'}\n"
              "    layers:\n      - conv: {filters: $hidden, kernel: 1}\n      - conv: {filters: $out, kernel: 1}\n"
              "layers:\n  - unit: {out: 8}\n  - unit: {out: 8, t: 2}\n  - unit: {out: 8, hidden: 5}\n")
    assert [layer.args["filters"] for layer in run(source).network.layers] == [24, 8, 16, 8, 5, 8]


def test_block_defaults_reach_only_the_layers_inside() -> None:
    source = ("input: [8, 8, 4]\ndefaults:\n  conv: {kernel: 1}\nblocks:\n  unit:\n"
              "    defaults: {conv: {bias: false}}\n    layers:\n      - conv: 4\n      - inner\n"
              "  inner:\n    layers:\n      - conv: 4\n"
              "layers:\n  - unit\n  - conv: 4\n")
    layers = run(source).network.layers
    assert [(layer.name, layer.args["bias"], layer.args["kernel"]) for layer in layers] == [
        ("unit1.conv1", False, (1, 1)), ("unit1.inner1.conv1", False, (1, 1)), ("conv1", True, (1, 1))]


def test_references_into_block_uses() -> None:
    source = ("input: [8, 8, 4]\nblocks:\n  branches:\n    layers:\n"
              "      - conv: {filters: 2, kernel: 1, name: left}\n"
              "      - conv: {filters: 3, kernel: 1, from: input, name: right}\n"
              "  outer:\n    layers:\n      - branches: {name: s}\n"
              "layers:\n  - branches: {name: u1}\n  - outer: {name: o, repeat: 2}\n"
              "  - concat: [u1.left, u1.right, o.2.s.left]\n")
    layers = run(source).network.layers
    assert layers[-1].inputs == ("u1.left", "u1.right", "o.2.s.left") and layers[-1].out.output == (8, 8, 7)


def test_a_condition_error_names_the_chain_of_uses() -> None:
    exc = _error("input: [8, 8, 3]\nblocks:\n  unit:\n    args: {se: ~}\n    layers:\n"
                 "      - relu: {if: $se}\nlayers:\n  - unit: {se: 3}\n")
    problem = exc.problem
    assert (problem.rule, problem.line, problem.column) == ("invalid-condition", 6, 20)
    assert "got 3" in problem.message and problem.chain == (BlockUse(8, 5, "unit", "unit1"),)


@pytest.mark.parametrize("source, rule, message", [
    ("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 8, kernel: 1}\n  - relu: {repeat: 0, from: input}\n",
     "invalid-layers", "`input`, not the last layer computed"),
    ("input: [8, 8, 3]\nvars: {act: 3}\nlayers:\n  - $act\n", "unknown-kind", "not the name of a layer kind"),
    ("input: [8, 8, 3]\nvars: {w: 2}\nlayers:\n  - conv: {filters: $x, kernel: 1}\n", "unknown-variable",
     "known: $w"),
    ("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 8, kernel: 1, if: maybe}\n", "invalid-condition",
     "got 'maybe'"),
])
def test_language_errors(source: str, rule: str, message: str) -> None:
    problem = _error(source).problem
    assert problem.rule == rule and message in problem.message, problem.message


FAMILY_EXAMPLE = SPECS.parent / "docs" / "examples" / "resnet-family.yaml"


def test_the_resnet_family_example_meets_every_variants_expect() -> None:
    from cnncalc.check.files import check_file

    assert check_file(str(FAMILY_EXAMPLE)).problems == []


@pytest.mark.parametrize("variant", ["resnet18", "resnext50_32x4d", "wide_resnet50_2"])
def test_the_resnet_family_example_builds_the_bundled_files_row_by_row(variant: str) -> None:
    """One file with `$block` for BasicBlock/Bottleneck and an `if:` projection shortcut builds exactly the
    bundled single files: names, kinds, shapes, figures and wiring."""
    family = analyze(select(load(str(FAMILY_EXAMPLE)), variant))
    single = analyze(load(str(SPECS / f"{variant}.yaml")))

    def rows(analysis):  # type: ignore[no-untyped-def]
        return [(r.name, r.kind, r.output, r.trainable, r.non_trainable, r.macs, r.inputs) for r in analysis.rows]

    assert rows(family) == rows(single)


def test_expanded_arguments_in_the_args_column_and_json() -> None:
    from cnncalc.core.memory import estimate
    from cnncalc.shape.render import TableView, cells, to_dict

    analysis = run("input: [8, 8, 3]\nvars: {width: 0.5}\nblocks:\n  unit:\n    args: {f: ~, t: 2}\n"
                   "    layers:\n      - conv: {filters: '${f * t}', kernel: 3, padding: 1, bias: false}\n"
                   "layers:\n  - unit: {f: '${make_divisible(32 * width, 8)}', name: u}\n  - maxpool: 2\n")
    header, rows, _ = cells(TableView(analysis, estimate(analysis), ("output", "args"), None))
    assert header[-1] == "Arguments"
    assert [row[-1] for row in rows] == ["filters=32 kernel=3 padding=1 bias=false", "kernel=2"]
    _, folded, _ = cells(TableView(analysis, estimate(analysis), ("args",), 0))
    assert folded[0][-1] == "f=16 t=2"  # a folded block use: the arguments it was given, evaluated
    layer = to_dict(analysis, estimate(analysis))["layers"][0]
    assert layer["args"]["filters"] == 32 and layer["args"]["kernel"] == [3, 3]


def test_a_default_that_does_not_convert_is_reported_at_its_place() -> None:
    text = "input: [8, 8, 3]\ndefaults:\n  conv: {kernel: x, filters: 4}\nlayers:\n  - conv: {kernel: 3}\n"
    with pytest.raises(SpecError) as caught:
        run(text)
    assert (caught.value.problem.rule, caught.value.problem.line, caught.value.problem.column) == ("invalid-value", 3, 18)


def test_argument_problems_come_in_the_order_the_file_writes_them() -> None:
    with pytest.raises(SpecError) as caught:
        run("input: [8, 8, 3]\nlayers:\n  - conv: {stride: 0, filters: 0, kernel: 3}\n")
    assert caught.value.problem.column == 20  # stride, written first, though the kind lists filters first
