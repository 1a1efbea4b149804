"""Diagram layouts of an analysed network: boxes, routed edges, legend and title, as plain data.

Nothing here draws: `cnncalc.draw.svg` turns a `Layout` into SVG. Two styles:
- graph: one box per layer or folded block, ranked by the longest path from the input (side chains
  such as U-Net's crops or ResNet's projections as late as their consumer allows), placed in lanes so
  that branches sit side by side; an edge either runs straight down a lane that has no box in the
  way, or leaves through the gap under its source, runs in a gutter between lanes (boxes never sit
  there) and enters through the gap above its target, so no edge crosses a box.
- blocks: the textbook picture of VGG and AlexNet, one 3-D slab per layer of the main path, with
  size on a log scale.
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from dataclasses import dataclass, field

from cnncalc.core.analysis import Analysis
from cnncalc.core import quantities
from cnncalc.core.kinds import KINDS, Shape
from cnncalc.shape.render import fold

# Remembered: a network repeats a few shapes and figures in many boxes (each label and tooltip shows them).
fmt_shape = functools.lru_cache(maxsize=1024)(quantities.fmt_shape)
human = functools.lru_cache(maxsize=1024, typed=True)(quantities.human)

FONT_SIZE = 12.0
SMALL_SIZE = 11.0
LINE_HEIGHT = 15.0
CHAR_WIDTH = 0.62  # of the font size: monospace fonts advance 0.60 em; the margin keeps estimates conservative
MAX_CHARS = 32  # longer labels are shortened with "…" (the full text is in the tooltip)
PAD = 8.0

CATEGORY_OF: dict[str, str] = {name: kind.category for name, kind in KINDS.items()}  # each kind names its own
# fill, stroke: light fills keep dark text readable; strokes distinguish categories in greyscale print too
COLOURS: dict[str, tuple[str, str]] = {
    "input": ("#ffffff", "#37474f"),
    "convolution": ("#dbe9f8", "#2f6aa8"),
    "normalization": ("#fdf3c7", "#a07c00"),
    "activation": ("#def3df", "#3a873a"),
    "pooling": ("#fde3cc", "#bd5f08"),
    "dense": ("#ece1f6", "#7447a0"),
    "merge": ("#f9dada", "#b23a3a"),
    "reshape / other": ("#eceff1", "#5f6d76"),
    "block": ("#d5efec", "#23776f"),
}
LABELS = ("params", "macs")
STYLES = ("graph", "blocks")
DIRECTIONS = ("TB", "LR")


@dataclass(frozen=True)
class Options:
    """What to draw: style, direction, fold depth (None: every leaf) and extra label lines."""

    style: str = "graph"
    direction: str = "TB"
    depth: int | None = 1
    labels: tuple[str, ...] = ()


@dataclass
class Text:
    """One line of text: baseline position, anchor (start or middle) and estimated width."""

    x: float
    y: float
    text: str
    size: float = FONT_SIZE
    bold: bool = False
    anchor: str = "start"

    @property
    def width(self) -> float:
        """Estimated (generous) rendered width."""
        return text_width(self.text, self.size)

    @property
    def left(self) -> float:
        """Estimated left edge."""
        return self.x - self.width / 2 if self.anchor == "middle" else self.x


@dataclass
class Box:
    """A layer or folded block: bounding box, text lines, category and tooltip.

    `depth` is the oblique offset of a 3-D slab (blocks style): the front face is then
    (x, y + dy, w − dx, h − dy) and the top and side faces fill the rest of the bounding box.
    """

    key: int
    name: str
    x: float
    y: float
    w: float
    h: float
    category: str
    tooltip: str
    lines: list[Text] = field(default_factory=list)
    folded: bool = False
    depth: tuple[float, float] = (0.0, 0.0)


@dataclass
class Edge:
    """A polyline from the source box's border to the target box's border; `skip` when routed around boxes."""

    source: int
    target: int
    points: list[tuple[float, float]]
    skip: bool = False


@dataclass
class LegendItem:
    """A colour swatch and its category name."""

    x: float
    y: float
    size: float
    category: str
    label: Text


@dataclass
class Layout:
    """Everything to draw, in pixels: canvas size, title lines, boxes, edges, free labels and legend."""

    width: float
    height: float
    title: list[Text]
    boxes: list[Box]
    edges: list[Edge]
    labels: list[Text]
    legend: list[LegendItem]
    style: str
    direction: str


def char_width(ch: str, size: float) -> float:
    """Advance of one character: 0 for combining marks, 1 em for wide (CJK) characters, else CHAR_WIDTH em."""
    if unicodedata.combining(ch):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return size
    return CHAR_WIDTH * size


# The non-ASCII characters of the text cnncalc writes itself (shapes, separators, shortened names, ranges,
# the title's arrow): each advances CHAR_WIDTH em, like every ASCII character.
NARROW_MARKS = "×·…–→"
_WITHOUT_NARROW_MARKS = str.maketrans("", "", NARROW_MARKS)


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> float:
    """Estimated width of a line of monospace text, rounded up."""
    # Remembered: a layout asks for the width of each label several times (left edge, overlap, canvas).
    if text.isascii() or text.translate(_WITHOUT_NARROW_MARKS).isascii():  # every character advances CHAR_WIDTH em
        # Summed, not multiplied: n × 0.62 × size can round to the other side of an integer than the sum does.
        return math.ceil(sum(itertools.repeat(CHAR_WIDTH * size, len(text))))
    return math.ceil(sum(char_width(ch, size) for ch in text))


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """`text` cut to `limit` characters, keeping its end (where layer names differ) after an ellipsis."""
    text = " ".join(text.split())  # newlines and tabs in a name must not break a line
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def category(kind: str, folded: bool) -> str:
    """The colour category of a layer kind, or `block` for a folded group."""
    if folded:
        return "block"
    return CATEGORY_OF.get(kind, "reshape / other")


# --- the graph ------------------------------------------------------------------------------

@dataclass
class Node:
    """A drawn unit: the input, a leaf layer or a folded group, with the nodes it reads."""

    key: int
    name: str
    kind: str
    output: Shape
    params: int
    macs: int
    folded: bool
    index: str
    elements: int = 0  # output values summed over the members: what this node keeps for the backward pass
    inputs: list[int] = field(default_factory=list)


def nodes(analysis: Analysis, depth: int | None) -> list[Node]:
    """The input node and one node per row of `fold(analysis, depth)`, with the nodes each one reads."""
    result = [Node(0, "input", "input", analysis.input, 0, 0, False, "", math.prod(analysis.input))]
    owner: dict[str, int] = {"input": 0}
    rows = analysis.rows
    position = 0
    for key, row in enumerate(fold(analysis, depth), start=1):
        index = row.index  # a leaf row's index is a number, a folded group's a text: one ("5") or a range ("5–11")
        count = 1 if isinstance(index, int) else _span(index)
        members = rows[position:position + count]
        position += count
        for member in members:
            owner[member.name] = key
        node = Node(key, row.name, row.kind, row.output, row.params, row.macs,
                    count > 1 or members[0].name != row.name, str(index),
                    members[0].elements if count == 1 else sum(m.elements for m in members))
        inputs = node.inputs
        for member in members:
            for source in member.inputs:
                src = owner.get(source)
                if src is not None and src != key and src not in inputs:
                    inputs.append(src)
        result.append(node)
    return result


def _span(index: str) -> int:
    """How many leaf rows a display row's index covers ("5" or "5–11")."""
    first, _, last = index.partition("–")
    return int(last) - int(first) + 1 if last else 1


