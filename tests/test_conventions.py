"""`--convention`: other counters' numbers. Hand-computed single layers per tool (fast tier), and in the torch
tier every tool run on the PyTorch modules `cnncalc export` writes, totals and parameters equal to the tool's."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import types
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.conventions import NAMES, NotModelled, count
from cnncalc.conventions.compare import compare
from conftest import SPECS, bundled_analysis, run

runner = CliRunner()

# One 3×3 convolution with bias (4 → 8 channels) on 8×8, batch norm, ReLU, a 2×2 max pool, a global average
# pool, a dense layer to 10, and a stride-2 2×2 transposed convolution on its own input.
SMALL = """input: [8, 8, 4]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, name: conv}
  - batchnorm: {name: bn}
  - relu: {name: relu}
  - maxpool: {kernel: 2, name: pool}
  - deconv: {filters: 2, kernel: 2, stride: 2, name: up}
  - globalavgpool: {name: gap}
  - flatten: {name: flat}
  - dense: {units: 10, name: fc}
"""

CONV = 8 * 8 * 8 * 36  # 18,432 multiply-adds: 64 positions × 8 filters × 3·3·4
UP = 4 * 4 * 8 * 2 * 4  # the transposed convolution: 16 input positions × 8 channels × 2 filters × 2·2


@pytest.mark.parametrize("name, expected", [
    ("cnncalc", {"conv": CONV, "bn": 0, "relu": 0, "pool": 0, "up": UP, "gap": 0, "fc": 20}),
    ("flopcounter", {"conv": 2 * CONV, "bn": 0, "relu": 0, "pool": 0, "up": 2 * UP, "gap": 0, "fc": 40}),
    # weights + bias per output position; batch norm its 2·C; the transposed conv per *output* position
    ("torchinfo", {"conv": (288 + 8) * 64, "bn": 16, "relu": 0, "pool": 0, "up": (64 + 2) * 64, "gap": 0,
                   "fc": 30}),
    # per output value k·k·C/groups, no bias; BN 4 per value (affine); adaptive pool (64/1 + 1) per output
    # value; the transposed conv per output value (8·8·2 values × 8 channels × 2·2)
    ("thop", {"conv": 512 * 36, "bn": 4 * 512, "relu": 0, "pool": 0, "up": 128 * 8 * 4, "gap": (64 + 1) * 2,
              "fc": 2 * 10}),
    # + bias per output value; BN 2 per value; ReLU and pooling twice (hook and functional); dense + bias
    ("ptflops", {"conv": CONV + 512, "bn": 2 * 512, "relu": 2 * 512, "pool": 2 * 512, "up": UP + 128,
                 "gap": 2 * 128, "fc": 20 + 10}),
    # no bias; BN in eval 2 per value (affine); adaptive pool 1 per input value; padding 1 is not 'same'
    ("fvcore", {"conv": CONV, "bn": 2 * 512, "relu": 0, "pool": 0, "up": UP, "gap": 128, "fc": 20}),
])
def test_each_tool_s_count_of_single_layers(name: str, expected: dict[str, int]) -> None:
    counted = count(run(SMALL), name)
    layers = dict(counted.layers)
    assert {k: layers[k] for k in expected} == expected and layers["flat"] == 0
    assert counted.total == sum(layers.values())


def test_same_padding_is_invisible_to_fvcore_and_parameters_differ_by_tool() -> None:
    same = run(SMALL.replace("padding: 1", "padding: same"))
    assert dict(count(same, "fvcore").layers)["conv"] == 0  # aten::_convolution_mode has no handle
    assert dict(count(same, "thop").layers)["conv"] == 512 * 36
    frozen = run(SMALL.replace("name: fc}", "name: fc, trainable: false}"))
    assert count(frozen, "ptflops").params == count(frozen, "torchinfo").params - 30  # frozen: not counted
    grouped = run("input: [8, 8, 4]\nlayers:\n  - groupnorm: {groups: 2}\n  - layernorm\n")
    assert count(grouped, "thop").params == 0 and count(grouped, "torchinfo").params == 16  # thop drops them


def test_a_kind_a_tool_does_not_model_is_refused_not_guessed() -> None:
    from cnncalc.conventions import table

    counter = table("a tool", {}, lambda layer, act: 0, frozenset({"attention"}))
    attention = run("input: [4, 4, 8]\nlayers:\n  - attention: {heads: 2}\n")
    with pytest.raises(NotModelled, match="does not model `attention`"):
        counter(attention.network.layers[0], None)  # type: ignore[arg-type]
    assert count(attention, "flopcounter").total == 2 * count(attention, "cnncalc").total
    assert count(attention, "thop").total == 0 and count(attention, "fvcore").total == count(attention, "cnncalc").total


def test_shape_and_explain_and_check_take_a_convention(tmp_path: Any) -> None:
    result = runner.invoke(app, ["shape", "resnet18", "--convention", "thop", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["convention"]["total"] == 1_824_033_792 and data["convention"]["input"] == [224, 224, 3]
    assert sum(layer["convention_count"] for layer in data["layers"]) == 1_824_033_792
    assert data["totals"]["convention"] == "cnncalc" and data["totals"]["input"] == [224, 224, 3]
    text = runner.invoke(app, ["shape", "resnet18", "--convention", "ptflops"]).stdout
    assert "ptflops MACs" in text and "1,825,313,768 MACs at 224×224×3" in text
    against = runner.invoke(app, ["explain", "resnet18", "--convention", "cnncalc", "--against", "thop"]).stdout
    assert "batch norm: 20 layer(s), +9,934,848" in against and "thop: 2 per input value, 4 with affine" in against
    budget = runner.invoke(app, ["check", str(SPECS / "lenet5.yaml"), "--max-macs", "420K", "--convention", "ptflops"])
    plain = runner.invoke(app, ["check", str(SPECS / "lenet5.yaml"), "--max-macs", "420K"])
    assert plain.exit_code == 0 and budget.exit_code == 1 and "counted as ptflops counts" in budget.stdout
    bad = runner.invoke(app, ["shape", "lenet5", "--convention", "calipers"])
    assert bad.exit_code == 2 and "--convention" in bad.stderr


def test_comparison_groups_layers_by_type() -> None:
    result = compare(bundled_analysis("resnet18"), "cnncalc", "thop")
    assert {t.layer_type for t in result.types} == {"batch norm", "adaptive and global average pooling"}
    assert sum(t.delta for t in result.types) == result.second.total - result.first.total


def test_every_convention_counts_every_bundled_kind_or_says_so() -> None:
    for name in NAMES:
        for spec in ("resnet50", "densenet121", "mobilenet_v3_small", "convnext_tiny", "unet", "m5", "r3d_18"):
            assert count(bundled_analysis(spec), name).total > 0


# --- the torch tier: each tool on the modules `cnncalc export` writes ----------------------------------------

NETWORKS = ["alexnet", "vgg16", "resnet18", "resnet50", "resnext50_32x4d", "densenet121", "googlenet",
            "inception_v3", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
            "efficientnet_v2_s", "mnasnet0_5", "regnet_y_400mf", "shufflenet_v2_x0_5", "squeezenet1_1",
            "convnext_tiny", "lenet5", "m5", "unet", "r3d_18", "dla34", "dpn68", "ese_vovnet19b_dw", "ghostnet_100",
            "hrnet_w18_small", "mobileone_s0", "nf_resnet50", "repvgg_a0", "rexnet_100", "tresnet_m", "yolov8n",
            "mobilevit_xs"]


def _tool(name: str) -> Any:
    """Each tool's (count, parameters) of a module on an input, as the tool itself prints them."""
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; install torch==2.13.0 to measure")
    module = {"flopcounter": "torch", "torchinfo": "torchinfo", "fvcore": "fvcore", "ptflops": "ptflops",
              "thop": "thop", "calflops": "calflops", "calflops-macs": "calflops"}[name]
    pytest.importorskip(module, reason=f"{module} is not installed; pip install it to compare with it")

    def measure(exported: Any) -> tuple[int, int]:
        from exported_torch import load_module

        namespace = load_module(exported.code)
        shape = tuple(namespace["INPUT_SHAPE"])
        if name.startswith("calflops"):
            return _calflops(exported.code, exported.class_name, shape, name)
        model = namespace[exported.class_name]().eval()
        x = torch.zeros(shape)
        quiet = contextlib.ExitStack()
        quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))
        quiet.enter_context(contextlib.redirect_stderr(io.StringIO()))
        with quiet, torch.no_grad():
            if name == "flopcounter":
                from torch.utils.flop_counter import FlopCounterMode

                with FlopCounterMode(display=False) as counter:
                    model(x)
                return counter.get_total_flops(), sum(p.numel() for p in model.parameters())
            if name == "torchinfo":
                import torchinfo

                stats = torchinfo.summary(model, input_size=shape, verbose=0)
                return stats.total_mult_adds, stats.total_params
            if name == "fvcore":
                from fvcore.nn import FlopCountAnalysis, parameter_count

                analysis = FlopCountAnalysis(model, x)
                analysis.unsupported_ops_warnings(False)
                analysis.uncalled_modules_warnings(False)
                return int(analysis.total()), parameter_count(model)[""]
            if name == "ptflops":
                import ptflops

                macs, params = ptflops.get_model_complexity_info(model, shape[1:], as_strings=False,
                                                                 print_per_layer_stat=False, backend="pytorch")
                return int(macs), int(params)
            import thop

            ops, params = thop.profile(model, (x,), verbose=False)
            return int(ops), int(params)
    return measure


