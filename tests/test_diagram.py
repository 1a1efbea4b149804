"""Diagram layouts: geometry invariants on every bundled network, hand-computed cases, escaping, determinism."""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import subprocess
import sys
from typing import Any

import pytest

from cnncalc.catalog import bundled
from cnncalc.core.analysis import Analysis
from cnncalc.draw.layout import (CHAR_WIDTH, FONT_SIZE, NARROW_MARKS, SMALL_SIZE, Box, Edge, Layout, Options, Text, char_width,
                             layout, nodes, shorten, slab_size, text_width)
from cnncalc.shape.render import fold
from cnncalc.draw.svg import render
from conftest import bundled_analysis, command_args, main, run


def run_diagram(spec: str, output: str | None, style: str, direction: str, depth: str, label: str,
                input_shape: str | None) -> int:
    """`cnncalc diagram` as a user runs it, in-process."""
    return main(*command_args("diagram", spec, output, {"style": style, "direction": direction, "depth": depth,
                                                        "label": label, "input": input_shape}))


BRANCHY = """
name: branchy
input: [8, 8, 3]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1, name: stem}
  - conv: {filters: 4, kernel: 1, name: a}
  - conv: {filters: 4, kernel: 1, name: b, from: stem}
  - relu: {name: b_relu}
  - concat: {from: [a, b_relu], name: cat}
  - add: {from: [cat, cat], name: twice}
"""


def analysis_of(name: str) -> Analysis:
    """The analysis of a bundled network (once per process: each is drawn in several layouts)."""
    return bundled_analysis(name)


OVERLAP_TOLERANCE = 0.01  # px two rectangles may share along each axis and still count as apart
CROSS_TOLERANCE = 0.5  # px an edge may run inside a box's outline


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """True if two (x, y, w, h) rectangles share a positive area."""
    tol = OVERLAP_TOLERANCE
    return a[0] < b[0] + b[2] - tol and b[0] < a[0] + a[2] - tol and a[1] < b[1] + b[3] - tol \
        and b[1] < a[1] + a[3] - tol


def on_border(point: tuple[float, float], r: tuple[float, float, float, float]) -> bool:
    """True if the point lies on the rectangle's outline."""
    x, y = point
    inside = r[0] - 0.05 <= x <= r[0] + r[2] + 0.05 and r[1] - 0.05 <= y <= r[1] + r[3] + 0.05
    edge = min(abs(x - r[0]), abs(x - r[0] - r[2]), abs(y - r[1]), abs(y - r[1] - r[3])) < 0.05
    return inside and edge


def crosses(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float, float, float]) -> bool:
    """True if the axis-aligned segment p–q passes through the interior of rectangle r."""
    x0, x1, y0, y1 = min(p[0], q[0]), max(p[0], q[0]), min(p[1], q[1]), max(p[1], q[1])
    tol = CROSS_TOLERANCE
    return x0 < r[0] + r[2] - tol and x1 > r[0] + tol and y0 < r[1] + r[3] - tol and y1 > r[1] + tol


class Sweep:
    """Rectangles sorted by left edge and by top edge, so a check visits only the rectangles near a segment or a text.

    A rectangle can reach into the box (x0, y0)-(x1, y1) by more than `inset` only if its left edge lies in
    [x0 - widest + inset, x1 - inset] and its top edge in [y0 - tallest + inset, y1 - inset]; bisecting the two
    sorted lists gives two windows, each a superset of those rectangles, and the smaller one is visited (a column
    of boxes shares one x window, a row of them one y window, but a box's own rank or slot is small along the
    other axis). A check passes half its tolerance as `inset`: the other half is far more than rounding, and the
    boxes an edge leaves and enters, or those merely touching a box, drop out of its windows.
    """

    def __init__(self, rects: dict[Any, tuple[float, float, float, float]]) -> None:
        self.by_x = sorted(rects, key=lambda key: rects[key][0])
        self.by_y = sorted(rects, key=lambda key: rects[key][1])
        self.xs = [rects[key][0] for key in self.by_x]
        self.ys = [rects[key][1] for key in self.by_y]
        self.widest = max((r[2] for r in rects.values()), default=0.0)
        self.tallest = max((r[3] for r in rects.values()), default=0.0)

    def near(self, x0: float, y0: float, x1: float, y1: float, inset: float) -> list[Any]:
        """The keys of rectangles in the smaller window around the box (x0, y0)-(x1, y1): a superset of those
        reaching more than `inset` into it."""
        a = bisect.bisect_left(self.xs, x0 - self.widest + inset)
        b = bisect.bisect_right(self.xs, x1 - inset)
        c = bisect.bisect_left(self.ys, y0 - self.tallest + inset)
        d = bisect.bisect_right(self.ys, y1 - inset)
        return self.by_x[a:b] if b - a <= d - c else self.by_y[c:d]