@dataclass
class _Graph:
    """Nodes with ranks, lanes and consumers."""

    nodes: list[Node]
    consumers: list[list[int]]
    rank: list[int]
    lane: list[int]


def rank_nodes(graph: list[Node]) -> tuple[list[int], list[list[int]]]:
    """Ranks: longest path from the input; side chains as late as their consumers allow."""
    consumers: list[list[int]] = [[] for _ in graph]
    for node in graph:
        for src in node.inputs:
            consumers[src].append(node.key)
    asap = [0] * len(graph)
    primary = [-1] * len(graph)
    for node in graph[1:]:
        if node.inputs:  # max() keeps the first of equal maxima: on a tie, the input listed first
            p = primary[node.key] = max(node.inputs, key=asap.__getitem__)
            asap[node.key] = asap[p] + 1
    continuation: dict[int, int] = {}
    for node in graph[1:]:
        continuation.setdefault(primary[node.key], node.key)
    side = [False] * len(graph)
    for node in graph[1:]:
        p = primary[node.key]
        side[node.key] = p >= 0 and (continuation[p] != node.key or (side[p] and len(node.inputs) == 1))
    rank = list(asap)
    for node in reversed(graph):
        if side[node.key] and consumers[node.key]:
            rank[node.key] = min(rank[c] for c in consumers[node.key]) - 1
    return rank, consumers


