"""A newcomer's first hour: inputs read as meant, narrow terminals, answers that teach (issue 24)."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.cli.textout import blocks, fits
from cnncalc.core.analysis import input_warnings
from cnncalc.core.problems import SpecError
from cnncalc.core.spec import loads
from conftest import bundled_analysis, run

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- inputs read as meant -------------------------------------------------------------------------

@pytest.mark.parametrize("written, reading, fix", [
    ("[3, 224, 224]", "reads as 3×224 with 224 channels", "write [224, 224, 3]"),
    ("[1, 160, 160]", "reads as 1×160 with 160 channels", "write [160, 160, 1]"),
    ("[32, 32]", "a 1-D signal of length 32 with 32 channels", "write [32, 32, 1]"),
    ("[3, 16, 112, 112]", "reads as 3×16×112 with 112 channels", "write [16, 112, 112, 3]"),
])
def test_an_input_rarely_meant_is_warned_about_with_its_reading_and_the_fix(written: str, reading: str,
                                                                           fix: str) -> None:
    spec = loads(f"input: {written}\nlayers:\n  - relu\n", "net.yaml")
    (warning,) = input_warnings(spec)
    assert (warning.rule, warning.line, warning.column) == ("unlikely-input", 1, 8)
    assert reading in warning.message and fix in warning.message


@pytest.mark.parametrize("written", ["[224, 224, 3]", "[16000, 1]", "[32, 32, 1]", "[100]", "[16, 112, 112, 3]",
                                     "[2, 64]", "[8, 4]"])
def test_usual_inputs_get_no_warning(written: str) -> None:
    assert input_warnings(loads(f"input: {written}\nlayers:\n  - relu\n", "net.yaml")) == []


def test_the_input_warning_can_be_acknowledged() -> None:
    text = "input: [32, 32]  # cnncalc: disable=unlikely-input (a 32-step signal, 32 features)\nlayers:\n  - relu\n"
    assert run(text).warnings == []


@pytest.mark.parametrize("written, image", [("[1, 32, 32, 3]", "[32, 32, 3]"), ("[1, 3, 224, 224]", "[224, 224, 3]")])
def test_a_batch_axis_is_named_in_the_error_it_causes(written: str, image: str) -> None:
    with pytest.raises(SpecError) as caught:
        run(f"input: {written}\nlayers:\n  - conv: {{filters: 8, kernel: 3}}\n")
    assert caught.value.problem.rule == "kernel-too-large"
    assert "a batch size does not belong in `input`" in caught.value.problem.message
    assert f"write {image}" in caught.value.problem.message


@pytest.mark.parametrize("given", ["1x3x224x224", "224", "224x224x3x1"])
def test_input_never_changes_a_file_s_rank(given: str) -> None:
    code, out, err = cli("shape", "resnet50", "--input", given)
    assert code == 2 and out == ""
    assert "the file describes a 2-D network (input 224x224x3); give HxW" in err


@pytest.mark.parametrize("given, output", [("160x160", "Output: 1000"), ("160x160x1", "Output: 1000")])
def test_input_of_the_file_s_rank_is_taken(given: str, output: str) -> None:
    code, out, _ = cli("shape", "resnet50", "--input", given)
    assert code == 0 and out.rstrip().endswith(output)


def test_a_kernel_that_looks_like_hxwxc_is_read_aloud() -> None:
    code, out, err = cli("params", "--filters", "64", "--kernel", "3x3x3", "--channels", "3")
    assert code == 0 and out.startswith("64 × (3·3·3·3 + 1) = 5,248")
    assert "--kernel 3x3x3 reads as a 3-D kernel" in err and "write --kernel 3" in err
    assert cli("params", "--filters", "64", "--kernel", "3x7x7", "--channels", "3")[2] == ""


def test_an_input_that_looks_like_hxwxc_is_read_aloud() -> None:
    code, out, err = cli("size", "--input", "224x224x3", "--kernel", "3", "--padding", "1")
    assert code == 0 and out.startswith("224×224×3")
    assert "--input 224x224x3 reads as a 3-D input" in err and "write --input 224x224" in err
    assert cli("size", "--input", "16x112x112", "--kernel", "3")[2] == ""


# --- narrow terminals: no number is ever cut --------------------------------------------------------

def _numbers(text: str) -> set[str]:
    return set(re.findall(r"[+-]?\d[\d,]*(?:\.\d+)?", text))


@pytest.mark.parametrize("width", [80, 60, 40])
def test_diff_on_a_narrow_terminal_cuts_no_number(width: int) -> None:
    from cnncalc.diff import compare, render

    result = compare.diff(bundled_analysis("vgg16"), bundled_analysis("vgg19"))
    console = Console(width=width, record=True, color_system=None)
    for shown in render.tables(result, True, width):
        console.print(shown)
    text = console.export_text()
    assert "…" not in text
    assert {"+1,849,688,064", "+462,422,016", "19,632,062,464", "+2,359,808"} <= _numbers(text)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width


def test_a_table_that_cannot_fit_becomes_blocks() -> None:
    header, rows = ["Name", "Params"], [["efficientnet_b7", "66,347,960"]]
    assert fits(header, rows, [False, False], 40) and not fits(header, rows, [False, False], 20)
    assert blocks(header, rows) == ["efficientnet_b7", "    Params: 66,347,960"]


@pytest.mark.parametrize("width", [80, 100])
def test_explain_breaks_lines_between_words_on_a_terminal(width: int) -> None:
    from cnncalc.explain import render, steps

    analysis = bundled_analysis("vgg16")
    result = steps.explain(analysis.network, analysis.name)
    wide, folded = render.text(result), render.text(result, width)
    assert max(len(line) for line in folded.splitlines()) <= width < max(len(line) for line in wide.splitlines())
    assert folded.split() == wide.split()  # the same words, only the line breaks differ
    assert "86,704,128" in folded.split()


# --- answers that teach -------------------------------------------------------------------------------

def test_params_splits_weights_from_biases() -> None:
    assert cli("params", "--filters", "64", "--kernel", "3", "--channels", "3")[1] == \
        "64 × (3·3·3 + 1) = 1,792 (1,728 weights + 64 biases)\n"
    assert cli("params", "--units", "10", "--inputs", "84")[1] == "10 × (84 + 1) = 850 (840 weights + 10 biases)\n"


def test_explain_says_why_a_receptive_field_outgrows_the_input() -> None:
    from cnncalc.explain import steps

    analysis = bundled_analysis("vgg16")
    result = steps.explain(analysis.network, analysis.name, ["flatten1", "fc1"])
    flatten, dense = ([s for s in layer.steps if s.topic == "rf"] for layer in result.layers)
    assert flatten[0].value == 404 and "larger than the 224×224 input" in flatten[0].notes[0]
    assert "counts the zero padding" in flatten[0].notes[0]
    assert dense[0].formula.startswith("unchanged (each output reads the whole vector")
    assert "one position" not in dense[0].formula


@pytest.mark.parametrize("args, message", [
    (["diagram", "lenet5", "-o", "net.pdf"], "cnncalc writes a diagram as .svg or .png, not .pdf"),
    (["diagram", "lenet5", "-o", "net.jpg"], "name the file net.svg"),
    (["report", "lenet5", "-o", "net.svg"], "cnncalc writes the report as .html or .htm, not .svg"),
])
def test_an_output_extension_cnncalc_cannot_write_is_refused(args: list[str], message: str, tmp_path,
                                                             monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(*args)
    assert code == 2 and message in err and list(tmp_path.iterdir()) == []


def test_bundled_files_are_named_by_their_place_in_the_package() -> None:
    code, out, err = cli("sizes", "vgg16", "--size", "225")
    assert "specs/vgg16.yaml:9:5: info: block1_pool" in out + err
    assert "site-packages" not in out + err and str(bundled_analysis("vgg16").spec.path) == "specs/vgg16.yaml"


@pytest.mark.parametrize("size, below, above", [("225", "224×224", "256×256"), ("225x300", "224×288", "256×320")])
def test_sizes_suggests_the_nearest_clean_sizes(size: str, below: str, above: str) -> None:
    code, out, _ = cli("sizes", "resnet50", "--size", size)
    assert code == 1
    assert out.splitlines()[-1] == f"nearest clean sizes: {below} (crop or resize down) or {above} (pad or resize up)"


def test_sizes_scans_a_range_suited_to_the_network() -> None:
    from cnncalc.cli import options

    assert options.scan_range(None, bundled_analysis("m5").spec.input) == (16000, 36000)
    assert options.scan_range(None, bundled_analysis("resnet50").spec.input) == (32, 1024)


# --- the engineer and the CI user ---------------------------------------------------------------------

SHADOW = """input: [8, 8, 16]
defaults:
  layernorm: {scale: 2}
