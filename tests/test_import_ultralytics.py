"""`cnncalc import` of Ultralytics model YAMLs: hand-computed small files and refusals (fast tier), and every
shipped YAML the importer reads against the model Ultralytics builds from it (torch tier)."""

from __future__ import annotations

import glob
import os
import sys
import types
from pathlib import Path

import pytest

from cnncalc.core.analysis import analyze
from cnncalc.core.spec import loads
from cnncalc.importers import Options
from cnncalc.importers.ultralytics import import_ultralytics
from timm_zoo import missing

SMALL = """\
nc: 2
scales:
  n: [0.5, 0.5, 64]
  s: [1.0, 1.0, 64]
backbone:
  - [-1, 1, Conv, [16, 3, 2]]   # 0
  - [-1, 3, C2f, [32, True]]    # 1
  - [-1, 1, Conv, [64, 3, 2]]   # 2
  - [-1, 1, SPPF, [128, 5]]     # 3: 128 is capped at max_channels 64
head:
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 1], 1, Concat, [1]]
  - [-1, 1, Classify, [nc]]
"""


def _imported(tmp_path: Path, text: str, name: str = "tiny.yaml", **options: object) -> tuple[str, object]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = import_ultralytics(str(path), Options(**options))  # type: ignore[arg-type]
    assert result.ok, result.problems
    return result.yaml, analyze(loads(result.yaml, str(tmp_path / "imported.yaml")))


def test_scales_multiply_widths_and_repeats_as_ultralytics_does(tmp_path: Path) -> None:
    text, analysis = _imported(tmp_path, SMALL, "tiny-n.yaml", scale="n")
    rows = {r.name: r for r in analysis.rows}  # type: ignore[attr-defined]
    # scale n: width 0.5 → make_divisible(8, 8) = 8, 16, min(128, 64) · 0.5 = 32; depth 0.5 → round(3 · 0.5) = 2
    assert rows["layer0.conv"].output == (112, 112, 8) and rows["layer0.conv"].params == 3 * 9 * 8
    assert "C2f: {filters: 16, n: 2, shortcut: true, name: layer1}" in text
    assert rows["layer3.cv2.conv"].output == (56, 56, 32)
    assert rows["layer5"].output == (112, 112, 48)  # SPPF's 32 upsampled and joined with the C2f's 16
    # Classify: a 1×1 Conv to 1280, average pool, Linear to nc, softmax
    assert rows["layer6_conv.conv"].params == 48 * 1280 and rows["layer6_linear"].params == 1280 * 2 + 2
    assert analysis.output == (2,)  # type: ignore[attr-defined]


def test_the_scale_comes_from_the_name_else_the_first(tmp_path: Path) -> None:
    assert "scale s" in _imported(tmp_path, SMALL, "yolov8s-tiny.yaml")[0]
    assert "scale n" in _imported(tmp_path, SMALL, "tiny.yaml")[0]
    assert "scale s" in _imported(tmp_path, SMALL, "yolov8n.yaml", scale="s")[0]


def test_each_module_is_one_block(tmp_path: Path) -> None:
    text, _ = _imported(tmp_path, SMALL)
    assert text.count("\n  C2f:") == 1 and text.count("\n  Conv:") == 1 and "- C2f: {" in text


V10 = """\
nc: 2
backbone:
  - [-1, 1, Conv, [64, 3, 2]]
  - [-1, 1, SCDown, [128, 3, 2]]
  - [-1, 1, PSA, [128]]
  - [-1, 1, C2fCIB, [128, True, True]]
head:
  - [[3], 1, v10Detect, [nc]]
"""