def assign_lanes(graph: list[Node], rank: list[int], consumers: list[list[int]]) -> list[int]:
    """Lane of each node: a merge takes its leftmost free input lane, a layer its input's, else the first free."""
    lane = [0] * len(graph)
    taken: dict[tuple[int, int], int] = {}  # (lane, rank) -> node whose box or outgoing wire is there
    for key in sorted(range(len(graph)), key=rank.__getitem__):  # stable: by rank, then key
        inputs = graph[key].inputs
        r = rank[key]
        # A lane is free at rank r if nothing is there or only an input's wire, which ends in this box.
        for chosen in sorted({lane[s] for s in inputs}):
            if (holder := taken.get((chosen, r))) is None or holder in inputs:
                break
        else:  # no input's lane is free: the first free one
            chosen = 0
            while (holder := taken.get((chosen, r))) is not None and holder not in inputs:
                chosen += 1
        lane[key] = chosen
        taken[(chosen, r)] = key
        below = [rank[c] for c in consumers[key]]
        if below and min(below) > r + 1:  # keep the lane clear below for the wire to the far consumer
            for k in range(r + 1, max(below)):
                taken.setdefault((chosen, k), key)
    return lane


def build_graph(analysis: Analysis, depth: int | None) -> _Graph:
    """Nodes of the folded network with their ranks and lanes."""
    graph = nodes(analysis, depth)
    rank, consumers = rank_nodes(graph)
    lane = assign_lanes(graph, rank, consumers)
    return _Graph(graph, consumers, rank, lane)


# --- graph style geometry -------------------------------------------------------------------

MARGIN = 16.0
GAP = 40.0  # between ranks: room for edges to turn
GUTTER = 28.0  # between lanes, where routed edges run
TRACK = 10.0  # between parallel routed edges in one gutter


def label_lines(node: Node, labels: tuple[str, ...]) -> list[tuple[str, float, bool]]:
    """A box's text lines (text, size, bold): name, kind and output shape, then the chosen figures."""
    lines = [(shorten(node.name), FONT_SIZE, True), (shorten(f"{node.kind} · {fmt_shape(node.output)}"),
                                                      SMALL_SIZE, False)]
    figures = []
    if "params" in labels and node.key:
        figures.append(f"{human(node.params)} params")
    if "macs" in labels and node.key:
        figures.append(f"{human(node.macs)} MACs")
    if figures:
        lines.append((" · ".join(figures), SMALL_SIZE, False))
    return lines


def tooltip(node: Node) -> str:
    """The full description of a node, shown on hover."""
    if node.key == 0:
        return f"input: {fmt_shape(node.output)}"
    what = "block" if node.folded else "layer"
    return (f"{node.name} ({node.kind}, {what} {node.index}): output {fmt_shape(node.output)}, "
            f"{node.params:,} parameters, {node.macs:,} MACs")


@dataclass
class _Route:
    """An edge being routed, in rank/lane (main/cross) coordinates."""

    source: int
    target: int
    approach: float = 0.0  # cross coordinate of the vertical run that reaches the target's gap
    gutter: int = -1  # for a detour: the gutter it runs in
    track: int = 0
    entry: float = 0.0
    level: float = -1.0  # main coordinate of the horizontal run above the target; -1: none


def _classify(g: _Graph) -> list[_Route]:
    """Every edge, with the gutter of those that cannot run straight down their source's lane."""
    lane, rank = g.lane, g.rank
    occupied = {(lane[n.key], rank[n.key]) for n in g.nodes}
    routes = []
    for node in g.nodes:
        lv, rv = lane[node.key], rank[node.key]
        for src in node.inputs:
            route = _Route(src, node.key)
            lu, ru = lane[src], rank[src]
            if rv > ru + 1 and any((lu, k) in occupied for k in range(ru + 1, rv)):
                route.gutter = lv - 1 if lv > lu else lv if lv < lu else lu
            routes.append(route)
    detours = sorted((r for r in routes if r.gutter >= 0),
                     key=lambda r: (g.rank[r.target] - g.rank[r.source], g.rank[r.source], r.source, r.target))
    placed: dict[int, list[tuple[int, int, int]]] = {}  # gutter -> (source rank, target rank, track) of its runs
    for route in detours:
        ru, rv = g.rank[route.source], g.rank[route.target]
        runs = placed.setdefault(route.gutter, [])
        busy = {track for start, end, track in runs if start < rv and ru < end}
        route.track = next(t for t in range(len(detours) + 1) if t not in busy)
        runs.append((ru, rv, route.track))
    return routes