def check_layout(drawn: Layout) -> None:
    """What a person would check: boxes inside, apart, text inside, edges joining boxes around others."""
    rects = {b.key: (b.x, b.y, b.w, b.h) for b in drawn.boxes}
    assert len(rects) == len(drawn.boxes)
    names = {b.key: b.name for b in drawn.boxes}
    sweep = Sweep(rects)
    for box in drawn.boxes:
        assert 0 <= box.x and box.x + box.w <= drawn.width and 0 <= box.y and box.y + box.h <= drawn.height
        for t in box.lines:
            left, width = t.left, t.width  # each an estimate measured character by character: read once
            assert box.x + 2 <= left and left + width <= box.x + box.w - 2, (box.name, t.text)
            assert box.y + t.size <= t.y <= box.y + box.h, (box.name, t.text)
        # Only nearby boxes can overlap (a column of boxes would make every pair a candidate).
        for key in sweep.near(box.x, box.y, box.x + box.w, box.y + box.h, OVERLAP_TOLERANCE / 2):
            assert key == box.key or not overlap(rects[box.key], rects[key]), (box.name, names[key])
    for edge in drawn.edges:
        assert on_border(edge.points[0], rects[edge.source]) and on_border(edge.points[-1], rects[edge.target])
        for p, q in zip(edge.points, edge.points[1:]):
            assert p[0] == q[0] or p[1] == q[1], "edges run horizontally or vertically"
            for key in sweep.near(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]),
                                  CROSS_TOLERANCE / 2):
                assert not crosses(p, q, rects[key]), (edge.source, edge.target, key)
    texts = drawn.labels + drawn.title + [item.label for item in drawn.legend]
    spans = [(t.left, t.y - t.size, t.width, t.size) for t in texts]  # a text's width is measured once
    for t, r in zip(texts, spans):
        assert 0 <= r[0] and r[0] + r[2] <= drawn.width and t.y <= drawn.height
        for key in sweep.near(r[0], r[1], r[0] + r[2], r[1] + r[3], OVERLAP_TOLERANCE / 2):
            assert not overlap(r, rects[key]), t.text
    label_spans = dict(enumerate(spans[:len(drawn.labels)]))
    label_sweep = Sweep(label_spans)
    for i in sorted(label_spans, key=lambda i: label_spans[i][0]):  # the leftmost of two overlapping is named
        for j in label_sweep.near(label_spans[i][0], label_spans[i][1], label_spans[i][0] + label_spans[i][2],
                                  label_spans[i][1] + label_spans[i][3], OVERLAP_TOLERANCE / 2):
            assert j == i or not overlap(label_spans[i], label_spans[j]), drawn.labels[i].text


def _three_boxes(obstacle: tuple[float, float, float, float], label: tuple[float, float] | None) -> Layout:
    """Box 0 above box 1, joined by a vertical edge at x = 900; box 2 (`obstacle`) and an optional label."""
    boxes = [Box(0, "a", 850, 0, 100, 30, "conv", "a"), Box(1, "b", 850, 1000, 100, 30, "conv", "b"),
             Box(2, "c", *obstacle, "conv", "c")]
    labels = [Text(*label, "7×7×64")] if label else []
    return Layout(1100, 1100, [], boxes, [Edge(0, 1, [(900, 30), (900, 1000)])], labels, [], "graph", "TB")


