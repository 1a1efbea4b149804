"""`cnncalc export --to pytorch`: the written module builds in PyTorch and agrees with cnncalc layer by layer.

Every bundled network (enumerated at run time, so a new spec with a kind that has no emitter fails
here by name) is exported, executed in a fresh namespace, built on the meta device and run once under
FlopCounterMode with forward hooks on the module of every cnncalc layer (tests/exported_torch.py):
output shape, parameters, BatchNorm statistics and MACs must equal cnncalc's for each layer. Names
and values from the file must never become code. Where torch and onnx are installed, a few networks
go spec → exported PyTorch → ONNX → `cnncalc import` and keep their figures.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import re
import tokenize
import warnings
from pathlib import Path

import pytest

from cnncalc.core.analysis import Analysis, analyze
from cnncalc.catalog.bundled import read_spec
from cnncalc.export.command import run_export
from cnncalc.export.names import class_name, comment, expression, identifier, literal, ExpressionError
from cnncalc.export.pytorch import Exported, export_pytorch
from cnncalc.core.kinds import KINDS
from cnncalc.core.problems import SpecError
from cnncalc.core.spec import load, loads

from conftest import ROOT, SPECS, main

HERE = Path(__file__).resolve().parent
EVERY_KIND = HERE / "export" / "every_kind.yaml"
MLP = HERE / "export" / "mlp.yaml"
# The channel-wise kinds and blocks written out (`if:`, `$act`, `repeat: 0`, expression defaults); 1-D; 3-D.
EXTRA = [HERE / "export" / f"{name}.yaml" for name in ("channel_kinds", "rank1", "rank3", "repeat_index", "every_repetition")]
BUNDLED = sorted(SPECS.glob("*.yaml"))  # at run time: a new bundled spec is exported too
# Every variant of a family file, as `file@variant` (the file's own name exports its default `vars`).
VARIANTS = [f"{path}@{name}" for path in BUNDLED if "\nvariants:" in path.read_text(encoding="utf-8")
            for name in load(str(path)).variants]


@functools.lru_cache(maxsize=None)
def exported(path: str) -> tuple[Analysis, Exported]:
    """The analysis and export of a spec file, once per session."""
    analysis = analyze(read_spec(path))
    return analysis, export_pytorch(analysis)


def code_tokens(code: str) -> list[str]:
    """The NAME and OP tokens of Python source: what would run (strings and comments left out)."""
    return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type in (tokenize.NAME, tokenize.OP)]


# --- safe text: hand-computed tables ---------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("conv1", "conv1"),
    ("0", "_0"),
    ("__import__('os')", "import_os"),
    ("__class__", "class__"),
    ("conv_", "conv_"),
    ("x; import os", "x_import_os"),
    ("forward", "forward_"),
    ("class", "class_"),
    ("print", "print_"),
    ("x", "x_"),  # the forward pass's own variable
    ("é", "layer"),
    ("", "layer"),
    ("a" * 80, "a" * 60),
])
def test_identifier(raw: str, expected: str) -> None:
    assert identifier(raw, set()) == expected
    assert expected.isidentifier()


def test_identifiers_are_unique_in_their_namespace() -> None:
    used: set[str] = set()
    assert [identifier(n, used) for n in ("a-b", "a_b", "a b", "a.b")] == ["a_b", "a_b_2", "a_b_3", "a_b_4"]


@pytest.mark.parametrize("raw, expected", [
    ("bottleneck_down", "BottleneckDown"), ("ResNet-50", "ResNet50"), ("3x3", "Block3x3"),
    ("'); import os #", "ImportOs"), ("", "Block"),
])
def test_class_name(raw: str, expected: str) -> None:
    assert class_name(raw, set()) == expected


@pytest.mark.parametrize("value, expected", [
    (3, "3"), (True, "True"), (None, "None"), (0.5, "0.5"), ("same", "'same'"),
    ("'); import os #", '"\'); import os #"'), ((1, 2), "(1, 2)"), ((1,), "(1,)"), ([0, 1, 0, 1], "[0, 1, 0, 1]"),
    (float("inf"), "float('inf')"),
])
def test_literal(value: object, expected: str) -> None:
    assert literal(value) == expected


def test_literal_refuses_other_types() -> None:
    class Evil(int):
        def __repr__(self) -> str:
            return "__import__('os')"

    with pytest.raises(TypeError):
        literal(Evil(3))
    with pytest.raises(TypeError):
        literal({"a": 1})


def test_comment_cannot_end_its_line() -> None:
    text = comment("net\nimport os\r\u2028os.system('x')\x0c\x85")
    assert len(text.splitlines()) == 1
    assert code_tokens("# " + text + "\n") == []


@pytest.mark.parametrize("text, expected", [
    ("filters * 4", "filters * 4"),
    ("in_channels / 2", "in_channels // 2"),
    ("max(a, b // 2) - 1", "max(a, b // 2) - 1"),
    ("(kernel - 1) // 2", "(kernel - 1) // 2"),
    ("in", "in_"),
])
def test_expression(text: str, expected: str) -> None:
    names = {"filters": "filters", "in_channels": "in_channels", "a": "a", "b": "b", "kernel": "kernel",
             "in": "in_"}
    assert expression(text, names) == expected


@pytest.mark.parametrize("text", ["__import__", "a.b", "a; b", "'x'", "open(a)"])
def test_expression_refuses_anything_else(text: str) -> None:
    with pytest.raises(ExpressionError):
        expression(text, {"a": "a", "b": "b"})


# --- every bundled network exports (no torch needed) ----------------------------------------------

@pytest.mark.parametrize("spec", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_network_exports(spec: Path) -> None:
    analysis, result = exported(str(spec))
    compile(result.code, spec.name, "exec")
    assert set(result.paths) == {layer.name for layer in analysis.network.layers}
    assert f"{analysis.totals.params:,} parameters" in result.code  # the header states cnncalc's totals
    # Only the four imports of the header; nothing from the file becomes an import or a call.
    tokens = code_tokens(result.code)
    assert tokens.count("import") == 4 and not {"exec", "__import__", "open", "os", "system"} & set(tokens)


def test_a_block_becomes_a_class_with_its_arguments() -> None:
    _, result = exported(str(SPECS / "resnet50.yaml"))
    code = result.code
    assert "class Bottleneck(nn.Module):" in code
    assert "def __init__(self, in_channels: int, *, filters):" in code
    assert "self.conv3 = nn.Conv2d(filters, filters * 4, 1, bias=False)" in code
    assert "def __init__(self, in_channels: int, *, filters, blocks, stride=2):" in code  # `stage`, its default
    assert "for _ in range(blocks - 1):" in code
    assert "self.layer2 = Stage(self.layer1.out_channels, filters=128, blocks=4)" in code
    assert result.paths["layer2.blocks.1.conv1"] == "layer2.blocks.0.conv1"
    assert result.paths["layer2.0.downsample_conv"] == "layer2._0.downsample_conv"


# --- PyTorch agrees, layer by layer ---------------------------------------------------------------

def _torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch", reason="PyTorch is not installed; pip install torch to run the export")


@pytest.mark.torch
@pytest.mark.parametrize("spec", BUNDLED + [EVERY_KIND, MLP, *EXTRA] + VARIANTS,
                         ids=[p.stem for p in BUNDLED] + ["every_kind", "mlp"] + [p.stem for p in EXTRA]
                         + [v.rsplit("@", 1)[1] for v in VARIANTS])
def test_exported_module_matches_cnncalc_layer_by_layer(spec: Path | str) -> None:
    _torch()
    from exported_torch import mismatches

    analysis, result = exported(str(spec))
    assert mismatches(analysis, result) == []


@pytest.mark.torch
@pytest.mark.parametrize("spec", [EVERY_KIND, SPECS / "efficientnet.yaml"], ids=["every_kind", "efficientnet"])
def test_layer_figures_are_flop_counter_modes_per_module_counts(spec: Path) -> None:
    """A layer's FLOPs, read as the growth of FlopCounterMode's total across its module's calls, are
    FlopCounterMode's own per-module figures (its module tracker's counts)."""
    torch = _torch()
    from exported_torch import build, measure
    from torch.utils.flop_counter import FlopCounterMode

    _, result = exported(str(spec))
    ours = measure(result)[:2]
    net, input_shape = build(result)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(input_shape, device="meta"))
    counts = counter.get_flop_counts()
    prefix = type(net).__name__
    assert {name: sum(counts.get(f"{prefix}.{path}", {}).values()) // 2 for name, path in result.paths.items()} == \
        {name: figures.macs for name, figures in ours[0].items()}
    assert any(figures.macs for figures in ours[0].values())


@pytest.mark.torch
def test_every_kind_runs_on_real_tensors() -> None:
    """The helper modules (TensorFlow `same`, padding read at run time, crops) on the CPU, not only on meta."""
    _torch()
    from exported_torch import mismatches

    analysis, result = exported(str(EVERY_KIND))
    assert mismatches(analysis, result, "cpu") == []
    for helper in ("SamePad", "Padding", "Pad", "Crop", "SeparableConv", "Concat", "Multiply"):
        assert f"class {helper}(nn.Module):" in result.code


@pytest.mark.torch
@pytest.mark.parametrize("spec", EXTRA, ids=[p.stem for p in EXTRA])
def test_new_kinds_and_ranks_run_on_real_tensors(spec: Path) -> None:
    """The helpers of the channel-wise kinds and the per-axis padding helpers compute on the CPU, not only on meta."""
    _torch()
    from exported_torch import mismatches

    analysis, result = exported(str(spec))
    assert mismatches(analysis, result, "cpu") == []


@pytest.mark.torch
def test_attention_helper_is_multihead_attention() -> None:
    """The Attention helper computes what nn.MultiheadAttention computes over the flattened positions."""
    torch = _torch()
    from exported_torch import load_module

    namespace = load_module(exported(str(EXTRA[0]))[1].code)
    attention = namespace["Attention"](8, 2).eval()
    x = torch.randn(2, 8, 3, 4)
    tokens = x.flatten(2).transpose(1, 2)
    expected = attention.attention(tokens, tokens, tokens)[0].transpose(1, 2).reshape(2, 8, 3, 4)
    assert torch.allclose(attention(x), expected, atol=1e-6)


def test_blocks_a_class_cannot_express_are_written_out() -> None:
    """`if:` layers and a kind given as an argument: the block's uses are written out, and the file says why."""
    _, result = exported(str(EXTRA[0]))
    code = result.code
    assert "# unit1: block `unit` written out layer by layer (a class could not express it faithfully: its " \
           "layers with `if:` exist in some uses only)" in code
    assert "class Unit(" not in code and "self.unit2_expand = nn.Conv2d(16, 32, 1, bias=False)" in code
    assert "self.unit1_expand" not in code  # `if:` false in that use
    assert "class Mixer(nn.Module):" in code and "self.mix2 = Mixer(self.mix1.out_channels, heads=4)" in code
    assert result.paths["unit1.conv"] == "unit1_conv" and result.paths["mix2.attn"] == "mix2.attn"