_CALFLOPS: dict[str, tuple[int, int, int] | None] = {}  # exported code -> (flops, macs, params), None: it fails


def _calflops(code: str, class_name: str, shape: tuple[int, ...], name: str) -> tuple[int, int]:
    """calflops on the exported module's code, every module this test file measures at once in one process of
    its own (per test worker): calflops and ptflops both patch torch.nn.functional, and run in one process
    calflops' patches leak (a Linear came out counted 11 times); calflops alone is stable from call to call."""
    if code not in _CALFLOPS:
        from cnncalc.export.pytorch import export_pytorch

        wanted = [export_pytorch(bundled_analysis(n)) for n in NETWORKS] + \
            [export_pytorch(run(text)) for _, text in _single_layers()] + \
            [export_pytorch(run(_kind_case(text))) for text in KIND_CASES.values()]
        modules = dict.fromkeys([(e.code, e.class_name) for e in wanted] + [(code, class_name)])
        _CALFLOPS.update(_calflops_run(list(modules)))
    result = _CALFLOPS[code]
    if result is None:
        pytest.skip("calflops 0.3.2 cannot count a module without parameters: calculate_flops ends in StopIteration")
    flops, macs, params = result
    return (macs if name == "calflops-macs" else flops), params


def _calflops_run(modules: list[tuple[str, str]]) -> dict[str, tuple[int, int, int] | None]:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, (code, class_name) in enumerate(modules):
            path = f"{tmp}/exported{n}.py"
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(code)
            paths.append((path, class_name))
        script = (
            "import sys, types, json, io, contextlib, runpy\n"
            "sys.modules.setdefault('torchvision._meta_registrations', types.ModuleType('m'))\n"
            "from calflops import calculate_flops\n"
            f"results = []\nfor path, cls in {paths!r}:\n"
            "    namespace = runpy.run_path(path, run_name='exported')\n"
            "    model = namespace[cls]().eval()\n"
            # calflops ends in StopIteration on a module without parameters, and then leaves its patches in
            # place, doubling every later count in the process: such a module is not given to it
            "    if not any(True for _ in model.parameters()):\n"
            "        results.append(None)\n"
            "        continue\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        r = calculate_flops(model, input_shape=tuple(namespace['INPUT_SHAPE']), output_as_string=False,"
            " print_results=False, print_detailed=False)\n"
            "    results.append([int(v) for v in r])\n"
            "print(json.dumps(results))\n")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return {code: tuple(r) if r is not None else None for (code, _), r in zip(modules, results)}