@pytest.mark.parametrize("obstacle, label, caught", [
    ((0, 500, 100, 30), None, None),  # beside the edge: a clean drawing
    ((0, 500, 1000, 30), None, "(0, 1, 2)"),  # wide box whose far end the edge crosses, 850 px from its corner
    ((880, 640, 40, 20), None, "(0, 1, 2)"),  # small box on the edge, inside one cell
    ((0, 500, 100, 30), (30, 520), "7×7×64"),  # a label over the box
    ((0, 500, 100, 30), (300, 520), None),  # a label away from it
    ((0, 500, 100, 30), (300, 520.5), "7×7×64"),  # two labels over each other (the second one added below)
    ((860, 10, 100, 30), None, "('a', 'c')"),  # a box over another
    ((850, 1030, 100, 30), None, None),  # a box just below another: touching is not overlapping
])
def test_check_layout_sees_what_a_person_sees(obstacle: tuple[float, float, float, float],
                                             label: tuple[float, float] | None, caught: str | None) -> None:
    """The geometry check visits only nearby rectangles: it still catches a crossing or overlap anywhere."""
    drawn = _three_boxes(obstacle, label)
    if label and label[1] % 1:
        drawn.labels.insert(0, Text(label[0] + 20, label[1], "7×7×32"))
    if caught is None:
        check_layout(drawn)
    else:
        with pytest.raises(AssertionError, match=re.escape(caught)):
            check_layout(drawn)


@pytest.mark.parametrize("step", [1.0, 0.5, 0.01])
def test_sweep_visits_every_rectangle_the_checks_flag(step: float) -> None:
    """Sweep.near against brute force: every rectangle crosses() or overlap() flags is among those visited, on
    seeded scenes snapped to `step` whose segments and rectangles start within a pixel of a rectangle's edge (so
    that they touch, nearly touch and overlap by about a tolerance); half the scenes have boxes of one size."""
    rng = random.Random(step)

    def at(low: float, high: float) -> float:
        return round(rng.uniform(low, high) / step) * step

    flagged = 0
    for scene in range(60):
        size = (at(20, 80), at(10, 40)) if scene % 2 else None
        rects = {k: (at(0, 300), at(0, 300), *(size or (at(0, 80), at(0, 80)))) for k in range(30)}
        sweep = Sweep(rects)

        def near_an_edge() -> tuple[float, float]:
            r = rects[rng.randrange(len(rects))]
            return rng.choice([r[0], r[0] + r[2]]) + at(-1, 1), rng.choice([r[1], r[1] + r[3]]) + at(-1, 1)

        for _ in range(10):
            p, corner = near_an_edge(), near_an_edge()
            q = (p[0], corner[1]) if rng.random() < 0.5 else (corner[0], p[1])
            visited = set(sweep.near(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]),
                                     CROSS_TOLERANCE / 2))
            crossed = {k for k, r in rects.items() if crosses(p, q, r)}
            assert crossed <= visited, (p, q)
            w, h = at(0, 90), at(0, 90)
            a = (p[0], p[1], w, h) if rng.random() < 0.5 else (p[0] - w, p[1] - h, w, h)
            visited = set(sweep.near(a[0], a[1], a[0] + a[2], a[1] + a[3], OVERLAP_TOLERANCE / 2))
            overlapped = {k for k, r in rects.items() if overlap(a, r)}
            assert overlapped <= visited, a
            flagged += len(crossed) + len(overlapped)
    assert flagged > 1000  # the scenes are dense enough for the comparison to mean something


CASES = [(name, depth, style, direction) for name in bundled.names() for depth in (0, 1)
         for style, direction in (("graph", "TB"), ("blocks", "TB"))]
CASES += [(name, depth, "graph", "LR") for name in bundled.names() for depth in (1, None)]
CASES += [(name, None, "graph", "TB") for name in bundled.names()] + [("resnet50", 2, "graph", "TB")]


@pytest.mark.parametrize(("name", "depth", "style", "direction"), CASES)
def test_layout_geometry(name: str, depth: int | None, style: str, direction: str) -> None:
    analysis = analysis_of(name)
    drawn = layout(analysis, Options(style, direction, depth, ("params", "macs")))
    check_layout(drawn)
    if style == "graph":
        assert len(drawn.boxes) == len(fold(analysis, depth)) + 1  # one per layer or block, plus the input
        wanted = sum(len(n.inputs) for n in nodes(analysis, depth))
        assert len(drawn.edges) == wanted