blocks:
  layernorm:            # a stand-in written before the kind existed
    args: {scale: 1}
    layers:
      - batchnorm
      - conv: {filters: '${in_channels * scale}', kernel: 1}
layers:
  - layernorm
  - layernorm: {scale: 1}
"""


def test_a_file_s_block_shadows_a_built_in_kind_with_a_warning() -> None:
    analysis = run(SHADOW)
    assert [r.name for r in analysis.rows] == ["layernorm1.batchnorm1", "layernorm1.conv1", "layernorm2.batchnorm1",
                                               "layernorm2.conv1"]
    assert analysis.output == (8, 8, 32) and analysis.totals.trainable == 1_696  # defaults reached the block
    (warning,) = analysis.warnings
    assert (warning.rule, warning.line, warning.column) == ("block-shadows-kind", 5, 3)
    silenced = SHADOW.replace("# a stand-in", "# cnncalc: disable=block-shadows-kind (a stand-in")
    assert run(silenced).warnings == []


def test_a_shadowing_block_is_exported_as_its_class(tmp_path) -> None:
    path = tmp_path / "shadow.yaml"
    path.write_text(SHADOW, encoding="utf-8")
    code, out, err = cli("export", str(path))
    assert code == 0, err
    assert "class Layernorm(nn.Module):" in out and "self.layernorm1 = Layernorm(16, scale=2)" in out


def test_budget_problems_come_in_metric_order_with_memory_in_mib() -> None:
    from cnncalc.check.files import check_file
    from cnncalc.core.quantities import parse_quantity
    from conftest import SPECS

    budgets = {"max_params": parse_quantity("1K"), "max_macs": parse_quantity("1K"),
               "max_memory": parse_quantity("1KB", memory=True)}
    problems = check_file(str(SPECS / "lenet5.yaml"), budgets).problems
    # sorted by their text they came memory (280,…), MACs (416,…), params (61,…)
    assert [p.message.split(" exceed")[0] for p in problems] == [
        "61,706 parameters", "416,520 multiply-adds",
        "280,800 bytes (274.22 KiB) of float32 inference memory (parameters + activations)"]
    assert "--max-memory 1KB (1,000 bytes = 1000 B)" in problems[2].message


def test_a_transformer_residual_is_not_misaligned() -> None:
    text = ("input: [56, 56, 3]\nlayers:\n  - conv: {filters: 64, kernel: 4, stride: 4, name: stem}\n  - layernorm\n"
            "  - attention: {heads: 4, name: attn}\n  - add: [attn, stem]\n")
    assert run(text).warnings == []
    misaligned = ("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 1, stride: 2, name: a}\n"
                  "  - conv: {filters: 4, kernel: 5, from: input, name: b}\n  - add: [a, b]\n")
    assert [w.rule for w in run(misaligned).warnings] == ["rf-misaligned"]  # local paths still are


def test_a_kind_ending_in_a_digit_is_numbered_with_an_underscore() -> None:
    text = "input: [8, 8, 3]\nlayers:\n  - relu6\n  - relu6\n  - add: [relu61, relu6_2]\n"  # relu61: the old name
    rows = run(text).rows
    assert [r.name for r in rows] == ["relu6_1", "relu6_2", "add1"]
    assert rows[2].inputs == ("relu6_1", "relu6_2")


def test_a_variant_s_title_keeps_its_file_s_name() -> None:
    code, out, _ = cli("shape", "efficientnet_b3")
    assert code == 0 and out.splitlines()[0].startswith("efficientnet_b3 (EfficientNet): 224×224×3")


TYPOS = """input: [8, 8, 3]
blocks:
  unit:
    layers:
      - conv: {filters: 8, kernel: 3, padding: 1, name: conv}
      - rleu