@pytest.mark.torch
@pytest.mark.parametrize("tool", [n for n in NAMES if n != "cnncalc"])
@pytest.mark.parametrize("network", NETWORKS)
def test_a_convention_equals_its_tool_on_the_exported_module(network: str, tool: str) -> None:
    measure = _tool(tool)
    from cnncalc.export.pytorch import export_pytorch

    analysis = bundled_analysis(network)
    ours = count(analysis, tool)
    assert (ours.total, ours.params) == measure(export_pytorch(analysis))


def _single_layers() -> list[tuple[str, str]]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_counters", SPECS.parent / "docs" / "gen_counters.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return list(generator.LAYERS)


@pytest.mark.torch
@pytest.mark.parametrize("tool", [n for n in NAMES if n != "cnncalc"])
@pytest.mark.parametrize("title, text", _single_layers(), ids=[t for t, _ in _single_layers()])
def test_the_docs_single_layer_figures_are_the_tools(title: str, text: str, tool: str) -> None:
    """docs/counters.md's single-layer table, measured: each tool on the exported one-layer network."""
    measure = _tool(tool)
    from cnncalc.export.pytorch import export_pytorch

    analysis = run(text)
    ours = count(analysis, tool)
    assert (ours.total, ours.params) == measure(export_pytorch(analysis))


