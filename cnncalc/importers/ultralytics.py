"""Ultralytics model YAML (`backbone:` and `head:` rows of `[from, repeats, module, args]`, with `scales:`) as a
cnncalc architecture file.

The rows are read as Ultralytics' own `parse_model` reads them: a scale's depth multiplies the repeats
(`max(round(n × depth), 1)` where n > 1), its width the channels (`make_divisible(min(c, max_channels) × width,
8)`); each module becomes a use of a block of the same name (`- C2f: {filters: 64, n: 2, shortcut: true}`), so
the imported file reads like the YAML it came from. Heads: Detect (anchors as tokens, DFL's frozen 1×1
convolution; a one-to-one copy where the model has one), Segment (mask coefficients and the Proto branch), Pose
(keypoints), OBB, v10Detect and Classify.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, NamedTuple

from cnncalc.core.problems import ERROR, Problem
from cnncalc.importers import ImportResult, Options, Shape
from cnncalc.importers.emit import comment, scalar

MAX_YAML_BYTES = 1_000_000
SCALE_IN_NAME = re.compile(r"yolo(e-)?[v]?\d+([nslmx])")  # Ultralytics' guess_model_scale
ACTIVATIONS = {"nn.SiLU()": "silu", "nn.ReLU()": "relu", "nn.Hardswish()": "hardswish", "nn.Mish()": "mish",
               "nn.GELU()": "gelu", "nn.Sigmoid()": "sigmoid", "nn.ReLU6()": "relu6"}

# Each block is written once into the file when a row (or another block) uses it.
BLOCKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Conv": ("""\
  Conv:                       # Ultralytics' Conv: conv (no bias) + BatchNorm + activation; padding k // 2
    args: {filters: ~, kernel: 1, stride: 1, padding: '${kernel // 2}', groups: 1, act: $activation}
    layers:
      - conv: {filters: $filters, kernel: $kernel, stride: $stride, padding: $padding, groups: $groups, bias: false,
               name: conv}
      - batchnorm: {name: bn}
      - $act: {name: act}
""", ()),
    "Bottleneck": ("""\
  Bottleneck:                 # two Convs, and the input added where the widths agree
    args: {filters: ~, shortcut: true, k1: 3, k2: 3, hidden: $filters}
    layers:
      - Conv: {filters: $hidden, kernel: $k1, name: cv1}
      - Conv: {filters: $filters, kernel: $k2, name: cv2}
      - add: {from: [cv2, input], name: add, if: '${shortcut and in_channels == filters}'}
""", ("Conv",)),
    "C2f": ("""\
  C2f:                        # a Conv's two halves, n Bottlenecks from the second, all joined
    args: {filters: ~, n: 1, shortcut: false, e: 0.5}
    layers:
      - Conv: {filters: '${2 * int(filters * e)}', name: cv1}
      - split: {parts: 2, index: 0, name: y0}
      - split: {parts: 2, index: 1, from: cv1, name: y1}
      - Bottleneck: {filters: '${int(filters * e)}', shortcut: $shortcut, repeat: $n, name: m}
      - concat: {from: [y0, y1, m.*], name: cat}
      - Conv: {filters: $filters, name: cv2}
""", ("Conv", "Bottleneck")),
    "C3": ("""\
  C3:                         # CSP: n Bottlenecks (1x1, 3x3) on one half, joined with the other
    args: {filters: ~, n: 1, shortcut: true, e: 0.5}
    layers:
      - Conv: {filters: '${int(filters * e)}', name: cv1}
      - Bottleneck: {filters: '${int(filters * e)}', shortcut: $shortcut, k1: 1, repeat: $n, name: m}
      - Conv: {filters: '${int(filters * e)}', from: input, name: cv2}
      - concat: {from: [m, cv2], name: cat}
      - Conv: {filters: $filters, name: cv3}
""", ("Conv", "Bottleneck")),
    "C2": ("""\
  C2:                         # a Conv's two halves, n Bottlenecks on the first, joined with the second
    args: {filters: ~, n: 1, shortcut: true, e: 0.5}
    layers:
      - Conv: {filters: '${2 * int(filters * e)}', name: cv1}
      - split: {parts: 2, index: 0, name: a}
      - Bottleneck: {filters: '${int(filters * e)}', shortcut: $shortcut, repeat: $n, name: m}
      - split: {parts: 2, index: 1, from: cv1, name: b}
      - concat: {from: [m, b], name: cat}
      - Conv: {filters: $filters, name: cv2}
""", ("Conv", "Bottleneck")),
    "C3k": ("""\
  C3k:                        # C3 with two 3x3 Bottlenecks (YOLO11)
    args: {filters: ~, shortcut: true}
    layers:
      - Conv: {filters: '${int(filters * 0.5)}', name: cv1}
      - Bottleneck: {filters: '${int(filters * 0.5)}', shortcut: $shortcut, repeat: 2, name: m}
      - Conv: {filters: '${int(filters * 0.5)}', from: input, name: cv2}
      - concat: {from: [m, cv2], name: cat}
      - Conv: {filters: $filters, name: cv3}
""", ("Conv", "Bottleneck")),
    "C3k2": ("""\
  C3k2:                       # C2f whose inner blocks are Bottlenecks (half width), C3k blocks, or with attention
    args: {filters: ~, n: 1, c3k: false, e: 0.5, shortcut: true, attn: false}
    layers:
      - Conv: {filters: '${2 * int(filters * e)}', name: cv1}
      - split: {parts: 2, index: 0, name: y0}
      - split: {parts: 2, index: 1, from: cv1, name: y1}
      - Bottleneck: {filters: '${int(filters * e)}', hidden: '${int(int(filters * e) * 0.5)}', shortcut: $shortcut,
                     repeat: $n, name: m, if: '${not c3k and not attn}'}
      - C3k: {filters: '${int(filters * e)}', shortcut: $shortcut, repeat: $n, name: m, if: '${c3k and not attn}'}
      - AttnBottleneck: {shortcut: $shortcut, repeat: $n, name: m, if: $attn}
      - concat: {from: [y0, y1, m.*], name: cat}
      - Conv: {filters: $filters, name: cv2}
""", ("Conv", "Bottleneck", "C3k")),
    "PSAttention": ("""\
  PSAttention:                # Ultralytics' Attention: a qkv Conv, the products per head, v's depthwise pe, proj
    args: {heads: ~, key_dim: '${int(in_channels // heads * 0.5)}'}
    layers:
      - Conv: {filters: '${in_channels + 2 * heads * key_dim}', act: identity, name: qkv}
      - sdpa: {heads: $heads, key_dim: $key_dim, name: attend}
      - slice: {channels: ['${2 * heads * key_dim}', '${in_channels + 2 * heads * key_dim}'], from: qkv, name: v}
      - Conv: {filters: $in_channels, kernel: 3, groups: $in_channels, act: identity, name: pe}
      - add: {from: [attend, pe], name: add}
      - Conv: {filters: $in_channels, act: identity, name: proj}
