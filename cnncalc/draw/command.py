"""Bodies of the `diagram` and `report` commands: parse options, analyse, render, write; return an exit code.

The CLI wraps these thinly; everything heavy is imported here, when a command runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, Callable

from cnncalc.core.problems import EXIT_OK, EXIT_PROBLEMS, CommandLineError

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.draw.layout import Options

PNG_HINT = ("PNG output needs cairosvg (pip install 'cnncalc[png]', which also needs the Cairo library, "
            "e.g. apt-get install libcairo2) or a chromium browser on PATH; or write an .svg file instead")


def _labels(text: str) -> tuple[str, ...]:
    from cnncalc.draw.layout import LABELS

    if text in ("", "none"):
        return ()
    if text == "all":
        return LABELS
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    for part in chosen:
        if part not in LABELS:
            raise CommandLineError(f"{part!r} is not one of {', '.join(LABELS)}, all or none", "--label")
    return chosen


def options(style: str, direction: str, depth: int | None, label: str) -> "Options":
    """Diagram options from command-line text (depth already parsed); CommandLineError on a bad value."""
    from cnncalc.draw.layout import DIRECTIONS, STYLES, Options

    from cnncalc.cli.options import choice

    choice(style, STYLES, "--style")
    choice(direction.upper(), DIRECTIONS, "--direction")
    return Options(style, direction.upper(), depth, _labels(label))


def svg_to_png(svg: str, width: float, height: float) -> bytes:
    """PNG bytes of an SVG document, by cairosvg or else a headless chromium; raises RuntimeError if neither."""
    try:
        import cairosvg  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except (ImportError, OSError):  # OSError: the package is there but the Cairo library is not
        cairosvg = None
    if cairosvg is not None:
        return bytes(cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=int(width),
                                      output_height=int(height)))
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        raise RuntimeError(PNG_HINT)
    return screenshot(browser, svg, int(width), int(height))


def screenshot(browser: str, svg: str, width: int, height: int) -> bytes:
    """A headless browser's screenshot of an SVG document at its own size."""
    with tempfile.TemporaryDirectory() as tmp:
        page, shot = os.path.join(tmp, "page.svg"), os.path.join(tmp, "shot.png")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(svg)
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={os.path.join(tmp, 'profile')}",
                        f"--screenshot={shot}", f"--window-size={width},{height}", "file://" + page],
                       capture_output=True, timeout=120, check=False)
        if not os.path.exists(shot):
            raise RuntimeError(f"{browser} made no screenshot; {PNG_HINT}")
        with open(shot, "rb") as handle:
            return handle.read()


def _run(body: "Callable[[], str | bytes]", output: str | None) -> int:
    """Make the drawing, then write it whole (textout.write_output: atomically to a file, or to stdout)."""
    from cnncalc.cli.textout import write_output

    try:
        data = body()
    except RuntimeError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_PROBLEMS
    write_output(output, data)
    return EXIT_OK


def write_diagram(analysis: "Analysis", chosen: "Options", output: str | None) -> int:
    """`cnncalc diagram`: write the SVG (or, for a .png output, PNG) diagram; returns the exit code."""
    def body() -> str | bytes:
        from cnncalc.draw.layout import layout
        from cnncalc.draw.svg import render

        drawn = layout(analysis, chosen)
        svg = render(drawn)
        if output is not None and output.lower().endswith(".png"):
            return svg_to_png(svg, drawn.width, drawn.height)
        return svg

    return _run(body, output)


def write_html_report(analysis: "Analysis", chosen: "Options", output: str | None) -> int:
    """`cnncalc report`: write the one-file HTML report; returns the exit code."""
    def body() -> str:
        from cnncalc.core.memory import estimate
        from cnncalc.draw.report import html

        return html(analysis, estimate(analysis), chosen)

    return _run(body, output)