@dataclass
class _Grid:
    """Where ranks and lanes start, in (main, cross) coordinates, and the sizes that space them."""

    g: _Graph
    lane_start: list[float]
    rank_start: list[float]
    tracks: list[float]  # where each gutter's first track runs
    main: float  # a box's extent along the main axis
    cross: float  # and across it
    gap: float  # between ranks

    @functools.cached_property
    def centre(self) -> list[float]:
        """The middle of each lane (computed once: every edge reads it)."""
        return [s + self.cross / 2 for s in self.lane_start]


def _entries(grid: _Grid, routes: list[_Route]) -> None:
    """Where each edge enters its target (spread along the near side) and the level of its horizontal run."""
    g, lane_start, cross, rank_start, gap = grid.g, grid.lane_start, grid.cross, grid.rank_start, grid.gap
    incoming: dict[int, list[_Route]] = {}
    for route in routes:
        incoming.setdefault(route.target, []).append(route)
    inset = min(PAD, cross / 8)
    for target, group in incoming.items():
        low, high = lane_start[g.lane[target]] + inset, lane_start[g.lane[target]] + cross - inset
        group.sort(key=lambda r: (r.approach, r.source))
        sep = min(2.2 * TRACK, (high - low) / max(1, len(group)))
        pos = [min(max(r.approach, low), high) for r in group]
        for i in range(1, len(pos)):
            pos[i] = max(pos[i], pos[i - 1] + sep)
        for i in range(len(pos) - 1, -1, -1):
            pos[i] = min(pos[i], high if i == len(pos) - 1 else pos[i + 1] - sep)
        for route, p in zip(group, pos):
            route.entry = p
        bent = [r for r in group if abs(r.entry - r.approach) > 0.01]
        # Runs going right: the farther left the lower; runs going left: the farther right the lower.
        rightward = sorted((r for r in bent if r.approach < r.entry), key=lambda r: -r.approach)
        leftward = sorted((r for r in bent if r.approach > r.entry), key=lambda r: r.approach)
        order = rightward + leftward
        top = rank_start[g.rank[target]] - gap
        for i, route in enumerate(order):
            route.level = top + gap * (0.45 + 0.4 * (i / (len(order) - 1) if len(order) > 1 else 0.5))


def _points(grid: _Grid, route: _Route) -> list[tuple[float, float]]:
    """The polyline of an edge in (main, cross) coordinates."""
    g, centre, rank_start, main, gap, tracks = grid.g, grid.centre, grid.rank_start, grid.main, grid.gap, grid.tracks
    start = (rank_start[g.rank[route.source]] + main, centre[g.lane[route.source]])
    end = rank_start[g.rank[route.target]]
    pts = [start]
    if route.gutter >= 0:
        out = start[0] + gap * 0.22
        track = tracks[route.gutter] + TRACK * route.track
        pts += [(out, start[1]), (out, track)]
        approach = track
    else:
        approach = start[1]
    if route.level >= 0:
        pts += [(route.level, approach), (route.level, route.entry)]
    pts.append((end, route.entry))
    return pts