""", ("Conv",)),
    "AttnBottleneck": ("""\
  AttnBottleneck:             # YOLO26's C3k2 inner block with attention: a Bottleneck, then a PSABlock
    args: {shortcut: true}
    layers:
      - Bottleneck: {filters: $in_channels, hidden: '${int(in_channels * 0.5)}', shortcut: $shortcut, name: m}
      - PSABlock: {name: attn}
""", ("Bottleneck", "PSABlock")),
    "PSABlock": ("""\
  PSABlock:                   # attention and a feed-forward pair of Convs, each added to its input
    layers:
      - PSAttention: {heads: '${max(in_channels // 64, 1)}', name: attn}
      - add: {from: [attn, input], name: add1}
      - Conv: {filters: '${in_channels * 2}', name: ffn1}
      - Conv: {filters: $in_channels, act: identity, name: ffn2}
      - add: {from: [ffn2, add1], name: add2}
""", ("Conv", "PSAttention")),
    "C2PSA": ("""\
  C2PSA:                      # a Conv's two halves, n PSABlocks on the second, joined
    args: {filters: ~, n: 1, e: 0.5}
    layers:
      - Conv: {filters: '${2 * int(filters * e)}', name: cv1}
      - split: {parts: 2, index: 0, name: a}
      - split: {parts: 2, index: 1, from: cv1, name: b}
      - PSABlock: {repeat: $n, name: m}
      - concat: {from: [a, m], name: cat}
      - Conv: {filters: $filters, name: cv2}
""", ("Conv", "PSABlock")),
    "PSA": ("""\
  PSA:                        # YOLOv10's partial self-attention: a Conv's two halves, one PSABlock on the second
    args: {filters: ~, e: 0.5}
    layers:
      - Conv: {filters: '${2 * int(filters * e)}', name: cv1}
      - split: {parts: 2, index: 0, name: a}
      - split: {parts: 2, index: 1, from: cv1, name: b}
      - PSABlock: {name: m}
      - concat: {from: [a, m], name: cat}
      - Conv: {filters: $filters, name: cv2}
""", ("Conv", "PSABlock")),
    "SCDown": ("""\
  SCDown:                     # YOLOv10's downsampling: a 1x1 Conv, then a strided depthwise Conv (no activation)
    args: {filters: ~, kernel: 3, stride: 2}
    layers:
      - Conv: {filters: $filters, name: cv1}
      - Conv: {filters: $filters, kernel: $kernel, stride: $stride, groups: $filters, act: identity, name: cv2}
""", ("Conv",)),
    "RepVGGDW": ("""\
  RepVGGDW:                   # a 7x7 and a 3x3 depthwise Conv (no activation) side by side, summed, then SiLU
    layers:
      - Conv: {filters: $in_channels, kernel: 7, groups: $in_channels, act: identity, name: conv}
      - Conv: {filters: $in_channels, kernel: 3, groups: $in_channels, act: identity, from: input, name: conv1}
      - add: {from: [conv, conv1], name: add}
      - silu: {name: act}
""", ("Conv",)),
    "CIB": ("""\
  CIB:                        # YOLOv10's compact inverted block: depthwise and pointwise Convs, the input added
    args: {filters: ~, shortcut: true, lk: false}
    layers:
      - Conv: {filters: $in_channels, kernel: 3, groups: $in_channels, name: cv1}
      - Conv: {filters: '${2 * filters}', name: cv2}
      - Conv: {filters: '${2 * filters}', kernel: 3, groups: '${2 * filters}', name: cv3, if: '${not lk}'}
      - RepVGGDW: {name: cv3, if: $lk}
      - Conv: {filters: $filters, name: cv4}
      - Conv: {filters: $filters, kernel: 3, groups: $filters, name: cv5}
      - add: {from: [cv5, input], name: add, if: '${shortcut and in_channels == filters}'}
""", ("Conv", "RepVGGDW")),
    "C2fCIB": ("""\
  C2fCIB:                     # C2f whose inner blocks are CIBs (lk: a RepVGGDW for the middle depthwise Conv)
    args: {filters: ~, n: 1, shortcut: false, lk: false, e: 0.5}
    layers:
      - Conv: {filters: '${2 * int(filters * e)}', name: cv1}
      - split: {parts: 2, index: 0, name: y0}
      - split: {parts: 2, index: 1, from: cv1, name: y1}
      - CIB: {filters: '${int(filters * e)}', shortcut: $shortcut, lk: $lk, repeat: $n, name: m}
      - concat: {from: [y0, y1, m.*], name: cat}
      - Conv: {filters: $filters, name: cv2}
""", ("Conv", "CIB")),
    "RepConv": ("""\
  RepConv:                    # a 3x3 and a 1x1 Conv (no activation) side by side, summed, then the activation
    args: {filters: ~}
    layers:
      - Conv: {filters: $filters, kernel: 3, act: identity, from: input, name: conv1}
      - Conv: {filters: $filters, kernel: 1, act: identity, from: input, name: conv2}
      - add: {from: [conv1, conv2], name: add}
      - $activation: {name: act}
""", ("Conv",)),
    "RepBottleneck": ("""\
  RepBottleneck:              # a RepConv and a Conv, and the input added where the widths agree
    args: {filters: ~, shortcut: true}
    layers:
      - RepConv: {filters: $filters, name: cv1}
      - Conv: {filters: $filters, kernel: 3, name: cv2}
      - add: {from: [cv2, input], name: add, if: '${shortcut and in_channels == filters}'}
""", ("Conv", "RepConv")),
    "RepCSP": ("""\
  RepCSP:                     # C3 with RepBottlenecks
    args: {filters: ~, n: 1}
    layers:
      - Conv: {filters: '${int(filters * 0.5)}', name: cv1}
      - RepBottleneck: {filters: '${int(filters * 0.5)}', repeat: $n, name: m}
      - Conv: {filters: '${int(filters * 0.5)}', from: input, name: cv2}
      - concat: {from: [m, cv2], name: cat}
      - Conv: {filters: $filters, name: cv3}