layers:
  - convv: 8
  - relu
  - unit: {name: u1}
  - conv: {filters: 4, kernal: 3}
  - add: [relu1, nope]
  - conv: {filters: 4, kernel: 3, from: u1.conv}
  - conv: {filters: 4, kernel: 30}
"""


def test_every_independent_error_of_a_file_is_reported() -> None:
    with pytest.raises(SpecError) as caught:
        run(TYPOS)
    found = [(p.line, p.rule) for p in caught.value.problems]
    # the two typos, the misspelt argument, the unknown reference; not `u1.conv` (inside the use that failed)
    # nor the 30×30 kernel, a shape error that may follow from the first error's wrong shape
    assert found == [(8, "unknown-kind"), (6, "unknown-kind"), (11, "unknown-argument"), (12, "unknown-reference")]
    assert caught.value.problem == caught.value.problems[0]


def test_check_and_shape_print_every_independent_error(tmp_path) -> None:
    from cnncalc.check.files import check_file

    path = tmp_path / "typos.yaml"
    path.write_text(TYPOS, encoding="utf-8")
    assert len(check_file(str(path)).problems) == 4
    code, _, err = cli("shape", str(path))
    assert code == 1 and err.count(": error: ") == 4 and "Traceback" not in err


def test_every_wrong_setting_of_a_configuration_is_reported(tmp_path) -> None:
    from cnncalc.check.config import load_config

    path = tmp_path / ".cnncalc.yaml"
    path.write_text("select: [non-integer-outptu, rf-misalgned]\nignore: [unknown-kind]\nstrict: maybe\n"
                    "max-params: lots\nfoo: 1\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_config(str(path))
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, 10), (1, 30), (2, 10), (3, 9), (4, 13),
                                                                    (5, 1)]
    assert {p.rule for p in caught.value.problems} == {"invalid-config"}


DWSEP = """input: [64, 64, 3]
blocks:
  dwsep:
    args: {out: ~, stride: 1}
    layers:
      - depthwise: {kernel: 3, stride: $stride, padding: 1}
      - conv: {filters: $out, kernel: 1, name: conv1}