def graph_layout(analysis: Analysis, options: Options) -> Layout:
    """The graph-style layout: boxes in ranks and lanes, edges routed around boxes, title and legend."""
    g = build_graph(analysis, options.depth)
    texts = [label_lines(n, options.labels) for n in g.nodes]
    box_w = max(text_width(t, s) for lines in texts for t, s, _ in lines) + 2 * PAD
    box_w = max(box_w, 120.0)
    box_h = PAD + LINE_HEIGHT * max(len(lines) for lines in texts) + 2
    tb = options.direction == "TB"
    main, cross = (box_h, box_w) if tb else (box_w, box_h)
    gap, gutter = (GAP, GUTTER) if tb else (GAP + 8, GUTTER - 8)
    routes = _classify(g)
    lanes = max(g.lane) + 1
    gutters = max([lanes] + [r.gutter + 1 for r in routes])
    counts = [0] * gutters
    for r in routes:
        if r.gutter >= 0:
            counts[r.gutter] = max(counts[r.gutter], r.track + 1)
    lane_start = [0.0]
    for k in range(gutters):
        lane_start.append(lane_start[-1] + cross + max(gutter, 2 * 12 + TRACK * (counts[k] - 1)))
    tracks = [lane_start[k] + cross + 12 for k in range(gutters)]
    ranks = max(g.rank) + 1
    rank_start = [r * (main + gap) for r in range(ranks)]
    grid = _Grid(g, lane_start, rank_start, tracks, main, cross, gap)
    centre = grid.centre
    for r in routes:
        r.approach = tracks[r.gutter] + TRACK * r.track if r.gutter >= 0 else centre[g.lane[r.source]]
    _entries(grid, routes)
    extent_cross = max(lane_start[lanes - 1] + cross, max((tracks[k] + TRACK * (counts[k] - 1)
                                                           for k in range(gutters) if counts[k]), default=0))
    extent_main = rank_start[-1] + main
    title = title_lines(analysis, options)
    header_w = max(t.width for t in title)
    width = max(extent_cross if tb else extent_main, header_w) + 2 * MARGIN
    legend, legend_h = legend_items(sorted({category(n.kind, n.folded) if n.key else "input" for n in g.nodes},
                                           key=list(COLOURS).index), MARGIN, 58.0, width - 2 * MARGIN)
    top = 58.0 + legend_h + 12

    def xy(m: float, c: float) -> tuple[float, float]:
        return (MARGIN + c, top + m) if tb else (MARGIN + m, top + c)

    boxes = []
    for node, lines in zip(g.nodes, texts):
        x, y = xy(rank_start[g.rank[node.key]], lane_start[g.lane[node.key]])
        box = Box(node.key, node.name, x, y, box_w, box_h, category(node.kind, node.folded) if node.key else "input",
                  tooltip(node), folded=node.folded)
        box.lines = _centred(lines, x + box_w / 2, y + PAD / 2 + 2)
        boxes.append(box)
    edges = [Edge(r.source, r.target, [xy(m, c) for m, c in _points(grid, r)],
                  r.gutter >= 0) for r in routes]
    height = max(xy(extent_main, extent_cross)[1], top) + MARGIN
    width = max(width, xy(extent_main, extent_cross)[0] + MARGIN)
    return Layout(_round(width), _round(height), title, boxes, edges, [], legend, "graph", options.direction)


def _centred(lines: list[tuple[str, float, bool]], cx: float, top: float) -> list[Text]:
    """Text lines centred on cx, one LINE_HEIGHT apart, the first baseline a line below `top`."""
    return [Text(cx, top + LINE_HEIGHT * (i + 1) - 3, text, size, bold, "middle")
            for i, (text, size, bold) in enumerate(lines)]


def _round(value: float) -> float:
    return float(math.ceil(value))


def title_lines(analysis: Analysis, options: Options) -> list[Text]:
    """Two title lines: name with input and output, then the totals and what is folded."""
    tot = analysis.totals
    depth = fold_note(options.depth)
    first = shorten(f"{analysis.name}: {fmt_shape(analysis.input)} → {fmt_shape(analysis.output)}", 60)
    second = (f"{tot.params:,} parameters ({tot.trainable:,} trainable) · {human(tot.macs)} MACs · "
              f"{len(analysis.rows)} layers · {depth}")
    return [Text(MARGIN, MARGIN + 16, first, 16.0, True), Text(MARGIN, MARGIN + 36, second, SMALL_SIZE)]


def fold_note(depth: int | None) -> str:
    """How blocks are shown, in words."""
    if depth is None:
        return "every layer"
    if depth == 0:
        return "each block one box"
    return f"blocks opened {depth} level{'s' if depth > 1 else ''} deep"


def legend_items(categories: list[str], x0: float, y0: float, max_width: float) -> tuple[list[LegendItem], float]:
    """Swatches with category names in rows no wider than max_width; returns them and their height."""
    items = []
    x, y = x0, y0
    for cat in categories:
        w = 14 + 6 + text_width(cat, SMALL_SIZE)
        if x > x0 and x + w > x0 + max_width:
            x, y = x0, y + 20
        items.append(LegendItem(x, y, 14, cat, Text(x + 20, y + 11, cat, SMALL_SIZE)))
        x += w + 18
    return items, (y - y0 + 20) if items else 0.0


# --- blocks style ---------------------------------------------------------------------------

ELEMENTWISE = frozenset([name for name, cat in CATEGORY_OF.items() if cat in ("activation", "normalization")]
                        + ["dropout", "identity"])


@dataclass
class _Slab:
    """A slab of the blocks picture: the node it shows and the kinds folded into it."""

    node: Node
    kinds: list[str]