@pytest.mark.parametrize("name", ["resnet152", "densenet121"])
def test_big_networks_stay_legible_at_depth_1(name: str) -> None:
    drawn = layout(analysis_of(name), Options(depth=1))
    assert all(t.size >= 11 for b in drawn.boxes for t in b.lines)
    assert drawn.width <= 1200  # one column at full size: read by scrolling, not zooming


def test_branches_side_by_side_and_merges_visible() -> None:
    drawn = layout(run(BRANCHY), Options(depth=None))
    by_name = {b.name: b for b in drawn.boxes}
    assert by_name["a"].y == by_name["b"].y and by_name["a"].x != by_name["b"].x  # a branch beside the other
    assert by_name["b_relu"].y > by_name["b"].y
    into_cat = [e for e in drawn.edges if e.target == by_name["cat"].key]
    assert {e.source for e in into_cat} == {by_name["a"].key, by_name["b_relu"].key}
    ends = {e.points[-1] for e in into_cat}
    assert len(ends) == 2  # two arrows, at two places on the merge's border


def test_skip_connection_is_routed_around_the_main_path() -> None:
    drawn = layout(analysis_of("resnet18"), Options(depth=None))
    skips = [e for e in drawn.edges if e.skip]
    adds = [b.key for b in drawn.boxes if b.name.endswith(".add")]
    assert adds and all(any(e.target == a for e in drawn.edges if e.skip or len(e.points) > 2) for a in adds)
    assert skips


def test_nodes_of_a_folded_group_read_from_outside_it() -> None:
    graph = nodes(analysis_of("resnet18"), 1)
    names = [n.name for n in graph]
    block = graph[names.index("layer1.blocks")]
    assert [graph[s].name for s in block.inputs] == ["layer1.0"]
    assert block.folded and not graph[names.index("conv1")].folded


@pytest.mark.parametrize(("shape", "expected"), [
    ((224, 224, 3), (14 + 16 * math.log2(224), 4 + 4 * math.log2(224), 6 + 5 * math.log2(3))),
    ((7, 7, 512), (14 + 16 * math.log2(7), 4 + 4 * math.log2(7), 51.0)),
    ((4096,), (14 + 8 * 12, 4.0, 10.0)),
    ((1, 1, 1), (14.0, 4.0, 10.0)),
    ((1, 1, 2048), (14 + 8 * 11, 4.0, 10.0)),
    ((2, 1, 1), (30.0, 4.0, 6.0)),
])
def test_slab_size_is_logarithmic(shape: tuple[int, ...], expected: tuple[float, float, float]) -> None:
    assert slab_size(shape) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "size", "width"), [
    ("conv1", 10.0, 31), ("", 12.0, 0), ("层", 12.0, 12), ("e\u0301", 10.0, 7),
    ("conv · 56×56×64", 11.0, 103), ("层 · 3×3", 12.0, 57),  # 15 × 6.82 = 102.3; 12 + 6 × 7.44 = 56.64
])
def test_text_width_is_conservative(text: str, size: float, width: float) -> None:
    assert text_width(text, size) == width


