"""Diagrams and reports as a person sees them: rendered by a headless chromium, measured and screenshotted.

The product has no scripts; these tests embed it in a harness page whose script measures what the
browser drew (getBBox), and read the result over the DevTools protocol. One browser, started once for the
module (tests/headless.py), loads every page: the tests that use it share one xdist group.
Skipped, saying so, where chromium is absent (CI installs it: apt-get install -y chromium).
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnncalc.catalog import bundled
from cnncalc.core.analysis import analyze
from cnncalc.draw.layout import Options, layout
from cnncalc.core.memory import estimate
from cnncalc.draw.report import html
from cnncalc.core.spec import load
from cnncalc.draw.svg import render
from headless import Headless

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(BROWSER is None, reason="chromium is not installed (apt-get install -y chromium)")]

MEASURE = """
<script>
function rectOf(el) { const b = el.getBBox(); return [b.x, b.y, b.width, b.height]; }
function measure(svg) {
  const out = {width: svg.width.baseVal.value, height: svg.height.baseVal.value, boxes: [], edges: [], labels: []};
  for (const g of svg.querySelectorAll('g.box')) {
    const rect = g.querySelector('rect');
    out.boxes.push({key: g.dataset.key, name: g.dataset.name, bbox: rectOf(g), rect: rectOf(rect),
                    title: g.querySelector('title') ? g.querySelector('title').textContent : '',
                    texts: [...g.querySelectorAll('text')].map(t => ({text: t.textContent, bbox: rectOf(t)}))});
  }
  for (const e of svg.querySelectorAll('polyline.edge')) {
    const pts = e.points;
    out.edges.push({source: e.dataset.source, target: e.dataset.target,
                    first: [pts.getItem(0).x, pts.getItem(0).y],
                    last: [pts.getItem(pts.numberOfItems - 1).x, pts.getItem(pts.numberOfItems - 1).y]});
  }
  for (const t of svg.querySelectorAll('text.label')) out.labels.push({text: t.textContent, bbox: rectOf(t)});
  return out;
}
function measureCase(root, img) {
  const result = measure(root.querySelector('svg'));
  const canvas = document.createElement('canvas');
  canvas.width = result.width; canvas.height = result.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
  result.ink = ink / (canvas.width * canvas.height);
  return result;
}
function main() {
  const cases = [...document.querySelectorAll('div.case')];
  let result;
  if (cases.length) {  // many drawings in one page: one browser start for all of them
    result = cases.map(c => measureCase(c, c.querySelector('img.picture')));
  } else {
    result = measureCase(document, document.getElementById('picture'));  // loaded before the load event
    result.scrollWidth = document.documentElement.scrollWidth;
    result.innerWidth = window.innerWidth;
  }
  return result;
}
// Images load before the load event; the test reads this promise's value (or error) once the page has loaded.
window.measured = new Promise((resolve, reject) => window.addEventListener('load', () => {
  try { resolve(main()); } catch (e) { reject(e); }
}));
</script>
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Headless]:
    """The module's one headless chromium."""
    started = Headless(str(BROWSER))
    yield started
    started.close()


def _picture(svg: str, attribute: str) -> str:
    """The SVG again as an image, drawn onto a canvas to count its ink."""
    return (f'<img {attribute} style="display:none" src="data:image/svg+xml;base64,'
            + base64.b64encode(svg.encode("utf-8")).decode() + '">')


def measured(browser: Headless, page_html: str, page: Path, size: tuple[int, int] = (1200, 900)) -> Any:
    """The harness's measurements of the first SVG in a page, or of each `div.case` (a list) if it has them,
    loaded from the file `page` in a window of `size`."""
    picture = ""
    if 'class="case"' not in page_html:
        picture = _picture(page_html[page_html.index("<svg"):page_html.index("</svg>") + 6], 'id="picture"')
    page.write_text(page_html.replace("</body>", picture + MEASURE + "</body>"), encoding="utf-8")
    browser.open(page, size)
    return browser.evaluate("window.measured")


def inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    """True if rectangle `inner` lies within `outer` (x, y, w, h)."""
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[0] + inner[2] <= outer[0] + outer[2] + slack and inner[1] + inner[3] <= outer[1] + outer[3] + slack)