@pytest.mark.parametrize("name, cls", [("efficientnet_b3", "EfficientnetB3"), ("mobilenet_v3_small", None)])
def test_a_variant_exports_by_its_name(name: str, cls: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_export(name, "pytorch", None, None) == 0
    out = capsys.readouterr().out
    assert out.startswith("# A PyTorch module written by cnncalc") and f"\n#   {name} (" in out
    if cls:
        assert f"class {cls}(nn.Module):" in out


@pytest.mark.torch
def test_the_check_fails_when_a_figure_is_wrong() -> None:
    """The comparison itself can fail: a wrong channel count in the exported code is caught."""
    _torch()
    from exported_torch import mismatches

    analysis, result = exported(str(SPECS / "resnet18.yaml"))
    broken = Exported(result.code.replace("nn.BatchNorm2d(filters)", "nn.BatchNorm2d(filters, affine=False)", 1),
                      result.class_name, result.paths)
    assert any(".bn1 " in line for line in mismatches(analysis, broken))


@pytest.mark.torch
def test_exported_file_runs_as_a_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _torch()
    import runpy

    _, result = exported(str(SPECS / "lenet5.yaml"))
    path = tmp_path / "net.py"
    path.write_text(result.code, encoding="utf-8")
    runpy.run_path(str(path), run_name="__main__")  # in-process: a second torch import would cost seconds
    assert capsys.readouterr().out == "output (1, 10) parameters 61706\n"


# --- nothing from the file becomes code -----------------------------------------------------------

HOSTILE = '''
name: "net\\nimport os\\nos.system('touch {sentinel}')"
input: [8, 8, 3]
blocks:
  "x; import os":
    args: {"a); __import__('os').system('touch {sentinel}'); (b": 4, "in": 2,
           note: "', __import__('os').system('touch {sentinel}'), '"}
    layers:
      - conv: {filters: "${in * 2}", kernel: 1, name: "__import__('os')"}
      - relu: {name: "x; import os"}
      - add: {from: ["__import__('os')", "x; import os"], name: forward}
layers:
  - "x; import os": {name: "self"}
  - conv: {filters: 4, kernel: 1, name: "\\u2028import os"}
  - "x; import os": {"in": 2, name: "0"}
  - conv: {filters: 2, kernel: 1, name: "__class__"}
'''


@pytest.mark.torch
def test_hostile_names_and_values_stay_data(tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    analysis = analyze(loads(HOSTILE.replace("{sentinel}", str(sentinel)), "hostile.yaml"))
    result = export_pytorch(analysis)
    tokens = code_tokens(result.code)
    assert not {"os", "__import__", "system", "__class__"} & set(tokens)
    assert tokens.count("import") == 4
    assert "class XImportOs(nn.Module):" in result.code
    assert "self.import_os = nn.Conv2d(in_channels, in_ * 2, 1)" in result.code
    torch = pytest.importorskip("torch", reason="PyTorch is needed to execute the exported module")
    from exported_torch import load_module, mismatches

    namespace = load_module(result.code)
    net = namespace[result.class_name]()
    net(torch.zeros(namespace["INPUT_SHAPE"]))
    assert mismatches(analysis, result, "cpu") == []
    assert not sentinel.exists()
    assert set(namespace) - {"__builtins__", "__doc__"} <= {"__name__", "math", "torch", "F", "nn", "INPUT_SHAPE", "Add",
                                                  "XImportOs", result.class_name}


# An encoding declaration (PEP 263) is read from a comment on line 1 or 2; `unicode_escape` then turns a `\\n`
# in any later comment into a real newline, and utf-7/utf-16/cp037 make the module unreadable.
COOKIE = "coding: {codec}\\n__import__('os').system('touch {sentinel}')"
COOKIE_SPEC = '''
name: "{cookie}"
description: "{cookie}"
input: [8, 8, 3]
blocks:
  "{cookie}":
    layers:
      - conv: {{filters: 4, kernel: 1, name: "{short}"}}
layers:
  - conv: {{filters: 4, kernel: 1, name: "-*- {short} -*-"}}
  - "{cookie}"
  - "{cookie}": {{name: "vim: set ft=python: {short}"}}
'''
PEP_263 = re.compile(r"^[ \\t\\f]*#.*?coding[:=][ \\t]*([-\\w.]+)")


@pytest.mark.parametrize("codec", ["unicode_escape", "raw_unicode_escape", "utf-7", "utf-16", "cp037", "utf_8"])
def test_no_name_becomes_an_encoding_declaration_or_an_escape(codec: str, tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    cookie = COOKIE.format(codec=codec, sentinel=sentinel)
    short = cookie.split(".")[0]  # a layer name has no dots
    analysis = analyze(loads(COOKIE_SPEC.format(cookie=cookie, short=short), "cookie.yaml"))
    code = export_pytorch(analysis).code
    path = tmp_path / "m.py"
    path.write_text(code, encoding="utf-8")
    with open(path, "rb") as handle:
        assert tokenize.detect_encoding(handle.readline)[0] == "utf-8"
    compile(path.read_bytes(), str(path), "exec")  # decoded as Python decodes a module it imports
    comments = [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.COMMENT]
    assert not [c for c in comments if PEP_263.match(c) or "\\" in c or "-*-" in c or re.search(r"\\bvim?:", c)]
    assert "__import__" not in code_tokens(code)
    assert not sentinel.exists()


# --- what cannot be exported -------------------------------------------------------------------------

def test_a_kind_without_an_emitter_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(KINDS, "lrn", KINDS["lrn"]._replace(emit=None))
    assert main("export", str(EVERY_KIND)) == 1
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(EVERY_KIND.read_text().splitlines(), 1) if text.startswith("  - lrn"))
    assert f"every_kind.yaml:{line}:5: error:" in err
    assert "the kind `lrn` has no PyTorch export yet [unsupported-export]" in err


def test_every_kind_has_an_emitter() -> None:
    """A kind added to cnncalc without an emitter is named here: its module should say how PyTorch writes it."""
    assert sorted(name for name, kind in KINDS.items() if kind.emit is None) == []


# Language features around blocks: each case's block is a class (True) or written out (False), and either way
# the module agrees with cnncalc layer by layer.
LANGUAGE_CASES = {
"repeat0_literal": """
input: [8, 8, 3]
blocks:
  b:
    args: {f: 4}
    layers:
      - conv: {filters: $f, kernel: 1}
      - relu: {repeat: 0}
layers:
  - b: {f: 4}
  - b: {f: 6}
""",
"repeat_expr_zero_later": """
input: [8, 8, 3]
blocks:
  u:
    args: {f: 4}
    layers:
      - conv: {filters: $f, kernel: 1, name: c}
  s:
    args: {n: 1}
    layers:
      - u: {f: 4, repeat: '${n - 1}', name: us}
      - relu: {name: r}
layers:
  - s: {n: 3, name: s1}
  - s: {n: 1, name: s2}
""",
"act_arg": """
input: [8, 8, 3]
blocks:
  b:
    args: {act: relu}
    layers:
      - conv: {filters: 4, kernel: 1, name: c}
      - $act: {name: a}
layers:
  - b: {act: relu, name: b1}
  - b: {act: gelu, name: b2}
""",
"expr_default": """
input: [8, 8, 3]
blocks:
  b:
    args: {t: 1, mid: '${in_channels * t}'}
    layers:
      - conv: {filters: $mid, kernel: 1, name: c}
layers:
  - b: {name: b1}
  - b: {t: 2, name: b2}
""",
"block_defaults": """
input: [8, 8, 3]
blocks:
  b:
    args: {f: 4}
    defaults:
      conv: {bias: false}
    layers:
      - conv: {filters: $f, kernel: 3, padding: 1, name: c}
layers:
  - b: {name: b1}
  - b: {f: 8, name: b2}
  - conv: {filters: 2, kernel: 1, name: out}
""",
"vars_if_toplevel": """
input: [8, 8, 3]
vars:
  deep: false
  w: 6
layers:
  - conv: {filters: $w, kernel: 1, name: c}
  - conv: {filters: 5, kernel: 1, if: $deep, name: d}
  - relu: {repeat: 0}
  - relu: {repeat: '${w - 4}', name: rr}
""",
}

LANGUAGE_CLASSES = {"repeat0_literal": False, "repeat_expr_zero_later": True, "act_arg": False, "expr_default": False,
                    "block_defaults": True, "vars_if_toplevel": None}


@pytest.mark.torch
@pytest.mark.parametrize("name", LANGUAGE_CASES)
def test_language_features_export_faithfully(name: str) -> None:
    analysis = analyze(loads(LANGUAGE_CASES[name], f"{name}.yaml"))
    result = export_pytorch(analysis)
    expected = LANGUAGE_CLASSES[name]
    if expected is not None:
        assert ("class B(" in result.code or "class S(" in result.code) is expected
        assert ("written out layer by layer" in result.code) is not expected
    else:  # the network's own `vars`, `if: false`, `repeat: 0` and `repeat: ${w - 4}`: as analysed
        assert "self.c = nn.Conv2d(3, 6, 1)" in result.code and "self.d " not in result.code
        assert "for _ in range(2):" in result.code
    _torch()
    from exported_torch import mismatches

    assert mismatches(analysis, result) == []


@pytest.mark.torch
def test_a_value_that_differs_between_uses_in_form_is_written_out() -> None:
    """A fixed value that differs between uses: the block's class would be wrong, so its uses are written out."""
    text = """
input: [8, 8, 3]
blocks:
  b:
    args: {ceil: false}
    layers:
      - maxpool: {kernel: 3, stride: 2, ceil: $ceil}
layers:
  - b: {ceil: true}
  - conv: {filters: 3, kernel: 1}
  - b: {ceil: false}
"""
    analysis = analyze(loads(text, "t.yaml"))
    result = export_pytorch(analysis)
    assert "class B(" not in result.code
    assert "`ceil` differs between the uses of its block (True, False)" in result.code
    assert "nn.MaxPool2d(3, stride=2, ceil_mode=True)" in result.code
    _torch()
    from exported_torch import mismatches

    assert mismatches(analysis, result) == []


def test_a_block_argument_named_in_channels_is_refused() -> None:
    text = "input: [8, 8, 3]\nblocks:\n  b:\n    args: {in_channels: 3}\n    layers:\n      - relu\nlayers:\n  - b\n"
    with pytest.raises(SpecError) as info:
        export_pytorch(analyze(loads(text, "t.yaml")))
    assert (info.value.problem.line, info.value.problem.rule) == (3, "unsupported-export")


# --- the command ---------------------------------------------------------------------------------------

def test_run_export_writes_stdout_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_export("lenet5", "pytorch", None, None) == 0
    stdout = capsys.readouterr().out
    out = tmp_path / "net.py"
    assert run_export("lenet5", "PyTorch", str(out), None) == 0
    assert out.read_text(encoding="utf-8") == stdout
    assert stdout.splitlines()[2].startswith("#   LeNet-5")


@pytest.mark.parametrize("args, code, message", [
    (["lenet5", "--to", "tensorflow"], 2, "Invalid value for --to: 'tensorflow' is not one of pytorch"),
    (["resnet18", "--input", "160"], 2, "Invalid value for --input: the file's input is 224x224x3; give HxW or HxWxC"),
    (["r3d_18", "--input", "64x64"], 2, "give DxHxW or DxHxWxC"),
    (["resnet18", "--input", "16y"], 2, "Invalid value for --input: cannot read"),
    (["missing.yaml"], 1, "missing.yaml:1:1: error: no such file"),
])
def test_export_errors_are_reported_as_every_commands(args: list[str], code: int, message: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main("export", *args) == code
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("spec, size, shape", [
    ("resnet18", "160x128", "(1, 3, 160, 128)"),
    ("m5", "8000", "(1, 1, 8000)"),  # 1-D: the length keeps the file's channels
    ("r3d_18", "8x64x64", "(1, 3, 8, 64, 64)"),  # 3-D: D x H x W
    ("r3d_18", "8x64x64x3", "(1, 3, 8, 64, 64)"),
])
def test_input_option_exports_at_another_size(spec: str, size: str, shape: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run_export(spec, "pytorch", None, size) == 0
    assert f"INPUT_SHAPE = {shape}" in capsys.readouterr().out


# --- round trip: spec → exported PyTorch → ONNX → cnncalc import -----------------------------------

@pytest.mark.torch
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v1"])  # blocks and repeats; TensorFlow `same`
def test_round_trip_through_onnx(name: str, tmp_path: Path) -> None:
    torch = _torch()
    onnx = pytest.importorskip("onnx", reason="the onnx package is needed: pip install 'cnncalc[onnx]'")
    from cnncalc.importers import Options
    from cnncalc.importers.onnx import import_onnx
    from exported_torch import build
    from onnx_export import externalize

    original, result = exported(str(SPECS / f"{name}.yaml"))
    net, input_shape = build(result, "meta")
    net = net.to_empty(device="cpu")  # shapes are all ONNX needs: the weights stay uninitialised
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(input_shape),), buffer, dynamo=False, opset_version=17,
                          do_constant_folding=False, input_names=["input"], output_names=["output"])
    model = onnx.load_from_string(buffer.getvalue())
    externalize(model)
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    imported = import_onnx(str(path), Options())
    assert imported.ok, imported.problems
    again = analyze(loads(imported.yaml, os.fspath(tmp_path / "imported.yaml")))
    ours, theirs = original.totals, again.totals
    assert (ours.trainable, ours.non_trainable, ours.macs, original.output) == \
        (theirs.trainable, theirs.non_trainable, theirs.macs, again.output)


def test_the_docs_document_the_export() -> None:
    page = (ROOT / "docs" / "import-export.md").read_text(encoding="utf-8")
    assert "# Exporting to PyTorch" in page
    assert "cnncalc export resnet50 --to pytorch -o resnet50.py" in page


KIND_FROM_A_VARIABLE = """
input: [8, 8, 3]
vars: {k: b, act: relu6}
blocks:
  b:
    layers:
      - conv: {filters: 4, kernel: 3}
      - $act
layers:
  - $k
  - $k: {repeat: 2}
  - $act
"""


@pytest.mark.torch
def test_a_layer_whose_kind_is_a_variable_is_written_out() -> None:
    """`- $k` at the top level (a documented form) is written out with the kind the variable names."""
    analysis = analyze(loads(KIND_FROM_A_VARIABLE, "kind.yaml"))
    result = export_pytorch(analysis)
    compile(result.code, "kind.py", "exec")
    assert result.code.count("nn.ReLU6()") == 4 and result.code.count("nn.Conv2d(") == 3
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is needed to compare the exported module's figures")
    from exported_torch import mismatches

    assert mismatches(analysis, result, "cpu") == []


def test_a_named_value_is_deleted_after_its_last_reader() -> None:
    """Eager PyTorch frees a tensor when its last name goes; the forward deletes each kept name after its last
    reader, as cnncalc's memory model frees it, instead of holding U-Net's skips until forward returns."""
    import re

    from cnncalc.export.pytorch import export_pytorch
    from conftest import bundled_analysis

    code = export_pytorch(bundled_analysis("unet")).code
    forward = code[code.index("    def forward(self, x):", code.index("class UNet")):code.index("INPUT_SHAPE")]
    lines = [line.strip() for line in forward.splitlines() if line.strip()]
    for name in ("down1", "down2", "down3", "down4", "up1", "up2", "up3", "up4"):
        last = max(i for i, line in enumerate(lines) if re.search(rf"\b{name}\b", line) and not line.startswith("del"))
        assert lines[last + 1] == f"del {name}"
