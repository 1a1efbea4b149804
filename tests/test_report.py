"""The one-file HTML report: self-contained, complete, escaped, deterministic."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cnncalc.core.quantities import human_bytes

from cnncalc.catalog import bundled
from cnncalc.core.analysis import Analysis, analyze
from cnncalc.draw.layout import Options, layout
from cnncalc.core.memory import estimate
from cnncalc.draw.report import html, report_name, write_report
from cnncalc.core.spec import load
from conftest import command_args, main, run


def _html(analysis: Analysis, options: Options) -> str:
    """The report as `cnncalc report` makes it: with the analysis's memory estimate."""
    return html(analysis, estimate(analysis), options)


def run_report(spec: str, output: str | None, style: str, direction: str, depth: str, input_shape: str | None) -> int:
    """`cnncalc report` as a user runs it, in-process."""
    return main(*command_args("report", spec, output, {"style": style, "direction": direction, "depth": depth,
                                                       "input": input_shape}))

SMALL = """
name: small
input: [8, 8, 3]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1, name: stem}
  - conv: {filters: 4, kernel: 1, name: '<b>a&b</b>'}
  - relu: {name: act}
"""


class Tags(HTMLParser):
    """Collects start tags and their attributes, and checks nesting closes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed(text: str) -> Tags:
    """The tags of an HTML document."""
    tags = Tags()
    tags.feed(text)
    return tags


def test_report_is_self_contained_and_offline() -> None:
    page = _html(analyze(load(bundled.resolve("googlenet"))), Options(depth=1))
    tags = parsed(page)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names and "img" not in names
    assert not any(k in ("src", "href") for _, attrs in tags.tags for k in attrs)
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", page)) and "@import" not in page
    assert '<meta name="viewport"' in page and "@media print" in page and "@media (max-width: 600px)" in page


def test_report_has_totals_diagram_table_and_charts() -> None:
    analysis = analyze(load(bundled.resolve("resnet18")))
    page = _html(analysis, Options(depth=1))
    assert f"{analysis.totals.params:,}" in page and f"{analysis.totals.macs:,}" in page
    boxes = len(layout(analysis, Options(depth=1)).boxes)
    assert page.count('<g class="box"') == boxes
    # one tooltip per box, the SVG's and the page's titles, and one per layer on the memory timeline
    assert page.count("<title>") == boxes + 2 + len(analysis.rows)
    table = page[page.index('<table class="layers">'):]
    assert table.count("<tr>") == len(analysis.rows) + 1  # every leaf layer, plus the header
    for row in analysis.rows:
        assert f">{row.name}<" in table
    assert page.count('<table class="bars') == 3


def test_memory_timeline_marks_the_peak() -> None:
    from cnncalc.core.memory import liveness

    analysis = analyze(load(bundled.resolve("resnet18")))
    page = _html(analysis, Options(depth=1))
    plan = liveness(analysis)
    timeline = page[page.index('<h2 id="memory">'):page.index("<h2>Every layer")]
    assert f"peak {human_bytes(plan.peak_bytes)} while {plan.peak_layer} runs" in timeline
    points = re.search(r'<polyline points="([^"]+)"', timeline)
    assert points is not None and len(points.group(1).split()) == len(analysis.rows)
    for live in plan.layers:  # a tooltip per layer with its exact figure
        assert f"<title>{live.name}: {live.live_bytes:,} B alive</title>" in timeline
    # the marked point is the highest: the smallest y of the polyline
    ys = [float(p.split(",")[1]) for p in points.group(1).split()]
    circle = re.search(r'<circle cx="[^"]+" cy="([^"]+)"', timeline)
    assert circle is not None and float(circle.group(1)) == min(ys)


def test_bars_are_proportional() -> None:
    page = _html(run(SMALL), Options(depth=None))
    params = page[page.index('class="bars params"'):page.index('class="bars macs"')]
    # stem: 4·(3·3·3 + 1) = 112; the 1×1 conv: 4·(4 + 1) = 20; relu: 0
    widths = re.findall(r'width:([0-9.]+)%', params)
    assert widths == ["100.0", f"{100 * 20 / 112:.1f}", "0.0"]


def test_names_are_escaped_everywhere() -> None:
    page = _html(run(SMALL), Options(depth=None))
    assert "<b>a&b</b>" not in page and "&lt;b&gt;a&amp;b&lt;/b&gt;" in page
    assert "b" not in [t for t, _ in parsed(page).tags]


@pytest.mark.parametrize(("path", "name"), [
    ("vgg16.yaml", "vgg16.html"), ("nets/a.yaml", "nets__a.html"), ("./nets/a b.yml", "nets__a__b.html"),
    ("/abs/x.yaml", "abs__x.html"),
])
def test_report_name(path: str, name: str) -> None:
    assert report_name(path) == name


def test_write_report_for_check(tmp_path: Path) -> None:
    analysis = run(SMALL, "nets/small.yaml")
    path = write_report(analysis, estimate(analysis), str(tmp_path / "reports"))
    assert path == str(tmp_path / "reports" / "nets__small.html")
    assert Path(path).read_text(encoding="utf-8") == _html(analysis, Options())


def test_run_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "1.html", tmp_path / "2.html"
    assert run_report("squeezenet1_1", str(first), "graph", "TB", "1", None) == 0
    assert run_report("squeezenet1_1", str(second), "graph", "TB", "1", None) == 0
    assert first.read_bytes() == second.read_bytes()
    assert run_report("squeezenet1_1", None, "graph", "TB", "x", None) == 2
    assert "--depth" in capsys.readouterr().err
    assert run_report(str(tmp_path / "missing.yaml"), None, "graph", "TB", "1", None) == 1
    assert "missing.yaml" in capsys.readouterr().err
