"""Text output: streams that cannot encode a character, closed pipes, control characters, plain tables.

Everything here is for the command line; none of it computes a figure.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata
from typing import Sequence, TextIO

# What the output uses beyond ASCII, spelt in ASCII for streams that cannot encode it (cp1252, ascii).
ASCII_SPELLINGS = {
    "×": "x", "–": "-", "—": "-", "−": "-", "→": "->", "≈": "~", "·": "*", "…": "...",
    "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "≥": ">=", "≤": "<=", "²": "^2",
    "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*",
}
ERROR_HANDLER = "cnncalc-ascii"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a Unix tool killed by a closed pipe reports
EXIT_INTERRUPTED = 130  # 128 + SIGINT


def _spell_ascii(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    return "".join(ASCII_SPELLINGS.get(c, "?") for c in text), error.end


codecs.register_error(ERROR_HANDLER, _spell_ascii)


def degrade_unencodable(stream: TextIO) -> None:
    """Make a stream write ASCII spellings (else '?') for what its encoding cannot carry, never raise."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if encoding.startswith("utf") or not hasattr(stream, "reconfigure"):
        return
    try:
        stream.reconfigure(errors=ERROR_HANDLER)
    except (ValueError, OSError):  # a detached or closed stream: nothing to write to anyway
        pass


def silence_stdout() -> None:
    """After the reader of a pipe went away: point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether output goes to a person: a terminal that is not dumb and not a CI log."""
    stream = stream or sys.stdout
    # Some CI runners allocate a pseudo-terminal; their logs still want no progress bars or colour.
    try:
        tty = stream.isatty()
    except (ValueError, AttributeError):
        return False
    return tty and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_CONTROL.update({c: f"\\u{c:04x}" for c in range(0x80, 0xA0)})


def neutral(text: str) -> str:
    """User text made safe for a terminal: control characters (escape sequences) shown as \\xNN."""
    if text.isprintable():
        return text
    return text.translate(_CONTROL)


def cell_width(text: str) -> int:
    """Terminal columns a string takes: East Asian wide characters two, combining marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for c in text:
        if unicodedata.combining(c):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def ascii_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Lines of a table with ASCII borders, as rich's box.ASCII draws it, without rich (for pipes and files)."""
    widths = [cell_width(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            w = cell_width(cell)
            if w > widths[i]:
                widths[i] = w

    def line(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, is_right in zip(cells, widths, right):
            pad = " " * (width - cell_width(cell))
            parts.append(f" {pad}{cell} " if is_right else f" {cell}{pad} ")
        return "|" + "|".join(parts) + "|"

    inner = sum(widths) + 3 * len(widths) - 1
    edge = "+" + "-" * inner + "+"
    lines = [edge, line(header), "|" + "+".join("-" * (w + 2) for w in widths) + "|"]
    lines.extend(line(row) for row in rows)
    lines.append(edge)
    return lines


class Progress:
    """`label: done/total` on stderr, redrawn in place, only on a terminal and only after a second."""

    def __init__(self, label: str, total: int, delay: float = 1.0) -> None:
        import time

        self.label, self.total = label, total
        self.clock = time.monotonic
        self.start = self.clock() + delay
        self.shown = False
        self.enabled = is_terminal(sys.stderr)

    def update(self, done: int, total: int | None = None) -> None:
        """Record progress; draws at most every tenth of a second, once the delay has passed."""
        if not self.enabled:
            return
        now = self.clock()
        if now < self.start:
            return
        self.start = now + 0.1
        self.shown = True
        sys.stderr.write(f"\r{self.label}: {done:,}/{total or self.total:,}")
        sys.stderr.flush()

    def done(self) -> None:
        """Clear the progress line, if one was drawn."""
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False
