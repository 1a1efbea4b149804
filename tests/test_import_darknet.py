"""`cnncalc import net.cfg`: Darknet's shape rules, its published figures, a PyTorch build, bad cfgs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.check import files as checks
from cnncalc.core.analysis import Analysis, analyze
from cnncalc.importers import Options
from cnncalc.importers.command import run_import
from cnncalc.importers.darknet import import_darknet, parse_cfg
from cnncalc.core.spec import loads

DATA = Path(__file__).resolve().parent / "importers"


def imported(path: Path | str, **options) -> Analysis:
    result = import_darknet(str(path), Options(**options))
    assert result.ok, result.problems
    return analyze(loads(result.yaml, "imported.yaml"))


def cfg(tmp_path: Path, text: str, name: str = "net.cfg") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


NET = "[net]\nwidth={w}\nheight={h}\nchannels=3\n"


# --- published figures --------------------------------------------------------------------------

# Darknet's BFLOPs per [convolutional] layer are 2·n·size²·c/groups·out_h·out_w / 1e9 (convolutional_layer.c);
# pjreddie's site lists yolov3-tiny at 5.56 Bn and yolov3 at 65.86 Bn for 416×416. A .weights file holds
# 5 header ints (20 bytes) and then every float: biases, BN scales, rolling means and variances, weights:
# yolov3.weights is 248,007,048 bytes and yolov3-tiny.weights 35,434,956 bytes.
@pytest.mark.parametrize("name, bflops, weights_file_bytes, output", [
    ("yolov3-tiny", 5.56, 35_434_956, (26, 26, 255)),
    ("yolov3", 65.86, 248_007_048, (52, 52, 255)),
])
def test_published_figures(name: str, bflops: float, weights_file_bytes: int, output: tuple[int, ...]) -> None:
    result = import_darknet(str(DATA / f"{name}.cfg"), Options())
    a = analyze(loads(result.yaml))
    assert round(2 * a.totals.macs / 1e9, 2) == bflops
    assert f"Darknet counts {2 * a.totals.macs / 1e9:.3f} BFLOPs" in result.yaml
    assert 20 + 4 * (a.totals.trainable + a.totals.non_trainable) == weights_file_bytes
    assert a.output == output


def test_yolov3_tiny_at_another_size() -> None:
    # 608: every map scales by 608/416; the stride-1 maxpool still keeps 19×19.
    a = imported(DATA / "yolov3-tiny.cfg", input_shape=(608, 608, 3))
    assert a.output == (38, 38, 255)
    assert [r.output for r in a.rows if r.name == "maxpool11"] == [(19, 19, 512)]


# --- a PyTorch build of the same cfg, written from Darknet's rules, not from cnncalc ---------------

def torch_figures(path: Path) -> tuple[int, int, int, tuple[int, ...], list[tuple[int, ...]]]:
    """(parameters, running statistics, MACs from FlopCounterMode, last output, head outputs), channels-last."""
    torch = pytest.importorskip("torch", reason="PyTorch is needed for the PyTorch build")
    from torch import nn
    from torch.nn import functional as F
    from torch.utils.flop_counter import FlopCounterMode

    sections = parse_cfg(path.read_text(), str(path))
    opt = [{k: v.text for k, v in s.options.items()} for s in sections]
    net = opt[0]
    # On the meta device: shapes, parameters and FlopCounterMode's counts without computing anything.
    x = torch.zeros(1, int(net["channels"]), int(net["height"]), int(net["width"]), device="meta")
    outputs: list[torch.Tensor] = []
    heads: list[tuple[int, ...]] = []
    modules = nn.ModuleList()
    acts = {"leaky": nn.LeakyReLU(0.1), "linear": nn.Identity(), "relu": nn.ReLU(), "logistic": nn.Sigmoid(),
            "mish": nn.Mish(), "swish": nn.SiLU()}
    with torch.no_grad(), torch.device("meta"), FlopCounterMode(display=False) as counter:
        for section, o in zip(sections[1:], opt[1:]):
            i = len(outputs)
            kind = section.kind
            if kind == "convolutional":
                size, bn = int(o.get("size", 1)), int(o.get("batch_normalize", 0))
                pad = size // 2 if int(o.get("pad", 0)) else int(o.get("padding", 0))
                conv = nn.Conv2d(x.shape[1], int(o["filters"]), size, int(o.get("stride", 1)), pad, bias=not bn)
                layers = [conv] + ([nn.BatchNorm2d(int(o["filters"]))] if bn else []) + [acts[o["activation"]]]
                block = nn.Sequential(*layers).eval()
                modules.append(block)
                x = block(x)
            elif kind == "maxpool":
                stride = int(o.get("stride", 1))
                size = int(o.get("size", stride))
                p = int(o.get("padding", size - 1))
                x = F.max_pool2d(F.pad(x, (p // 2, p - p // 2, p // 2, p - p // 2), value=float("-inf")), size, stride)
            elif kind == "route":  # darknet route_layer.c: part group_id of groups of each routed layer
                refs = [int(v) for v in o["layers"].split(",")]
                groups, group = int(o.get("groups", 1)), int(o.get("group_id", 0))
                parts = [outputs[r if r >= 0 else i + r] for r in refs]
                x = torch.cat([p.chunk(groups, dim=1)[group] for p in parts], dim=1)
            elif kind == "shortcut":  # darknet shortcut_cpu: added over the channels both have, x's shape
                ref = int(o["from"])
                y = outputs[ref if ref >= 0 else i + ref]
                c = min(x.shape[1], y.shape[1])
                x = torch.cat([x[:, :c] + y[:, :c], x[:, c:]], dim=1)
                x = acts[o.get("activation", "linear")](x)
            elif kind == "reorg":  # shapes and counts of darknet's reorg: space to depth
                x = F.pixel_unshuffle(x, int(o.get("stride", 1)))
            elif kind == "scale_channels":  # darknet scale_channels_layer.c: layer `from` times a 1×1×C gate
                ref = int(o["from"])
                x = outputs[ref if ref >= 0 else i + ref] * x
            elif kind == "avgpool":
                x = F.adaptive_avg_pool2d(x, 1)
            elif kind == "upsample":
                x = F.interpolate(x, scale_factor=int(o.get("stride", 2)), mode="nearest")
            elif kind == "yolo":
                heads.append((x.shape[2], x.shape[3], x.shape[1]))
            else:
                raise AssertionError(f"the test build has no [{kind}]")
            outputs.append(x)
    params = sum(p.numel() for p in modules.parameters())
    running = sum(b.numel() for n, b in modules.named_buffers() if n.endswith(("running_mean", "running_var")))
    last = (x.shape[2], x.shape[3], x.shape[1])
    return params, running, counter.get_total_flops() // 2, last, heads


@pytest.mark.torch
@pytest.mark.parametrize("name", ["yolov3-tiny", "yolov3", "constructs"])
def test_matches_pytorch_build(name: str) -> None:
    params, running, macs, last, heads = torch_figures(DATA / f"{name}.cfg")
    a = imported(DATA / f"{name}.cfg")
    assert (a.totals.trainable, a.totals.non_trainable, a.totals.macs, a.output) == (params, running, macs, last)
    # Every [yolo] head reads the conv just before it: those convs' outputs are the heads'.
    head_rows = {r.name: r.output for r in a.rows}
    result = import_darknet(str(DATA / f"{name}.cfg"), Options())
    fed = [line.split()[1] for line in result.yaml.splitlines() if "feeds [yolo]" in line]
    assert [head_rows[n] for n in fed] == heads


# --- shape rules, hand-computed ----------------------------------------------------------------

@pytest.mark.parametrize("size, options, expected", [
    (13, "size=2\nstride=1", (13, 13)),   # yolov3-tiny layer 11: padding 1 keeps 13
    (416, "size=2\nstride=2", (208, 208)),  # (416 + 1 − 2)/2 + 1
    (13, "size=2\nstride=2", (7, 7)),     # (13 + 1 − 2)/2 + 1: Darknet keeps the odd row
    (13, "size=3\nstride=2", (7, 7)),     # padding 2: (13 + 2 − 3)/2 + 1
    (10, "size=3\nstride=1\npadding=0", (8, 8)),
    (10, "stride=2", (5, 5)),             # size defaults to the stride
    (9, "size=5\nstride=1", (9, 9)),      # YOLOv4's SPP pools: padding 4 keeps the size
])
def test_maxpool_rule(tmp_path: Path, size: int, options: str, expected: tuple[int, int]) -> None:
    a = imported(cfg(tmp_path, NET.format(w=size, h=size) + f"[maxpool]\n{options}\n"))
    assert a.output[:2] == expected
    out = tmp_path / "out.yaml"
    out.write_text(import_darknet(str(tmp_path / "net.cfg"), Options()).yaml)
    assert checks.check_file(str(out)).problems == []  # check --strict: no warning either


@pytest.mark.parametrize("options, layers, macs", [
    # 3×3/2 pad=1 on 416: (416 + 2 − 3)/2 + 1 = 208; 208²·32·27 MACs
    ("filters=32\nsize=3\nstride=2\npad=1\nactivation=leaky", ["conv", "leakyrelu"], 208 * 208 * 32 * 27),
    ("batch_normalize=1\nfilters=8\nsize=1\nactivation=linear", ["conv", "batchnorm"], 416 * 416 * 8 * 3),
    ("filters=3\nsize=3\ngroups=3\npadding=0\nactivation=mish", ["conv", "mish"], 414 * 414 * 3 * 9),
    ("filters=3\nsize=3\ngroups=3\npadding=0\nactivation=selu", None, None),
    ("filters=6\nsize=3\nstride=1\npad=1\nactivation=swish", ["conv", "silu"], 416 * 416 * 6 * 27),
    ("filters=6\nsize=3\nstride=1\npad=1", ["conv", "sigmoid"], 416 * 416 * 6 * 27),  # logistic by default
])
def test_convolutional(tmp_path: Path, options: str, layers: list[str] | None, macs: int | None) -> None:
    path = cfg(tmp_path, NET.format(w=416, h=416) + f"[convolutional]\n{options}\n")
    if layers is None:  # selu has no cnncalc kind
        result = import_darknet(str(path), Options())
        assert [p.rule for p in result.problems] == ["unmapped-operator"] and "selu" in result.problems[0].message
        return
    a = imported(path)
    assert [r.kind for r in a.rows] == layers and a.totals.macs == macs


def test_route_shortcut_connected(tmp_path: Path) -> None:
    text = NET.format(w=8, h=8) + (
        "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=relu\n"      # 0: 8×8×4
        "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"           # 1
        "[shortcut]\nfrom=0\nactivation=leaky\n"                            # 2: 1 + 0
        "[route]\nlayers=-1,0\n"                                            # 3: 8×8×8
        "[route]\nlayers=1\n"                                               # 4: = layer 1
        "[avgpool]\n"                                                       # 5: 1×1×4
        "[dropout]\nprobability=.3\n"
        "[connected]\noutput=10\nactivation=linear\n"                       # 7: flatten + dense
        "[softmax]\ngroups=1\n[cost]\ntype=sse\n")
    a = imported(cfg(tmp_path, text))
    rows = {r.name: r for r in a.rows}
    assert rows["shortcut2"].inputs == ("conv1", "relu0") and rows["leaky2"].kind == "leakyrelu"
    assert rows["route3"].inputs == ("leaky2", "relu0") and rows["route3"].output == (8, 8, 8)
    assert rows["avgpool5"].inputs == ("conv1",)  # route to one layer: its output, no extra row
    assert rows["fc7"].output == (10,) and rows["fc7"].trainable == 4 * 10 + 10
    assert a.output == (10,) and rows["dropout6"].args["rate"] == 0.3


# --- malformed cfgs: file:line:column, exit 1, never a traceback --------------------------------

@pytest.mark.parametrize("text, line, column, rule, words", [
    (NET.format(w=8, h=8) + "[convolutinal]\nfilters=3\n", 5, 2, "unknown-section", "did you mean \"convolutional\""),
    (NET.format(w=8, h=8) + "[convolutional]\nfilters 3\n", 6, 1, "malformed-option", "key=value"),
    (NET.format(w=8, h=8) + "[convolutional]\nfilters=three\n", 6, 9, "malformed-option", "whole number"),
    (NET.format(w=8, h=8) + "[convolutional]\nfilters=3\n[route]\nlayers=-1, 5\n", 8, 12, "unknown-layer",
     "refers to layer 5"),
    (NET.format(w=8, h=8) + "[route]\nlayers=-2\n", 6, 8, "unknown-layer", "refers to layer -2 (= -2)"),
    (NET.format(w=8, h=8) + "[shortcut]\nfrom=3\n", 6, 6, "unknown-layer", "only layers 0 to -1"),
    ("[convolutional]\nfilters=3\n", 1, 1, "missing-net", "[net]"),
    ("width=3\n", 1, 1, "malformed-option", "before the first section"),
    ("[net]\nchannels=3\n[maxpool]\n", 1, 1, "missing-option", "height="),
    (NET.format(w=8, h=8) + "[convolutional\n", 5, 1, "malformed-section", "[name]"),
    (NET.format(w=8, h=8) + "[convolutional]\nactivation=leeky\n", 6, 12, "invalid-value", "did you mean"),
    # out of range: at the option, under an ordinary rule (not "a bug: please report it" at 1:1)
    (NET.format(w=8, h=8) + "[convolutional]\nfilters=100000000000000000000\n", 6, 9, "invalid-value",
     "implausibly large"),
    (NET.format(w=8, h=8) + "[dropout]\nprobability=5\n", 6, 13, "invalid-value", "dropout rate"),
    (NET.format(w=8, h=8) + "[dropout]\nprobability=nan\n", 6, 13, "invalid-value", "dropout rate"),
    ("[net]\nwidth=2000000\nheight=8\nchannels=3\n[maxpool]\n", 2, 7, "invalid-value", "implausibly large"),
    # every option within its limit, the product beyond cnncalc's: told at the input, under the limit's rule
    ("[net]\nwidth=100000\nheight=100000\nchannels=3\n[convolutional]\nfilters=4\n", 1, 1, "invalid-input",
     "the network's input cannot be imported"),
    (NET.format(w=8, h=8) + "[convolutional]\nfilters=8\nsize=1\n[upsample]\nstride=200000\n", 8, 1, "too-large",
     "[upsample] at line 8 cannot be imported"),
])
def test_malformed_cfg(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, column: int,
                       rule: str, words: str) -> None:
    path = cfg(tmp_path, text)
    assert run_import(str(path), None, None, False) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{path}:{line}:{column}: error: ")
    assert f"[{rule}]" in captured.err and words in captured.err and "Traceback" not in captured.err


def test_unsupported_section_and_partial(tmp_path: Path) -> None:
    text = NET.format(w=8, h=8) + ("[convolutional]\nfilters=4\nsize=1\n[crnn]\nstride=2\n[convolutional]\nfilters=2\n"
                                   "[route]\nlayers=-1,-3\n[crnn]\n[local]\n")
    path = cfg(tmp_path, text)
    result = import_darknet(str(path), Options())
    assert not result.ok and [(u.op, u.count) for u in result.unmapped] == [("[crnn]", 2), ("[local]", 1)]
    assert result.problems[0].line == 8 and "--partial" in result.problems[0].message
    partial = import_darknet(str(path), Options(partial=True))
    assert partial.ok and [r.name for r in analyze(loads(partial.yaml)).rows] == ["conv0", "logistic0"]
    assert partial.problems[0].level == "warning" and "stops before it" in partial.problems[0].message


def test_run_import_cfg_and_check_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tiny.yaml"
    assert run_import(str(DATA / "yolov3-tiny.cfg"), str(out), None, False) == 0
    result = checks.check_file(str(out))
    assert result.problems == [] and result.analysis is not None
    assert run_import(str(DATA / "yolov3-tiny.cfg"), None, "320x320x3", False) == 0
    assert "input: [320, 320, 3]" in capsys.readouterr().out


def test_comments_options_and_whitespace(tmp_path: Path) -> None:
    sections = parse_cfg("# c\n[net]\n  width = 8 \n;x\nheight=8\n\n[conv]\nfilters=2\nfilters=5\n", "x.cfg")
    assert [s.kind for s in sections] == ["net", "conv"]
    assert sections[0].options["width"].text == "8" and sections[0].options["width"].column == 11
    assert sections[1].options["filters"].text == "2"  # the first occurrence wins, as in option_find


def test_partial_writes_unsupported_activations_as_identity(tmp_path: Path) -> None:
    text = NET.format(w=8, h=8) + ("[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=selu\n"
                                   "[convolutional]\nfilters=2\nsize=1\nactivation=selu\n")
    path = cfg(tmp_path, text)
    assert [u.count for u in import_darknet(str(path), Options()).unmapped] == [2]  # every one is listed
    result = import_darknet(str(path), Options(partial=True))
    a = analyze(loads(result.yaml))
    assert [(r.name, r.kind) for r in a.rows] == [("conv0", "conv"), ("bn0", "batchnorm"), ("selu0", "identity"),
                                                  ("conv1", "conv"), ("selu1", "identity")]
    assert a.totals.trainable == 4 * 27 + 8 + 2 * 4 + 2
    assert [(u.op, u.count) for u in result.unmapped] == [("[convolutional] activation=selu", 2)]
    assert "activation=selu (line 10) has no cnncalc kind; written as identity" in result.yaml


@pytest.mark.parametrize("content, rule", [
    (b"[net]\x00\x01", "binary-file"),
    (b"[net]\nwidth=8\n# caf\xe9\n", "invalid-encoding"),
    (None, "file-not-found"),
    ("dir", "not-a-file"),
])
def test_unreadable_files(tmp_path: Path, content, rule: str) -> None:
    path = tmp_path / "net.cfg"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = import_darknet(str(path), Options())
    assert [p.rule for p in result.problems] == [rule] and result.yaml == ""


def test_any_text_gives_a_result_never_an_exception(tmp_path: Path) -> None:
    """Hostile cfgs built from Darknet's own vocabulary: problems or a spec, never a traceback."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    words = ["[net]", "[convolutional]", "[maxpool]", "[route]", "[shortcut]", "[upsample]", "[yolo]", "[connected]",
             "[avgpool]", "[reorg]", "[bogus]", "width=8", "height=8", "channels=3", "filters=4", "size=3", "size=0",
             "stride=2", "pad=1", "padding=9", "layers=-1", "layers=-3,0", "layers=x", "from=-2", "groups=2",
             "batch_normalize=1", "activation=leaky", "activation=mish", "output=5", "=", "[", "junk"]
    path = tmp_path / "h.cfg"

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.lists(st.sampled_from(words), max_size=30), st.booleans())
    def check(lines: list[str], partial: bool) -> None:
        path.write_text("\n".join(lines), encoding="utf-8")
        result = import_darknet(str(path), Options(partial=partial))
        assert result.ok or result.problems
        if result.ok:
            analyze(loads(result.yaml))

    check()