def apart(a: list[float], b: list[float]) -> bool:
    """True if two rectangles share no area."""
    return a[0] + a[2] <= b[0] + 0.5 or b[0] + b[2] <= a[0] + 0.5 or a[1] + a[3] <= b[1] + 0.5 or b[1] + b[3] <= a[1] + 0.5


def on_border(point: list[float], r: list[float]) -> bool:
    """True if a point lies on a rectangle's outline."""
    x, y = point
    return inside([x, y, 0, 0], r, 0.6) and min(abs(x - r[0]), abs(x - r[0] - r[2]), abs(y - r[1]),
                                                 abs(y - r[1] - r[3])) < 0.6


def check_drawing(m: dict, boxes: int) -> None:
    """The drawing as a person checks it."""
    assert m["ink"] > 0.01, "the page is blank"
    assert len(m["boxes"]) == boxes
    canvas = [0, 0, m["width"], m["height"]]
    rects = {b["key"]: b["rect"] for b in m["boxes"]}
    for b in m["boxes"]:
        assert inside(b["bbox"], canvas), b["name"]
        assert b["title"], "every box has a tooltip"
        for t in b["texts"]:
            assert inside(t["bbox"], b["rect"], 0.0), f"{t['text']!r} overflows its box"
    order = sorted(m["boxes"], key=lambda b: b["bbox"][0])
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            assert apart(a["bbox"], b["bbox"]), (a["name"], b["name"])
    for e in m["edges"]:
        assert on_border(e["first"], rects[e["source"]]) and on_border(e["last"], rects[e["target"]]), e
    for i, a in enumerate(m["labels"]):
        assert inside(a["bbox"], canvas)
        assert all(apart(a["bbox"], b["bbox"]) for b in m["labels"][i + 1:]), a["text"]
        assert all(apart(a["bbox"], b["bbox"]) for b in m["boxes"]), a["text"]


DRAWINGS = [("vgg16", "graph", 0), ("vgg16", "blocks", 0), ("alexnet", "blocks", 0), ("googlenet", "graph", 1),
            ("resnet50", "graph", 2), ("unet", "graph", 0), ("densenet121", "graph", 1), ("resnet152", "graph", 1),
            ("mobilenet_v2", "blocks", 1), ("efficientnet_b0", "graph", 0)]


ESCAPED = "name: x\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 2, kernel: 3, name: '<script>'}\n"


@pytest.fixture(scope="module")
def drawings(browser: Headless, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, dict]]:
    """Every drawing of DRAWINGS, then a layer named `<script>`, measured in one page:
    (its box count, what was drawn)."""
    from conftest import run

    layouts = [layout(analyze(load(bundled.resolve(name))), Options(style, "TB", depth, ("params", "macs")))
               for name, style, depth in DRAWINGS] + [layout(run(ESCAPED), Options(depth=None))]
    svgs = [render(d) for d in layouts]
    cases = "".join(f'<div class="case">{svg}{_picture(svg, "class=picture")}</div>' for svg in svgs)
    found = measured(browser, f"<!DOCTYPE html><html><body style='margin:0'>{cases}</body></html>",
                     tmp_path_factory.mktemp("drawings") / "drawings.html")
    return [(len(d.boxes), m) for d, m in zip(layouts, found)]


@pytest.mark.parametrize(("name", "style", "depth"), DRAWINGS)
def test_diagram_as_drawn(name: str, style: str, depth: int, drawings: list[tuple[int, dict]]) -> None:
    boxes, drawn = drawings[DRAWINGS.index((name, style, depth))]
    check_drawing(drawn, boxes)


def test_escaped_name_is_drawn_as_text(drawings: list[tuple[int, dict]]) -> None:
    _, drawn = drawings[len(DRAWINGS)]
    assert [t["text"] for t in drawn["boxes"][1]["texts"]][0] == "<script>"


@pytest.mark.parametrize("width", [390, 1100])
def test_report_at_phone_and_desktop_width(width: int, browser: Headless, tmp_path: Path) -> None:
    analysis = analyze(load(bundled.resolve("resnet50")))
    page = html(analysis, estimate(analysis), Options(depth=1))
    m = measured(browser, page, tmp_path / "report.html", size=(width, 900))
    assert m["scrollWidth"] <= m["innerWidth"], "the page scrolls sideways (only the wide parts may)"
    check_drawing(m, len(layout(analysis, Options(depth=1)).boxes))