@pytest.mark.parametrize("size", [FONT_SIZE, SMALL_SIZE, 16.0, 9.5])
def test_text_width_of_cnncalcs_own_marks_is_the_per_character_sum(size: float) -> None:
    """The shortcut for the non-ASCII marks cnncalc writes (× · … – →): each is narrow, and a text of them and
    ASCII measures what its characters sum to one by one, as does a text with a wide or combining character."""
    assert {char_width(ch, size) for ch in NARROW_MARKS} == {CHAR_WIDTH * size}
    for text in ["conv · 56×56×64", "…layer4.2.conv3", "vgg16: 224×224×3 → 1000", "5–11", "层 · 3×3", "é×2",
                 "·" * 97 + "×" * 31]:
        assert text_width(text, size) == math.ceil(sum(char_width(ch, size) for ch in text)), text


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("short", 10, "short"), ("inception3a.branch2a.conv", 12, "…anch2a.conv"), ("a\nb", 10, "a b"),
    ("abcdefghij", 10, "abcdefghij"), ("abcdefghijk", 10, "…cdefghijk"),
])
def test_shorten_keeps_the_end(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


def test_names_are_escaped() -> None:
    spec = BRANCHY.replace("name: a}", "name: '<script>alert(1)</script>&'}").replace("[a, b_relu]",
                                                                                         "['<script>alert(1)</script>&', b_relu]")
    svg = render(layout(run(spec), Options(depth=None)))
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in svg
    import xml.dom.minidom

    xml.dom.minidom.parseString(svg)  # well-formed


@pytest.mark.parametrize("style", ["graph", "blocks"])
def test_same_file_same_bytes(style: str, tmp_path) -> None:
    outputs = []
    for i in range(2):  # two processes: no hash seed, dict order or float repr may leak in
        out = tmp_path / f"{i}.svg"
        subprocess.run([sys.executable, "-m", "cnncalc", "diagram", "googlenet", "-o", str(out), "--style", style,
                        "--label", "all"],
                       check=True, env={"PYTHONHASHSEED": str(i + 1), "PATH": ""})
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_svg_has_no_script_and_no_external_reference() -> None:
    svg = render(layout(analysis_of("googlenet"), Options(depth=0)))
    assert "<script" not in svg and "href" not in svg and "@import" not in svg and "url(http" not in svg


@pytest.mark.parametrize(("args", "code", "message"), [
    (("vgg16", None, "graph", "TB", "0", "none", None), 0, ""),
    (("no_such_net", None, "graph", "TB", "0", "none", None), 1, "[file-not-found]"),
    (("vgg16", None, "cubes", "TB", "0", "none", None), 2, "--style"),
    (("vgg16", None, "graph", "up", "0", "none", None), 2, "--direction"),
    (("vgg16", None, "graph", "TB", "-1", "none", None), 2, "--depth"),
    (("vgg16", None, "graph", "TB", "0", "flops", None), 2, "--label"),
    (("vgg16", None, "graph", "TB", "0", "none", "ax2"), 2, "--input"),
    (("alexnet", None, "graph", "TB", "0", "none", "32x32x3"), 1, "alexnet.yaml"),
])
def test_run_diagram_exit_codes(args: tuple, code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diagram(*args) == code
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    if code == 0:
        assert captured.out.startswith("<svg") and captured.out.endswith("</svg>\n")


@pytest.mark.browser
def test_png_output(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.png"
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        import shutil

        if not shutil.which("chromium"):
            pytest.skip("neither cairosvg (the png extra) nor chromium is installed")
    assert run_diagram("lenet5", str(out), "graph", "TB", "0", "none", None) == 0
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from cnncalc.draw.command import options

    drawn = layout(bundled_analysis("lenet5"), options("graph", "TB", 0, "none"))
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (int(drawn.width), int(drawn.height))
    # Without either converter the message says what to install.
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    monkeypatch.setenv("PATH", "")
    assert run_diagram("lenet5", str(tmp_path / "x.png"), "graph", "TB", "0", "none", None) == 1
    assert "cnncalc[png]" in capsys.readouterr().err


CONTROLS = "".join(chr(c) for c in (*range(1, 0x20), 0x7F, 0x85, 0x9F)) + "\ufffe"


def test_every_control_character_in_a_name_keeps_svg_and_html_well_formed() -> None:
    """An ESC in a name was copied raw into the SVG: not XML, and chromium showed a parse-error page."""
    import xml.etree.ElementTree as ElementTree

    from cnncalc.core.analysis import analyze
    from cnncalc.draw.layout import layout
    from cnncalc.core.memory import estimate
    from cnncalc.draw.report import html
    from cnncalc.core.spec import loads
    from cnncalc.draw.svg import render

    name = '"<n&' + CONTROLS.replace("\n", "").replace("\r", "") + '>"'
    text = ("name: " + json.dumps(name) + "\ninput: [8, 8, 3]\nlayers:\n"
            "  - conv: {filters: 4, kernel: 3, name: " + json.dumps("c" + CONTROLS.replace("\n", "")) + "}\n")
    analysis = analyze(loads(text, "controls.yaml"))
    svg = render(layout(analysis, Options()))
    ElementTree.fromstring(svg)  # raises on a character XML does not allow
    page = html(analysis, estimate(analysis), Options())
    for document in (svg, page):
        assert not [c for c in CONTROLS if c in document and c not in "\t\n\r"]
    assert "\\x1b" in svg and "&lt;n&amp;" in svg