def test_yolov10_modules_and_its_one_to_one_head(tmp_path: Path) -> None:
    text, analysis = _imported(tmp_path, V10, input_shape=(64, 64))
    rows = {r.name: r for r in analysis.rows}  # type: ignore[attr-defined]
    # SCDown: a 1×1 Conv 64 → 128, then a 3×3 depthwise Conv at stride 2 (each without bias, then BatchNorm)
    assert rows["layer1.cv1.conv"].params == 64 * 128 and rows["layer1.cv1.conv"].output == (32, 32, 128)
    assert rows["layer1.cv2.conv"].params == 9 * 128 and rows["layer1.cv2.conv"].output == (16, 16, 128)
    # PSA on 128: halves of 64, one head (max(64 // 64, 1)) with key_dim 32: qkv is 64 → 64 + 2 · 32
    assert rows["layer2.m.attn.qkv.conv"].params == 64 * 128
    # C2fCIB with lk: the middle depthwise Conv is RepVGGDW's 7×7 and 3×3 on 2 · 64 channels
    assert rows["layer3.m.1.cv3.conv.conv"].params == 49 * 128 and rows["layer3.m.1.cv3.conv1.conv"].params == 9 * 128
    # v10Detect: one level, box branch of max(16, 128 // 4, 64) = 64; the one-to-one copy is counted, not output
    assert rows["layer4_one2one_box1.cv1.conv"].params == rows["layer4_box1.cv1.conv"].params == 9 * 128 * 64
    assert analysis.output == (256, 4 + 2)  # type: ignore[attr-defined]
    assert "- C2fCIB: {filters: 128, n: 1, shortcut: true, lk: true, name: layer3}" in text
    assert analysis.totals.trainable == 445_460  # type: ignore[attr-defined]  # the model Ultralytics builds


@pytest.mark.parametrize("text, rule, words", [
    ("input: [8, 8, 3]\nlayers:\n  - relu\n", "not-ultralytics", "needs no import"),
    (SMALL.replace("SPPF, [128, 5]", "C2fAttn, [64]"), "unmapped-operator", "'C2fAttn' of row 3"),
    (SMALL.replace("nn.Upsample", "nn.Foo"), "unmapped-operator", "'nn.Foo' of row 4"),
    (SMALL + "  - [9, 1, Conv, [8]]\n", "invalid-reference", "`from: 9` of row 7"),
    ("backbone: [[-1, 1, Conv, [16, 3, 2]]\nhead: []\n", "yaml-syntax", "YAML syntax error"),
    ("activation: nn.Tanhshrink()\n" + SMALL, "unmapped-operator", "activation"),
    # hostile values are refused at their row, and nothing but numbers reaches the written file
    (SMALL.replace("[16, 3, 2]", '[16, "8}\\n  - relu", 2]'), "invalid-value", "has the argument"),
    (SMALL.replace("[16, 3, 2]", "[]"), "invalid-value", "do not fit Conv"),
    (SMALL.replace("[-1, 1, Conv,", '["a", 1, Conv,'), "invalid-reference", "give a row number"),
    (SMALL.replace("[-1, 1, Conv,", "[-2, 1, Conv,"), "invalid-reference", "`from: -2` of row 0"),
    (SMALL.replace("nc: 2", "nc: many"), "invalid-value", "`nc` must be a whole number"),
    (SMALL.replace("[0.5, 0.5, 64]", "[0.5, x, 64]"), "invalid-value", "three positive numbers"),
])
def test_refusals(tmp_path: Path, text: str, rule: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = import_ultralytics(str(path), Options())
    assert not result.ok and result.problems[0].rule == rule and words in result.problems[0].message


def test_an_unknown_scale_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(SMALL, encoding="utf-8")
    problem = import_ultralytics(str(path), Options(scale="x")).problems[0]
    assert problem.rule == "invalid-value" and "it has n, s" in problem.message


def test_the_row_of_a_refusal_is_its_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL.replace("SPPF, [128, 5]", "C2fAttn, [64]"), encoding="utf-8")
    problem = import_ultralytics(str(path), Options()).problems[0]
    assert (problem.line, problem.column) == (9, 5)


# --- every shipped YAML the importer reads, against Ultralytics' own model ----------------------------------