def main_path(g: _Graph) -> list[Node]:
    """The nodes of lane 0 in rank order: the whole network when it is sequential, else its trunk."""
    return [n for n in sorted(g.nodes, key=lambda n: (g.rank[n.key], n.key)) if g.lane[n.key] == 0]


def slab_size(shape: Shape) -> tuple[float, float, float]:
    """Front-face height, oblique depth and thickness of a slab, each on a log2 scale.

    height = 14 + 16·log2(H) for a feature map H×W×C, depth = 4 + 4·log2(W), thickness = 6 + 5·log2(C);
    a vector of N values (or a 1×1×N map) is a thin bar: height 14 + 8·log2(N), depth 4, thickness 10.
    """
    if len(shape) >= 3 and (shape[0], shape[1]) != (1, 1):
        h, w, c = shape[0], shape[1], shape[-1]
        for d in shape[2:-1]:
            c *= d
        return 14 + 16 * math.log2(max(h, 1)), 4 + 4 * math.log2(max(w, 1)), 6 + 5 * math.log2(max(c, 1))
    n = 1
    for d in shape:
        n *= d
    return 14 + 8 * math.log2(max(n, 1)), 4.0, 10.0


def blocks_layout(analysis: Analysis, options: Options) -> Layout:
    """The blocks-style layout: one 3-D slab per layer of the main path, names above, shapes below."""
    g = build_graph(analysis, options.depth)
    slabs: list[_Slab] = []
    for node in main_path(g):
        if slabs and node.kind in ELEMENTWISE and not node.folded and node.output == slabs[-1].node.output:
            slabs[-1].kinds.append(node.kind)
        else:
            slabs.append(_Slab(node, [node.kind if node.key else "input"]))
    sizes = [slab_size(s.node.output) for s in slabs]
    up = max(h / 2 + d for h, d, _ in sizes)  # extent above the centre line (the oblique top face rises)
    down = max(h / 2 for h, _, _ in sizes)
    title = title_lines(analysis, options)
    cats = sorted({category(s.node.kind, s.node.folded) if s.node.key else "input" for s in slabs},
                  key=list(COLOURS).index)
    legend, legend_h = legend_items(cats, MARGIN, 58.0, max(t.width for t in title))
    top = 58.0 + legend_h + 16
    row_h = LINE_HEIGHT * 2 + 2
    mid = top + 2 * row_h + 8 + up  # slab fronts are centred on this line
    boxes, labels = [], []
    x = MARGIN
    last_right = [MARGIN - 8.0] * 2  # right end of the last label in each alternating label row
    for i, (slab, (h, d, t)) in enumerate(zip(slabs, sizes)):
        above = [shorten(slab.node.name, 20), shorten("+".join(slab.kinds), 20)]
        below = shorten(fmt_shape(slab.node.output), 20)
        label_w = max(text_width(above[0], FONT_SIZE), text_width(above[1], SMALL_SIZE), text_width(below, SMALL_SIZE))
        row = i % 2
        centre = max(x + (t + d) / 2, last_right[row] + 10 + label_w / 2)
        left = centre - (t + d) / 2
        box = Box(slab.node.key, slab.node.name, left, mid - h / 2 - d, t + d, h + d,
                  category(slab.node.kind, slab.node.folded) if slab.node.key else "input",
                  tooltip(slab.node) + ("" if len(slab.kinds) < 2 else f" (with {', '.join(slab.kinds[1:])})"),
                  folded=slab.node.folded, depth=(d, d))
        boxes.append(box)
        name_y = top + (row_h * row) + LINE_HEIGHT
        labels += [Text(centre, name_y, above[0], FONT_SIZE, True, "middle"),
                   Text(centre, name_y + LINE_HEIGHT, above[1], SMALL_SIZE, False, "middle"),
                   Text(centre, mid + down + 8 + LINE_HEIGHT * (row + 1), below, SMALL_SIZE, False, "middle")]
        last_right[row] = centre + label_w / 2
        x = left + t + d + 10
    width = max(max(b.x + b.w for b in boxes), max(last_right), max(t.width for t in title) + MARGIN) + MARGIN
    height = mid + down + 8 + LINE_HEIGHT * 2 + 6 + MARGIN
    return Layout(_round(width), _round(height), title, boxes, [], labels, legend, "blocks", options.direction)


def layout(analysis: Analysis, options: Options) -> Layout:
    """The layout of `analysis` in the chosen style."""
    if options.style == "blocks":
        return blocks_layout(analysis, options)
    return graph_layout(analysis, options)