""", ("Conv", "RepBottleneck")),
    "RepNCSPELAN4": ("""\
  RepNCSPELAN4:               # a Conv's two halves, then two RepCSP + Conv stages from the second, all joined
    args: {filters: ~, c3: ~, c4: ~, n: 1}
    layers:
      - Conv: {filters: $c3, name: cv1}
      - split: {parts: 2, index: 0, name: y0}
      - split: {parts: 2, index: 1, from: cv1, name: y1}
      - RepCSP: {filters: $c4, n: $n, name: cv2_csp}
      - Conv: {filters: $c4, kernel: 3, name: cv2}
      - RepCSP: {filters: $c4, n: $n, name: cv3_csp}
      - Conv: {filters: $c4, kernel: 3, name: cv3}
      - concat: {from: [y0, y1, cv2, cv3], name: cat}
      - Conv: {filters: $filters, name: cv4}
""", ("Conv", "RepCSP")),
    "ELAN1": ("""\
  ELAN1:                      # a Conv's two halves, then two 3x3 Convs from the second, all joined
    args: {filters: ~, c3: ~, c4: ~}
    layers:
      - Conv: {filters: $c3, name: cv1}
      - split: {parts: 2, index: 0, name: y0}
      - split: {parts: 2, index: 1, from: cv1, name: y1}
      - Conv: {filters: $c4, kernel: 3, name: cv2}
      - Conv: {filters: $c4, kernel: 3, name: cv3}
      - concat: {from: [y0, y1, cv2, cv3], name: cat}
      - Conv: {filters: $filters, name: cv4}
""", ("Conv",)),
    "AConv": ("""\
  AConv:                      # a 2x2 average pool at stride 1, then a strided 3x3 Conv
    args: {filters: ~}
    layers:
      - avgpool: {kernel: 2, stride: 1, name: pool}
      - Conv: {filters: $filters, kernel: 3, stride: 2, name: cv1}
""", ("Conv",)),
    "ADown": ("""\
  ADown:                      # a 2x2 average pool, then half strided 3x3 Conv, half 3x3 max pool and 1x1 Conv
    args: {filters: ~}
    layers:
      - avgpool: {kernel: 2, stride: 1, name: pool}
      - split: {parts: 2, index: 0, name: x1}
      - Conv: {filters: '${filters // 2}', kernel: 3, stride: 2, name: cv1}
      - split: {parts: 2, index: 1, from: pool, name: x2}
      - maxpool: {kernel: 3, stride: 2, padding: 1, name: pool2}
      - Conv: {filters: '${filters // 2}', name: cv2}
      - concat: {from: [cv1, cv2], name: cat}
""", ("Conv",)),
    "SPPELAN": ("""\
  SPPELAN:                    # a 1x1 Conv, three max pools one after another, the four maps joined
    args: {filters: ~, c3: ~, k: 5}
    layers:
      - Conv: {filters: $c3, name: cv1}
      - maxpool: {kernel: $k, stride: 1, padding: '${k // 2}', repeat: 3, name: m}
      - concat: {from: [cv1, m.*], name: cat}
      - Conv: {filters: $filters, name: cv5}
""", ("Conv",)),
    "AAttn": ("""\
  AAttn:                      # YOLO12's area attention: a qkv Conv, the products within each area, v's 7x7 pe, proj
    args: {heads: ~, areas: 1}
    layers:
      - Conv: {filters: '${3 * in_channels}', act: identity, name: qkv}
      - sdpa: {heads: $heads, key_dim: '${in_channels // heads}', areas: $areas, name: attend}
      - slice: {channels: ['${2 * in_channels}', '${3 * in_channels}'], from: qkv, name: v}
      - Conv: {filters: $in_channels, kernel: 7, groups: $in_channels, act: identity, name: pe}
      - add: {from: [attend, pe], name: add}
      - Conv: {filters: $in_channels, act: identity, name: proj}
""", ("Conv",)),
    "ABlock": ("""\
  ABlock:                     # area attention and an MLP of two Convs, each added to its input
    args: {areas: 1, mlp_ratio: 2.0}
    layers:
      - AAttn: {heads: '${in_channels // 32}', areas: $areas, name: attn}
      - add: {from: [attn, input], name: add1}
      - Conv: {filters: '${int(in_channels * mlp_ratio)}', name: mlp1}
      - Conv: {filters: $in_channels, act: identity, name: mlp2}
      - add: {from: [mlp2, add1], name: add2}
""", ("Conv", "AAttn")),
    "ABlockPair": ("""\
  ABlockPair:                 # two ABlocks, one after the other
    args: {areas: 1, mlp_ratio: 2.0}
    layers:
      - ABlock: {areas: $areas, mlp_ratio: $mlp_ratio, repeat: 2, name: blocks}
""", ("ABlock",)),
    "A2C2f": ("""\
  A2C2f:                      # a Conv, n pairs of ABlocks (or C3k blocks) one after another, all joined, a Conv
    args: {filters: ~, n: 1, a2: true, areas: 1, residual: false, mlp_ratio: 2.0, e: 0.5}
    layers:
      - Conv: {filters: '${int(filters * e)}', name: cv1}
      - ABlockPair: {areas: $areas, mlp_ratio: $mlp_ratio, repeat: $n, name: m, if: $a2}
      - C3k: {filters: '${int(filters * e)}', repeat: $n, name: m, if: '${not a2}'}
      - concat: {from: [cv1, m.*], name: cat}
      - Conv: {filters: $filters, name: cv2}
      - layerscale: {name: gamma, if: '${a2 and residual}'}
      - add: {from: [input, gamma], name: add, if: '${a2 and residual}'}
""", ("Conv", "ABlockPair", "C3k")),
    "ResNetBlock": ("""\
  ResNetBlock:                # ResNet's bottleneck of Convs; the shortcut projects where the shape changes; ReLU
    args: {filters: ~, stride: 1, e: 4}
    layers:
      - Conv: {filters: $filters, name: cv1}
      - Conv: {filters: $filters, kernel: 3, stride: $stride, name: cv2}
      - Conv: {filters: '${e * filters}', act: identity, name: cv3}
      - Conv: {filters: '${e * filters}', stride: $stride, act: identity, from: input, name: shortcut,
               if: '${stride != 1 or in_channels != e * filters}'}
      - add: {from: [cv3, shortcut], name: add}
      - relu: {name: act}
""", ("Conv",)),
    "ResNetLayer": ("""\
  ResNetLayer:                # the stem (7x7/2 Conv and 3x3/2 max pool), or n ResNetBlocks, the first strided
    args: {filters: ~, stride: 1, first: false, n: 1, e: 4}
    layers:
      - Conv: {filters: $filters, kernel: 7, stride: 2, name: stem, if: $first}
      - maxpool: {kernel: 3, stride: 2, padding: 1, name: pool, if: $first}
      - ResNetBlock: {filters: $filters, stride: $stride, e: $e, name: block1, if: '${not first}'}
      - ResNetBlock: {filters: $filters, e: $e, repeat: '${n - 1}', name: blocks,
                      if: '${not first}'}