def screenshot(browser: Headless, svg: str, page: Path, size: tuple[int, int]) -> bytes:
    """A PNG screenshot of an SVG document, loaded from the file `page` in a window of its own size."""
    page.write_text(svg, encoding="utf-8")
    browser.open(page, size)
    return browser.screenshot()


# Each pair of images (a screenshot and its golden file) is compared in one page.
COMPARE = """<!DOCTYPE html><html><body>PAIRS<script>
function pixels(img) {
  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
  return [c.width, c.height, ctx.getImageData(0, 0, c.width, c.height).data];
}
function compare(pair) {
  const [w1, h1, a] = pixels(pair.querySelector('img.shot'));
  const [w2, h2, b] = pixels(pair.querySelector('img.golden'));
  let diff = 0;
  if (w1 === w2 && h1 === h2) for (let i = 0; i < a.length; i += 4)
    if (Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i+1] - b[i+1]), Math.abs(a[i+2] - b[i+2])) > 16) diff++;
  return {same_size: w1 === w2 && h1 === h2, diff: diff / (w1 * h1)};
}
// Images load before the load event; the test reads this promise's value (or error) once the page has loaded.
window.compared = new Promise((resolve, reject) => window.addEventListener('load', () => {
  try { resolve([...document.querySelectorAll('div.pair')].map(compare)); } catch (e) { reject(e); }
}));
</script></body></html>"""
SCREENSHOTS = [("vgg16", "blocks", 0), ("googlenet", "graph", 0), ("unet", "graph", 0)]


def _png(data: bytes, kind: str) -> str:
    return f'<img class="{kind}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


@pytest.fixture(scope="module")
def screenshots(browser: Headless, tmp_path_factory: pytest.TempPathFactory,
                request: pytest.FixtureRequest) -> list[dict]:
    """Each of SCREENSHOTS taken by chromium (the window at the drawing's size), then all compared with their
    golden files in one page: [{same_size, diff}] in SCREENSHOTS' order."""
    tmp_path = tmp_path_factory.mktemp("screenshots")
    pairs = []
    for name, style, depth in SCREENSHOTS:
        drawn = layout(analyze(load(bundled.resolve(name))), Options(style, "TB", depth))
        png = screenshot(browser, render(drawn), tmp_path / f"{name}_{style}.svg",
                         (int(drawn.width), int(drawn.height)))
        golden = GOLDEN / f"{name}_{style}.png"
        if request.config.getoption("--regen-golden"):
            golden.write_bytes(png)
        assert golden.exists(), f"no golden screenshot {golden}; run pytest --regen-golden"
        pairs.append(f'<div class="pair">{_png(png, "shot")}{_png(golden.read_bytes(), "golden")}</div>')
    page = tmp_path / "compare.html"
    page.write_text(COMPARE.replace("PAIRS", "".join(pairs)), encoding="utf-8")
    browser.open(page, (1200, 900))
    compared = browser.evaluate("window.compared")
    assert compared and len(compared) == len(SCREENSHOTS), "the comparison page did not run"
    return list(compared)


@pytest.mark.parametrize(("name", "style", "depth"), SCREENSHOTS)
def test_golden_screenshot(name: str, style: str, depth: int, screenshots: list[dict]) -> None:
    result = screenshots[SCREENSHOTS.index((name, style, depth))]
    assert result["same_size"] and result["diff"] <= 0.005, result  # up to 0.5% of pixels may differ (antialiasing)


def test_png_through_chromium() -> None:
    from cnncalc.draw.command import screenshot as browser_png

    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        pytest.skip("cairosvg is not installed, so tests/test_diagram.py::test_png_output already draws its PNG "
                    "through chromium and checks its size")

    drawn = layout(analyze(load(bundled.resolve("lenet5"))), Options(depth=0))
    png = browser_png(str(BROWSER), render(drawn), int(drawn.width), int(drawn.height))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (int(drawn.width), int(drawn.height))