@pytest.mark.parametrize("given, expected", [("608", (608, 608, 3)), ("320x480", (320, 480, 3)),
                                             ("64x64x1", (64, 64, 1))])
def test_input_option_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str, expected) -> None:
    path = cfg(tmp_path, NET.format(w=8, h=8) + "[convolutional]\nfilters=2\nsize=1\n")
    assert run_import(str(path), None, given, False) == 0
    assert f"input: [{expected[0]}, {expected[1]}, {expected[2]}]" in capsys.readouterr().out


def test_every_importer_rule_is_in_the_readme() -> None:
    import re

    root = Path(__file__).resolve().parent.parent
    code = "\n".join(p.read_text(encoding="utf-8") for p in (root / "cnncalc" / "importers").glob("*.py"))
    used = set(re.findall(r"""(?:_error|_problem|Problem)\([^"]*?"([a-z]+(?:-[a-z]+)+)",""", code))
    assert {"unknown-layer", "corrupt-file", "unmapped-operator"} <= used  # the pattern finds rules
    section = (root / "docs" / "import-export.md").read_text(encoding="utf-8").split("# Importing networks", 1)[1]
    assert sorted(used - set(re.findall(r"`([a-z]+(?:-[a-z]+)+)`", section))) == []


@pytest.mark.parametrize("value, text", [
    ("conv1", "conv1"), ("yolov3-tiny", "yolov3-tiny"), ("true", '"true"'), ("No", '"No"'), ("null", '"null"'),
    ("1e3", '"1e3"'), ("a b: c", '"a b: c"'), ("#x", '"#x"'), ("-1", '"-1"'), ("", '""'), ("x\ny", '"x\\ny"'),
    (0.1, "0.1"), (1e-07, "1.0e-07"), (3e20, "3.0e+20"), (2.0, "2.0"), (float("inf"), ".inf"),
    (True, "true"), (7, "7"), ([1, 2], "[1, 2]"), (["a", "on"], '[a, "on"]'),
])
def test_yaml_scalars_read_back_as_written(value, text: str) -> None:
    import yaml

    from cnncalc.importers.emit import scalar

    assert scalar(value) == text
    assert yaml.safe_load(f"k: {text}")["k"] == value


@pytest.mark.parametrize("raw, expected", [
    ("conv1", "conv1"), ("x; import os", "x_import_os"), ("input", "input_"), ("on", "on_"), ("9a", "relu_9a"),
    ("", "relu"), ("a.b/c", "a_b_c"), ("used", "used_2"),
])
def test_safe_names(raw: str, expected: str) -> None:
    from cnncalc.importers.emit import safe_name

    assert safe_name(raw, {"input", "used"}, "relu") == expected