def _shipped() -> list[str]:
    if missing("ultralytics") is not None:
        return []
    import importlib.util

    spec = importlib.util.find_spec("ultralytics")
    root = Path(spec.origin).parent / "cfg" / "models" if spec and spec.origin else Path()
    return sorted(path for version in ("v3", "v5", "v6", "v8", "v9", "v10", "11", "12", "26")
                  for path in glob.glob(str(root / version / "*.yaml")))


SHIPPED = _shipped()
READ = {"yolov3", "yolov3-tiny", "yolov5", "yolov5-p6", "yolov8", "yolov8-p2", "yolov8-p6", "yolov8-cls",
        "yolov8-seg", "yolov8-seg-p6", "yolov8-pose", "yolov8-pose-p6", "yolo11", "yolo11-cls", "yolo11-seg",
        "yolo11-pose", "yolov6", "yolov9t", "yolov9s", "yolov9m", "yolov9c", "yolov9c-seg", "yolov8-ghost",
        "yolov8-ghost-p2", "yolov8-ghost-p6", "yolov8-obb", "yolo11-obb", "yolo12", "yolo12-cls", "yolo12-seg",
        "yolo12-pose", "yolo12-obb", "yolov8-cls-resnet50", "yolov8-cls-resnet101",
        "yolov10n", "yolov10s", "yolov10m", "yolov10b", "yolov10l", "yolov10x", "yolo26", "yolo26-cls", "yolo26-p2",
        "yolo26-p6"}


@pytest.mark.torch
@pytest.mark.skipif(missing("ultralytics") is not None, reason=str(missing("ultralytics")))
@pytest.mark.parametrize("scale", ["n", "s", "m", "l"])  # m: C3k blocks (YOLO11, 12); l: YOLO12's residual
@pytest.mark.parametrize("path", SHIPPED, ids=[os.path.basename(p) for p in SHIPPED])
def test_an_imported_yaml_equals_ultralytics_model(path: str, scale: str) -> None:
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import torch
    import yaml
    from torch.utils.flop_counter import FlopCounterMode
    from ultralytics.nn import tasks

    if (scale == "m" and Path(path).parent.name not in ("11", "12", "26")) or (scale == "l" and Path(path).parent.name != "12"):
        pytest.skip("scales m and l change the modules only in YOLO11 and 12 (C3k blocks, A2C2f's residual); n and s "
                    "cover the others")
    scales = yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("scales") or {}
    if scales and scale not in scales:  # YOLOv10's files hold one scale each (yolov10b.yaml: b)
        if len(scales) > 1 or scale != "n":
            pytest.skip(f"the file has no scale {scale}")
        scale = next(iter(scales))
    result = import_ultralytics(path, Options(scale=scale))
    stem = Path(path).stem
    if stem not in READ:  # modules without a block yet: refused by name, never a wrong figure
        assert not result.ok and result.problems[0].rule == "unmapped-operator"
        return
    assert result.ok, result.problems
    cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not cfg.get("scales") and scale != "n":
        pytest.skip("the file has no scales")
    cfg["scale"] = scale
    task = tasks.guess_model_task(cfg)
    build = {"detect": tasks.DetectionModel, "segment": tasks.SegmentationModel, "pose": tasks.PoseModel,
             "classify": tasks.ClassificationModel, "obb": tasks.OBBModel}[task]
    model = build(cfg, verbose=False).eval()
    size = 224 if task == "classify" else 640
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = model(torch.zeros(1, 3, size, size))
    while isinstance(out, (tuple, list)):  # eval mode: (predictions, raw maps), Segment's (predictions, protos)
        out = out[0]
    theirs = (sum(p.numel() for p in model.parameters()),
              sum(p.numel() for p in model.parameters() if not p.requires_grad),
              sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked")),
              counter.get_total_flops() // 2, tuple(out.shape[1:]))
    analysis = analyze(loads(result.yaml, "imported.yaml"))
    totals, shape = analysis.totals, tuple(analysis.output)
    ours = (totals.trainable, totals.frozen, totals.non_trainable, totals.macs,
            shape[-1:] + shape[:-1] if len(shape) > 1 else shape)
    assert ours == theirs