""", ("Conv", "ResNetBlock")),
    "GhostConv": ("""\
  GhostConv:                  # a Conv to half the width, a cheap 5x5 depthwise Conv of it, both joined
    args: {filters: ~, kernel: 1, stride: 1, act: $activation}
    layers:
      - Conv: {filters: '${filters // 2}', kernel: $kernel, stride: $stride, act: $act, name: cv1}
      - Conv: {filters: '${filters // 2}', kernel: 5, groups: '${filters // 2}', act: $act, name: cv2}
      - concat: {from: [cv1, cv2], name: cat}
""", ("Conv",)),
    "GhostBottleneck": ("""\
  GhostBottleneck:            # two GhostConvs (the second without activation), the input added
    layers:
      - GhostConv: {filters: '${in_channels // 2}', name: ghost1}
      - GhostConv: {filters: $in_channels, act: identity, name: ghost2}
      - add: {from: [ghost2, input], name: add}
""", ("GhostConv",)),
    "C3Ghost": ("""\
  C3Ghost:                    # C3 with GhostBottlenecks
    args: {filters: ~, n: 1, shortcut: true, e: 0.5}
    layers:
      - Conv: {filters: '${int(filters * e)}', name: cv1}
      - GhostBottleneck: {repeat: $n, name: m}
      - Conv: {filters: '${int(filters * e)}', from: input, name: cv2}
      - concat: {from: [m, cv2], name: cat}
      - Conv: {filters: $filters, name: cv3}
""", ("Conv", "GhostBottleneck")),
    "SPPF": ("""\
  SPPF:                       # n max pools one after another, the n + 1 maps joined (cv1 has no activation)
    args: {filters: ~, k: 5, n: 3, shortcut: false}
    layers:
      - Conv: {filters: '${in_channels // 2}', act: identity, name: cv1}
      - maxpool: {kernel: $k, stride: 1, padding: '${k // 2}', repeat: $n, name: m}
      - concat: {from: [cv1, m.*], name: cat}
      - Conv: {filters: $filters, name: cv2}
      - add: {from: [cv2, input], name: add, if: '${shortcut and in_channels == filters}'}
""", ("Conv",)),
    "Branch": ("""\
  Branch:                     # one level of a head: two 3x3 Convs and a 1x1 conv, as tokens (one per anchor)
    args: {hidden: ~, out: ~}
    layers:
      - Conv: {filters: $hidden, kernel: 3, name: cv1}
      - Conv: {filters: $hidden, kernel: 3, name: cv2}
      - conv: {filters: $out, kernel: 1, name: conv}
      - reshape: {shape: [-1, $out], name: tokens}
""", ("Conv",)),
    "ClsBranch": ("""\
  ClsBranch:                  # YOLO11's class branch: depthwise and pointwise Convs twice, a 1x1 conv, as tokens
    args: {hidden: ~, out: ~}
    layers:
      - Conv: {filters: $in_channels, kernel: 3, groups: $in_channels, name: dw1}
      - Conv: {filters: $hidden, name: pw1}
      - Conv: {filters: $hidden, kernel: 3, groups: $hidden, name: dw2}
      - Conv: {filters: $hidden, name: pw2}
      - conv: {filters: $out, kernel: 1, name: conv}
      - reshape: {shape: [-1, $out], name: tokens}
""", ("Conv",)),
    "Proto": ("""\
  Proto:                      # Segment's mask prototypes at twice the finest level's size
    args: {hidden: ~, masks: ~}
    layers:
      - Conv: {filters: $hidden, kernel: 3, name: cv1}
      - deconv: {filters: $hidden, kernel: 2, stride: 2, name: upsample}
      - Conv: {filters: $hidden, kernel: 3, name: cv2}
      - Conv: {filters: $masks, name: cv3}
""", ("Conv",)),
}


class _Row(NamedTuple):
    """One row as the handlers read it: its layer name, `from` text, sources, their channels, repeats, args."""

    name: str
    source: str
    refs: list[str]
    c_in: list[int]
    n: int
    args: list[Any]


class _Refused(Exception):
    def __init__(self, line: int, column: int, rule: str, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.rule, self.message = line, column, rule, message


def make_divisible(value: float, divisor: int = 8) -> int:
    """Ultralytics' make_divisible: the nearest multiple of `divisor` at or above `value`."""
    return math.ceil(value / divisor) * divisor


