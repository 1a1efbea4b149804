"""The constructs real networks need: blocks with several inputs, copies side by side, frozen, fixed and shared
weights, token layouts (reshape, permute, concat along an axis), attention per patch pixel, weight-standardised
convolutions. Figures are worked out by hand in each case."""

from __future__ import annotations

import json

import pytest

from cnncalc.core.memory import estimate
from cnncalc.core.problems import SpecError
from conftest import run

# A 1×1 conv 8 → 8 with bias: 8·8 + 8 = 72 parameters; 3×3: 8·8·9 + 8 = 584; batch norm on 8: 16 + 16.
HEAD = "input: [8, 8, 8]\n"


def _error(source: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        run(source)
    return caught.value


# --- blocks with several inputs ---------------------------------------------------------------------

FUSE = HEAD + """blocks:
  fuse:
    layers:
      - conv: {filters: $in_channels, kernel: 1, from: input.2, name: lift}
      - upsample: 2
      - add: [input.1, -1]
      - concat: [input.*]
layers:
  - conv: {filters: 8, kernel: 1, name: fine}
  - conv: {filters: 16, kernel: 1, stride: 2, name: coarse}
  - fuse: {from: [fine, coarse]}
"""


def test_a_block_use_reads_several_inputs() -> None:
    rows = {r.name: r for r in run(FUSE.replace("      - concat: [input.*]\n", "")).rows}
    # `lift` reads the second input (16 channels, 4×4) and makes the first input's width ($in_channels = 8)
    assert rows["fuse1.lift"].inputs == ("coarse",) and rows["fuse1.lift"].params == 16 * 8 + 8
    assert rows["fuse1.add1"].inputs == ("fine", "fuse1.upsample1")


def test_input_star_is_every_input_of_the_use() -> None:
    exc = _error(FUSE)  # 8×8×8 and 4×4×16 cannot be joined: the message names both inputs
    assert exc.problem.rule == "shape-mismatch" and "'fine'" in exc.problem.message and "'coarse'" in exc.problem.message


@pytest.mark.parametrize("layers, rule, words", [
    ("  - b: {from: [input, input]}\n", "unknown-reference", "`input.3`: this block use has 2 inputs"),
    ("  - b: {from: [input, input], repeat: 2}\n", "invalid-value", "several inputs cannot be repeated"),
    ("  - b: {from: [input, input], parallel: 2}\n", "invalid-value", "several inputs cannot be copied"),
])
def test_several_inputs_misused(layers: str, rule: str, words: str) -> None:
    exc = _error(HEAD + "blocks:\n  b:\n    layers:\n      - conv: {filters: 4, kernel: 1, from: input.3}\n"
                 "layers:\n" + layers)
    assert exc.problem.rule == rule and words in exc.problem.message


def test_an_item_not_built_may_name_an_input_the_use_lacks() -> None:
    analysis = run(HEAD + "blocks:\n  b:\n    args: {n: 1}\n    layers:\n      - relu\n"
                   "      - conv: {filters: 8, kernel: 1, from: input.2, if: '${n > 1}', name: extra}\n"
                   "      - add: {from: [relu1, extra], skipped: drop}\n"
                   "layers:\n  - b: {n: 1}\n  - b: {n: 2, from: [b1, input]}\n")
    assert [r.name for r in analysis.rows] == ["b1.relu1", "b1.add1", "b2.relu1", "b2.extra", "b2.add1"]


# --- copies side by side ---------------------------------------------------------------------------

def test_parallel_copies_read_the_same_input_and_merge() -> None:
    rows = run(HEAD + "layers:\n  - conv: {filters: 8, kernel: 1, parallel: 3, name: br}\n"
               "  - add: [br.*]\n  - conv: {filters: 8, kernel: 1, from: br.2}\n").rows
    assert [(r.name, r.inputs) for r in rows] == [
        ("br.1", ("input",)), ("br.2", ("input",)), ("br.3", ("input",)), ("add1", ("br.1", "br.2", "br.3")),
        ("conv2", ("br.2",))]


@pytest.mark.parametrize("options, words", [
    ("parallel: 0", "parallel takes a whole number ≥ 1"),
    ("parallel: 2, repeat: 2", "not both"),
])
def test_parallel_misused(options: str, words: str) -> None:
    exc = _error(HEAD + f"layers:\n  - conv: {{filters: 8, kernel: 1, {options}}}\n")
    assert exc.problem.rule == "invalid-value" and words in exc.problem.message


# --- frozen, fixed and shared weights ----------------------------------------------------------------

UNIT = HEAD + "blocks:\n  unit:\n    layers:\n      - conv: {filters: 8, kernel: 3, padding: 1}\n      - batchnorm\n"


@pytest.mark.parametrize("layers, trainable, frozen, non_trainable", [
    ("  - conv: {filters: 8, kernel: 3, padding: 1, trainable: false}\n", 584, 584, 0),
    ("  - depthwise: {kernel: 3, padding: 1, fixed: true}\n", 0, 0, 8 * 9 + 8),
    ("  - unit: {trainable: false}\n", 584 + 16, 584 + 16, 16),  # BN's statistics stay non-trainable
    ("  - unit: {fixed: true}\n", 0, 0, 584 + 16 + 16),
    ("  - unit: {name: a}\n  - unit: {shares: a}\n", 600, 0, 16),  # counted once, where they are
    ("  - conv: {filters: 8, kernel: 1, name: a}\n  - conv: {filters: 8, kernel: 1, shares: a}\n", 72, 0, 0),
    ("  - unit: {trainable: false}\n  - conv: {filters: 8, kernel: 1, trainable: true}\n", 600 + 72, 600, 16),
])
def test_weight_options(layers: str, trainable: int, frozen: int, non_trainable: int) -> None:
    totals = run(UNIT + "layers:\n" + layers).totals
    assert (totals.trainable, totals.frozen, totals.non_trainable) == (trainable, frozen, non_trainable)


def test_frozen_parameters_get_no_gradient_or_optimizer_state() -> None:
    analysis = run(HEAD + "layers:\n  - conv: {filters: 8, kernel: 3, padding: 1, trainable: false}\n"
                   "  - conv: {filters: 8, kernel: 1}\n")
    memory = estimate(analysis, 1, "float32", "adam")
    assert memory.weights == (584 + 72) * 4 and memory.gradients == 72 * 4 and memory.optimizer_state == 72 * 8


def test_a_block_use_shares_layer_by_layer() -> None:
    analysis = run(UNIT + "layers:\n  - unit: {name: a}\n  - unit: {shares: a}\n")
    assert [layer.weights for layer in analysis.network.layers] == ["", "", "shares:a.conv1", "shares:a.batchnorm1"]


@pytest.mark.parametrize("layers, rule, words", [
    ("  - conv: {filters: 8, kernel: 1, name: a}\n  - conv: {filters: 4, kernel: 1, shares: a}\n",
     "shape-mismatch", "cannot share the weights of `a`"),
    ("  - conv: {filters: 8, kernel: 1, shares: nowhere}\n", "unknown-reference", "no layer named `nowhere`"),
    ("  - conv: {filters: 8, kernel: 1, name: a}\n  - conv: {filters: 8, kernel: 1, shares: a, fixed: true}\n",
     "invalid-value", "give one of them"),
    ("  - conv: {filters: 8, kernel: 1, trainable: 0}\n", "invalid-value", "takes true or false"),
    ("  - conv: {filters: 8, kernel: 1, name: a, shares: a}\n", "invalid-reference", "this layer itself"),
])
def test_weight_options_misused(layers: str, rule: str, words: str) -> None:
    exc = _error(HEAD + "layers:\n" + layers)
    assert exc.problem.rule == rule and words in exc.problem.message


def test_a_block_argument_named_like_a_later_option_stays_an_argument() -> None:
    analysis = run(HEAD + "blocks:\n  b:\n    args: {parallel: 1}\n    layers:\n"
                   "      - conv: {filters: '${8 * parallel}', kernel: 1}\n"
                   "defaults:\n  b: {parallel: 2}\nlayers:\n  - b\n  - b: {parallel: 3}\n")
    assert [r.output for r in analysis.rows] == [(8, 8, 16), (8, 8, 24)]


def test_json_reports_frozen_parameters(tmp_path) -> None:
    from typer.testing import CliRunner

    from cnncalc.cli.app import app

    spec = tmp_path / "frozen.yaml"
    spec.write_text(HEAD + "layers:\n  - conv: {filters: 8, kernel: 1, trainable: false}\n")
    result = CliRunner().invoke(app, ["shape", str(spec), "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["totals"]["frozen"] == 72 and data["layers"][0]["frozen"] == 72


# --- token layouts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, output", [
    ("reshape: [-1, 8]", (64, 8)),
    ("reshape: [4, 16, 8]", (4, 16, 8)),
    ("reshape: [512]", (512,)),
    ("permute: [2, 0, 1]", (8, 8, 8)),
    ("permute: [1, 0, 2]", (8, 8, 8)),
])
def test_layouts(layer: str, output: tuple[int, ...]) -> None:
    rows = run(HEAD + f"layers:\n  - {layer}\n").rows
    assert rows[0].output == output and rows[0].params == 0 and rows[0].macs == 0


def test_tokens_join_along_positions_and_swap_with_channels() -> None:
    # YOLOv8's head: each level's H·W anchors as tokens, joined along the tokens, read as channels × tokens
    rows = run("input: [16, 16, 4]\nlayers:\n  - conv: {filters: 6, kernel: 1, name: p3}\n  - reshape: [-1, 6]\n"
               "  - conv: {filters: 6, kernel: 3, stride: 2, padding: 1, from: p3}\n  - reshape: [-1, 6]\n"
               "  - concat: {from: [reshape1, reshape2], axis: 0}\n  - permute: [1, 0]\n").rows
    assert [r.output for r in rows[-2:]] == [(256 + 64, 6), (6, 320)]


@pytest.mark.parametrize("layer, words", [
    ("reshape: [3, -1]", "3 does not divide it"),
    ("reshape: [7, 8]", "has 512 values but 7×8 holds 56"),
    ("reshape: [-1, -1]", "one of which may be -1"),
    ("permute: [0, 1]", "order has 2 axes but the input 8×8×8 has 3"),
    ("permute: [0, 0, 1]", "each axis of the input once"),
    ("concat: {from: [input, input], axis: 3}", "axis 3 is not an axis of 8×8×8"),
])
def test_layouts_misused(layer: str, words: str) -> None:
    exc = _error(HEAD + f"layers:\n  - {layer}\n")
    assert exc.problem.rule == "invalid-value" and words in exc.problem.message


# --- attention per patch pixel, standardised convolutions --------------------------------------------

@pytest.mark.parametrize("patch, macs", [
    ("", 4 * 64 * 8 * 8 + 2 * 64 * 64 * 8),          # every position attends over all 64
    (", patch: 2", 4 * 64 * 8 * 8 + 2 * 64 * 16 * 8),  # 4 sequences of 16 tokens: 2·N·(N/4)·E
    (", patch: [2, 4]", 4 * 64 * 8 * 8 + 2 * 64 * 8 * 8),
])
def test_attention_per_patch_pixel(patch: str, macs: int) -> None:
    row = run(HEAD + f"layers:\n  - attention: {{heads: 2{patch}}}\n").rows[0]
    assert row.macs == macs and row.params == 4 * 8 * 8 + 4 * 8


def test_a_patch_must_divide_the_map() -> None:
    exc = _error(HEAD + "layers:\n  - attention: {heads: 2, patch: 3}\n")
    assert exc.problem.rule == "invalid-value" and "patch 3×3 does not divide the 8×8 positions" in exc.problem.message


@pytest.mark.parametrize("args, params", [
    ("standardize: true", 8 * 8 * 9 + 8),
    ("standardize: true, gain: true", 8 * 8 * 9 + 8 + 8),  # NF-Nets' ScaledStdConv2d: a gain per filter
    ("gain: true, bias: false", 8 * 8 * 9 + 8),
])
def test_standardised_convolutions(args: str, params: int) -> None:
    assert run(HEAD + f"layers:\n  - conv: {{filters: 8, kernel: 3, {args}}}\n").totals.params == params


@pytest.mark.parametrize("args, ok", [("groups: 2", True), ("groups: 2, cardinality: 4", True), ("groups: 3", False)])
def test_softmax_across_groups(args: str, ok: bool) -> None:
    source = HEAD + f"layers:\n  - softmax: {{{args}}}\n"
    if ok:
        row = run(source).rows[0]
        assert (row.output, row.params, row.macs) == ((8, 8, 8), 0, 0)
    else:
        assert _error(source).problem.rule == "invalid-groups"


def test_sdpa_is_the_products_alone() -> None:
    # 32 channels, 2 heads: per head 4 of q, 4 of k, 8 of v; N = 64 positions: N·N·heads·(4 + 8)
    row = run("input: [8, 8, 32]\nlayers:\n  - sdpa: {heads: 2, key_dim: 4}\n").rows[0]
    assert (row.output, row.params, row.macs) == ((8, 8, 16), 0, 64 * 64 * 2 * 12)
    exc = _error("input: [8, 8, 32]\nlayers:\n  - sdpa: {heads: 2, key_dim: 8}\n")
    assert exc.problem.rule == "invalid-channels"


@pytest.mark.parametrize("shape, rank", [("[16, 4]", "(length)"), ("[4, 8, 8, 4]", "(depth, height and width)")])
def test_a_2d_only_kind_names_the_input_s_axes(shape: str, rank: str) -> None:
    # found by the fuzz tier: a 3-D input read past the end of the axis names
    exc = _error(f"input: {shape}\nlayers:\n  - spacetodepth: 2\n")
    assert exc.problem.rule == "shape-mismatch" and rank in exc.problem.message


def test_sdpa_within_areas() -> None:
    # 64 positions in 4 runs of 16: 64·16·heads·(key_dim + value_dim)
    row = run("input: [8, 8, 32]\nlayers:\n  - sdpa: {heads: 2, key_dim: 4, areas: 4}\n").rows[0]
    assert row.macs == 64 * 16 * 2 * 12
    assert _error("input: [8, 8, 32]\nlayers:\n  - sdpa: {heads: 2, key_dim: 4, areas: 5}\n").problem.rule == \
        "invalid-value"
