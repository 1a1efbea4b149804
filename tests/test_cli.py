"""The command line: golden outputs, worked examples, exit codes and error messages."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cnncalc import __version__
from cnncalc.cli.app import app

from conftest import BUNDLED_NAMES, SPECS

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt, suffix", [("table", "txt"), ("json", "json"), ("csv", "csv"), ("markdown", "md")])
def test_shape_golden(fmt: str, suffix: str, golden) -> None:
    code, out, err = cli("shape", "vgg16", "--format", fmt)
    assert code == 0, err
    golden(f"vgg16.{suffix}", out)


def test_shape_all_columns_golden(golden) -> None:
    code, out, _ = cli("shape", "vgg16", "--columns", "all")
    assert code == 0
    golden("vgg16_all_columns.txt", out)


def test_json_contract_and_invariants() -> None:
    code, out, _ = cli("shape", "vgg16", "--format", "json")
    data = json.loads(out)
    assert {"name", "input", "output", "layers", "totals"} <= set(data)
    assert data["name"] == "VGG-16" and data["input"] == [224, 224, 3] and data["output"] == [1000]
    first = data["layers"][0]
    assert first == {**first, "index": 1, "name": "block1_conv1", "kind": "conv", "output": [224, 224, 64],
                     "params": 1792, "trainable": 1792, "non_trainable": 0, "macs": 86_704_128}
    totals = data["totals"]
    assert totals == {**totals, "params": 138_357_544, "trainable": 138_357_544, "non_trainable": 0,
                      "macs": 15_470_264_320, "flops": 30_940_528_640}
    for key in ("params", "trainable", "non_trainable", "macs"):
        assert sum(layer[key] for layer in data["layers"]) == totals[key]
    assert [layer["index"] for layer in data["layers"]] == list(range(1, len(data["layers"]) + 1))


def test_vgg16_rows_equal_keras_summary() -> None:
    """The Keras model.summary() table of reference-figures.md, row by row."""
    keras = [
        ("block1_conv1", (224, 224, 64), 1_792), ("block1_conv2", (224, 224, 64), 36_928),
        ("block1_pool", (112, 112, 64), 0), ("block2_conv1", (112, 112, 128), 73_856),
        ("block2_conv2", (112, 112, 128), 147_584), ("block2_pool", (56, 56, 128), 0),
        ("block3_conv1", (56, 56, 256), 295_168), ("block3_conv2", (56, 56, 256), 590_080),
        ("block3_conv3", (56, 56, 256), 590_080), ("block3_pool", (28, 28, 256), 0),
        ("block4_conv1", (28, 28, 512), 1_180_160), ("block4_conv2", (28, 28, 512), 2_359_808),
        ("block4_conv3", (28, 28, 512), 2_359_808), ("block4_pool", (14, 14, 512), 0),
        ("block5_conv1", (14, 14, 512), 2_359_808), ("block5_conv2", (14, 14, 512), 2_359_808),
        ("block5_conv3", (14, 14, 512), 2_359_808), ("block5_pool", (7, 7, 512), 0),
        ("flatten", (25_088,), 0), ("fc1", (4_096,), 102_764_544), ("fc2", (4_096,), 16_781_312),
        ("predictions", (1_000,), 4_097_000),
    ]
    data = json.loads(cli("shape", "vgg16", "-f", "json")[1])
    rows = [(layer["name"], tuple(layer["output"]), layer["params"]) for layer in data["layers"]
            if layer["kind"] != "dropout"]
    rows = [("flatten", r[1], r[2]) if r[0] == "flatten1" else r for r in rows]
    assert rows == keras


def test_csv_has_every_row_and_figure() -> None:
    out = cli("shape", "vgg16", "-f", "csv")[1]
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 24
    assert sum(int(r["params"]) for r in rows) == 138_357_544
    assert rows[17]["rf_size"] == "212x212" and rows[17]["rf_stride"] == "32x32"


def test_input_override() -> None:
    data = json.loads(cli("shape", "vgg16", "--input", "32x32x3", "-f", "json")[1])
    assert data["input"] == [32, 32, 3]
    assert data["layers"][17]["output"] == [1, 1, 512]
    assert data["layers"][19]["params"] == 512 * 4096 + 4096  # fc1 now sees 512 features, not 25,088
    code, _, err = cli("shape", "vgg16", "--input", "16x16x3")
    assert code == 1, err
    assert "block5_pool" in err and "kernel-too-large" in err  # 16 halved four times leaves 1 row for a 2×2 pool


def test_table_on_a_pipe_is_plain() -> None:
    out = cli("shape", "vgg16")[1]
    assert "\x1b[" not in out
    assert not set("┃━┏┗│─") & set(out)
    assert "Total params: 138,357,544" in out


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--filters", "64", "--kernel", "3", "--channels", "1"], "64 × (3·3·1 + 1) = 640 (576 weights + 64 biases)"),
        (["--filters", "64", "--kernel", "3", "--channels", "3"], "64 × (3·3·3 + 1) = 1,792 (1,728 weights + 64 biases)"),
        (["--filters", "64", "--kernel", "1", "--channels", "1"], "64 × (1·1·1 + 1) = 128 (64 weights + 64 biases)"),
        (["--filters", "64", "--kernel", "1", "--channels", "3"], "64 × (1·1·3 + 1) = 256 (192 weights + 64 biases)"),
        (["--filters", "64", "--kernel", "1", "--channels", "256"], "64 × (1·1·256 + 1) = 16,448 (16,384 weights + 64 biases)"),
        (["--filters", "64", "--kernel", "3", "--channels", "256"], "64 × (3·3·256 + 1) = 147,520 (147,456 weights + 64 biases)"),
        (["--filters", "1", "--kernel", "3", "--channels", "3"], "1 × (3·3·3 + 1) = 28 (27 weights + 1 bias)"),
        (["--filters", "2", "--kernel", "3", "--channels", "3"], "2 × (3·3·3 + 1) = 56 (54 weights + 2 biases)"),
        (["--filters", "64", "--kernel", "3", "--channels", "256", "--no-bias"], "64 × 3·3·256 = 147,456"),
        (["--filters", "64", "--kernel", "3", "--channels", "256", "--groups", "4"],
         "64 × (3·3·256/4 + 1) = 36,928 (36,864 weights + 64 biases)"),
        (["--filters", "8", "--kernel", "3x5", "--channels", "2"], "8 × (3·5·2 + 1) = 248 (240 weights + 8 biases)"),
        (["--units", "4096", "--inputs", "25088"], "4096 × (25088 + 1) = 102,764,544 (102,760,448 weights + 4,096 biases)"),
        (["--units", "10", "--inputs", "84", "--no-bias"], "10 × 84 = 840"),
    ],
)
def test_params_worked_examples(args: list[str], expected: str) -> None:
    code, out, _ = cli("params", *args)
    assert code == 0
    assert out.splitlines()[0] == expected
    assert len(out.splitlines()) == (2 if "--kernel" in args and args[args.index("--kernel") + 1] == "1" else 1)


def test_params_says_why_a_1x1_convolution_is_cheap() -> None:
    code, out, _ = cli("params", "--filters", "64", "--kernel", "1", "--channels", "256")
    assert code == 0
    assert out.splitlines()[1] == (
        "a 1×1 convolution mixes the 256 channels at each position (a dense layer 256 → 64 applied at every "
        "position) and leaves the spatial size alone; a 3×3 with the same channels would have 147,520 parameters, "
        "9.0× as many (the bottleneck's reduction before a 3×3)")
    assert cli("params", "--filters", "4", "--kernel", "1", "--channels", "1")[1].splitlines()[1].startswith(
        "a 1×1 convolution mixes the 1 channel at each position")


@pytest.mark.parametrize(
    "args, first, contains",
    [
        (["--input", "224", "--kernel", "3", "--stride", "1", "--padding", "1"], "224",
         "⌊(224 − 3 + 2·1)/1⌋ + 1 = 224"),
        (["--input", "6", "--kernel", "3"], "4", "⌊(6 − 3)/1⌋ + 1 = 4"),
        (["--input", "4", "--kernel", "2", "--stride", "2"], "2", "⌊(4 − 2)/2⌋ + 1 = 2"),
        (["--input", "224", "--kernel", "3", "--stride", "2"], "111", "input row 224 is never covered"),
        (["--input", "224", "--kernel", "3", "--stride", "2", "--padding", "same"], "112", "⌈224/2⌉ = 112"),
        (["--input", "32", "--kernel", "3", "--dilation", "2", "--padding", "2"], "32",
         "⌊(32 + 2·2 − 2·(3 − 1) − 1)/1⌋ + 1 = 32"),
        (["--input", "112", "--kernel", "3", "--stride", "2", "--ceil"], "56", "⌈54.5⌉ + 1 = 56"),
        (["--input", "28", "--kernel", "2", "--stride", "2", "--transposed"], "56", "(28 − 1)·2"),
        (["--input", "7", "--kernel", "3", "--stride", "2", "--padding", "1", "--transposed",
          "--output-padding", "1"], "14", "+ 1 + 1 = 14"),
        (["--input", "224x160", "--kernel", "3", "--stride", "2", "--padding", "same"], "112×80", "width:"),
    ],
)
def test_size_worked_examples(args: list[str], first: str, contains: str) -> None:
    code, out, _ = cli("size", *args)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == first
    assert contains in out


@pytest.mark.parametrize(
    "args",
    [
        ["params", "--filters", "64"],
        ["params", "--filters", "64", "--kernel", "3", "--channels", "3", "--units", "4"],
        ["params", "--filters", "64", "--kernel", "x", "--channels", "3"],
        ["params", "--filters", "6", "--kernel", "3", "--channels", "4", "--groups", "4"],
        ["size", "--input", "2", "--kernel", "3"],
        ["size", "--input", "8", "--kernel", "3", "--padding", "sideways"],
        ["shape", "vgg16", "--columns", "colour"],
        ["shape", "vgg16", "--input", "0x3"],
        ["shape", "vgg16", "--format", "yaml"],
        ["shape", "vgg16", "--depth", "-1"],
        ["check"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, out, err = cli(*args)
    assert code == 2, out + err
    assert "Traceback" not in out + err


def test_unknown_bundled_name_suggests() -> None:
    code, _, err = cli("shape", "vgg_16")
    assert code == 1
    assert 'did you mean "vgg16"' in err


def test_spec_error_is_one_line_with_position(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernal: 3}\n")
    code, out, err = cli("shape", str(bad))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f'{bad}:3:24: error: conv has no argument `kernal` (did you mean "kernel"?); its arguments: filters, '
        'kernel, stride, padding, dilation, bias, activation, groups, standardize, gain [unknown-argument]']


def test_version_and_module_entry() -> None:
    assert cli("--version")[1].strip() == f"cnncalc {__version__}"
    done = subprocess.run([sys.executable, "-m", "cnncalc", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "cnncalc shape vgg16" in done.stdout


def test_list_and_kinds() -> None:
    code, out, _ = cli("list", "--json")
    assert code == 0
    entries = {e["name"]: e for e in json.loads(out)}
    assert entries["vgg16"]["params"] == 138_357_544
    assert set(entries) == set(BUNDLED_NAMES)
    code, out, _ = cli("kinds")
    assert code == 0 and out.startswith("conv <filters> (aliases: conv1d, conv2d, conv3d)")


def test_check_formats(tmp_path) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3, stride: 2}\n"
                   "expect:\n  params: 2K\n")
    code, out, _ = cli("check", str(bad), "-f", "parsable")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{bad}:3:5: [warning] conv1: height and width: ⌊(32 − 3)/2⌋ + 1 = ⌊14.5⌋ + 1 = 15")
    assert lines[0].endswith("(non-integer-output)")
    assert lines[1] == (f"{bad}:5:11: [error] expected params 2K but the network has 224; fix the layers or "
                        "update `expect` (expect-mismatch)")
    code, out, _ = cli("check", str(bad), "-f", "github")
    assert out.splitlines()[1].startswith(f"::error file={bad},line=5,col=11,title=expect-mismatch::")
    code, out, _ = cli("check", str(bad), "-f", "json")
    data = json.loads(out)
    assert (data["files"], data["errors"], data["warnings"]) == (1, 1, 1)


def test_check_strict_and_budgets(tmp_path) -> None:
    warn = tmp_path / "w.yaml"
    warn.write_text("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3, stride: 2}\n")
    assert cli("check", str(warn))[0] == 0
    assert cli("check", "--strict", str(warn))[0] == 1
    assert cli("check", "--max-params", "224", str(warn))[0] == 0
    code, out, _ = cli("check", "--max-params", "223", str(warn), "-f", "parsable")
    assert code == 1 and "(budget-exceeded)" in out and "--max-params 223" in out
    assert cli("check", "--max-params", "lots", str(warn))[0] == 2


def test_check_the_bundled_specs_strictly() -> None:
    code, out, _ = cli("check", "--strict", str(SPECS))
    assert code == 0, out
    count = len(list(SPECS.glob("*.yaml")))
    assert out.strip().endswith(f"{count} files checked: 0 errors, 0 warnings")


def test_check_in_parallel_gives_the_same_report_in_order(tmp_path) -> None:
    good = (SPECS / "lenet5.yaml").read_text()
    for i in range(70):
        text = good if i % 9 else "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 8, kernel: 9}\n"
        (tmp_path / f"net{i:02d}.yaml").write_text(text)
    serial = cli("check", "-f", "parsable", "-j", "1", str(tmp_path))
    parallel = cli("check", "-f", "parsable", "-j", "2", str(tmp_path))
    assert serial == parallel
    assert serial[0] == 1
    assert [line.split(":")[0][-10:] for line in serial[1].splitlines()] == [
        f"net{i:02d}.yaml" for i in range(0, 70, 9)]