class _Writer:
    """Reads the rows in order, keeping each row's channels, and writes the layers."""

    def __init__(self, doc: dict[str, Any], marks: dict[tuple[str, int], tuple[int, int]],
                 scale: tuple[float, float, float]) -> None:
        self.doc = doc
        self.depth, self.width, self.max_channels = scale
        self.nc = _whole(doc, marks, "nc", 80)
        self.channels: list[int] = []
        self.lines: list[str] = []
        self.used: set[str] = set()
        self.where = (1, 1)
        self.input_channels = _whole(doc, marks, "ch", 3)
        self.reg_max = _whole(doc, marks, "reg_max", 16)
        self.scale = ""
        self.legacy = True  # YOLOv3/v5/v8 heads; a C3k2 (YOLO11) makes Detect's class branches depthwise-separable
        self.one2one = False  # YOLOv10's head: a one-to-one copy of the branches beside the one-to-many ones

    def refuse(self, rule: str, message: str) -> _Refused:
        return _Refused(self.where[0], self.where[1], rule, message)

    def width_of(self, c: int) -> int:
        return make_divisible(min(c, self.max_channels) * self.width, 8)

    def use(self, block: str) -> None:
        self.used.add(block)
        for needed in BLOCKS[block][1]:
            self.use(needed)

    def ref(self, f: int, i: int) -> str:
        """Row i's source `f` (negative: counted back; -1 at row 0 is the input) as a layer name."""
        j = i + f if f < 0 else f
        if i == 0 and f == -1:
            return "input"
        if not 0 <= j < i:
            raise self.refuse("invalid-reference", f"`from: {f}` of row {i} is not a row above it")
        return f"layer{j}"

    def row(self, i: int, row: Any) -> None:
        if not isinstance(row, list) or len(row) != 4:
            raise self.refuse("invalid-layer", "a row is [from, repeats, module, args]")
        f, n, module, args = row
        args = list(args or [])
        # names parse_model reads from the file (its locals): the classes and the keypoints' shape
        names = {"nc": self.nc, "kpt_shape": self.doc.get("kpt_shape", [17, 3])}
        args = [names[a] if isinstance(a, str) and a in names else a for a in args]
        if not isinstance(n, int) or n < 1:
            raise self.refuse("invalid-value", f"the repeats of row {i} must be a whole number ≥ 1, got {n!r}")
        n = max(round(n * self.depth), 1) if n > 1 else n
        sources = f if isinstance(f, list) else [f]
        if not sources or not all(isinstance(s, int) and not isinstance(s, bool) for s in sources):
            raise self.refuse("invalid-reference", f"the `from` of row {i} is {f!r}; give a row number (-1: the "
                              "row before) or a list of them")
        refs = [self.ref(s, i) for s in sources]
        c_in = [self.channels[int(r[5:])] if r != "input" else self.input_channels for r in refs]
        name = f"layer{i}"
        source = "" if refs == [f"layer{i - 1}"] or (i == 0 and refs == ["input"]) else \
            f", from: {refs[0] if len(refs) == 1 else '[' + ', '.join(refs) + ']'}"
        handler = getattr(self, f"_{module.replace('.', '_')}", None) if isinstance(module, str) else None
        if handler is None:
            known = ", ".join(self.modules())
            raise self.refuse("unmapped-operator", f"module {module!r} of row {i} has no cnncalc block yet (this "
                              f"importer reads {known}); write it by hand or import the model's ONNX export")
        bad = next((a for a in args if not _plain_value(a)), None)
        if bad is not None:  # nothing from the file but numbers reaches the written text
            raise self.refuse("invalid-value", f"row {i} ({module}) has the argument {bad!r}; Ultralytics rows take "
                              "numbers, true/false, lists of numbers, nc and an upsampling mode")
        try:
            c_out = handler(_Row(name, source, refs, c_in, n, args))
        except (TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError):
            raise self.refuse("invalid-value", f"row {i}'s arguments {args} do not fit {module}; write them as "
                              "Ultralytics' module takes them (the first is the output width)") from None
        self.channels.append(c_out)

    @classmethod
    def modules(cls) -> list[str]:
        """The modules a row may name: those with a handler here (`_C2f`, `_nn_Upsample`)."""
        names = [n[1:] for n in dir(cls) if n[:1] == "_" and (n[1:2].isupper() or re.match(r"_v\d", n))]
        return sorted(names) + sorted("nn." + n[4:] for n in dir(cls) if n.startswith("_nn_"))

    def _line(self, text: str) -> None:
        self.lines.append(f"  - {text}")

    def _repeated(self, n: int, text: str, name: str, source: str) -> str:
        return f"{text}, name: {name}{source}}}" if n == 1 else f"{text}, repeat: {n}, name: {name}{source}}}"

    def _Conv(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        c2 = self.width_of(args[0])
        k, s = (args[1] if len(args) > 1 else 1), (args[2] if len(args) > 2 else 1)
        p = args[3] if len(args) > 3 else None
        g = args[4] if len(args) > 4 else 1
        if len(args) > 5 and args[5] != 1:
            raise self.refuse("unmapped-operator", "a dilated Conv is not imported yet")
        self.use("Conv")
        text = f"Conv: {{filters: {c2}" + (f", kernel: {k}" if k != 1 else "") + (f", stride: {s}" if s != 1 else "")
        text += (f", padding: {p}" if p is not None else "") + (f", groups: {g}" if g != 1 else "")
        self._line(self._repeated(n, text, name, source))
        return c2

    def _C2f(self, row: _Row) -> int:
        return self._csp("C2f", False, row)

    def _C2(self, row: _Row) -> int:
        return self._csp("C2", True, row)

    def _Bottleneck(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        c2 = self.width_of(args[0])
        shortcut = bool(args[1]) if len(args) > 1 else True
        if (len(args) > 2 and args[2] != 1) or (len(args) > 3 and args[3] not in ((3, 3), [3, 3])):
            raise self.refuse("unmapped-operator", "a grouped Bottleneck, or one with other kernels, is not "
                              "imported yet")
        e = args[4] if len(args) > 4 else 0.5
        self.use("Bottleneck")
        text = f"Bottleneck: {{filters: {c2}, hidden: {int(c2 * e)}" + ("" if shortcut else ", shortcut: false")
        self._line(self._repeated(n, text, name, source))
        return c2

    def _nn_ConvTranspose2d(self, row: _Row) -> int:
        name, source, _, _, n, args = row
        c2 = self.width_of(args[0])
        k = args[1] if len(args) > 1 else 1
        st = args[2] if len(args) > 2 else 1
        p = args[3] if len(args) > 3 else 0
        self._line(self._repeated(n, f"deconv: {{filters: {c2}, kernel: {k}, stride: {st}"
                                  + (f", padding: {p}" if p else ""), name, source))
        return c2

    def _nn_MaxPool2d(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        k = args[0]
        s = args[1] if len(args) > 1 and args[1] is not None else k
        p = args[2] if len(args) > 2 else 0
        self._line(f"maxpool: {{kernel: {k}, stride: {s}" + (f", padding: {p}" if p else "") + f", name: {name}{source}}}")
        return c_in[0]

    def _nn_ZeroPad2d(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        pad = args[0]
        left, right, top, bottom = (pad, pad, pad, pad) if isinstance(pad, int) else pad  # PyTorch's order
        self._line(f"zeropad: {{padding: [{top}, {bottom}, {left}, {right}], name: {name}{source}}}")
        return c_in[0]

    def _C3k2(self, row: _Row) -> int:
        name, source, _, _, n, args = row
        c2 = self.width_of(args[0])
        c3k = bool(args[1]) if len(args) > 1 else False
        if self.scale in ("m", "l", "x"):  # parse_model gives the larger scales C3k blocks
            c3k = True
        e = args[2] if len(args) > 2 else 0.5
        attn = bool(args[3]) if len(args) > 3 else False
        if len(args) > 4 and args[4] != 1:
            raise self.refuse("unmapped-operator", "a grouped C3k2 is not imported yet")
        shortcut = bool(args[5]) if len(args) > 5 else True
        self.legacy = False
        self.use("C3k2")
        if attn:
            self.use("AttnBottleneck")
        text = f"C3k2: {{filters: {c2}, n: {n}" + (", attn: true" if attn else ", c3k: true" if c3k else "")
        text += f", e: {e}" if e != 0.5 else ""
        self._line(text + ("" if shortcut else ", shortcut: false") + f", name: {name}{source}}}")
        return c2

    def _C2PSA(self, row: _Row) -> int:
        name, source, _, c_in, n, args = row
        c2 = self.width_of(args[0])
        e = args[1] if len(args) > 1 else 0.5
        if c_in[0] != c2:
            raise self.refuse("invalid-value", f"C2PSA keeps its width: {c_in[0]} channels in, {c2} asked")
        self.use("C2PSA")
        self._line(f"C2PSA: {{filters: {c2}, n: {n}" + (f", e: {e}" if e != 0.5 else "") + f", name: {name}{source}}}")
        return c2

    def _PSA(self, row: _Row) -> int:
        e = row.args[1] if len(row.args) > 1 else 0.5
        if row.c_in[0] != self.width_of(row.args[0]):
            raise self.refuse("invalid-value", f"PSA keeps its width: {row.c_in[0]} channels in, "
                              f"{self.width_of(row.args[0])} asked")
        return self._plain("PSA", row, f", e: {e}" if e != 0.5 else "")

    def _SCDown(self, row: _Row) -> int:
        k, st = row.args[1], row.args[2]
        return self._plain("SCDown", row, (f", kernel: {k}" if k != 3 else "") + (f", stride: {st}" if st != 2 else ""))

    def _C2fCIB(self, row: _Row) -> int:
        args = row.args
        shortcut, lk = (bool(args[1]) if len(args) > 1 else False), (bool(args[2]) if len(args) > 2 else False)
        if len(args) > 3 and args[3] != 1:
            raise self.refuse("unmapped-operator", "a grouped C2fCIB is not imported yet")
        e = args[4] if len(args) > 4 else 0.5
        self.legacy = False
        more = f", n: {row.n}" + (", shortcut: true" if shortcut else "") + (", lk: true" if lk else "")
        return self._plain("C2fCIB", row._replace(n=1), more + (f", e: {e}" if e != 0.5 else ""))

    def _RepNCSPELAN4(self, row: _Row) -> int:
        args = row.args
        repeats = args[3] if len(args) > 3 else 1
        return self._plain("RepNCSPELAN4", row, f", c3: {args[1]}, c4: {args[2]}"
                           + (f", n: {repeats}" if repeats != 1 else ""))

    def _ELAN1(self, row: _Row) -> int:
        return self._plain("ELAN1", row, f", c3: {row.args[1]}, c4: {row.args[2]}")

    def _AConv(self, row: _Row) -> int:
        return self._plain("AConv", row)

    def _ADown(self, row: _Row) -> int:
        return self._plain("ADown", row)

    def _SPPELAN(self, row: _Row) -> int:
        k = row.args[2] if len(row.args) > 2 else 5
        return self._plain("SPPELAN", row, f", c3: {row.args[1]}" + (f", k: {k}" if k != 5 else ""))

    def _plain(self, block: str, row: _Row, more: str = "") -> int:
        """A use of `block` with the row's width as `filters` and `more` arguments written as given."""
        c2 = self.width_of(row.args[0])
        self.use(block)
        self._line(self._repeated(row.n, f"{block}: {{filters: {c2}{more}", row.name, row.source))
        return c2

    def _A2C2f(self, row: _Row) -> int:
        args = row.args
        a2 = bool(args[1]) if len(args) > 1 else True
        areas = args[2] if len(args) > 2 else 1
        residual = self.scale in ("l", "x")  # parse_model gives the larger scales residual=True, mlp_ratio 1.2
        self.legacy = False
        more = f", n: {row.n}" + ("" if a2 else ", a2: false") + (f", areas: {areas}" if a2 and areas > 1 else "")
        # a repeat module: its n is an argument (as parse_model passes it), the row itself is one use
        return self._plain("A2C2f", row._replace(n=1), more + (", residual: true, mlp_ratio: 1.2" if a2 and residual
                                                                else ""))

    def _ResNetLayer(self, row: _Row) -> int:
        # not scaled by width (parse_model passes its arguments as written): c1, c2, stride, is_first, n, e
        name, source, _, c_in, n, args = row
        c2, stride = int(args[1]), int(args[2]) if len(args) > 2 else 1
        first, blocks = bool(args[3]) if len(args) > 3 else False, int(args[4]) if len(args) > 4 else 1
        e = int(args[5]) if len(args) > 5 else 4
        self.use("ResNetLayer")
        text = f"ResNetLayer: {{filters: {c2}" + (f", stride: {stride}" if stride != 1 else "")
        text += ", first: true" if first else (f", n: {blocks}" if blocks != 1 else "")
        self._line(self._repeated(n, text + (f", e: {e}" if e != 4 else ""), name, source))
        return c2 if first else c2 * e

    def _GhostConv(self, row: _Row) -> int:
        args = row.args
        k, st = (args[1] if len(args) > 1 else 1), (args[2] if len(args) > 2 else 1)
        if len(args) > 3 and args[3] != 1:
            raise self.refuse("unmapped-operator", "a grouped GhostConv is not imported yet")
        return self._plain("GhostConv", row, (f", kernel: {k}" if k != 1 else "") + (f", stride: {st}" if st != 1 else ""))

    def _C3Ghost(self, row: _Row) -> int:
        return self._csp("C3Ghost", True, row)

    def _C3(self, row: _Row) -> int:
        return self._csp("C3", True, row)

    def _csp(self, block: str, default: bool, row: _Row) -> int:
        """C2f, C2 or C3: `default` is the module's own shortcut default (C2f's is false)."""
        name, source, _, _, n, args = row
        c2 = self.width_of(args[0])
        shortcut = bool(args[1]) if len(args) > 1 else default
        if len(args) > 2 and args[2] != 1:
            raise self.refuse("unmapped-operator", f"a grouped {block} is not imported yet")
        e = args[3] if len(args) > 3 else 0.5
        self.use(block)
        text = f"{block}: {{filters: {c2}, n: {n}" + (f", shortcut: {'true' if shortcut else 'false'}"
                                                      if shortcut != default else "")
        self._line(text + (f", e: {e}" if e != 0.5 else "") + f", name: {name}{source}}}")
        return c2

    def _SPPF(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        c2 = self.width_of(args[0])
        k = args[1] if len(args) > 1 else 5
        pools, shortcut = int(args[2]) if len(args) > 2 else 3, bool(args[3]) if len(args) > 3 else False
        self.use("SPPF")
        text = f"SPPF: {{filters: {c2}" + (f", k: {k}" if k != 5 else "") + (f", n: {pools}" if pools != 3 else "")
        self._line(self._repeated(n, text + (", shortcut: true" if shortcut else ""), name, source))
        return c2

    def _nn_Upsample(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        factor = args[1] if len(args) > 1 else 2
        self._line(f"upsample: {{scale: {factor}, name: {name}{source}}}")
        return c_in[0]

    def _Concat(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        if args and args[0] != 1:
            raise self.refuse("unmapped-operator", "a Concat along another dimension than the channels is not "
                              "imported yet")
        self._line(f"concat: {{from: [{', '.join(refs)}], name: {name}}}")
        return sum(c_in)

    def _Classify(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        classes = args[0]
        self.use("Conv")
        inputs = refs[0] if len(refs) == 1 else "[" + ", ".join(refs) + "]"
        if len(refs) > 1:
            self._line(f"concat: {{from: {inputs}, name: {name}_cat}}")
        self._line(f"Conv: {{filters: 1280, name: {name}_conv" + (f", from: {inputs}" if len(refs) == 1 else "")
                   + "}")
        self._line(f"globalavgpool: {{name: {name}_pool}}")
        self._line("flatten")
        self._line(f"dense: {{units: {classes}, name: {name}_linear}}")
        self._line(f"softmax: {{name: {name}}}")
        return int(classes)

    def _Detect(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        return self._head(name, refs, c_in, args, None)

    def _v10Detect(self, row: _Row) -> int:
        """YOLOv10's head: Detect with depthwise class branches and a one-to-one copy of both branches, which runs
        in eval mode too (its predictions are returned beside the one-to-many ones the model outputs)."""
        legacy, self.legacy, self.one2one = self.legacy, False, True
        try:
            return self._head(row.name, row.refs, row.c_in, row.args, None)
        finally:
            self.legacy, self.one2one = legacy, False

    def _Segment(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        masks = args[1] if len(args) > 1 else 32
        protos = self.width_of(args[2] if len(args) > 2 else 256)
        return self._head(name, refs, c_in, args, ("masks", max(c_in[0] // 4, masks), masks, protos))

    def _Pose(self, row: _Row) -> int:
        name, source, refs, c_in, n, args = row
        shape = args[1] if len(args) > 1 and isinstance(args[1], list) else self.doc.get("kpt_shape", [17, 3])
        keypoints = int(shape[0]) * int(shape[1])
        return self._head(name, refs, c_in, args, ("keypoints", max(c_in[0] // 4, keypoints), keypoints, 0))

    def _OBB(self, row: _Row) -> int:
        name, _, refs, c_in, _, args = row
        extra = int(args[1]) if len(args) > 1 else 1  # the rotation angle
        return self._head(name, refs, c_in, args, ("angle", max(c_in[0] // 4, extra), extra, 0))

    def _join(self, parts: list[str], name: str) -> None:
        """The levels' tokens joined along the anchors (one level: the same tokens under the name)."""
        if len(parts) == 1:
            self._line(f"identity: {{from: {parts[0]}, name: {name}}}")
        else:
            self._line(f"concat: {{from: [{', '.join(parts)}], axis: 0, name: {name}}}")

    def _head(self, name: str, refs: list[str], c_in: list[int], args: list[Any],
              extra: tuple[str, int, int, int] | None) -> int:
        """Detect (and Segment's, Pose's extra branch): box and class branches per level, as anchor tokens."""
        nc, reg_max = int(args[0]), self.reg_max
        box, cls = max(16, c_in[0] // 4, reg_max * 4), max(c_in[0], min(nc, 100))
        self.use("Branch")
        classes = "Branch" if self.legacy else "ClsBranch"  # YOLO11's head: depthwise-separable class branches
        self.use(classes)
        levels = []
        for k, ref in enumerate(refs, 1):
            self._line(f"Branch: {{hidden: {box}, out: {4 * reg_max}, from: {ref}, name: {name}_box{k}}}")
            self._line(f"{classes}: {{hidden: {cls}, out: {nc}, from: {ref}, name: {name}_cls{k}}}")
            levels.append(k)
        if self.one2one or self.doc.get("end2end") is True:  # the one-to-one branches: computed, counted, not part of the output
            for k, ref in enumerate(refs, 1):
                self._line(f"Branch: {{hidden: {box}, out: {4 * reg_max}, from: {ref}, name: {name}_one2one_box{k}}}")
                self._line(f"{classes}: {{hidden: {cls}, out: {nc}, from: {ref}, name: {name}_one2one_cls{k}}}")
        joined = [f"{name}_boxes"]
        self._join([f"{name}_box{k}" for k in levels], f"{name}_bins")
        if reg_max > 1:  # DFL: the expectation over the bins, a frozen 1×1 convolution with weights 0 … reg_max − 1
            self._line(f"reshape: {{shape: [-1, 4, {reg_max}]}}")
            self._line("softmax")
            self._line(f"conv: {{filters: 1, kernel: 1, bias: false, trainable: false, name: {name}_dfl}}")
        self._line(f"reshape: {{shape: [-1, 4], name: {name}_boxes}}")
        self._join([f"{name}_cls{k}" for k in levels], f"{name}_logits")
        self._line(f"sigmoid: {{name: {name}_scores}}")
        joined.append(f"{name}_scores")
        if extra is not None:
            what, hidden, out, protos = extra
            for k, ref in enumerate(refs, 1):
                self._line(f"Branch: {{hidden: {hidden}, out: {out}, from: {ref}, name: {name}_{what}{k}}}")
            self._join([f"{name}_{what}{k}" for k in levels], f"{name}_{what}")
            joined.append(f"{name}_{what}")
            if protos:  # Segment: the mask prototypes, a second output written before the predictions
                self.use("Proto")
                self._line(f"Proto: {{hidden: {protos}, masks: {out}, from: {refs[0]}, name: {name}_proto}}")
        self._line(f"concat: {{from: [{', '.join(joined)}], name: {name}}}")
        return 4 + nc + (extra[2] if extra else 0)


def import_ultralytics(path: str, options: Options) -> ImportResult:
    """Read an Ultralytics model YAML and return the equivalent cnncalc spec, or the problems that prevent it."""
    try:
        return _import(path, options)
    except _Refused as exc:
        return ImportResult("", problems=[Problem(path, exc.line, exc.column, ERROR, exc.rule, exc.message)])


def _read(path: str) -> tuple[dict[str, Any], dict[tuple[str, int], tuple[int, int]]]:
    """The document and each row's (line, column), read by cnncalc's bounded safe loader."""
    from cnncalc.core import yamlsafe
    from cnncalc.core.problems import SpecError

    try:
        if os.path.isdir(path):
            raise _Refused(1, 1, "not-a-file", "this is a directory; name an Ultralytics model .yaml file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise _Refused(1, 1, "file-not-found", "no such file") from None
    except OSError as exc:
        raise _Refused(1, 1, "unreadable-file", f"cannot read the file: {exc.strerror}") from None
    if len(data) > MAX_YAML_BYTES:
        raise _Refused(1, 1, "file-too-large", f"the file is over {MAX_YAML_BYTES:,} bytes; model YAMLs are a few "
                       "kilobytes")
    try:
        node = yamlsafe.compose(yamlsafe.decode_utf8(data, path), path)
        doc = yamlsafe.plain(node, path) if node is not None else None
    except SpecError as exc:
        raise _Refused(exc.problem.line, exc.problem.column, exc.problem.rule, exc.problem.message) from None
    if not isinstance(doc, dict) or "backbone" not in doc or "head" not in doc:
        raise _Refused(1, 1, "not-ultralytics", "an Ultralytics model YAML has `backbone:` and `head:` lists of "
                       "[from, repeats, module, args] rows; a cnncalc architecture file needs no import")
    marks: dict[tuple[str, int], tuple[int, int]] = {}
    for key, value in getattr(node, "value", []):
        marks[(str(key.value), -1)] = yamlsafe.position(value)  # a top-level value (nc, ch, reg_max)
        if key.value in ("backbone", "head") and isinstance(value.value, list):
            for i, row in enumerate(value.value):
                marks[(key.value, i)] = yamlsafe.position(row)
    return doc, marks


_MODES = frozenset({"nearest", "bilinear", "bicubic", "None"})


def _plain_value(value: Any) -> bool:
    """A row argument cnncalc reads: a number, true/false, null, a list of numbers, or an upsampling mode."""
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, list):
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    return value in _MODES


def _whole(doc: dict[str, Any], marks: dict[tuple[str, int], tuple[int, int]], key: str, default: int) -> int:
    """A top-level whole number ≥ 1 (nc, ch, reg_max), refused at its position otherwise."""
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        line, column = marks.get((key, -1), (1, 1))
        raise _Refused(line, column, "invalid-value", f"`{key}` must be a whole number ≥ 1, got {value!r}")
    return value


def _scale(path: str, doc: dict[str, Any], options: Options) -> tuple[str, tuple[float, float, float]]:
    """The scale as Ultralytics picks it: --scale, else from the file name (yolov8n.yaml), else the first."""
    scales = doc.get("scales")
    if not isinstance(scales, dict) or not scales:
        scale, values = "", [doc.get("depth_multiple", 1.0), doc.get("width_multiple", 1.0), math.inf]
    else:
        match = SCALE_IN_NAME.search(os.path.splitext(os.path.basename(path))[0])
        scale = options.scale or (match.group(2) if match else str(next(iter(scales))))
        if scale not in scales:
            raise _Refused(1, 1, "invalid-value", f"the file has no scale {scale!r}; it has "
                           f"{', '.join(map(str, scales))}")
        values = scales[scale]
    if not isinstance(values, list) or len(values) != 3 or \
            not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values):
        raise _Refused(1, 1, "invalid-value", f"scale {scale or '(the multiples)'} must be [depth, width, "
                       f"max_channels], three positive numbers; got {values!r}")
    depth, width, max_channels = values
    return scale, (float(depth), float(width), float(max_channels))


def _definition(block: str, used: set[str]) -> str:
    """A block's text, without the lines of inner blocks the file never uses (C3k2's attention: YOLO26 only), since
    an alternative under a false `if:` must still name a block the file defines."""
    lines = BLOCKS[block][0].rstrip("\n").split("\n")
    optional = {"AttnBottleneck"} - used
    return "\n".join(line for line in lines if not any(f"- {name}:" in line for name in optional))


def _import(path: str, options: Options) -> ImportResult:
    doc, marks = _read(path)
    scale, multipliers = _scale(path, doc, options)
    writer = _Writer(doc, marks, multipliers)
    writer.scale = scale
    act = doc.get("activation")
    activation = "silu" if act is None else ACTIVATIONS.get(str(act).replace(" ", "").removeprefix("torch."))
    if activation is None:
        raise _Refused(1, 1, "unmapped-operator", f"activation {act!r} has no cnncalc kind here; this importer "
                       f"reads {', '.join(ACTIVATIONS)}")
    head_rows = doc["head"] or []
    classify = any(isinstance(r, list) and len(r) == 4 and r[2] == "Classify" for r in head_rows)
    size: Shape = (224, 224) if classify else (640, 640)
    if options.input_shape is not None:
        given = options.input_shape
        size = (given[0], given[0]) if len(given) == 1 else (given[0], given[1])
    rows = [("backbone", i, row) for i, row in enumerate(doc["backbone"] or [])] + \
           [("head", i, row) for i, row in enumerate(head_rows)]
    for index, (part, i, row) in enumerate(rows):
        writer.where = marks.get((part, i), (1, 1))
        writer.row(index, row)
    base = os.path.basename(path)
    stem = os.path.splitext(base)[0]
    title = stem if not scale or SCALE_IN_NAME.search(stem) else f"{stem} ({scale})"
    body = [f"name: {scalar(title)}", f"input: [{size[0]}, {size[1]}, {writer.input_channels}]",
            f"vars:\n  activation: {activation}", "blocks:"]
    body += [_definition(block, writer.used) for block in BLOCKS if block in writer.used]
    body += ["layers:", *writer.lines]
    text = "\n".join(body) + "\n"
    from cnncalc.core.analysis import analyze
    from cnncalc.core.problems import SpecError
    from cnncalc.core.spec import loads

    try:
        macs = analyze(loads(text, path)).totals.macs
    except SpecError as exc:  # the rows do not fit together (a Concat of different sizes): the file's error
        problem = exc.problem
        raise _Refused(1, 1, problem.rule, f"the imported network is not valid: {problem.message}") from None
    # Ultralytics' model summary prints thop's count, always at 640×640, which counts more than multiply-adds
    # (yolov8n: 8.86 GFLOPs there, 8.74 = 2 × the multiply-adds here): say which figure this file gives.
    header = [f"Imported from {base} by `cnncalc import`" + (f", scale {scale}" if scale else "")
              + " (Ultralytics' row i is layer<i>; each module is a block of its name)",
              f"{2 * macs / 1e9:.2f} GFLOPs at {size[0]}×{size[1]} = 2 × the multiply-adds; Ultralytics' model "
              "summary prints thop's count at 640×640, which counts other operations too"]
    return ImportResult("".join(comment(line) + "\n" for line in header) + text)