layers:
  - conv: {filters: 32, kernel: 3, stride: 2, padding: 1}
  - dwsep: {out: 64}
  - dwsep: {out: 128, stride: 2}
  - dwsep: {out: 256, stride: 2}
  - globalavgpool
  - flatten
  - dense: 10
"""


def test_diff_pairs_an_edited_block_use_and_names_the_argument_that_changed() -> None:
    from cnncalc.diff import compare, render

    edited = DWSEP.replace("  - dwsep: {out: 256, stride: 2}\n", "  - dwsep: {out: 512, stride: 2}\n"
                                                                  "  - dwsep: {out: 512}\n")
    result = compare.diff(run(DWSEP), run(edited))
    changed = [(c.status, (c.old or c.new).name, (c.new or c.old).name) for c in result.layers if c.status != "same"]
    assert changed[:3] == [("changed", "dwsep3.conv1", "dwsep3.conv1"), ("added", "dwsep4.depthwise1",
                                                                          "dwsep4.depthwise1"),
                           ("added", "dwsep4.conv1", "dwsep4.conv1")]
    first = next(c for c in result.layers if c.status == "changed")
    assert first.arguments == (("filters", "256", "512"),)
    assert render.layer_cells(first)[1] == "dwsep3.conv1 (filters 256 → 512)"
    (shown,) = [layer for layer in render.to_dict(result)["layers"] if layer["status"] == "changed"][:1]
    assert shown["arguments"] == [{"name": "filters", "old": 256, "new": 512}]
    grouped = compare.diff(run(DWSEP), run(DWSEP.replace("padding: 1}\n  - dwsep: {out: 64}",
                                                          "padding: 1, groups: 1}\n  - dwsep: {out: 64}")))
    assert grouped.count("changed") == 0  # the same value written out is no change


def test_repeat_index_outside_a_repeat_says_where_it_exists() -> None:
    with pytest.raises(SpecError) as caught:
        run("input: [8, 8, 3]\nlayers:\n  - conv: {filters: '${repeat_index + 1}', kernel: 1}\n")
    assert caught.value.problem.rule == "unknown-variable"
    assert "exists only in the arguments of an item with `repeat:`" in caught.value.problem.message
    kept = run("input: [8, 8, 3]\nvars: {repeat_index: 5}\nlayers:\n  - conv: {filters: '${repeat_index}', kernel: 1, "
               "repeat: 2}\n")
    assert [r.output[-1] for r in kept.rows] == [5, 5]  # a file's own variable of that name is kept


C2F = """input: [16, 16, 32]
layers:
  - conv: {filters: 16, kernel: 1, name: stem}
  - conv: {filters: 16, kernel: 3, padding: 1, repeat: 3, name: m}
  - concat: [stem, m.*]
  - conv: {filters: 8, kernel: 1, from: m.2, name: side}
"""


def test_a_merge_reads_every_repetition_and_a_layer_one() -> None:
    rows = {r.name: r for r in run(C2F).rows}
    assert rows["concat1"].inputs == ("stem", "m.1", "m.2", "m.3") and rows["concat1"].output == (16, 16, 64)
    assert rows["side"].inputs == ("m.2",)


@pytest.mark.parametrize("change, message", [
    (("  - concat: [stem, m.*]", "  - conv: {filters: 4, kernel: 1, from: m.*}"), "which only a merge can read"),
    (("  - concat: [stem, m.*]", "  - concat: [m, stem.*]"), "`stem` is not repeated"),
])
def test_every_repetition_is_refused_where_it_means_nothing(change: tuple[str, str], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        run(C2F.replace(*change))
    assert caught.value.problem.rule == "invalid-reference" and message in caught.value.problem.message