def test_diff_compares_the_macs_as_a_tool_counts_them() -> None:
    result = runner.invoke(app, ["diff", "resnet18", "resnet34", "--convention", "thop", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["convention"] == "thop"
    assert (data["totals"]["macs"]["old"], data["totals"]["macs"]["new"]) == \
        (count(bundled_analysis("resnet18"), "thop").total, count(bundled_analysis("resnet34"), "thop").total)
    text = runner.invoke(app, ["diff", "resnet18", "resnet34", "--convention", "thop"]).stdout
    assert "MACs as thop counts them" in text


# Every other kind, one layer each (with a convolution first where a tool needs a parameter to run), so that
# each tool's rule for every kind is measured, not only for the kinds the bundled networks use.
KIND_CASES = {
    "adaptivemaxpool": "  - adaptivemaxpool: 3\n", "globalmaxpool": "  - globalmaxpool\n",
    "adaptiveavgpool": "  - adaptiveavgpool: 3\n", "sumpool": "  - sumpool: 2\n",
    "groupnorm": "  - groupnorm: 2\n", "instancenorm": "  - instancenorm: {affine: true}\n", "lrn": "  - lrn: 3\n",
    "mish": "  - mish\n", "tanh": "  - tanh\n", "prelu": "  - prelu\n", "rescaling": "  - rescaling: 0.5\n",
    "normalization": "  - normalization\n", "zeropad": "  - zeropad: 1\n", "permute": "  - permute: [2, 0, 1]\n",
    "depthtospace": "  - depthtospace: 2\n", "subtract": "  - subtract: [input, conv]\n",
    "sdpa": "  - sdpa: {heads: 2, key_dim: 1}\n", "upsample": "  - upsample: {scale: 2, mode: bilinear}\n",
    "attention-dim": "  - attention: {heads: 2, dim: 16}\n", "attention-patch": "  - attention: {heads: 2, patch: 2}\n",
}


def _kind_case(layer: str) -> str:
    return "input: [6, 6, 8]\nlayers:\n  - conv: {filters: 8, kernel: 1, name: conv}\n" + layer


def test_every_kind_has_a_measured_case() -> None:
    from cnncalc.core.kinds import KINDS

    kinds = {layer.kind for name in NETWORKS + ["mobilevit_xs"] for layer in bundled_analysis(name).network.layers}
    kinds |= {layer.kind for text in KIND_CASES.values() for layer in run(_kind_case(text)).network.layers}
    assert kinds == set(KINDS)


@pytest.mark.torch
@pytest.mark.parametrize("tool", [n for n in NAMES if n != "cnncalc"])
@pytest.mark.parametrize("case", list(KIND_CASES))
def test_a_convention_equals_its_tool_on_every_kind(case: str, tool: str) -> None:
    measure = _tool(tool)
    from cnncalc.export.pytorch import export_pytorch

    analysis = run(_kind_case(KIND_CASES[case]))
    ours = count(analysis, tool)
    assert (ours.total, ours.params) == measure(export_pytorch(analysis))
